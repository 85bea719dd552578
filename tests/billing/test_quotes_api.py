import datetime

import pytest
from django.utils import timezone

from billing.models import Invoice, Quote
from tests.billing.factories import item, make_quote
from tests.factories import CustomerFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db


def days(n: int) -> str:
    return (timezone.localdate() + datetime.timedelta(days=n)).isoformat()


@pytest.fixture
def customer():
    return CustomerFactory(account="Initech")


def body(customer, **overrides):
    return {
        "customer_id": customer.pk,
        "valid_until": days(30),
        "items": [{"description": "Consulting Services", "amount": 2000.00, "qty": 1}],
        **overrides,
    }


def test_create_with_reference_body(api, customer):
    response = api.post("/api/v2/quotes", body(customer), format="json")

    data = response.json()["data"]
    assert response.status_code == 201
    # A draft quote takes its number when it leaves Draft (docs/billing.md).
    assert data["quote_number"] is None
    assert (data["customer_id"], data["status"], data["amount"]) == (customer.pk, "Draft", 2000)
    assert data["valid_until"] == days(30)
    assert data["invoice_id"] is None
    assert [i["description"] for i in data["items"]] == ["Consulting Services"]


def test_create_announces_quote_created(api, customer):
    api.post("/api/v2/quotes", body(customer), format="json")

    assert Event.objects.get(type="quote.created").data["amount"] == 2000.0


def test_totals_like_invoices(api, customer):
    items = [{"description": "Work", "amount": "1.25", "qty": 1, "tax_rate": 10}] * 2

    data = api.post(
        "/api/v2/quotes", body(customer, items=items, discount=1), format="json"
    ).json()["data"]

    assert (data["subtotal"], data["discount"], data["tax"], data["amount"]) == (
        2.5,
        1,
        0.16,
        1.66,
    )


def test_valid_until_before_date_is_rejected(api, customer):
    response = api.post(
        "/api/v2/quotes", body(customer, date=days(0), valid_until=days(-1)), format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "valid_until": "Valid until cannot be before the quote date."
    }
    assert Quote.objects.count() == 0


def test_unknown_customer_is_rejected(api, customer):
    response = api.post("/api/v2/quotes", {**body(customer), "customer_id": 404}, format="json")

    assert response.json()["errors"] == {"customer_id": "Customer 404 does not exist."}


def test_status_converted_cannot_be_set_by_hand(api, customer):
    response = api.post("/api/v2/quotes", body(customer, status="Converted"), format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]
    assert Quote.objects.count() == 0


def test_update_status_and_items(api, customer):
    quote = make_quote(customer=customer)

    data = api.patch(
        f"/api/v2/quotes/{quote.pk}",
        {"status": "Sent", "items": [{"description": "Less", "amount": 500}]},
        format="json",
    ).json()["data"]

    assert (data["status"], data["amount"]) == ("Sent", 500)


def test_past_valid_until_shows_expired(api):
    quote = make_quote(
        date=timezone.localdate() - datetime.timedelta(days=40),
        valid_until=timezone.localdate() - datetime.timedelta(days=1),
        status="Sent",
    )

    data = api.get(f"/api/v2/quotes/{quote.pk}").json()["data"]

    assert data["status"] == "Expired"


def test_filter_expired_and_open(api):
    past = timezone.localdate() - datetime.timedelta(days=1)
    expired = make_quote(date=past - datetime.timedelta(days=5), valid_until=past, status="Sent")
    sent = make_quote(status="Sent")

    expired_ids = [q["id"] for q in api.get("/api/v2/quotes?status=Expired").json()["data"]]
    sent_ids = [q["id"] for q in api.get("/api/v2/quotes?status=Sent").json()["data"]]

    assert (expired_ids, sent_ids) == ([expired.pk], [sent.pk])


def test_search_by_customer(api):
    wanted = make_quote(customer=CustomerFactory(account="Hooli Labs"))
    make_quote(customer=CustomerFactory(account="Pied Piper"))

    data = api.get("/api/v2/quotes?search=hooli").json()["data"]

    assert [q["id"] for q in data] == [wanted.pk]


def test_convert_creates_the_invoice_once(api, customer):
    quote = make_quote(
        customer=customer,
        items=[item("2000", description="Consulting Services", tax_rate=10)],
        status="Accepted",
    )

    response = api.post(f"/api/v2/quotes/{quote.pk}/convert")

    data = response.json()["data"]
    assert response.status_code == 201
    invoice = Invoice.objects.get()
    assert data["id"] == invoice.pk
    assert data["invoice_number"] == f"INV-{timezone.localdate().year}-001"
    assert (data["customer_id"], data["status"], data["amount"], data["tax"]) == (
        customer.pk,
        "Unpaid",
        2200,
        200,
    )
    assert data["date"] == days(0)
    assert data["due_date"] == days(30)
    assert [i["description"] for i in data["items"]] == ["Consulting Services"]
    quote_data = api.get(f"/api/v2/quotes/{quote.pk}").json()["data"]
    assert (quote_data["status"], quote_data["invoice_id"]) == ("Converted", invoice.pk)


def test_convert_announces_invoice_created_and_quote_converted(api):
    quote = make_quote()

    api.post(f"/api/v2/quotes/{quote.pk}/convert")

    assert Event.objects.filter(type="invoice.created").count() == 1
    assert Event.objects.get(type="quote.converted").data["status"] == "Converted"


def test_convert_accepts_dates(api):
    quote = make_quote()

    data = api.post(
        f"/api/v2/quotes/{quote.pk}/convert",
        {"date": "2030-01-01", "due_date": "2030-01-15"},
        format="json",
    ).json()["data"]

    assert (data["invoice_number"], data["due_date"]) == ("INV-2030-001", "2030-01-15")


def test_second_conversion_is_409(api):
    quote = make_quote()
    api.post(f"/api/v2/quotes/{quote.pk}/convert")

    response = api.post(f"/api/v2/quotes/{quote.pk}/convert")

    assert response.status_code == 409
    year = timezone.localdate().year
    assert response.json()["message"] == (f"This quote was already converted to INV-{year}-001.")
    assert Invoice.objects.count() == 1


def test_declined_quote_cannot_be_converted(api):
    quote = make_quote(status="Declined")

    response = api.post(f"/api/v2/quotes/{quote.pk}/convert")

    assert response.status_code == 409
    assert response.json()["message"] == "This quote is Declined and cannot be converted."
    assert Invoice.objects.count() == 0


def test_expired_quote_cannot_be_converted(api):
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    quote = make_quote(date=yesterday, valid_until=yesterday, status="Accepted")

    response = api.post(f"/api/v2/quotes/{quote.pk}/convert")

    assert response.status_code == 409
    assert response.json()["message"] == "This quote is Expired and cannot be converted."
    assert Invoice.objects.count() == 0


def test_converted_quote_cannot_be_edited(api):
    quote = make_quote()
    api.post(f"/api/v2/quotes/{quote.pk}/convert")

    response = api.patch(f"/api/v2/quotes/{quote.pk}", {"notes": "late"}, format="json")

    assert response.status_code == 409
    quote.refresh_from_db()
    assert quote.notes == ""


def test_delete_open_quote(api):
    quote = make_quote()

    assert api.delete(f"/api/v2/quotes/{quote.pk}").status_code == 200
    assert Quote.objects.count() == 0


def test_converted_quote_cannot_be_deleted(api):
    quote = make_quote()
    api.post(f"/api/v2/quotes/{quote.pk}/convert")

    response = api.delete(f"/api/v2/quotes/{quote.pk}")

    assert response.status_code == 409
    assert Quote.objects.count() == 1


def test_quote_list_query_count_does_not_grow(api, django_assert_max_num_queries):
    for _ in range(5):
        make_quote(items=[item("1"), item("2")])
    api.get("/api/v2/quotes?limit=5")
    with django_assert_max_num_queries(12) as small:
        api.get("/api/v2/quotes?limit=5")
    for _ in range(20):
        make_quote(items=[item("1"), item("2")])

    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(api.get("/api/v2/quotes?limit=25").json()["data"]) == 25
