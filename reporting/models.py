"""Monthly roll-ups behind the financial and category reports. They are a cache of the
ledger and billing tables: every row can be recomputed from source at any time
(`reporting.services.rollup_month_refresh`), which is what every refresh does."""

from django.db import models

from ledger.models import Category, CategoryType

# Base-currency sums of amount (2 decimals) × rate (6 decimals), kept unrounded so that a
# report sums roll-ups and rounds once, to the cent the live aggregate gives.
BASE_SUM = {"max_digits": 28, "decimal_places": 8}


class RollupMonth(models.Model):
    """One calendar month: income, expenses (non-voided Income/Expense transactions dated in
    it; transfers excluded) and the balance still due on the invoices dated in it (Draft and
    Cancelled excluded), each row converted to the base currency at its own rate. Its row is
    also the lock that serialises refreshes of the month."""

    month = models.DateField(unique=True, help_text="First day of the month.")
    income = models.DecimalField(**BASE_SUM, default=0)
    expenses = models.DecimalField(**BASE_SUM, default=0)
    outstanding = models.DecimalField(**BASE_SUM, default=0)
    transaction_count = models.PositiveIntegerField(default=0)
    invoice_count = models.PositiveIntegerField(default=0)
    refreshed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-month"]
        verbose_name = "monthly roll-up"

    def __str__(self) -> str:
        return f"{self.month.year:04d}-{self.month.month:02d}"


class RollupCategoryLine(models.Model):
    """One (type, category) total within a month; `category` null is "Uncategorized"."""

    period = models.ForeignKey(RollupMonth, on_delete=models.CASCADE, related_name="lines")
    type = models.CharField(max_length=10, choices=CategoryType.choices)
    # A category with transactions cannot be deleted; one without has no line after its
    # month's next refresh, so cascading only ever removes an already stale line.
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    total = models.DecimalField(**BASE_SUM)
    count = models.PositiveIntegerField()

    class Meta:
        ordering = ["period", "type", "category"]

    def __str__(self) -> str:
        return f"{self.period} {self.type} {self.category_id}: {self.total}"
