"""Ledger factories. They write rows directly: tests that need events or roll-ups go through
the API or the services instead."""

import datetime
from decimal import Decimal

import factory

from ledger.models import Account, Category, CategoryType, Transaction, TransactionType


class AccountFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Account

    name = factory.Sequence(lambda n: f"Account {n}")
    currency = "USD"
    opening_balance = Decimal("0.00")


class CategoryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Category

    name = factory.Sequence(lambda n: f"Category {n}")
    type = CategoryType.INCOME


class TransactionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Transaction

    type = TransactionType.INCOME
    account = factory.SubFactory(AccountFactory)
    amount = Decimal("100.00")
    category = None
    description = "Test transaction"
    date = datetime.date(2024, 1, 15)
