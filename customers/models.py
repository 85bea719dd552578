from django.conf import settings
from django.db import models
from django.db.models import Value
from django.db.models.functions import Cast, Concat, Lower


def _as_text(*parts: str) -> list:
    # Every part typed as text (Concat refuses CharField next to EmailField); on PostgreSQL
    # the casts and `||` are immutable, as a stored generated column requires.
    return [
        Value(part, output_field=models.TextField())
        if part == " "
        else Cast(part, output_field=models.TextField())
        for part in parts
    ]


def base_currency() -> str:
    return settings.BASE_CURRENCY


class Customer(models.Model):
    """A client of the business. `account` is the customer's display name (the reference's
    word); the email is unique regardless of case, so leads and imports can match on it."""

    account = models.CharField(max_length=200)
    email = models.EmailField(max_length=254)
    phone = models.CharField(max_length=50, blank=True)
    address = models.CharField(max_length=255, blank=True)
    city = models.CharField(max_length=100, blank=True)
    state = models.CharField(max_length=100, blank=True)
    zip = models.CharField(max_length=20, blank=True)
    country = models.CharField(max_length=100, blank=True)
    # Overdue reminders by email (billing.sending.reminders_send); invoices and receipts are
    # sent either way.
    reminders_enabled = models.BooleanField(default=True)
    # Owed to the customer by credit notes settled as credit; spent by "source": "credit"
    # payments. Written only by customers.services.customer_credit_adjust.
    credit_balance = models.DecimalField(max_digits=14, decimal_places=2, default=0)
    # The currency new documents for this customer take when they name none; the credit
    # balance is in it too.
    currency = models.CharField(max_length=3, default=base_currency)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    # What `?search=` matches, lower-cased once on write: a search then runs one LIKE on one
    # column (served by a trigram index on PostgreSQL, migration 0004) instead of UPPER() on
    # three columns of every row.
    search_text = models.GeneratedField(
        expression=Lower(
            Concat(
                *_as_text("account", " ", "email", " ", "phone"),
                output_field=models.TextField(),
            )
        ),
        output_field=models.TextField(),
        db_persist=True,
    )

    class Meta:
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(Lower("email"), name="customer_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(credit_balance__gte=0), name="customer_credit_not_negative"
            ),
        ]
        indexes = [models.Index(fields=["account"], name="customer_account_idx")]

    def __str__(self) -> str:
        return self.account


class LeadStatus(models.TextChoices):
    NEW = "New", "New"
    CONTACTED = "Contacted", "Contacted"
    QUALIFIED = "Qualified", "Qualified"
    LOST = "Lost", "Lost"
    # Set only by `lead_convert`, never by an edit.
    CONVERTED = "Converted", "Converted"


class Lead(models.Model):
    """A prospect who may become a customer. Conversion (`customers.services.lead_convert`)
    links the lead to the customer it became; a lead whose customer is later deleted stays
    Converted with no link, as a record of what happened."""

    first_name = models.CharField(max_length=100)
    last_name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254)
    company = models.CharField(max_length=200, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    source = models.CharField(max_length=100, blank=True)
    status = models.CharField(max_length=20, choices=LeadStatus.choices, default=LeadStatus.NEW)
    customer = models.ForeignKey(
        Customer, on_delete=models.SET_NULL, null=True, blank=True, related_name="leads"
    )
    converted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["status"], name="lead_status_idx"),
            models.Index(Lower("email"), name="lead_email_ci_idx"),
        ]

    def __str__(self) -> str:
        return self.full_name

    @property
    def full_name(self) -> str:
        return f"{self.first_name} {self.last_name}".strip()
