"""Demo customers: a realistic small set, or `large` (100k) for benchmarks, via bulk inserts.
One of the small set is billed in euros (`EURO_EMAIL`), for the currencies feature."""

import random

from tqdm import tqdm

from customers.models import Customer
from customers.services import customer_create

COMPANIES = [
    ("Acme Corp", "New York", "NY", "10001"),
    ("Globex Industries", "Springfield", "IL", "62701"),
    ("Initech", "Austin", "TX", "73301"),
    ("Umbrella Health", "Raccoon City", "MO", "63101"),
    ("Stark Solutions", "Los Angeles", "CA", "90001"),
    ("Wayne Logistics", "Gotham", "NJ", "07001"),
    ("Hooli Labs", "Palo Alto", "CA", "94301"),
    ("Pied Piper", "Palo Alto", "CA", "94303"),
    ("Vandelay Imports", "New York", "NY", "10002"),
    ("Dunder Mifflin Paper", "Scranton", "PA", "18503"),
    ("Bluth Company", "Newport Beach", "CA", "92660"),
    ("Soylent Foods", "Chicago", "IL", "60601"),
    ("Cyberdyne Systems", "Sunnyvale", "CA", "94085"),
    ("Oceanic Travel", "Honolulu", "HI", "96801"),
    ("Wonka Confectionery", "Portland", "OR", "97201"),
    ("Gringotts Advisory", "Boston", "MA", "02108"),
    ("Tyrell Design", "Seattle", "WA", "98101"),
    ("Monarch Media", "Denver", "CO", "80201"),
    ("Sterling Cooper Ads", "New York", "NY", "10003"),
    ("Prestige Worldwide", "Miami", "FL", "33101"),
]
LARGE_COUNT = 100_000
EURO_EMAIL = "billing@lumenstudio.example.com"
SMALL_COUNT = len(COMPANIES) + 1  # the companies and the euro customer


def _slug(name: str) -> str:
    return "".join(ch for ch in name.lower() if ch.isalnum())


def load(*, size: str, stdout) -> str:
    created = 0
    for index, (name, city, state, zip_code) in enumerate(COMPANIES):
        _, was_created = Customer.objects.get_or_create(
            email=f"billing@{_slug(name)}.example.com",
            defaults={
                "account": name,
                "phone": f"555-01{index:02d}",
                "address": f"{100 + index * 7} Market Street",
                "city": city,
                "state": state,
                "zip": zip_code,
                "country": "US",
            },
        )
        created += was_created
    if not Customer.objects.filter(email=EURO_EMAIL).exists():
        customer_create(
            account="Lumen Studio GmbH",
            email=EURO_EMAIL,
            address="Torstraße 12",
            city="Berlin",
            zip="10119",
            country="DE",
            currency="EUR",
        )
        created += 1
    if size == "large":
        created += _load_large(stdout)
    return f"{created} customers created, {Customer.objects.count()} in all"


def _load_large(stdout) -> int:
    existing = Customer.objects.filter(email__endswith="@bulk.example.com").count()
    rng = random.Random(42)
    words = [
        "North",
        "Blue",
        "Quantum",
        "Summit",
        "Cedar",
        "Bright",
        "Iron",
        "Silver",
        "Harbor",
        "Atlas",
    ]
    kinds = ["Consulting", "Labs", "Studio", "Partners", "Foods", "Logistics", "Media", "Health"]
    batch: list[Customer] = []
    created = 0
    for n in tqdm(
        range(existing, LARGE_COUNT), desc="customers", file=stdout, disable=existing >= LARGE_COUNT
    ):
        name = f"{rng.choice(words)} {rng.choice(kinds)} {n}"
        batch.append(
            Customer(
                account=name,
                email=f"c{n}@bulk.example.com",
                phone=f"555-{n:07d}",
                city=rng.choice(["Austin", "Denver", "Boston", "Seattle", "Miami"]),
                country="US",
            )
        )
        if len(batch) == 5000:
            Customer.objects.bulk_create(batch)
            created += len(batch)
            batch = []
    if batch:
        Customer.objects.bulk_create(batch)
        created += len(batch)
    return created
