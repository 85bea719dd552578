import pytest

from ledger.models import Category
from tests.ledger.factories import CategoryFactory, TransactionFactory

pytestmark = pytest.mark.django_db


def test_create_category(api):
    response = api.post("/api/v2/categories", {"name": "Rent", "type": "Expense"}, format="json")

    data = response.json()["data"]
    assert response.status_code == 201
    assert (data["name"], data["type"]) == ("Rent", "Expense")
    assert set(data) == {"id", "name", "type", "created_at", "updated_at"}


def test_type_must_be_income_or_expense(api):
    response = api.post("/api/v2/categories", {"name": "Moves", "type": "Transfer"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"type": "Type must be Income or Expense."}
    assert Category.objects.count() == 0


def test_name_is_unique_per_type_ignoring_case(api):
    CategoryFactory(name="Rent", type="Expense")

    response = api.post("/api/v2/categories", {"name": "RENT", "type": "Expense"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "name": "A category with this name and type already exists."
    }
    assert Category.objects.count() == 1


def test_same_name_with_other_type_is_allowed(api):
    CategoryFactory(name="Refunds", type="Expense")

    response = api.post("/api/v2/categories", {"name": "Refunds", "type": "Income"}, format="json")

    assert response.status_code == 201


def test_filter_by_type(api):
    income = CategoryFactory(type="Income")
    CategoryFactory(type="Expense")

    data = api.get("/api/v2/categories?type=Income").json()["data"]

    assert [row["id"] for row in data] == [income.pk]


def test_rename_category(api):
    category = CategoryFactory(name="Old", type="Income")

    response = api.patch(f"/api/v2/categories/{category.pk}", {"name": "New"}, format="json")

    assert response.status_code == 200
    category.refresh_from_db()
    assert category.name == "New"


def test_category_in_use_cannot_change_type(api):
    category = CategoryFactory(type="Income")
    TransactionFactory(type="Income", category=category)

    response = api.patch(f"/api/v2/categories/{category.pk}", {"type": "Expense"}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "type": "A category used by transactions cannot change type."
    }
    category.refresh_from_db()
    assert category.type == "Income"


def test_unused_category_can_be_deleted(api):
    category = CategoryFactory()

    response = api.delete(f"/api/v2/categories/{category.pk}")

    assert response.status_code == 200
    assert not Category.objects.filter(pk=category.pk).exists()


def test_category_in_use_cannot_be_deleted(api):
    category = CategoryFactory(type="Income")
    TransactionFactory(type="Income", category=category)

    response = api.delete(f"/api/v2/categories/{category.pk}")

    assert response.status_code == 409
    assert response.json()["message"] == (
        "This category is used by transactions and cannot be deleted."
    )
    assert Category.objects.filter(pk=category.pk).exists()


@pytest.mark.parametrize("size", [1, 25])
def test_category_list_query_count_is_constant(api, size, django_assert_max_num_queries):
    for _ in range(size):
        CategoryFactory()

    with django_assert_max_num_queries(6):
        response = api.get("/api/v2/categories?limit=100")

    assert len(response.json()["data"]) == size
