import secrets
from datetime import UTC

from django.conf import settings
from django.db import models
from django.utils import timezone


def new_event_id() -> str:
    return "evt_" + secrets.token_hex(12)


class Endpoint(models.Model):
    """A URL that receives the events it subscribes to, signed with its own secret."""

    url = models.URLField(max_length=2000)
    events = models.JSONField(default=list, help_text='Event types, or ["*"] for all.')
    # The raw secret is needed to sign every delivery, so it cannot be stored hashed; the API
    # shows it once (on creation) and the admin never shows it.
    secret = models.CharField(max_length=100)
    active = models.BooleanField(default=True)
    disabled_reason = models.TextField(blank=True)
    disabled_at = models.DateTimeField(null=True, blank=True)
    # Start of the current run of failed attempts (any success clears it): five days of
    # failures in a row disable the endpoint.
    failing_since = models.DateTimeField(null=True, blank=True)
    # No database constraint: in the sandbox database the endpoint's owner lives in the live
    # database (API keys and their users are resolved there), so a foreign key would fail.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="webhook_endpoints",
    )
    created_at = models.DateTimeField(default=timezone.now, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["id"]
        verbose_name = "webhook endpoint"

    def __str__(self) -> str:
        return self.url


class Event(models.Model):
    """The outbox: one row per business change, written in the change's own transaction."""

    public_id = models.CharField(max_length=40, unique=True, default=new_event_id)
    type = models.CharField(max_length=64, db_index=True)
    data = models.JSONField()
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    # Set once its deliveries exist; the sweep fans out every event still without it.
    fanned_out_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["id"],
                condition=models.Q(fanned_out_at__isnull=True),
                name="webhooks_event_unfanned",
            )
        ]

    def __str__(self) -> str:
        return f"{self.type} {self.public_id}"

    def body(self) -> dict:
        """The JSON every endpoint receives for this event."""
        return {
            "id": self.public_id,
            "type": self.type,
            "created_at": self.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "data": self.data,
        }


class Delivery(models.Model):
    """One event for one endpoint: retried on the schedule until it succeeds or gives up."""

    class Status(models.TextChoices):
        PENDING = "pending", "Pending"
        SUCCEEDED = "succeeded", "Succeeded"
        FAILED = "failed", "Failed"

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    # When the next attempt is due (pending only). While an attempt is in flight it holds the
    # claim's lease end instead, so a crashed worker's delivery becomes due again by itself.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # While an attempt is in flight: the claim's lease end (the same as next_attempt_at then).
    # Cleared when the outcome is recorded; a re-send request leaves an in-flight delivery be.
    claimed_until = models.DateTimeField(null=True, blank=True)
    # When the sweep last queued a run for it while it was due: the sweep does not queue
    # again for it for a while, so a backlog does not fill the broker with messages.
    queued_at = models.DateTimeField(null=True, blank=True)
    attempt_count = models.PositiveIntegerField(default=0)
    first_failed_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-id"]
        verbose_name_plural = "deliveries"
        constraints = [
            models.UniqueConstraint(
                fields=["event", "endpoint"], name="webhooks_delivery_event_endpoint"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(status="pending"),
                name="webhooks_delivery_due",
            ),
            # The batched claim walks each endpoint's due rows in order.
            models.Index(
                fields=["endpoint", "next_attempt_at", "id"],
                condition=models.Q(status="pending"),
                name="webhooks_delivery_ep_due",
            ),
        ]

    def __str__(self) -> str:
        return f"delivery {self.pk} ({self.status})"


class Attempt(models.Model):
    """One HTTP request made for a delivery, as the receiver answered it."""

    delivery = models.ForeignKey(Delivery, on_delete=models.CASCADE, related_name="attempts")
    number = models.PositiveIntegerField()
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    succeeded = models.BooleanField(default=False)
    duration_ms = models.PositiveIntegerField(default=0)
    response_excerpt = models.TextField(blank=True)
    error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return f"attempt {self.number} of delivery {self.delivery_id}"
