"""Invoices and payments for reporting tests, made through the billing API so totals,
statuses and roll-up refreshes are exactly what production does."""

from datetime import date

from tests.factories import CustomerFactory


def invoice_create(
    api,
    *,
    amount: str,
    day: date,
    due: date | None = None,
    customer=None,
    status: str | None = None,
) -> dict:
    customer = customer or CustomerFactory()
    body = {
        "customer_id": customer.pk,
        "date": day.isoformat(),
        "due_date": (due or day).isoformat(),
        "items": [{"description": "Work", "amount": amount, "qty": 1}],
    }
    if status:
        body["status"] = status
    response = api.post("/api/v2/invoices", body, format="json")
    assert response.status_code == 201, response.json()
    return response.json()["data"]


def payment_record(api, *, invoice: dict, amount: str, day: date, account) -> dict:
    response = api.post(
        f"/api/v2/invoices/{invoice['id']}/payments",
        {"amount": amount, "date": day.isoformat(), "account_id": account.pk},
        format="json",
    )
    assert response.status_code == 201, response.json()
    return response.json()["data"]


def payment_void(api, *, invoice: dict, payment: dict) -> None:
    response = api.post(
        f"/api/v2/invoices/{invoice['id']}/payments/{payment['id']}/void", format="json"
    )
    assert response.status_code in (200, 201), response.json()
