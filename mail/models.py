"""The email outbox. A message is rendered and stored whole (bodies, headers, attachment bytes)
in the business transaction that asks for it, then sent by a task after the commit: a retry
sends exactly what was queued, and the row is the record of what the customer received.

Mail imports no domain: the links to what a message is about are plain integer columns
(`customer_id`, `invoice_id`, …) plus `purpose`, set by the caller."""

from django.db import models
from django.db.models import Q
from django.utils import timezone


class EmailMessage(models.Model):
    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    from_email = models.CharField(max_length=320)
    to = models.JSONField(default=list)
    cc = models.JSONField(default=list, blank=True)
    reply_to = models.JSONField(default=list, blank=True)
    subject = models.CharField(max_length=500)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    template = models.CharField(max_length=100, blank=True)
    # The RFC 5322 Message-ID, fixed when queued: every retry of the message carries the same
    # one, so a mail system that already accepted it (the one case this outbox cannot rule
    # out, docs/email.md) can tell the copy apart.
    message_id = models.CharField(max_length=255)
    # What the message is for, e.g. "invoice", "receipt", "reminder:7".
    purpose = models.CharField(max_length=64, db_index=True)
    # At most one message per key, ever: a unique constraint, so a second caller (a re-run of
    # a reminder job, two at once) gets nothing queued instead of a duplicate.
    dedupe_key = models.CharField(max_length=200, unique=True, null=True, blank=True)
    customer_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    invoice_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    quote_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    credit_note_id = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    # Attempts started (a claim counts one, so a message that kills its worker every time
    # still runs out of attempts instead of looping).
    attempts = models.PositiveIntegerField(default=0)
    # `attempts` when the message was last (re)queued: the retry schedule counts from here,
    # so a re-send gets the whole schedule again.
    attempts_base = models.PositiveIntegerField(default=0)
    last_error = models.TextField(blank=True)
    # When the next attempt is due (queued messages only).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # The lease of the worker sending it now: no other claim matches until it is recorded or
    # the lease runs out (a worker that died mid-send).
    claimed_until = models.DateTimeField(null=True, blank=True)
    # When a send task was last queued: the sweep leaves it a while before queueing another.
    queued_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = "email message"
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(status="queued"),
                name="mail_message_due",
            )
        ]

    def __str__(self) -> str:
        return f"{self.subject} → {', '.join(self.to)} ({self.status})"


class EmailAttachment(models.Model):
    """An attachment's bytes, kept beside the message (not in it, so lists never load them)."""

    message = models.ForeignKey(EmailMessage, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    mimetype = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    content = models.BinaryField()

    class Meta:
        ordering = ["id"]

    def __str__(self) -> str:
        return self.filename
