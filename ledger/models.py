from django.conf import settings
from django.db import models
from django.db.models import Q

RATE = {"max_digits": 18, "decimal_places": 6}


def base_currency() -> str:
    return settings.BASE_CURRENCY


class Account(models.Model):
    """A money account (bank, cash, card). Its balance is derived from its transactions."""

    name = models.CharField(max_length=100)
    currency = models.CharField(max_length=3, default=base_currency)
    opening_balance = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.currency})"


class CategoryType(models.TextChoices):
    INCOME = "Income", "Income"
    EXPENSE = "Expense", "Expense"


class Category(models.Model):
    name = models.CharField(max_length=100)
    type = models.CharField(max_length=10, choices=CategoryType.choices)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name_plural = "categories"
        constraints = [
            models.UniqueConstraint(fields=["name", "type"], name="category_name_type_unique")
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.type})"


class TransactionType(models.TextChoices):
    INCOME = "Income", "Income"
    EXPENSE = "Expense", "Expense"
    TRANSFER = "Transfer", "Transfer"


class TransactionOrigin(models.TextChoices):
    """Who owns a transaction's changes: a manual one changes through the ledger's own
    endpoints; a payment's only through the service that recorded it (billing's payments);
    a credit note's refund never changes (the credit note is final)."""

    MANUAL = "manual", "Manual"
    PAYMENT = "payment", "Invoice payment"
    CREDIT_NOTE = "credit_note", "Credit note refund"


class TransactionQuerySet(models.QuerySet):
    def active(self):
        """Transactions that count: voided ones (a voided payment's) are kept for audit only."""
        return self.filter(voided_at__isnull=True)


class Transaction(models.Model):
    """One movement of money on one account. A transfer is two rows sharing `transfer_group`
    (one `out`, one `in`), excluded from income and expenses. A transaction whose `origin` is
    `payment` was recorded by billing through `ledger.services.payment_transaction_create`
    and changes only through that payment (the ledger's own rule, on its own field)."""

    type = models.CharField(max_length=10, choices=TransactionType.choices)
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="transactions")
    amount = models.DecimalField(max_digits=14, decimal_places=2)
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, null=True, blank=True, related_name="transactions"
    )
    description = models.CharField(max_length=255, blank=True)
    date = models.DateField()
    transfer_group = models.UUIDField(null=True, blank=True, db_index=True)
    transfer_direction = models.CharField(
        max_length=3, blank=True, choices=[("out", "Out"), ("in", "In")]
    )
    origin = models.CharField(
        max_length=20, choices=TransactionOrigin.choices, default=TransactionOrigin.MANUAL
    )
    # The invoice a payment's transaction was received for, held by value: the ledger does
    # not import billing. Set once, by payment_transaction_create; null for manual ones.
    invoice_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    # Base-currency units per one unit of the account's currency on the transaction's date,
    # fixed when it is written (1 on a base-currency account), so reports and roll-ups convert
    # each row at its own rate. Null only on a transfer leg with no rate known: transfers are
    # in no report.
    exchange_rate = models.DecimalField(**RATE, null=True, blank=True, default=1)
    voided_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    objects = TransactionQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        indexes = [
            models.Index(fields=["date", "type"], name="txn_date_type_idx"),
            models.Index(fields=["account", "date"], name="txn_account_date_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="txn_amount_positive"),
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.amount} on {self.date}"


class ExchangeRate(models.Model):
    """How many base-currency units one unit of `currency` was worth from `date` on: a
    document or transaction in that currency with no rate of its own takes the latest one on
    or before its date (ledger.selectors.exchange_rate_on)."""

    currency = models.CharField(max_length=3)
    date = models.DateField()
    rate = models.DecimalField(**RATE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "currency"]
        constraints = [
            models.UniqueConstraint(
                fields=["currency", "date"], name="exchange_rate_currency_date"
            ),
            models.CheckConstraint(condition=Q(rate__gt=0), name="exchange_rate_positive"),
        ]

    def __str__(self) -> str:
        return f"1 {self.currency} = {self.rate} on {self.date}"
