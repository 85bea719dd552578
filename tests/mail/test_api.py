"""`/api/v2/emails`: the outbox as the API shows it, its filters, and re-sending."""

from datetime import UTC, datetime

import pytest
from django.core import mail as django_mail

from mail.models import EmailMessage
from tests.mail.factories import EmailAttachmentFactory, EmailMessageFactory

pytestmark = pytest.mark.django_db


def test_a_message_is_shown_with_its_state_and_links(api):
    sent_at = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
    message = EmailMessageFactory(
        to=["jane@example.com"],
        cc=["accounts@example.com"],
        subject="Invoice INV-2026-007",
        status="sent",
        attempts=2,
        last_error="ConnectionRefusedError: [Errno 111] Connection refused",
        sent_at=sent_at,
        created_at=sent_at,
        next_attempt_at=None,
        customer_id=3,
        invoice_id=7,
    )
    EmailAttachmentFactory(message=message, content=b"%PDF-1.4 x")

    response = api.get(f"/api/v2/emails/{message.pk}")

    assert response.status_code == 200
    assert response.json()["data"] == {
        "id": message.pk,
        "to": ["jane@example.com"],
        "cc": ["accounts@example.com"],
        "subject": "Invoice INV-2026-007",
        "status": "sent",
        "attempts": 2,
        "last_error": "ConnectionRefusedError: [Errno 111] Connection refused",
        "next_attempt_at": None,
        "sent_at": "2026-11-03T09:30:00Z",
        "created_at": "2026-11-03T09:30:00Z",
        "purpose": "invoice",
        "customer_id": 3,
        "invoice_id": 7,
        "quote_id": None,
        "credit_note_id": None,
        "attachments": [
            {"filename": "INV-2026-001.pdf", "mimetype": "application/pdf", "size": 10}
        ],
        "body_text": "Hello\n",
        "body_html": "<p>Hello</p>",
    }


def test_the_list_is_newest_first_without_bodies(api):
    older = EmailMessageFactory()
    newer = EmailMessageFactory()

    response = api.get("/api/v2/emails")

    assert response.status_code == 200
    body = response.json()
    assert [m["id"] for m in body["data"]] == [newer.pk, older.pk]
    assert "body_text" not in body["data"][0]
    assert body["meta"] == {"current_page": 1, "total_pages": 1, "total_records": 2}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("status=failed", ["failed"]),
        ("status=sent", ["sent"]),
        ("invoice_id=7", ["queued"]),
        ("customer_id=3", ["sent"]),
    ],
)
def test_filters(api, query, expected):
    EmailMessageFactory(status="queued", invoice_id=7, customer_id=4)
    EmailMessageFactory(status="sent", invoice_id=8, customer_id=3)
    EmailMessageFactory(status="failed", invoice_id=9, customer_id=4)

    response = api.get(f"/api/v2/emails?{query}")

    assert [m["status"] for m in response.json()["data"]] == expected


@pytest.mark.parametrize("query", ["status=delivered", "invoice_id=abc"])
def test_an_unknown_filter_value_is_a_400(api, query):
    response = api.get(f"/api/v2/emails?{query}")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == [query.split("=")[0]]


@pytest.mark.parametrize("size", [1, 20])
def test_list_query_count_does_not_grow_with_page_size(api, size, django_assert_max_num_queries):
    for _ in range(size):
        EmailAttachmentFactory()

    with django_assert_max_num_queries(9):
        response = api.get("/api/v2/emails?limit=20")

    assert len(response.json()["data"]) == size


def test_an_unknown_message_is_a_404(api):
    assert api.get("/api/v2/emails/999999").status_code == 404


def test_resend_queues_a_failed_message_and_sends_it(api, django_capture_on_commit_callbacks):
    message = EmailMessageFactory(status="failed", attempts=5, last_error="boom")

    with django_capture_on_commit_callbacks(execute=True):
        response = api.post(f"/api/v2/emails/{message.pk}/resend")

    assert response.status_code == 202
    assert response.json()["data"]["status"] == "queued"
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 6)
    assert len(django_mail.outbox) == 1


def test_resend_without_mail_configured_is_a_409(api, settings):
    message = EmailMessageFactory(status="failed", attempts=5)
    settings.EMAIL_ENABLED = False

    response = api.post(f"/api/v2/emails/{message.pk}/resend")

    assert response.status_code == 409
    assert "EMAIL_URL" in response.json()["message"]
    message.refresh_from_db()
    assert message.status == "failed"


def test_staff_can_resend(client_for):
    message = EmailMessageFactory(status="failed", attempts=5)

    response = client_for("staff").post(f"/api/v2/emails/{message.pk}/resend")

    assert response.status_code == 202


def test_viewers_read_but_cannot_resend(client_for):
    message = EmailMessageFactory(status="failed", attempts=5)
    viewer = client_for("viewer")

    assert viewer.get("/api/v2/emails").status_code == 200
    assert viewer.get(f"/api/v2/emails/{message.pk}").status_code == 200
    response = viewer.post(f"/api/v2/emails/{message.pk}/resend")

    assert response.status_code == 403
    assert EmailMessage.objects.get().status == "failed"


def test_messages_cannot_be_written_through_the_api(api):
    message = EmailMessageFactory()

    assert api.post("/api/v2/emails", {"to": ["x@example.com"]}).status_code == 405
    assert api.patch(f"/api/v2/emails/{message.pk}", {"subject": "x"}).status_code == 405
    assert api.delete(f"/api/v2/emails/{message.pk}").status_code == 405
    assert EmailMessage.objects.get().subject == message.subject
