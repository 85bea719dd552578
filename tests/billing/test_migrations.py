"""billing 0002 marks the ledger transactions behind existing payments as the ledger now
knows them (origin `payment`, the invoice's id), so the ledger's rule needs no billing."""

import datetime
import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from ledger.models import Transaction, TransactionOrigin
from tests.billing.factories import item, make_invoice, make_payment

pytestmark = pytest.mark.django_db

migration = importlib.import_module("billing.migrations.0002_payment_transactions_origin")


def test_existing_payment_transactions_are_marked():
    invoice = make_invoice(items=[item("10")])
    payment = make_payment(invoice, "4")
    manual = Transaction.objects.create(
        type="Expense", account=payment.account, amount="1.00", date=datetime.date(2024, 1, 2)
    )
    Transaction.objects.update(origin=TransactionOrigin.MANUAL, invoice_id=None)  # as before

    migration.mark_payment_transactions(apps, SimpleNamespace(connection=connection))

    assert list(Transaction.objects.order_by("pk").values_list("pk", "origin", "invoice_id")) == [
        (payment.transaction_id, "payment", invoice.pk),
        (manual.pk, "manual", None),
    ]
