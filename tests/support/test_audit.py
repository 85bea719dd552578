"""The support desk's audit trail (issue #17): departments, tickets, replies and status moves
each record one entry with their actor and changes; refused writes record nothing."""

import pytest

from audit.models import AuditEvent
from support import services
from support.models import Department, Ticket
from tests.factories import CustomerFactory, UserFactory
from tests.support.factories import DepartmentFactory, TicketFactory
from users.models import Role

pytestmark = pytest.mark.django_db


def entries(resource="ticket"):
    return list(
        AuditEvent.objects.filter(resource=resource)
        .order_by("pk")
        .values_list("actor_type", "actor_id", "action", "resource_id", "changes")
    )


def test_department_create_update_delete_are_recorded_by_the_key(api):
    department_id = api.post(
        "/api/v2/departments", {"name": "Billing", "email": "billing@example.com"}, format="json"
    ).json()["data"]["id"]
    api.patch(f"/api/v2/departments/{department_id}", {"name": "Accounts"}, format="json")
    api.delete(f"/api/v2/departments/{department_id}")

    recorded = entries("department")
    assert [(row[0], row[1], row[2]) for row in recorded] == [
        ("api_key", api.api_key.pk, "department.created"),
        ("api_key", api.api_key.pk, "department.updated"),
        ("api_key", api.api_key.pk, "department.deleted"),
    ]
    assert [row[4]["name"] for row in recorded] == [
        [None, "Billing"],
        ["Billing", "Accounts"],
        ["Accounts", None],
    ]


def test_a_refused_department_delete_records_nothing(api):
    ticket = TicketFactory()

    response = api.delete(f"/api/v2/departments/{ticket.department_id}")

    assert response.status_code == 409
    assert entries("department") == []
    assert Department.objects.filter(pk=ticket.department_id).exists()


def test_ticket_create_records_its_number_and_fields(api):
    customer, department = CustomerFactory(), DepartmentFactory()

    data = api.post(
        "/api/v2/tickets",
        {
            "customer_id": customer.pk,
            "department_id": department.pk,
            "subject": "Printer on fire",
            "message": "Help",
        },
        format="json",
    ).json()["data"]

    [(actor_type, _, action, resource_id, changes)] = entries()
    assert (actor_type, action, resource_id) == ("api_key", "ticket.created", str(data["id"]))
    assert changes["ticket_number"] == [None, data["ticket_number"]]
    assert changes["status"] == [None, "Open"]
    assert changes["customer_id"] == [None, customer.pk]


def test_a_status_move_records_the_status_and_closed_at(api):
    ticket = TicketFactory()

    api.patch(f"/api/v2/tickets/{ticket.pk}", {"status": "Closed"}, format="json")

    [(_, _, action, _, changes)] = entries()
    closed_at = Ticket.objects.get().closed_at
    assert action == "ticket.updated"
    assert changes["status"] == ["Open", "Closed"]
    assert changes["closed_at"][0] is None and changes["closed_at"][1].startswith(
        closed_at.strftime("%Y-%m-%dT%H:%M:%S")
    )
    assert set(changes) == {"status", "closed_at"}


def test_a_reply_records_one_entry_on_its_ticket(api):
    ticket = TicketFactory()

    reply_id = api.post(
        f"/api/v2/tickets/{ticket.pk}/replies", {"message": "On it"}, format="json"
    ).json()["data"]["id"]

    [(_, _, action, resource_id, changes)] = entries()
    assert (action, resource_id) == ("ticket.replied", str(ticket.pk))
    assert changes["reply_id"] == [None, reply_id]
    assert changes["status"] == ["Open", "Pending"]
    assert set(changes) == {"reply_id", "status", "last_reply_at"}


def test_a_refused_reply_records_nothing(api):
    ticket = TicketFactory()

    response = api.post(f"/api/v2/tickets/{ticket.pk}/replies", {"message": " "}, format="json")

    assert response.status_code == 400
    assert entries() == []


def test_admin_ticket_delete_records_one_entry_by_the_user(client):
    user = UserFactory(role=Role.ADMINISTRATOR)
    client.force_login(user)
    ticket = TicketFactory(subject="Old")

    response = client.post(f"/admin/support/ticket/{ticket.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    [(actor_type, actor_id, action, resource_id, changes)] = entries()
    assert (actor_type, actor_id, action, resource_id) == (
        "user",
        user.pk,
        "ticket.deleted",
        str(ticket.pk),
    )
    assert changes["subject"] == ["Old", None]


def test_a_service_call_outside_any_request_is_the_system():
    services.department_create(name="Night shift")

    assert entries("department")[0][:3] == ("system", None, "department.created")
