"""Sending queued messages: claim, send through Django's email framework, record.

Never twice at once: a worker claims a message with one conditional UPDATE that sets a lease
(`claimed_until`); no other claim matches until the outcome is recorded or the lease runs
out. The outcome is recorded only by the holder of that lease (fencing). The one duplicate
this cannot rule out: the mail server accepted the message and the worker died (or lost the
database) before recording it; the lease then runs out and the message is sent again, with
the same Message-ID (docs/email.md).

Timing lives in the database (`next_attempt_at`), never in Celery countdowns: the beat sweep
queues whatever is due, so a lost task or a dead broker only delays a message.
"""

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db.models import F, Q
from django.utils import timezone
from kombu.exceptions import OperationalError

from core.db import SANDBOX, current_alias
from mail.models import EmailMessage
from mail.services import mail_sending_enabled

logger = logging.getLogger("ledgerline.mail")

# A message queued this recently is not queued again by the sweep (its task presumably
# still waits in the broker); after this, a lost task is replaced.
REQUEUE_AFTER = timedelta(seconds=120)
BATCH = 500
ERROR_CHARS = 2000
WORKER_LOST = "The previous attempt did not finish (worker stopped or lost the database)."
WORKER_LOST_LAST = "The last attempt did not finish (worker stopped); not retried."


def claim_lease() -> timedelta:
    # EMAIL_TIMEOUT applies per socket operation (connect, each command, the data), so one
    # send can take a few times it; the lease must outlast the send or a second worker could
    # send the same message.
    return timedelta(seconds=4 * settings.EMAIL_TIMEOUT + 5)


def max_attempts() -> int:
    return len(settings.EMAIL_RETRY_DELAYS) + 1


def retry_delay(attempt_number: int) -> timedelta | None:
    """How long after failed attempt N (from 1, counted since the message was last queued)
    the next one is due; None once EMAIL_RETRY_DELAYS is used up (the message has failed)."""
    delays = settings.EMAIL_RETRY_DELAYS
    if attempt_number <= len(delays):
        return timedelta(seconds=delays[attempt_number - 1])
    return None


def _claimable(now: datetime):
    return EmailMessage.objects.filter(
        status=EmailMessage.Status.QUEUED,
        next_attempt_at__lte=now,
        attempts__lt=F("attempts_base") + max_attempts(),
    ).filter(Q(claimed_until__isnull=True) | Q(claimed_until__lt=now))


def mail_connection():
    """The current database's mail connection: settings' EMAIL_* for live, SANDBOX_EMAIL_URL
    (by default nowhere) for the sandbox."""
    if current_alias() != SANDBOX:
        return get_connection(fail_silently=False)
    config = settings.SANDBOX_EMAIL
    backend = config["EMAIL_BACKEND"]
    if backend != "django.core.mail.backends.smtp.EmailBackend":
        return get_connection(backend=backend, fail_silently=False)
    return get_connection(
        backend=backend,
        fail_silently=False,
        host=config.get("EMAIL_HOST"),
        port=config.get("EMAIL_PORT"),
        username=config.get("EMAIL_HOST_USER") or "",
        password=config.get("EMAIL_HOST_PASSWORD") or "",
        use_tls=config.get("EMAIL_USE_TLS", False),
        use_ssl=config.get("EMAIL_USE_SSL", False),
        timeout=settings.EMAIL_TIMEOUT,
    )


def build(message: EmailMessage, connection=None) -> EmailMultiAlternatives:
    """The message as Django's email framework sends it: text body, HTML alternative,
    attachments, and the Message-ID fixed when it was queued."""
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=message.body_text,
        from_email=message.from_email,
        to=list(message.to),
        cc=list(message.cc),
        reply_to=list(message.reply_to),
        headers={"Message-ID": message.message_id},
        connection=connection,
    )
    if message.body_html:
        email.attach_alternative(message.body_html, "text/html")
    for attachment in message.attachments.all():
        email.attach(attachment.filename, bytes(attachment.content), attachment.mimetype)
    return email


# --- one attempt ---------------------------------------------------------------------------


def email_claim(*, message_id: int) -> datetime | None:
    """Claims the message's next attempt for this worker and counts it; returns the lease end
    (the fencing token for recording), or None when it is not due, sent, failed, out of
    attempts or held by another worker."""
    now = timezone.now()
    lease_end = now + claim_lease()
    claimed = (
        _claimable(now)
        .filter(pk=message_id)
        .update(claimed_until=lease_end, attempts=F("attempts") + 1, queued_at=None)
    )
    return lease_end if claimed else None


@dataclass
class SendResult:
    message_id: int
    outcome: str  # "sent", "retrying" or "failed"
    error: str = ""


def email_send(*, message_id: int) -> SendResult | None:
    """Makes the message's due attempt if this worker can claim it; None when there was
    nothing to do. Never raises for anything the mail server or provider does: the error is
    recorded and the attempt retried on the schedule."""
    if not mail_sending_enabled():
        return None
    lease_end = email_claim(message_id=message_id)
    if lease_end is None:
        return None
    message = EmailMessage.objects.get(pk=message_id)
    error = ""
    try:
        build(message, connection=mail_connection()).send()
    except Exception as exc:  # any backend or provider failure is a failed attempt
        error = f"{exc.__class__.__name__}: {exc}" if str(exc) else exc.__class__.__name__
        logger.warning("email %s attempt %s failed: %s", message_id, message.attempts, error)
    return _record(message=message, lease_end=lease_end, error=error)


def _record(*, message: EmailMessage, lease_end: datetime, error: str) -> SendResult:
    now = timezone.now()
    changes: dict = {"claimed_until": None}
    if not error:
        outcome = "sent"
        changes.update(status=EmailMessage.Status.SENT, sent_at=now, next_attempt_at=None)
    else:
        delay = retry_delay(message.attempts - message.attempts_base)
        changes["last_error"] = error[:ERROR_CHARS]
        if delay is None:
            outcome = "failed"
            changes.update(status=EmailMessage.Status.FAILED, next_attempt_at=None)
        else:
            outcome = "retrying"
            changes["next_attempt_at"] = now + delay
    recorded = EmailMessage.objects.filter(pk=message.pk, claimed_until=lease_end).update(
        **changes, updated_at=now
    )
    if not recorded:
        logger.warning(
            "email %s: lease ran out during attempt %s (outcome %s); left to the newer claim",
            message.pk,
            message.attempts,
            outcome,
        )
    return SendResult(message_id=message.pk, outcome=outcome, error=error)


# --- the sweep and ops ---------------------------------------------------------------------


def emails_due(*, limit: int = BATCH, include_queued: bool = True) -> list[int]:
    """Ids of queued messages that can be claimed now, oldest due first."""
    now = timezone.now()
    query = _claimable(now)
    if not include_queued:
        query = query.filter(Q(queued_at__isnull=True) | Q(queued_at__lt=now - REQUEUE_AFTER))
    return list(query.order_by("next_attempt_at", "id").values_list("id", flat=True)[:limit])


def emails_queue_tasks(*, message_ids: list[int], db_alias: str) -> int:
    """Queues one send task per message; returns how many. Stops at the first broker error
    (logged): the next sweep queues the rest."""
    from mail.tasks import send_email

    queued = 0
    for message_id in message_ids:
        try:
            send_email.apply_async(args=(message_id,), kwargs={"db_alias": db_alias}, retry=False)
        except OperationalError:
            logger.warning("could not queue email %s; the sweep will retry", message_id)
            break
        queued += 1
    return queued


def _release_lost_leases(now: datetime) -> int:
    """Messages whose worker died mid-attempt: out of attempts, they fail; otherwise they are
    due again with a note of what happened."""
    lost = EmailMessage.objects.filter(status=EmailMessage.Status.QUEUED, claimed_until__lt=now)
    gave_up = lost.filter(attempts__gte=F("attempts_base") + max_attempts()).update(
        status=EmailMessage.Status.FAILED,
        claimed_until=None,
        next_attempt_at=None,
        last_error=WORKER_LOST_LAST,
        updated_at=now,
    )
    lost.update(claimed_until=None, last_error=WORKER_LOST, updated_at=now)
    return gave_up


def emails_sweep(*, db_alias: str) -> dict[str, int]:
    """The beat job for the current database: fails messages whose worker died on their last
    attempt, and queues every due message not queued a moment ago (a task lost with the
    broker, a retry that came due, a lease that ran out)."""
    if not mail_sending_enabled():
        return {"due": 0, "queued": 0, "gave_up": 0}
    now = timezone.now()
    gave_up = _release_lost_leases(now)
    due_ids = emails_due(include_queued=False)
    if due_ids:
        EmailMessage.objects.filter(pk__in=due_ids).update(queued_at=now)
    queued = emails_queue_tasks(message_ids=due_ids, db_alias=db_alias)
    return {"due": len(due_ids), "queued": queued, "gave_up": gave_up}


@dataclass
class DrainSummary:
    attempts: int = 0
    sent: int = 0
    retrying: int = 0
    failed: int = 0


def emails_send_due() -> DrainSummary:
    """Sends everything due now in this process, without a worker or broker (ops, and
    `make run` without Redis). Each message is attempted at most once per run."""
    summary = DrainSummary()
    if not mail_sending_enabled():
        return summary
    _release_lost_leases(timezone.now())
    seen: set[int] = set()
    while True:
        ids = [pk for pk in emails_due(limit=BATCH) if pk not in seen]
        if not ids:
            return summary
        for message_id in ids:
            seen.add(message_id)
            result = email_send(message_id=message_id)
            if result is None:
                continue
            summary.attempts += 1
            setattr(summary, result.outcome, getattr(summary, result.outcome) + 1)
