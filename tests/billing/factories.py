"""Billing factories. Invoices, quotes and payments are made through the services (so totals,
numbers and statuses are what production computes), never by writing derived columns."""

import datetime
from decimal import Decimal

import factory

from billing import services
from billing.models import Product
from ledger.models import Account
from tests.factories import CustomerFactory


class ProductFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Product

    name = factory.Sequence(lambda n: f"Product {n}")
    price = Decimal("100.00")
    description = "A thing we sell"
    type = "service"
    tax_rate = Decimal("10")


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Bank account {n}")
    currency = "USD"
    opening_balance = Decimal("0.00")


def item(amount="100.00", qty=1, description="Consulting", tax_rate=None, product=None) -> dict:
    return {
        "description": description,
        "amount": Decimal(str(amount)),
        "qty": Decimal(str(qty)),
        "tax_rate": None if tax_rate is None else Decimal(str(tax_rate)),
        "product": product,
    }


def make_invoice(
    *, customer=None, items=None, date=None, due_date=None, discount="0", status=None, notes=""
):
    return services.invoice_create(
        customer=customer or CustomerFactory(),
        items=items or [item()],
        date=date or datetime.date(2024, 1, 15),
        due_date=due_date,
        discount=Decimal(discount),
        notes=notes,
        status=status,
    )


def make_payment(invoice, amount, *, account=None, date=None):
    return services.payment_record(
        invoice=invoice,
        amount=Decimal(str(amount)),
        account=account or AccountFactory(),
        date=date or datetime.date(2024, 1, 20),
    )


def make_quote(*, customer=None, items=None, date=None, valid_until=None, status=None):
    return services.quote_create(
        customer=customer or CustomerFactory(),
        items=items or [item("2000.00", description="Consulting Services")],
        date=date,
        valid_until=valid_until,
        status=status,
    )


def make_recurring(
    *,
    customer=None,
    frequency="monthly",
    start_date=None,
    interval=1,
    end_date=None,
    items=None,
    due_days=30,
    auto_send=False,
    discount="0",
    notes="",
):
    from billing.recurring import recurring_invoice_create

    return recurring_invoice_create(
        customer=customer or CustomerFactory(),
        items=items or [item()],
        frequency=frequency,
        start_date=start_date or datetime.date(2024, 1, 31),
        interval=interval,
        end_date=end_date,
        due_days=due_days,
        auto_send=auto_send,
        discount=Decimal(discount),
        notes=notes,
    )
