"""Sending one message: claims, retries on EMAIL_RETRY_DELAYS, failing for good, leases that
run out, re-sending, and the ops command."""

from datetime import timedelta

import pytest
from django.core import mail as django_mail
from django.core.management import call_command
from django.utils import timezone

from core.errors import ConflictError
from mail import sending
from mail.models import EmailMessage
from mail.services import email_resend
from mail.tasks import sweep_due_emails
from tests.mail.factories import EmailAttachmentFactory, EmailMessageFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def broken_backend(settings):
    settings.EMAIL_BACKEND = "tests.mail.backends.RefusingBackend"


def test_a_due_message_is_sent_once_and_recorded():
    message = EmailMessageFactory()

    first = sending.email_send(message_id=message.pk)
    second = sending.email_send(message_id=message.pk)

    assert (first.outcome, second) == ("sent", None)
    message.refresh_from_db()
    assert (message.status, message.attempts, message.claimed_until) == ("sent", 1, None)
    assert len(django_mail.outbox) == 1


def test_a_claimed_message_cannot_be_claimed_again():
    message = EmailMessageFactory()

    lease = sending.email_claim(message_id=message.pk)

    assert lease is not None
    assert sending.email_claim(message_id=message.pk) is None
    assert sending.email_send(message_id=message.pk) is None
    assert django_mail.outbox == []
    message.refresh_from_db()
    assert (message.attempts, message.claimed_until) == (1, lease)


def test_a_message_not_due_yet_is_not_sent():
    message = EmailMessageFactory(next_attempt_at=timezone.now() + timedelta(minutes=5))

    assert sending.email_send(message_id=message.pk) is None
    assert django_mail.outbox == []


def test_a_failed_attempt_is_recorded_and_retried_after_the_first_delay(broken_backend):
    message = EmailMessageFactory()

    result = sending.email_send(message_id=message.pk)

    assert (result.outcome, result.error) == ("retrying", "SMTPServerDisconnected: gone")
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (
        "queued",
        1,
        "SMTPServerDisconnected: gone",
    )
    assert message.next_attempt_at - message.updated_at == timedelta(seconds=60)
    assert message.claimed_until is None


def test_the_schedule_is_followed_then_the_message_fails(broken_backend):
    message = EmailMessageFactory()
    gaps = []
    for _ in range(5):
        EmailMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
        outcome = sending.email_send(message_id=message.pk).outcome
        message.refresh_from_db()
        gap = message.next_attempt_at and (message.next_attempt_at - message.updated_at)
        gaps.append((outcome, gap))

    assert gaps == [
        ("retrying", timedelta(seconds=60)),
        ("retrying", timedelta(seconds=300)),
        ("retrying", timedelta(seconds=1800)),
        ("retrying", timedelta(seconds=7200)),
        ("failed", None),
    ]
    assert (message.status, message.attempts) == ("failed", 5)
    EmailMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert sending.email_send(message_id=message.pk) is None


def test_an_outcome_is_not_recorded_by_a_worker_whose_lease_was_taken_over():
    message = EmailMessageFactory()
    stale_lease = sending.email_claim(message_id=message.pk)
    # The lease ran out (the worker stalled) and the sweep released it; another worker sent.
    EmailMessage.objects.filter(pk=message.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )
    assert sending.email_send(message_id=message.pk).outcome == "sent"
    message.refresh_from_db()

    late = sending._record(message=message, lease_end=stale_lease, error="timed out")

    assert late.outcome == "retrying"
    message.refresh_from_db()
    assert (message.status, message.last_error, message.attempts) == ("sent", "", 2)


def test_a_message_whose_worker_died_is_sent_by_the_sweep_after_the_lease():
    message = EmailMessageFactory()
    sending.email_claim(message_id=message.pk)  # the worker dies here
    EmailMessage.objects.filter(pk=message.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1), queued_at=None
    )

    result = sweep_due_emails(db_alias="default")

    assert result["default"] == {"due": 1, "queued": 1, "gave_up": 0}
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    assert message.last_error == sending.WORKER_LOST
    assert len(django_mail.outbox) == 1


def test_a_worker_dying_on_the_last_attempt_fails_the_message():
    message = EmailMessageFactory(attempts=4)
    sending.email_claim(message_id=message.pk)
    EmailMessage.objects.filter(pk=message.pk).update(
        claimed_until=timezone.now() - timedelta(seconds=1)
    )

    result = sweep_due_emails(db_alias="default")

    assert result["default"] == {"due": 0, "queued": 0, "gave_up": 1}
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == (
        "failed",
        5,
        sending.WORKER_LOST_LAST,
    )


def test_resending_a_failed_message_gives_it_the_whole_schedule_again(broken_backend, settings):
    message = EmailMessageFactory(status="failed", attempts=5, last_error="boom")

    email_resend(message=message)

    message.refresh_from_db()
    assert (message.status, message.attempts_base) == ("queued", 5)
    result = sending.email_send(message_id=message.pk)
    assert result.outcome == "retrying"
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    EmailMessage.objects.filter(pk=message.pk).update(next_attempt_at=timezone.now())
    assert sending.email_send(message_id=message.pk).outcome == "sent"
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 7)


def test_resending_a_sent_message_sends_a_copy_with_a_new_message_id(
    django_capture_on_commit_callbacks,
):
    message = EmailMessageFactory()
    sending.email_send(message_id=message.pk)
    message.refresh_from_db()
    first_id = message.message_id

    with django_capture_on_commit_callbacks(execute=True):
        email_resend(message=message)

    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 2)
    assert message.message_id != first_id
    assert [m.extra_headers["Message-ID"] for m in django_mail.outbox] == [
        first_id,
        message.message_id,
    ]


def test_resending_a_message_being_sent_leaves_it_to_that_attempt(
    django_capture_on_commit_callbacks,
):
    message = EmailMessageFactory()
    lease = sending.email_claim(message_id=message.pk)

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        email_resend(message=message)

    assert callbacks == []
    message.refresh_from_db()
    assert (message.claimed_until, message.attempts_base) == (lease, 0)


def test_resending_without_mail_configured_is_a_conflict(settings):
    message = EmailMessageFactory(status="failed", attempts=5)
    settings.EMAIL_ENABLED = False

    with pytest.raises(ConflictError):
        email_resend(message=message)

    message.refresh_from_db()
    assert (message.status, message.attempts_base) == ("failed", 0)


def test_nothing_is_sent_while_mail_is_not_configured(settings):
    message = EmailMessageFactory()
    settings.EMAIL_ENABLED = False

    assert sending.email_send(message_id=message.pk) is None
    assert sweep_due_emails(db_alias="default")["default"]["queued"] == 0
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("queued", 0)


def test_send_emails_sends_what_is_due_and_prints_a_summary(capsys):
    EmailMessageFactory.create_batch(2)
    EmailMessageFactory(next_attempt_at=timezone.now() + timedelta(hours=1))
    EmailMessageFactory(status="sent")

    call_command("send_emails")

    assert capsys.readouterr().out == "Attempts: 2 (2 sent, 0 will be retried, 0 failed).\n"
    assert len(django_mail.outbox) == 2


def test_send_emails_refuses_when_mail_is_not_configured(settings):
    from django.core.management import CommandError

    settings.EMAIL_ENABLED = False

    with pytest.raises(CommandError, match="EMAIL_URL"):
        call_command("send_emails")


def test_a_provider_backend_sends_the_same_message(settings):
    """django-anymail's test backend runs the provider path (payload normalisation) without
    a network."""
    settings.EMAIL_BACKEND = "anymail.backends.test.EmailBackend"
    settings.ANYMAIL = {}
    attachment = EmailAttachmentFactory(content=b"%PDF-1.4 bytes")
    message = attachment.message

    assert sending.email_send(message_id=message.pk).outcome == "sent"

    [sent] = django_mail.outbox
    params = sent.anymail_test_params
    assert params["to"][0].addr_spec == message.to[0]
    assert params["subject"] == message.subject
    assert params["html_body"] == "<p>Hello</p>"
    assert [(a.name, a.content, a.mimetype) for a in params["attachments"]] == [
        ("INV-2026-001.pdf", b"%PDF-1.4 bytes", "application/pdf")
    ]
    assert params["extra_headers"]["Message-ID"] == message.message_id


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_sandbox_messages_never_reach_the_live_mail_server(smtp_server, settings):
    from core.db import using_alias

    settings.SANDBOX_EMAIL = {"EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"}
    with using_alias("sandbox"):
        message = EmailMessageFactory()
        assert sending.email_send(message_id=message.pk).outcome == "sent"
        assert EmailMessage.objects.get().status == "sent"

    assert smtp_server.messages == []
    assert EmailMessage.objects.count() == 0  # the live database has none
