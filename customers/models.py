from django.db import models
from django.db.models.functions import Lower


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
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["id"]
        constraints = [models.UniqueConstraint(Lower("email"), name="customer_email_ci_unique")]
        indexes = [models.Index(fields=["account"], name="customer_account_idx")]

    def __str__(self) -> str:
        return self.account
