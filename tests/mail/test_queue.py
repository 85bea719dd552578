"""`email_queue`: the outbox row is written in the caller's transaction, sent after the
commit, and refused or deduplicated before anything is stored."""

from unittest import mock

import pytest
from django.core import mail as django_mail
from kombu.exceptions import OperationalError

from core.db import atomic
from core.errors import ConflictError, DomainValidationError
from mail.models import EmailMessage
from mail.services import email_queue
from mail.tasks import send_email, sweep_due_emails

pytestmark = pytest.mark.django_db


def queue(**overrides):
    arguments = {
        "to": ["jane@example.com"],
        "subject": "Invoice INV-2026-001",
        "template": "message",
        "context": {"greeting": "Hello Jane,", "message": "Your invoice is attached."},
        "purpose": "invoice",
    }
    return email_queue(**{**arguments, **overrides})


def test_a_queued_message_is_stored_rendered_and_linked(small_pdf):
    message = queue(
        cc=["accounts@example.com"],
        attachments=[("INV-2026-001.pdf", small_pdf, "application/pdf")],
        customer_id=7,
        invoice_id=42,
    )

    stored = EmailMessage.objects.get()
    assert stored.pk == message.pk
    assert (stored.to, stored.cc, stored.subject) == (
        ["jane@example.com"],
        ["accounts@example.com"],
        "Invoice INV-2026-001",
    )
    assert (stored.status, stored.attempts, stored.purpose) == ("queued", 0, "invoice")
    assert (stored.customer_id, stored.invoice_id, stored.quote_id) == (7, 42, None)
    assert stored.from_email == "Acme Billing <billing@acme.test>"
    assert stored.message_id.endswith("@acme.test>")
    assert stored.body_text == (
        "Hello Jane,\n\nYour invoice is attached.\n\n--\nAcme & Sons Ltd\n"
        "1 Ledger Lane, Springfield\nbilling@acme.test\n+1 555 0100\nhttps://acme.test\n"
    )
    assert "Acme &amp; Sons Ltd" in stored.body_html
    assert "<p>Your invoice is attached.</p>" in stored.body_html
    [attachment] = stored.attachments.all()
    assert (attachment.filename, attachment.mimetype, attachment.size) == (
        "INV-2026-001.pdf",
        "application/pdf",
        len(small_pdf),
    )
    assert bytes(attachment.content) == small_pdf


def test_the_message_is_sent_after_the_commit(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        with atomic():
            message = queue()
            assert django_mail.outbox == []

    [sent] = django_mail.outbox
    assert (sent.to, sent.subject) == (["jane@example.com"], "Invoice INV-2026-001")
    assert sent.extra_headers["Message-ID"] == message.message_id
    message.refresh_from_db()
    assert (message.status, message.attempts, message.last_error) == ("sent", 1, "")
    assert message.sent_at is not None
    assert (message.next_attempt_at, message.claimed_until) == (None, None)


def test_no_row_is_written_when_the_callers_transaction_rolls_back(
    django_capture_on_commit_callbacks,
):
    class Refused(Exception):
        """The caller's own failure, after it queued the message."""

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(Refused), atomic():
            queue()
            raise Refused

    assert EmailMessage.objects.count() == 0
    assert callbacks == []
    assert django_mail.outbox == []


def test_a_used_dedupe_key_queues_nothing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        first = queue(dedupe_key="reminder:42:7", purpose="reminder:7")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        second = queue(dedupe_key="reminder:42:7", purpose="reminder:7")

    assert first is not None
    assert second is None
    assert callbacks == []
    assert EmailMessage.objects.count() == 1
    assert len(django_mail.outbox) == 1


def test_a_lost_dedupe_race_leaves_the_callers_transaction_usable(small_pdf):
    queue(dedupe_key="receipt:9")
    with atomic():
        # The pre-check misses (the other caller committed in between): the unique constraint
        # decides, inside a savepoint.
        with mock.patch("mail.services.EmailMessage.objects.filter") as lookup:
            lookup.return_value.exists.return_value = False
            assert queue(dedupe_key="receipt:9") is None
        assert EmailMessage.objects.count() == 1  # still usable

    assert EmailMessage.objects.get().dedupe_key == "receipt:9"


@pytest.mark.parametrize(
    ("overrides", "errors"),
    [
        ({"to": []}, {"to": "At least one recipient is required."}),
        ({"to": ["jane@example.com", "not-an-email"]}, {"to.1": "Invalid email format"}),
        ({"cc": ["x@"]}, {"cc.0": "Invalid email format"}),
        ({"subject": "  "}, {"subject": "A subject is required."}),
        ({"subject": "Hi\nBcc: x@evil.test"}, {"subject": "The subject must be one line."}),
        (
            {"attachments": [("big.pdf", b"x" * (10 * 1024 * 1024 + 1), "application/pdf")]},
            {"attachments": "Attachments are larger than 10 MB in all."},
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(overrides, errors):
    with pytest.raises(DomainValidationError) as refused:
        queue(**overrides)

    assert refused.value.errors == errors
    assert EmailMessage.objects.count() == 0


def test_sending_not_configured_is_a_conflict_and_nothing_is_stored(settings):
    settings.EMAIL_ENABLED = False

    with pytest.raises(ConflictError) as refused:
        queue()

    assert refused.value.status_code == 409
    assert "EMAIL_URL" in refused.value.message
    assert EmailMessage.objects.count() == 0


def test_with_the_broker_down_at_commit_the_sweep_sends_it(django_capture_on_commit_callbacks):
    with mock.patch.object(send_email, "apply_async", side_effect=OperationalError("down")):
        with django_capture_on_commit_callbacks(execute=True):
            message = queue()

    message.refresh_from_db()
    assert (message.status, message.queued_at) == ("queued", None)
    assert django_mail.outbox == []

    result = sweep_due_emails(db_alias="default")

    assert result == {"default": {"due": 1, "queued": 1, "gave_up": 0}}
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 1)
    assert len(django_mail.outbox) == 1


def test_the_sweep_does_not_queue_a_message_whose_task_was_just_queued():
    queue()  # on_commit not run: its task is as good as waiting in the broker

    result = sweep_due_emails(db_alias="default")

    assert result == {"default": {"due": 0, "queued": 0, "gave_up": 0}}
    assert django_mail.outbox == []
