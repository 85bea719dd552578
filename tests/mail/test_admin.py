"""The outbox in the admin: read-only, filtered by status, re-sent through the service."""

import pytest

from mail.models import EmailMessage
from tests.mail.factories import EmailAttachmentFactory, EmailMessageFactory
from users.services import user_create

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"
LIST = "/admin/mail/emailmessage/"


def login(client, role: str):
    user_create(email=f"{role}@example.com", name=role.title(), password=PASSWORD, role=role)
    assert client.login(username=f"{role}@example.com", password=PASSWORD)
    return client


@pytest.fixture
def staff(client):
    return login(client, "staff")


def test_the_list_filters_by_status(staff):
    EmailMessageFactory(subject="Queued one", status="queued")
    EmailMessageFactory(subject="Failed one", status="failed")

    page = staff.get(LIST, {"status__exact": "failed"})

    assert page.status_code == 200
    assert "Failed one" in page.text
    assert "Queued one" not in page.text


def test_a_message_page_shows_it_read_only_with_a_resend_button(staff):
    attachment = EmailAttachmentFactory()
    message = attachment.message

    page = staff.get(f"{LIST}{message.pk}/change/")

    assert page.status_code == 200
    assert f'action="{LIST}{message.pk}/resend/"' in page.text
    assert "INV-2026-001.pdf (application/pdf, 13 bytes)" in page.text
    assert 'name="subject"' not in page.text  # no editable field
    assert 'name="_save"' not in page.text


def test_the_resend_button_queues_the_message(staff, django_capture_on_commit_callbacks):
    message = EmailMessageFactory(status="failed", attempts=5)

    with django_capture_on_commit_callbacks(execute=True):
        response = staff.post(f"{LIST}{message.pk}/resend/", follow=True)

    assert "The message is queued to be sent again." in response.text
    message.refresh_from_db()
    assert (message.status, message.attempts) == ("sent", 6)


def test_the_resend_action_queues_every_selected_message(staff):
    failed = EmailMessageFactory.create_batch(2, status="failed", attempts=5)

    response = staff.post(
        LIST, {"action": "resend", "_selected_action": [m.pk for m in failed]}, follow=True
    )

    assert "2 message(s) queued to be sent." in response.text
    assert list(EmailMessage.objects.values_list("status", flat=True)) == ["queued", "queued"]


def test_a_refused_resend_is_a_message_on_the_page(staff, settings):
    message = EmailMessageFactory(status="failed", attempts=5)
    settings.EMAIL_ENABLED = False

    response = staff.post(f"{LIST}{message.pk}/resend/", follow=True)

    assert "Email sending is not configured" in response.text
    message.refresh_from_db()
    assert message.status == "failed"


def test_viewers_see_messages_but_cannot_resend(client):
    viewer = login(client, "viewer")
    message = EmailMessageFactory(status="failed", attempts=5)

    page = viewer.get(f"{LIST}{message.pk}/change/")
    response = viewer.post(f"{LIST}{message.pk}/resend/")

    assert page.status_code == 200
    assert "/resend/" not in page.text
    assert response.status_code == 403
    message.refresh_from_db()
    assert message.status == "failed"
