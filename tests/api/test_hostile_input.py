"""Hostile request bodies (issue 13, items 7 and 10): each is a 400 in the envelope, never a
500, and nothing is written."""

import json

import pytest

from api.parsers import MAX_DEPTH
from billing.models import Invoice, Payment, Quote
from customers.models import Customer
from ledger.models import Transaction
from support.models import Ticket
from tests.billing.factories import ProductFactory, item, make_invoice
from tests.factories import CustomerFactory
from tests.ledger.factories import AccountFactory, CategoryFactory
from tests.support.factories import DepartmentFactory

pytestmark = pytest.mark.django_db


def _nested(depth: int) -> str:
    return '{"account": ' + "[" * depth + "]" * depth + "}"


def test_json_nested_a_thousand_deep_is_a_400(api):
    response = api.generic(
        "POST", "/api/v2/customers", data=_nested(1000), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json() == {
        "success": False,
        "message": "Malformed JSON: the request body is nested more than 64 levels deep.",
    }
    assert Customer.objects.count() == 0


def test_json_one_level_past_the_limit_is_a_400(api):
    response = api.generic(
        "POST", "/api/v2/customers", data=_nested(MAX_DEPTH), content_type="application/json"
    )

    assert response.status_code == 400
    assert "nested more than 64 levels" in response.json()["message"]
    assert Customer.objects.count() == 0


def test_json_at_the_limit_reaches_validation(api):
    # The outer object is level 1, so MAX_DEPTH - 1 arrays inside it is exactly the limit.
    response = api.generic(
        "POST", "/api/v2/customers", data=_nested(MAX_DEPTH - 1), content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["message"] == "Validation failed"
    assert Customer.objects.count() == 0


# --- ids must be integers (item 10) ---------------------------------------------------------


@pytest.fixture
def rows():
    customer = CustomerFactory()
    product = ProductFactory()
    account = AccountFactory()
    category = CategoryFactory(type="Income")
    department = DepartmentFactory()
    invoice = make_invoice(customer=customer, items=[item("100.00")])
    return {
        "customer": customer.pk,
        "product": product.pk,
        "account": account.pk,
        "savings": AccountFactory().pk,
        "category": category.pk,
        "department": department.pk,
        "invoice": invoice.pk,
    }


def _invoice(r, **over):
    return {"customer_id": r["customer"], "items": [{"description": "x", "amount": 10}], **over}


def _quote(r, **over):
    return _invoice(r, **over)


def _item(r, product_id):
    return _invoice(r, items=[{"product_id": product_id, "amount": 10, "description": "x"}])


def _transaction(r, **over):
    return {
        "type": "Income",
        "account_id": r["account"],
        "category_id": r["category"],
        "amount": 10,
        "date": "2024-01-15",
        **over,
    }


def _transfer(r, **over):
    return {
        "from_account_id": r["account"],
        "to_account_id": r["savings"],
        "amount": 10,
        "date": "2024-01-15",
        **over,
    }


def _ticket(r, **over):
    return {
        "customer_id": r["customer"],
        "department_id": r["department"],
        "subject": "s",
        "message": "m",
        **over,
    }


# (path, body with the bad id, the model that must not grow, where the error is reported)
CASES = {
    "invoice customer_id": (
        lambda r: "/api/v2/invoices",
        lambda r, bad: _invoice(r, customer_id=bad),
        Invoice,
        "customer_id",
    ),
    "invoice items.product_id": (
        lambda r: "/api/v2/invoices",
        lambda r, bad: _item(r, bad),
        Invoice,
        "items.0.product_id",
    ),
    "quote customer_id": (
        lambda r: "/api/v2/quotes",
        lambda r, bad: _quote(r, customer_id=bad),
        Quote,
        "customer_id",
    ),
    "payment account_id": (
        lambda r: f"/api/v2/invoices/{r['invoice']}/payments",
        lambda r, bad: {"amount": 5, "date": "2024-01-20", "account_id": bad},
        Payment,
        "account_id",
    ),
    "transaction account_id": (
        lambda r: "/api/v2/transactions",
        lambda r, bad: _transaction(r, account_id=bad),
        Transaction,
        "account_id",
    ),
    "transaction category_id": (
        lambda r: "/api/v2/transactions",
        lambda r, bad: _transaction(r, category_id=bad),
        Transaction,
        "category_id",
    ),
    "transfer from_account_id": (
        lambda r: "/api/v2/transfers",
        lambda r, bad: _transfer(r, from_account_id=bad),
        Transaction,
        "from_account_id",
    ),
    "ticket customer_id": (
        lambda r: "/api/v2/tickets",
        lambda r, bad: _ticket(r, customer_id=bad),
        Ticket,
        "customer_id",
    ),
    "ticket department_id": (
        lambda r: "/api/v2/tickets",
        lambda r, bad: _ticket(r, department_id=bad),
        Ticket,
        "department_id",
    ),
}


def _id_of(rows, field: str) -> int:
    name = field.rsplit(".", 1)[-1].removesuffix("_id").removeprefix("from_")
    return rows[name]


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("shape", ["fraction", "whole float", "boolean"])
def test_an_id_that_is_not_an_integer_is_a_400(api, rows, case, shape):
    path, payload, model, field = CASES[case]
    good = _id_of(rows, field)
    bad = {"fraction": f"{good}.5", "whole float": f"{good}.0", "boolean": "true"}[shape]
    # Written by hand so the number reaches the parser exactly as a client sent it.
    body = json.dumps(payload(rows, 999_000_111)).replace("999000111", bad)
    before = model.objects.count()

    response = api.generic("POST", path(rows), data=body, content_type="application/json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert " id must be a " in response.json()["errors"][field]
    assert model.objects.count() == before


@pytest.mark.parametrize("case", CASES)
def test_an_integer_id_is_still_accepted(api, rows, case):
    path, payload, model, field = CASES[case]

    response = api.post(path(rows), payload(rows, _id_of(rows, field)), format="json")

    assert response.status_code == 201, response.json()
