from importlib import import_module
from importlib.util import find_spec

from django.core.management.base import BaseCommand

from api.db import LIVE, using_alias

# Each domain app may have a `demo.py` with `load(*, size: str, stdout) -> str` returning a
# one-line summary. Order matters: later loaders use earlier data (payments need accounts).
DEMO_MODULES = [
    "users.demo",
    "customers.demo",
    "ledger.demo",
    "billing.demo",
    "support.demo",
    "webhooks.demo",
    "reporting.demo",
]


class Command(BaseCommand):
    help = "Load the demo data set. Idempotent: running it twice does not duplicate anything."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=["small", "large"], default="small")
        parser.add_argument("--database", default=LIVE)

    def handle(self, *args, size, database, **options):
        with using_alias(database):
            for module_path in DEMO_MODULES:
                if find_spec(module_path) is None:
                    continue
                summary = import_module(module_path).load(size=size, stdout=self.stdout)
                self.stdout.write(f"{module_path.split('.')[0]}: {summary}")
        self.stdout.write(self.style.SUCCESS(f"Demo data ready ({size}) in '{database}'."))
