"""The currencies migrations: rows written before them take the base currency and rate 1."""

import datetime

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

BEFORE = [
    ("customers", "0006_customer_reminders_enabled"),
    ("ledger", "0003_alter_transaction_origin"),
    ("billing", "0006_invoice_quote_sent_at"),
]
AFTER = [
    ("customers", "0007_currencies"),
    ("ledger", "0004_currencies"),
    ("billing", "0007_currencies"),
]


@pytest.mark.django_db(transaction=True)
def test_existing_rows_take_the_base_currency_and_rate_1(settings):
    settings.BASE_CURRENCY = "USD"
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    old = executor.loader.project_state(BEFORE).apps
    customer = old.get_model("customers", "Customer").objects.create(
        account="Old Co", email="old@example.com"
    )
    account = old.get_model("ledger", "Account").objects.create(name="Bank", currency="USD")
    day = datetime.date(2024, 1, 10)
    txn = old.get_model("ledger", "Transaction").objects.create(
        type="Income", account=account, amount="5.00", date=day
    )
    invoice = old.get_model("billing", "Invoice").objects.create(
        customer=customer, date=day, due_date=day, status="Draft"
    )
    quote = old.get_model("billing", "Quote").objects.create(
        customer=customer, date=day, valid_until=day
    )

    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(AFTER)
    new = executor.loader.project_state(AFTER).apps

    assert new.get_model("customers", "Customer").objects.get(pk=customer.pk).currency == "USD"
    assert new.get_model("ledger", "Transaction").objects.get(pk=txn.pk).exchange_rate == 1
    migrated = new.get_model("billing", "Invoice").objects.get(pk=invoice.pk)
    assert (migrated.currency, migrated.exchange_rate) == ("USD", 1)
    migrated = new.get_model("billing", "Quote").objects.get(pk=quote.pk)
    assert (migrated.currency, migrated.exchange_rate) == ("USD", 1)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
