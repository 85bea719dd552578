"""Email resends in the audit trail (issue #17): one `email.resent` entry per resend, by the
key or the admin user; a refused resend records nothing. Sending itself is not audited."""

import pytest

from audit.models import AuditEvent
from tests.mail.factories import EmailMessageFactory
from users.services import user_create

pytestmark = pytest.mark.django_db


def entries():
    return list(
        AuditEvent.objects.filter(resource="email")
        .order_by("pk")
        .values_list("actor_type", "actor_id", "action", "resource_id", "changes")
    )


def test_api_resend_records_one_entry_by_the_key(api):
    message = EmailMessageFactory(status="failed", attempts=5, last_error="boom")

    api.post(f"/api/v2/emails/{message.pk}/resend")

    [(actor_type, actor_id, action, resource_id, changes)] = entries()
    assert (actor_type, actor_id, action, resource_id) == (
        "api_key",
        api.api_key.pk,
        "email.resent",
        str(message.pk),
    )
    assert changes["status"] == ["failed", "queued"]


def test_admin_resend_button_records_one_entry_by_the_user(client):
    # Through the service, so the staff role's permission group is given too.
    user = user_create(email="desk@example.com", role="staff")
    client.force_login(user)
    message = EmailMessageFactory(status="failed")

    client.post(f"/admin/mail/emailmessage/{message.pk}/resend/")

    assert [row[:3] for row in entries()] == [("user", user.pk, "email.resent")]


def test_a_refused_resend_records_nothing(api, settings):
    settings.EMAIL_ENABLED = False
    message = EmailMessageFactory(status="failed")

    response = api.post(f"/api/v2/emails/{message.pk}/resend")

    assert response.status_code == 409
    assert entries() == []
