"""Support desk: departments, tickets and the replies on them.

Every write (status moves on replies, numbering, closing) belongs to `support.services`; the
models hold the tables, their constraints and nothing that decides.
"""

from django.conf import settings
from django.db import models
from django.db.models.functions import Lower

TICKET_NUMBER_PREFIX = "TKT-"


class Department(models.Model):
    """A team tickets are routed to (Billing, Technical Support…); its name is unique
    regardless of case."""

    name = models.CharField(max_length=100)
    email = models.EmailField(max_length=254, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name", "id"]
        constraints = [models.UniqueConstraint(Lower("name"), name="department_name_ci_unique")]

    def __str__(self) -> str:
        return self.name


class TicketPriority(models.TextChoices):
    LOW = "Low", "Low"
    MEDIUM = "Medium", "Medium"
    HIGH = "High", "High"
    URGENT = "Urgent", "Urgent"


class TicketStatus(models.TextChoices):
    # Open: waiting on staff. Pending: staff answered, waiting on the customer.
    OPEN = "Open", "Open"
    PENDING = "Pending", "Pending"
    CLOSED = "Closed", "Closed"


class ReplyAuthor(models.TextChoices):
    STAFF = "staff", "Staff"
    CUSTOMER = "customer", "Customer"


class Ticket(models.Model):
    # Derived from the primary key by `ticket_create` (TKT-000123): unique and never reused
    # without any counter row to contend on. Null only inside the creating transaction.
    ticket_number = models.CharField(  # noqa: DJ001 - NULL keeps unique until numbered
        max_length=20, unique=True, null=True, editable=False
    )
    customer = models.ForeignKey(
        "customers.Customer", on_delete=models.PROTECT, related_name="tickets"
    )
    department = models.ForeignKey(Department, on_delete=models.PROTECT, related_name="tickets")
    subject = models.CharField(max_length=255)
    message = models.TextField()
    priority = models.CharField(
        max_length=10, choices=TicketPriority.choices, default=TicketPriority.MEDIUM
    )
    status = models.CharField(
        max_length=10, choices=TicketStatus.choices, default=TicketStatus.OPEN
    )
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="assigned_tickets",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True, db_index=True)
    last_reply_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["status", "priority"], name="ticket_status_priority_idx"),
            models.Index(fields=["-last_reply_at"], name="ticket_last_reply_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_number or 'New ticket'}: {self.subject}"


class TicketReply(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="replies")
    message = models.TextField()
    author = models.CharField(max_length=10, choices=ReplyAuthor.choices, default=ReplyAuthor.STAFF)
    # Who posted it (the API key's owner or the admin user), for the audit trail. No database
    # constraint: in the sandbox database the API key's owner lives in the live database.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        db_constraint=False,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = "reply"
        verbose_name_plural = "replies"

    def __str__(self) -> str:
        # Inline formsets hand each reply its parent ticket, so this costs no query there.
        return f"{self.get_author_display()} reply on {self.ticket.ticket_number}"
