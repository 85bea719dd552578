"""Audit entries are never changed or deleted: not by the model, not by the admin, and on
PostgreSQL not by any SQL either (the trigger of migration 0002)."""

import pytest
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction

from audit.models import AppendOnlyError, AuditEvent
from audit.services import audit_record
from core.db import SANDBOX, using_alias
from tests.markers import requires_postgres

pytestmark = pytest.mark.django_db


@pytest.fixture
def recorded() -> AuditEvent:
    return audit_record(
        action="invoice.updated",
        resource="invoice",
        resource_id=7,
        changes={"status": ["Unpaid", "Paid"]},
    )


def unchanged(entry: AuditEvent) -> bool:
    return list(AuditEvent.objects.values_list("pk", "action", "changes")) == [
        (entry.pk, "invoice.updated", {"status": ["Unpaid", "Paid"]})
    ]


def test_save_of_an_existing_entry_is_refused(recorded):
    recorded.action = "invoice.deleted"

    with pytest.raises(AppendOnlyError):
        recorded.save()

    assert unchanged(recorded)


def test_delete_of_an_entry_is_refused(recorded):
    with pytest.raises(AppendOnlyError):
        recorded.delete()

    assert unchanged(recorded)


@pytest.mark.parametrize(
    "write",
    [
        lambda qs: qs.update(action="forged"),
        lambda qs: qs.delete(),
        lambda qs: qs.bulk_update(list(qs), ["action"]),
    ],
)
def test_queryset_writes_are_refused(recorded, write):
    with pytest.raises(AppendOnlyError):
        write(AuditEvent.objects.all())

    assert unchanged(recorded)


@requires_postgres
@pytest.mark.parametrize(
    "sql",
    [
        "UPDATE audit_auditevent SET action = 'forged'",
        "DELETE FROM audit_auditevent",
    ],
)
def test_the_database_refuses_update_and_delete(recorded, sql):
    with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(sql)

    assert unchanged(recorded)


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_the_sandbox_reset_still_empties_the_trail():
    # flush uses TRUNCATE on PostgreSQL, which the row trigger does not see.
    with using_alias(SANDBOX):
        audit_record(action="customer.created", resource="customer", resource_id=1)
        assert AuditEvent.objects.count() == 1

    call_command("reset_sandbox")

    # The entry above (by "system") is gone; what is left is the demo data's own creation.
    remaining = AuditEvent.objects.using(SANDBOX)
    assert set(remaining.values_list("actor_name", flat=True)) == {"command:reset_sandbox"}


# --- admin: read-only for everyone, hidden from non-administrators ---------------------------


def test_admin_list_and_page_show_the_entry_read_only(admin_client, recorded):
    listing = admin_client.get("/admin/audit/auditevent/").content.decode()
    page = admin_client.get(f"/admin/audit/auditevent/{recorded.pk}/change/").content.decode()

    assert "invoice.updated" in listing
    assert "delete_selected" not in listing
    assert "Add audit entry" not in listing
    assert "&quot;Unpaid&quot;" in page and "&quot;Paid&quot;" in page
    assert 'name="_save"' not in page
    assert 'name="action"' not in page


def test_admin_cannot_change_add_or_delete_an_entry(admin_client, recorded):
    base = f"/admin/audit/auditevent/{recorded.pk}"

    assert admin_client.post(f"{base}/change/", {"action": "forged"}).status_code == 403
    assert admin_client.post(f"{base}/delete/", {"post": "yes"}).status_code == 403
    assert admin_client.get("/admin/audit/auditevent/add/").status_code == 403
    bulk = admin_client.post(
        "/admin/audit/auditevent/",
        {"action": "delete_selected", "_selected_action": [recorded.pk], "post": "yes"},
    )
    assert bulk.status_code in (200, 302)
    assert unchanged(recorded)


def test_staff_do_not_see_the_trail_in_the_admin(staff_client, recorded):
    assert staff_client.get("/admin/audit/auditevent/").status_code == 403
    assert staff_client.get(f"/admin/audit/auditevent/{recorded.pk}/change/").status_code == 403
    assert "Audit" not in staff_client.get("/admin/").content.decode()
