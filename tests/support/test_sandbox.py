import pytest

from support.models import Department, Ticket
from tests.factories import CustomerFactory
from tests.platform.conftest import sandbox_client

pytestmark = pytest.mark.django_db(databases=["default", "sandbox"])


def test_tickets_made_with_a_sandbox_key_stay_in_the_sandbox(api):
    sandbox = sandbox_client()
    customer = sandbox.post(
        "/api/v2/customers", {"account": "Sand Co", "email": "sand@example.com"}, format="json"
    ).json()["data"]
    department = sandbox.post("/api/v2/departments", {"name": "Sandbox desk"}, format="json")
    ticket = sandbox.post(
        "/api/v2/tickets",
        {
            "customer_id": customer["id"],
            "department_id": department.json()["data"]["id"],
            "subject": "Test ticket",
            "message": "From the sandbox",
        },
        format="json",
    )
    reply = sandbox.post(
        f"/api/v2/tickets/{ticket.json()['data']['id']}/replies", {"message": "ok"}, format="json"
    )

    assert (ticket.status_code, reply.status_code) == (201, 201)
    assert Ticket.objects.using("sandbox").get().status == "Pending"
    assert not Ticket.objects.using("default").exists()
    assert not Department.objects.using("default").exists()
    assert api.get("/api/v2/tickets").json()["meta"]["total_records"] == 0


def test_a_live_customer_id_is_unknown_in_the_sandbox():
    live_customer = CustomerFactory()
    sandbox = sandbox_client()
    department = sandbox.post("/api/v2/departments", {"name": "Desk"}, format="json").json()

    response = sandbox.post(
        "/api/v2/tickets",
        {
            "customer_id": live_customer.pk,
            "department_id": department["data"]["id"],
            "subject": "s",
            "message": "m",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"customer_id": f"No customer with id {live_customer.pk}."}
