"""Marks the ledger transactions behind existing payments as the ledger now records it on its
own rows (`origin = payment`, `invoice_id`), so the ledger no longer asks billing's tables."""

from django.db import migrations
from django.db.models import OuterRef, Subquery


def mark_payment_transactions(apps, schema_editor):
    Payment = apps.get_model("billing", "Payment")
    Transaction = apps.get_model("ledger", "Transaction")
    alias = schema_editor.connection.alias
    payments = Payment.objects.using(alias).filter(transaction_id=OuterRef("pk"))
    Transaction.objects.using(alias).filter(
        pk__in=Payment.objects.using(alias).values("transaction_id")
    ).update(origin="payment", invoice_id=Subquery(payments.values("invoice_id")[:1]))


def unmark(apps, schema_editor):
    Transaction = apps.get_model("ledger", "Transaction")
    Transaction.objects.using(schema_editor.connection.alias).update(
        origin="manual", invoice_id=None
    )


class Migration(migrations.Migration):
    dependencies = [
        ("billing", "0001_initial"),
        ("ledger", "0002_transaction_origin"),
    ]

    operations = [migrations.RunPython(mark_payment_transactions, unmark)]
