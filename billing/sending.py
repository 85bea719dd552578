"""Billing documents by email: invoices, quotes and credit notes sent on request, receipts on
recorded payments, and overdue reminders on the `INVOICE_REMINDER_DAYS` schedule (contract
section 10, docs/email.md).

Every message goes through the mail outbox (`mail.services.email_queue`), inside the same
transaction as the change that asks for it, so a message exists exactly when its change
commits and is sent after the commit, with retries. Receipts and reminders carry a
`dedupe_key` (one per payment, one per invoice and reminder step): a unique constraint in the
outbox makes a re-run, or two runs at once, queue nothing twice.
"""

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta

from django.conf import settings
from django.utils import timezone

from audit.changes import diff_fields
from audit.services import audit_record
from billing.events import credit_note_payload, invoice_payload, quote_payload
from billing.models import CreditNote, Invoice, InvoiceStatus, Quote, QuoteStatus
from billing.pdf import (
    credit_note_pdf,
    document_pdf_filename,
    invoice_pdf,
    invoice_pdf_filename,
)
from billing.portal_links import portal_url
from billing.quote_pdf import quote_pdf, quote_pdf_filename
from billing.receipts import day_text
from billing.selectors import credit_note_for_document, invoice_for_document
from billing.services import invoice_issue, quote_update
from core.db import atomic
from core.errors import ConflictError, DomainValidationError
from core.money_format import format_money
from mail.models import EmailMessage
from mail.services import MAIL_DISABLED, email_queue, mail_sending_enabled
from webhooks.services import event_publish

logger = logging.getLogger("ledgerline.billing")

NO_CUSTOMER_EMAIL = "The customer has no email address: give the recipients in `to`."
PDF = "application/pdf"
OPEN_STATUSES = (InvoiceStatus.UNPAID, InvoiceStatus.PARTIALLY_PAID)


def _recipients(to: Sequence[str] | None, customer) -> list[str]:
    if to:
        return list(to)
    if not customer.email:
        raise DomainValidationError({"to": NO_CUSTOMER_EMAIL})
    return [customer.email]


def _require_sending() -> None:
    # Before any PDF is drawn: a server that cannot send refuses at once.
    if not mail_sending_enabled():
        raise ConflictError(MAIL_DISABLED)


# --- documents on request --------------------------------------------------------------------


def _document_send(
    *,
    document,
    kind: str,
    number: str,
    extra: dict,
    pdf: tuple[str, bytes],
    to: Sequence[str] | None,
    cc: Sequence[str],
    subject: str | None,
    message: str,
    links: dict,
    purpose: str | None = None,
    changes: dict | None = None,
) -> EmailMessage:
    """Queues one document's email (the `document` template, its PDF attached) to `to`
    (default: the customer's email), inside the caller's transaction, and records who sent it
    (`<resource>.sent` in the audit trail: the queued message's id plus the caller's
    `changes`)."""
    customer = document.customer
    queued = email_queue(
        to=_recipients(to, customer),
        cc=cc,
        subject=subject or f"{kind} {number} from {settings.COMPANY_NAME}",
        template="document",
        context={
            "customer_name": customer.account,
            "document_type": kind,
            "number": number,
            "amount": format_money(document.total, document.currency),
            "currency": document.currency,
            "message": message,
            # Where the customer views (and pays or accepts) it online.
            "portal_url": portal_url(document),
            **extra,
        },
        attachments=[(pdf[0], pdf[1], PDF)],
        purpose=purpose or kind.lower(),
        customer_id=customer.pk,
        **links,
    )
    resource = (purpose or kind.lower()).replace(" ", "_")
    audit_record(
        action=f"{resource}.sent",
        resource=resource,
        resource_id=document.pk,
        changes={**(changes or {}), "email_id": [None, queued.pk]},
    )
    return queued


def invoice_send(
    *,
    invoice: Invoice,
    to: Sequence[str] | None = None,
    cc: Sequence[str] = (),
    subject: str | None = None,
    message: str = "",
) -> EmailMessage:
    """Emails the invoice with its PDF attached, to `to` (default: the customer's email) and
    `cc`, and records `sent_at`, all in one transaction with the `invoice.sent` event.

    A draft is issued first (its number taken), so the customer gets the final document. Sending
    not configured: 409. No recipient or a malformed one: 400 on `to`/`to.N`/`cc.N`. Nothing is
    written when it refuses."""
    _require_sending()
    with atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice.pk)
        # Contract section 10: sending a draft issues it first, in this same transaction (a
        # refused recipient below rolls the issue back too).
        if invoice.status == InvoiceStatus.DRAFT:
            invoice = invoice_issue(invoice=invoice)
        document = invoice_for_document(invoice_id=invoice.pk)
        now = timezone.now()
        queued = _document_send(
            document=document,
            kind="Invoice",
            number=document.invoice_number,
            extra={"due_date": day_text(document.due_date)},
            pdf=(invoice_pdf_filename(document), invoice_pdf(document)),
            to=to,
            cc=cc,
            subject=subject,
            message=message,
            links={"invoice_id": invoice.pk},
            changes=diff_fields({"sent_at": invoice.sent_at}, {"sent_at": now}),
        )
        invoice.sent_at = now
        invoice.save(update_fields=["sent_at", "updated_at"])
        event_publish(event_type="invoice.sent", data=invoice_payload(invoice))
    return queued


def quote_send(
    *,
    quote: Quote,
    to: Sequence[str] | None = None,
    cc: Sequence[str] = (),
    subject: str | None = None,
    message: str = "",
) -> EmailMessage:
    """Emails the quote with its PDF attached, to `to` (default: the customer's email) and
    `cc`, records `sent_at` and moves a Draft quote to Sent (numbering it, through
    `quote_update`), in one transaction with the `quote.sent` event. Refusals as in
    `invoice_send`."""
    _require_sending()
    with atomic():
        quote = Quote.objects.select_for_update().get(pk=quote.pk)
        if quote.status == QuoteStatus.DRAFT:
            # Through the service, so the quote takes its number (and announces the move)
            # before the customer sees it; a refused recipient below rolls it back.
            quote = quote_update(quote=quote, status=QuoteStatus.SENT)
        document = (
            Quote.objects.select_related("customer").prefetch_related("items").get(pk=quote.pk)
        )
        now = timezone.now()
        queued = _document_send(
            document=document,
            kind="Quote",
            number=document.quote_number,
            extra={"valid_until": day_text(document.valid_until)},
            pdf=(quote_pdf_filename(document), quote_pdf(document)),
            to=to,
            cc=cc,
            subject=subject,
            message=message,
            links={"quote_id": quote.pk},
            changes=diff_fields({"sent_at": quote.sent_at}, {"sent_at": now}),
        )
        quote.sent_at = now
        quote.save(update_fields=["sent_at", "updated_at"])
        event_publish(event_type="quote.sent", data=quote_payload(quote))
    return queued


def credit_note_send(
    *,
    credit_note: CreditNote,
    to: Sequence[str] | None = None,
    cc: Sequence[str] = (),
    subject: str | None = None,
    message: str = "",
) -> EmailMessage:
    """Emails the credit note with its PDF attached, to `to` (default: the customer's email)
    and `cc`, in one transaction with the `credit_note.sent` event. A credit note is final, so
    nothing on it changes: the queued message (`credit_note_id`) is the record of the send.
    Refusals as in `invoice_send`."""
    _require_sending()
    with atomic():
        document = credit_note_for_document(credit_note_id=credit_note.pk)
        queued = _document_send(
            document=document,
            kind="Credit note",
            number=document.credit_note_number,
            extra={"credits_invoice": document.invoice.invoice_number},
            pdf=(document_pdf_filename(document), credit_note_pdf(document)),
            to=to,
            cc=cc,
            subject=subject,
            message=message,
            links={"credit_note_id": document.pk, "invoice_id": document.invoice_id},
            purpose="credit_note",
        )
        event_publish(event_type="credit_note.sent", data=credit_note_payload(document))
    return queued


# --- receipts --------------------------------------------------------------------------------


# --- reminders -------------------------------------------------------------------------------


@dataclass
class ReminderRun:
    """What one `reminders_send` run did, for the command's summary."""

    on: date
    enabled: bool = True
    queued: list[str] = field(default_factory=list)  # "INV-2026-001 (step 7)"
    already_sent: int = 0  # the latest due step (or a later one) was sent before
    no_email: list[str] = field(default_factory=list)  # invoice numbers
    opted_out: int = 0


def reminder_steps() -> list[int]:
    return sorted(set(settings.INVOICE_REMINDER_DAYS))


def _reminder_key(invoice_id: int, step: int) -> str:
    return f"reminder:{invoice_id}:{step}"


def reminder_step_due(*, invoice: Invoice, on: date, steps: list[int]) -> int | None:
    """The latest step whose day (due date + step) has come by `on`, among those after the
    invoice's own date (a reminder older than the invoice was never due). None: none yet."""
    due = [
        step
        for step in steps
        if invoice.due_date + timedelta(days=step) <= on
        and invoice.due_date + timedelta(days=step) > invoice.date
    ]
    return due[-1] if due else None


def _steps_sent(invoice_ids: list[int]) -> dict[int, int]:
    """The latest reminder step already queued per invoice."""
    latest: dict[int, int] = {}
    keys = EmailMessage.objects.filter(
        invoice_id__in=invoice_ids, dedupe_key__startswith="reminder:"
    ).values_list("invoice_id", "dedupe_key")
    for invoice_id, key in keys:
        step = int(key.rsplit(":", 1)[1])
        latest[invoice_id] = max(step, latest.get(invoice_id, step))
    return latest


def _reminder_queue(*, invoice_id: int, step: int, on: date) -> EmailMessage | None:
    """Queues one reminder under a lock on the invoice, checking again that it is still open
    (a payment may have landed since the candidates were read)."""
    with atomic():
        invoice = Invoice.objects.select_for_update().get(pk=invoice_id)
        if invoice.status not in OPEN_STATUSES or invoice.balance_due <= 0:
            return None
        document = invoice_for_document(invoice_id=invoice_id)
        customer = document.customer
        days = (on - document.due_date).days
        number, due = document.invoice_number, day_text(document.due_date)
        if days < 0:
            subject = f"Reminder: invoice {number} is due on {due}"
        elif days == 0:
            subject = f"Reminder: invoice {number} is due today"
        else:
            subject = f"Overdue: invoice {number} was due on {due}"
        return email_queue(
            to=[customer.email],
            subject=subject,
            template="reminder",
            context={
                "customer_name": customer.account,
                "invoice_number": number,
                "amount_due": format_money(document.balance_due, document.currency),
                "currency": document.currency,
                "due_date": due,
                "days": days,
                "portal_url": portal_url(document),
            },
            attachments=[(invoice_pdf_filename(document), invoice_pdf(document), PDF)],
            purpose=f"reminder:{step}",
            dedupe_key=_reminder_key(invoice_id, step),
            customer_id=customer.pk,
            invoice_id=invoice_id,
        )


def reminders_send(*, on: date, batch_size: int = 500) -> ReminderRun:
    """Queues the overdue reminders due on `on`: for each open invoice (Unpaid or Partially
    Paid, balance due > 0) the latest `INVOICE_REMINDER_DAYS` step whose day has come, unless
    that step or a later one was already sent. A run after missed days therefore sends one
    message per invoice (the latest step), never the backlog. Drafts, paid and cancelled
    invoices get none; nor do customers with `reminders_enabled` false, or without an email.

    Each (invoice, step) is queued at most once, ever, by the outbox's unique `dedupe_key`
    (`reminder:<invoice id>:<step>`): safe to re-run and to run twice at once. Each reminder
    commits on its own, so a failure part-way keeps what was queued."""
    run = ReminderRun(on=on)
    steps = reminder_steps()
    if not steps:
        return run
    if not mail_sending_enabled():
        run.enabled = False
        return run
    candidates = (
        Invoice.objects.filter(
            status__in=OPEN_STATUSES,
            balance_due__gt=0,
            due_date__lte=on - timedelta(days=steps[0]),
        )
        .select_related("customer")
        .order_by("pk")
    )
    last_pk = 0
    while True:
        batch = list(candidates.filter(pk__gt=last_pk)[:batch_size])
        if not batch:
            return run
        last_pk = batch[-1].pk
        sent = _steps_sent([invoice.pk for invoice in batch])
        for invoice in batch:
            step = reminder_step_due(invoice=invoice, on=on, steps=steps)
            if step is None:
                continue
            if invoice.pk in sent and sent[invoice.pk] >= step:
                run.already_sent += 1
                continue
            if not invoice.customer.reminders_enabled:
                run.opted_out += 1
                continue
            if not invoice.customer.email:
                run.no_email.append(invoice.invoice_number)
                continue
            try:
                queued = _reminder_queue(invoice_id=invoice.pk, step=step, on=on)
            except DomainValidationError:
                # An address the outbox refuses counts as none.
                run.no_email.append(invoice.invoice_number)
                continue
            if queued is None:
                run.already_sent += 1  # another run took it, or it was paid meanwhile
            else:
                run.queued.append(f"{invoice.invoice_number} (step {step})")
