"""Email writes. The entry point for every room that sends mail is `email_queue(...)`: call it
inside the business transaction; the message is stored with it (outbox) and sent by a Celery
task after the commit, retried on `EMAIL_RETRY_DELAYS`, and swept by beat (docs/email.md).

Sending itself lives in `mail.sending`.
"""

import logging
from collections.abc import Sequence
from email.utils import parseaddr
from functools import partial

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import make_msgid
from django.core.validators import validate_email
from django.db import IntegrityError
from django.utils import timezone
from kombu.exceptions import OperationalError

from audit.changes import diff_fields, snapshot
from audit.services import audit_record
from core.db import SANDBOX, atomic, current_alias, on_commit
from core.errors import ConflictError, DomainValidationError
from mail.models import EmailAttachment, EmailMessage
from mail.rendering import email_render

logger = logging.getLogger("ledgerline.mail")

MAIL_DISABLED = (
    "Email sending is not configured on this server: set EMAIL_URL (or EMAIL_BACKEND), "
    "see docs/email.md."
)
# Most providers refuse messages over 10 MB (Amazon SES, Postmark); the PDFs we attach are a
# few tens of kB.
ATTACHMENTS_MAX_BYTES = 10 * 1024 * 1024

Attachment = tuple[str, bytes, str]
# What a resend changes, as the audit trail shows it.
EMAIL_RESEND_FIELDS = ["status", "message_id", "next_attempt_at"]


def mail_sending_enabled() -> bool:
    """Whether the current database's mail goes anywhere. Callers that send on their own
    initiative (receipts, reminders) check this and skip; explicit sends let `email_queue`
    refuse with a 409."""
    if current_alias() == SANDBOX:
        return bool(settings.SANDBOX_EMAIL)
    return bool(settings.EMAIL_ENABLED)


def _clean_addresses(field: str, addresses: Sequence[str], *, required: bool) -> list[str]:
    if isinstance(addresses, str):
        addresses = [addresses]
    cleaned = [address.strip() for address in addresses]
    if required and not cleaned:
        raise DomainValidationError({field: "At least one recipient is required."})
    for index, address in enumerate(cleaned):
        try:
            validate_email(address)
        except ValidationError:
            raise DomainValidationError({f"{field}.{index}": "Invalid email format"}) from None
    return list(dict.fromkeys(cleaned))


def _clean_subject(subject: str) -> str:
    subject = (subject or "").strip()
    if not subject:
        raise DomainValidationError({"subject": "A subject is required."})
    if "\n" in subject or "\r" in subject:
        raise DomainValidationError({"subject": "The subject must be one line."})
    if len(subject) > 500:
        raise DomainValidationError({"subject": "The subject is longer than 500 characters."})
    return subject


def _clean_attachments(attachments: Sequence[Attachment]) -> list[Attachment]:
    cleaned = [(name, bytes(content), mimetype) for name, content, mimetype in attachments]
    if sum(len(content) for _, content, _ in cleaned) > ATTACHMENTS_MAX_BYTES:
        raise DomainValidationError({"attachments": "Attachments are larger than 10 MB in all."})
    return cleaned


def _new_message_id() -> str:
    # The sender's domain, not DNS_NAME: Django's default looks the host name up (slow on
    # some hosts) and names a machine rather than the company.
    domain = parseaddr(settings.DEFAULT_FROM_EMAIL)[1].rpartition("@")[2] or "localhost"
    return make_msgid(domain=domain)


def _queue_send(message_id: int, db_alias: str) -> None:
    """Runs after the commit. Never raises for the broker: the message is committed, and the
    sweep (`mail.tasks.sweep_due_emails`) sends whatever no task was queued for."""
    from mail.tasks import send_email

    try:
        # retry=False: with the broker down, fail at once rather than hold the request.
        send_email.apply_async(args=(message_id,), kwargs={"db_alias": db_alias}, retry=False)
    except OperationalError:
        logger.warning(
            "could not queue email %s; the sweep will send it", message_id, exc_info=True
        )
        # Due for the sweep's next pass rather than after its re-queue pause.
        EmailMessage.objects.using(db_alias).filter(pk=message_id).update(queued_at=None)


def email_queue(
    *,
    to: Sequence[str],
    cc: Sequence[str] = (),
    subject: str,
    template: str,
    context: dict,
    attachments: Sequence[Attachment] = (),
    purpose: str,
    dedupe_key: str | None = None,
    customer_id: int | None = None,
    invoice_id: int | None = None,
    quote_id: int | None = None,
    credit_note_id: int | None = None,
    reply_to: Sequence[str] = (),
) -> EmailMessage | None:
    """Renders `templates/emails/<template>.txt|.html` with `context` (plus `company` and
    `subject`) and stores the message with its attachments `(filename, bytes, mimetype)`.

    Guarantees: the message is written in the caller's transaction, so it exists exactly when
    the caller's change commits; after the commit its sending is queued (or left to the sweep
    if the broker is down). With a `dedupe_key` already used, nothing is stored or sent and
    the result is None, also when two callers race (a unique constraint decides).

    Raises DomainValidationError (400) on a missing or malformed recipient (`to`, `to.N`,
    `cc.N`), a bad subject or attachments over 10 MB; ConflictError (409) when sending is not
    configured (`mail_sending_enabled()`).
    """
    if not mail_sending_enabled():
        raise ConflictError(MAIL_DISABLED)
    to_list = _clean_addresses("to", to, required=True)
    cc_list = _clean_addresses("cc", cc, required=False)
    reply_to_list = _clean_addresses("reply_to", reply_to, required=False)
    subject = _clean_subject(subject)
    files = _clean_attachments(attachments)
    if not purpose or len(purpose) > 64:
        raise ValueError("purpose must be 1 to 64 characters")  # the caller's bug
    if dedupe_key is not None and EmailMessage.objects.filter(dedupe_key=dedupe_key).exists():
        return None
    text, html = email_render(template=template, context=context, subject=subject)
    now = timezone.now()
    try:
        # A savepoint: a lost dedupe race must not break the caller's transaction.
        with atomic():
            message = EmailMessage.objects.create(
                from_email=settings.DEFAULT_FROM_EMAIL,
                to=to_list,
                cc=cc_list,
                reply_to=reply_to_list,
                subject=subject,
                body_text=text,
                body_html=html,
                template=template,
                message_id=_new_message_id(),
                purpose=purpose,
                dedupe_key=dedupe_key,
                customer_id=customer_id,
                invoice_id=invoice_id,
                quote_id=quote_id,
                credit_note_id=credit_note_id,
                next_attempt_at=now,
                queued_at=now,
                created_at=now,
            )
            if files:
                EmailAttachment.objects.bulk_create(
                    EmailAttachment(
                        message=message,
                        filename=name,
                        mimetype=mimetype,
                        size=len(content),
                        content=content,
                    )
                    for name, content, mimetype in files
                )
    except IntegrityError:
        if dedupe_key is not None:
            return None
        raise
    on_commit(partial(_queue_send, message.pk, current_alias()))
    return message


def email_resend(*, message: EmailMessage) -> EmailMessage:
    """Queues the message to be sent again now, whatever its status, with a fresh retry
    schedule. A message already sent goes out as a new copy (new Message-ID, so mail systems
    that drop repeats do not drop it); a queued or failed one keeps its Message-ID. Never
    runs alongside an attempt in flight: a message being sent right now is left to it (and
    nothing is recorded). Audited as `email.resent`."""
    if not mail_sending_enabled():
        raise ConflictError(MAIL_DISABLED)
    now = timezone.now()
    with atomic():
        message = EmailMessage.objects.select_for_update().get(pk=message.pk)
        in_flight = message.claimed_until is not None and message.claimed_until > now
        if message.status == EmailMessage.Status.QUEUED and in_flight:
            # Being sent right now; a failure is retried on the schedule anyway.
            return message
        before = snapshot(message, EMAIL_RESEND_FIELDS)
        if message.status == EmailMessage.Status.SENT:
            message.message_id = _new_message_id()
        message.status = EmailMessage.Status.QUEUED
        message.next_attempt_at = now
        message.queued_at = now
        message.attempts_base = message.attempts
        message.save(
            update_fields=[
                "message_id",
                "status",
                "next_attempt_at",
                "queued_at",
                "attempts_base",
                "updated_at",
            ]
        )
        audit_record(
            action="email.resent",
            resource="email",
            resource_id=message.pk,
            changes=diff_fields(before, snapshot(message, EMAIL_RESEND_FIELDS)),
        )
        on_commit(partial(_queue_send, message.pk, current_alias()))
    return message
