import re
from datetime import timedelta

import pytest
from django.utils import timezone

from customers.models import Customer
from support.models import Ticket, TicketStatus
from tests.factories import CustomerFactory, UserFactory
from tests.support.factories import DepartmentFactory, TicketFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def customer():
    return CustomerFactory()


@pytest.fixture
def department():
    return DepartmentFactory(name="Technical")


def body(customer, department, **extra):
    return {
        "customer_id": customer.pk,
        "subject": "Technical Support Required",
        "message": "Need assistance with installation",
        "department_id": department.pk,
        "priority": "High",
        **extra,
    }


def test_create_with_the_reference_body(api, customer, department):
    response = api.post("/api/v2/tickets", body(customer, department), format="json")

    data = response.json()["data"]
    assert response.status_code == 201
    assert data["customer_id"] == customer.pk
    assert data["department_id"] == department.pk
    assert data["subject"] == "Technical Support Required"
    assert data["message"] == "Need assistance with installation"
    assert data["priority"] == "High"
    assert data["status"] == "Open"
    assert data["assigned_to"] is None
    assert data["last_reply_at"] is None
    assert data["closed_at"] is None
    assert data["ticket_number"] == f"TKT-{data['id']:06d}"
    assert data["created_at"].endswith("Z")


def test_priority_defaults_to_medium(api, customer, department):
    payload = body(customer, department)
    del payload["priority"]

    response = api.post("/api/v2/tickets", payload, format="json")

    assert response.json()["data"]["priority"] == "Medium"


def test_numbers_are_unique_and_follow_the_format(api, customer, department):
    numbers = [
        api.post("/api/v2/tickets", body(customer, department), format="json").json()["data"][
            "ticket_number"
        ]
        for _ in range(3)
    ]

    assert len(set(numbers)) == 3
    assert all(re.fullmatch(r"TKT-\d{6}", n) for n in numbers)


def test_ticket_number_is_read_only(api, customer, department):
    response = api.post(
        "/api/v2/tickets", body(customer, department, ticket_number="TKT-999999"), format="json"
    )

    data = response.json()["data"]
    assert data["ticket_number"] == f"TKT-{data['id']:06d}"


def test_create_publishes_ticket_created(api, customer, department):
    response = api.post("/api/v2/tickets", body(customer, department), format="json")

    event = Event.objects.get(type="ticket.created")
    assert event.data == response.json()["data"]


def test_new_ticket_cannot_start_closed(api, customer, department):
    response = api.post(
        "/api/v2/tickets", body(customer, department, status="Closed"), format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"status": "New tickets are always Open."}
    assert Ticket.objects.count() == 0


def test_unknown_customer_is_a_400_on_customer_id(api, department):
    response = api.post(
        "/api/v2/tickets",
        {"customer_id": 999, "subject": "s", "message": "m", "department_id": department.pk},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"customer_id": "No customer with id 999."}
    assert Ticket.objects.count() == 0


def test_unknown_department_is_a_400_on_department_id(api, customer):
    response = api.post(
        "/api/v2/tickets",
        {"customer_id": customer.pk, "subject": "s", "message": "m", "department_id": 999},
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"department_id": "No department with id 999."}
    assert Ticket.objects.count() == 0


def test_required_fields(api):
    response = api.post("/api/v2/tickets", {}, format="json")

    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"customer_id", "subject", "message", "department_id"}


def test_invalid_priority(api, customer, department):
    response = api.post(
        "/api/v2/tickets", body(customer, department, priority="Critical"), format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"priority": "Must be one of: Low, Medium, High, Urgent."}
    assert Ticket.objects.count() == 0


def test_assign_to_an_active_user(api, customer, department):
    agent = UserFactory(role="staff")

    response = api.post(
        "/api/v2/tickets", body(customer, department, assigned_to=agent.pk), format="json"
    )

    assert response.status_code == 201
    assert response.json()["data"]["assigned_to"] == agent.pk


def test_assign_to_an_inactive_user_is_refused(api, customer, department):
    former = UserFactory(role="staff", is_active=False)

    response = api.post(
        "/api/v2/tickets", body(customer, department, assigned_to=former.pk), format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"assigned_to": f"No active user with id {former.pk}."}
    assert Ticket.objects.count() == 0


def test_unassign_with_null(api):
    ticket = TicketFactory(assigned_to=UserFactory())

    response = api.patch(f"/api/v2/tickets/{ticket.pk}", {"assigned_to": None}, format="json")

    assert response.status_code == 200
    ticket.refresh_from_db()
    assert ticket.assigned_to_id is None


def test_close_through_patch_status(api):
    ticket = TicketFactory()

    response = api.patch(f"/api/v2/tickets/{ticket.pk}", {"status": "Closed"}, format="json")

    data = response.json()["data"]
    assert response.status_code == 200
    assert data["status"] == "Closed"
    assert data["closed_at"] is not None
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.CLOSED


def test_reopen_through_patch_status(api):
    ticket = TicketFactory(status=TicketStatus.CLOSED, closed_at=timezone.now())

    response = api.patch(f"/api/v2/tickets/{ticket.pk}", {"status": "Open"}, format="json")

    data = response.json()["data"]
    assert (data["status"], data["closed_at"]) == ("Open", None)


def test_invalid_status_is_refused(api):
    ticket = TicketFactory()

    response = api.patch(f"/api/v2/tickets/{ticket.pk}", {"status": "Solved"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"status": "Must be one of: Open, Pending, Closed."}
    ticket.refresh_from_db()
    assert ticket.status == TicketStatus.OPEN


def test_patch_to_unknown_department_is_refused(api):
    ticket = TicketFactory()
    before = ticket.department_id

    response = api.patch(f"/api/v2/tickets/{ticket.pk}", {"department_id": 999}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"department_id": "No department with id 999."}
    ticket.refresh_from_db()
    assert ticket.department_id == before


def test_put_replaces_the_editable_fields(api, customer, department):
    ticket = TicketFactory()

    response = api.put(
        f"/api/v2/tickets/{ticket.pk}",
        body(customer, department, subject="Replaced", priority="Low"),
        format="json",
    )

    assert response.status_code == 200
    ticket.refresh_from_db()
    assert (ticket.subject, ticket.priority, ticket.customer_id, ticket.department_id) == (
        "Replaced",
        "Low",
        customer.pk,
        department.pk,
    )
    assert ticket.ticket_number == f"TKT-{ticket.pk:06d}"


def test_delete_ticket(api):
    ticket = TicketFactory()

    response = api.delete(f"/api/v2/tickets/{ticket.pk}")

    assert response.status_code == 200
    assert not Ticket.objects.filter(pk=ticket.pk).exists()


def test_customer_with_tickets_cannot_be_deleted(api):
    ticket = TicketFactory()

    response = api.delete(f"/api/v2/customers/{ticket.customer_id}")

    assert response.status_code == 409
    assert Customer.objects.filter(pk=ticket.customer_id).exists()


def test_unknown_ticket_is_404(api):
    response = api.get("/api/v2/tickets/999")

    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "Not found."}


def test_viewer_cannot_create(client_for, customer, department):
    response = client_for("viewer").post(
        "/api/v2/tickets", body(customer, department), format="json"
    )

    assert response.status_code == 403
    assert Ticket.objects.count() == 0


# --- Filters and search -----------------------------------------------------------------------


def _ids(response):
    assert response.status_code == 200, response.json()
    return [t["id"] for t in response.json()["data"]]


def test_filter_by_status(api):
    TicketFactory(status=TicketStatus.OPEN)
    pending = TicketFactory(status=TicketStatus.PENDING)

    assert _ids(api.get("/api/v2/tickets?status=Pending")) == [pending.pk]


def test_filter_by_unknown_status_is_a_400(api):
    response = api.get("/api/v2/tickets?status=Solved")

    assert response.status_code == 400
    assert "status" in response.json()["errors"]


def test_filter_by_department(api):
    TicketFactory()
    wanted = TicketFactory()

    assert _ids(api.get(f"/api/v2/tickets?department_id={wanted.department_id}")) == [wanted.pk]


def test_filter_by_priority(api):
    TicketFactory(priority="Low")
    urgent = TicketFactory(priority="Urgent")

    assert _ids(api.get("/api/v2/tickets?priority=Urgent")) == [urgent.pk]


def test_filter_by_customer(api):
    TicketFactory()
    wanted = TicketFactory()

    assert _ids(api.get(f"/api/v2/tickets?customer_id={wanted.customer_id}")) == [wanted.pk]


def test_filter_by_assignee_and_unassigned(api):
    agent = UserFactory()
    mine = TicketFactory(assigned_to=agent)
    nobody = TicketFactory(assigned_to=None)

    assert _ids(api.get(f"/api/v2/tickets?assigned_to={agent.pk}")) == [mine.pk]
    assert _ids(api.get("/api/v2/tickets?assigned_to=none")) == [nobody.pk]


def test_filter_by_updated_since(api):
    old = TicketFactory()
    recent = TicketFactory()
    Ticket.objects.filter(pk=old.pk).update(updated_at=timezone.now() - timedelta(days=3))
    since = (timezone.now() - timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")

    assert _ids(api.get(f"/api/v2/tickets?updated_since={since}")) == [recent.pk]


def test_filter_open_excludes_closed(api):
    open_ticket = TicketFactory(status=TicketStatus.OPEN)
    pending = TicketFactory(status=TicketStatus.PENDING)
    TicketFactory(status=TicketStatus.CLOSED)

    assert _ids(api.get("/api/v2/tickets?open=true")) == [open_ticket.pk, pending.pk]


def test_search_by_subject(api):
    TicketFactory(subject="Printer on fire")
    wanted = TicketFactory(subject="Cannot log in")

    assert _ids(api.get("/api/v2/tickets?search=log in")) == [wanted.pk]


def test_search_by_number(api):
    TicketFactory()
    wanted = TicketFactory()

    assert _ids(api.get(f"/api/v2/tickets?search={wanted.ticket_number}")) == [wanted.pk]


def test_list_query_count_does_not_grow_with_page_size(api, django_assert_max_num_queries):
    TicketFactory.create_batch(3, assigned_to=UserFactory())
    with django_assert_max_num_queries(12) as small:
        api.get("/api/v2/tickets?limit=3")
    TicketFactory.create_batch(30, assigned_to=UserFactory())

    with django_assert_max_num_queries(len(small.captured_queries)):
        response = api.get("/api/v2/tickets?limit=33")

    assert len(response.json()["data"]) == 33
