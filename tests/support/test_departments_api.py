import pytest

from support.models import Department
from tests.support.factories import DepartmentFactory, TicketFactory

pytestmark = pytest.mark.django_db


def test_create_department(api):
    response = api.post(
        "/api/v2/departments", {"name": "Billing", "email": "Billing@Example.com"}, format="json"
    )

    data = response.json()["data"]
    assert response.status_code == 201
    assert (data["name"], data["email"]) == ("Billing", "billing@example.com")
    assert set(data) == {"id", "name", "email", "created_at", "updated_at"}


def test_email_is_optional(api):
    response = api.post("/api/v2/departments", {"name": "Sales"}, format="json")

    assert response.status_code == 201
    assert response.json()["data"]["email"] == ""


def test_name_is_required(api):
    response = api.post("/api/v2/departments", {"email": "x@example.com"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"name": "This field is required."}
    assert Department.objects.count() == 0


def test_invalid_email_uses_the_reference_sentence(api):
    response = api.post("/api/v2/departments", {"name": "Sales", "email": "nope"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"email": "Invalid email format"}
    assert Department.objects.count() == 0


def test_name_is_unique_ignoring_case(api):
    DepartmentFactory(name="Billing")

    response = api.post("/api/v2/departments", {"name": "BILLING"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"name": "A department with this name already exists."}
    assert Department.objects.count() == 1


def test_list_and_retrieve(api):
    DepartmentFactory(name="Sales")
    billing = DepartmentFactory(name="Billing")

    listed = api.get("/api/v2/departments").json()
    detail = api.get(f"/api/v2/departments/{billing.pk}").json()["data"]

    assert [d["name"] for d in listed["data"]] == ["Billing", "Sales"]
    assert listed["meta"]["total_records"] == 2
    assert detail["name"] == "Billing"


def test_put_and_patch(api):
    department = DepartmentFactory(name="Tech", email="tech@example.com")

    put = api.put(
        f"/api/v2/departments/{department.pk}", {"name": "Technical Support"}, format="json"
    )
    patch = api.patch(
        f"/api/v2/departments/{department.pk}", {"email": "help@example.com"}, format="json"
    )

    assert (put.status_code, patch.status_code) == (200, 200)
    department.refresh_from_db()
    assert (department.name, department.email) == ("Technical Support", "help@example.com")


def test_rename_to_a_taken_name_is_refused(api):
    DepartmentFactory(name="Billing")
    department = DepartmentFactory(name="Sales")

    response = api.patch(f"/api/v2/departments/{department.pk}", {"name": "billing"}, format="json")

    assert response.status_code == 400
    department.refresh_from_db()
    assert department.name == "Sales"


def test_delete_department_without_tickets(api):
    department = DepartmentFactory()

    response = api.delete(f"/api/v2/departments/{department.pk}")

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": None}
    assert not Department.objects.filter(pk=department.pk).exists()


def test_department_with_tickets_cannot_be_deleted(api):
    ticket = TicketFactory()

    response = api.delete(f"/api/v2/departments/{ticket.department_id}")

    assert response.status_code == 409
    assert response.json() == {
        "success": False,
        "message": "This department has 1 ticket(s); move them to another department "
        "before deleting it.",
    }
    assert Department.objects.filter(pk=ticket.department_id).exists()


def test_viewer_may_list_but_not_create(client_for):
    viewer = client_for("viewer")

    assert viewer.get("/api/v2/departments").status_code == 200
    assert viewer.post("/api/v2/departments", {"name": "X"}, format="json").status_code == 403
    assert Department.objects.count() == 0


def test_staff_may_create(client_for):
    response = client_for("staff").post("/api/v2/departments", {"name": "X"}, format="json")

    assert response.status_code == 201
