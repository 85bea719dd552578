import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from billing.models import Invoice, InvoiceItem
from tests.billing.factories import ProductFactory, item, make_invoice, make_payment
from tests.factories import CustomerFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db

REFERENCE_ITEM = {"description": "Web Development", "amount": 1500.00, "qty": 1}


@pytest.fixture
def customer():
    return CustomerFactory(account="Acme Corp")


def body(customer, **overrides):
    return {
        "customer_id": customer.pk,
        "date": "2024-01-15",
        "due_date": "2024-02-15",
        "items": [REFERENCE_ITEM],
        "notes": "Payment due within 30 days",
        **overrides,
    }


# --- create ----------------------------------------------------------------------------------


def test_create_with_reference_body(api, customer):
    response = api.post("/api/v2/invoices", body(customer), format="json")

    data = response.json()["data"]
    assert response.status_code == 201
    assert data["invoice_number"] == "INV-2024-001"
    assert data["customer_id"] == customer.pk
    assert (data["amount"], data["subtotal"], data["tax"], data["discount"]) == (1500, 1500, 0, 0)
    assert (data["amount_paid"], data["balance_due"], data["status"]) == (0, 1500, "Unpaid")
    assert (data["date"], data["due_date"]) == ("2024-01-15", "2024-02-15")
    assert data["notes"] == "Payment due within 30 days"
    assert [{k: i[k] for k in REFERENCE_ITEM} for i in data["items"]] == [REFERENCE_ITEM]
    assert data["created_at"].endswith("Z")


def test_create_announces_invoice_created(api, customer):
    api.post("/api/v2/invoices", body(customer), format="json")

    event = Event.objects.get(type="invoice.created")
    assert event.data["invoice_number"] == "INV-2024-001"
    assert event.data["amount"] == 1500.0


def test_line_and_tax_are_rounded_half_up_per_line(api, customer):
    items = [
        {"description": "Pens", "amount": "0.335", "qty": 3, "tax_rate": 0},
        {"description": "Clips", "amount": "1.25", "qty": 1, "tax_rate": 10},
        {"description": "Tape", "amount": "1.25", "qty": 1, "tax_rate": 10},
    ]

    data = api.post("/api/v2/invoices", body(customer, items=items), format="json").json()["data"]

    # 0.335 rounds to 0.34 on input, 3 x 0.34 = 1.02; 10 % of 1.25 = 0.125 -> 0.13 per line.
    assert [(i["subtotal"], i["tax"]) for i in data["items"]] == [
        (1.02, 0),
        (1.25, 0.13),
        (1.25, 0.13),
    ]
    assert (data["subtotal"], data["tax"], data["amount"]) == (3.52, 0.26, 3.78)


def test_fractional_quantity_line_is_rounded_half_up(api, customer):
    items = [{"description": "Hours", "amount": "10.01", "qty": "0.5", "tax_rate": 0}]

    data = api.post("/api/v2/invoices", body(customer, items=items), format="json").json()["data"]

    assert data["items"][0]["qty"] == 0.5
    assert data["amount"] == 5.01  # 5.005 rounds half-up


def test_tax_is_stored_per_line(api, customer):
    items = [{"description": "Dock", "amount": "189.00", "qty": 10, "tax_rate": "8.25"}]

    api.post("/api/v2/invoices", body(customer, items=items), format="json")

    line = InvoiceItem.objects.get()
    assert (line.line_subtotal, line.line_tax) == (Decimal("1890.00"), Decimal("155.93"))


def test_discount_is_taken_off_before_tax(api, customer):
    items = [{"description": "Work", "amount": 200, "qty": 1, "tax_rate": 10}]

    data = api.post(
        "/api/v2/invoices", body(customer, items=items, discount="50"), format="json"
    ).json()["data"]

    assert (data["subtotal"], data["discount"], data["tax"], data["amount"]) == (200, 50, 15, 165)
    assert data["balance_due"] == 165


def test_discount_above_subtotal_is_rejected(api, customer):
    response = api.post("/api/v2/invoices", body(customer, discount=1500.01), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {
        "discount": "Discount cannot be more than the subtotal (1500.00)."
    }
    assert Invoice.objects.count() == 0


def test_due_date_before_date_is_an_error_on_due_date(api, customer):
    response = api.post("/api/v2/invoices", body(customer, due_date="2024-01-14"), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"due_date": "Due date cannot be before the invoice date."}
    assert Invoice.objects.count() == 0


def test_unknown_customer_is_an_error_on_customer_id(api, customer):
    response = api.post("/api/v2/invoices", {**body(customer), "customer_id": 999}, format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"customer_id": "Customer 999 does not exist."}
    assert Invoice.objects.count() == 0


def test_item_amount_must_be_positive(api, customer):
    items = [REFERENCE_ITEM, {"description": "Free", "amount": 0, "qty": 1}]

    response = api.post("/api/v2/invoices", body(customer, items=items), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"items.1.amount": "Amount must be greater than 0"}
    assert Invoice.objects.count() == 0


def test_item_qty_must_be_positive(api, customer):
    items = [{**REFERENCE_ITEM, "qty": 0}]

    response = api.post("/api/v2/invoices", body(customer, items=items), format="json")

    assert response.json()["errors"] == {"items.0.qty": "Quantity must be greater than 0."}


def test_item_without_product_needs_a_description(api, customer):
    items = [{"amount": 10, "qty": 1}]

    response = api.post("/api/v2/invoices", body(customer, items=items), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"items.0.description": "This field is required."}
    assert Invoice.objects.count() == 0


def test_items_are_required(api, customer):
    response = api.post("/api/v2/invoices", body(customer, items=[]), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"items": "This list may not be empty."}


def test_product_fills_in_description_price_and_tax_rate(api, customer):
    product = ProductFactory(name="Web Hosting", price=Decimal("99.99"), tax_rate=Decimal("10"))
    items = [{"product_id": product.pk, "qty": 2}]

    data = api.post("/api/v2/invoices", body(customer, items=items), format="json").json()["data"]

    line = data["items"][0]
    assert (line["product_id"], line["description"], line["amount"]) == (
        product.pk,
        "Web Hosting",
        99.99,
    )
    assert (line["tax_rate"], line["subtotal"], line["tax"]) == (10, 199.98, 20.0)
    assert data["amount"] == 219.98


def test_line_values_override_the_product(api, customer):
    product = ProductFactory(price=Decimal("99.99"), tax_rate=Decimal("10"))
    items = [{"product_id": product.pk, "description": "Hosting (promo)", "amount": 50}]

    data = api.post("/api/v2/invoices", body(customer, items=items), format="json").json()["data"]

    assert (data["items"][0]["description"], data["amount"]) == ("Hosting (promo)", 55.0)


def test_unknown_product_is_an_error_on_the_item(api, customer):
    items = [{"product_id": 4242, "qty": 1}]

    response = api.post("/api/v2/invoices", body(customer, items=items), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"items.0.product_id": "Product 4242 does not exist."}


def test_date_defaults_to_today_and_due_date_to_30_days_later(api, customer):
    data = api.post(
        "/api/v2/invoices", {"customer_id": customer.pk, "items": [REFERENCE_ITEM]}, format="json"
    ).json()["data"]

    today = timezone.localdate()
    assert data["date"] == today.isoformat()
    assert data["due_date"] == (today + datetime.timedelta(days=30)).isoformat()


def test_create_as_draft(api, customer):
    data = api.post("/api/v2/invoices", body(customer, status="Draft"), format="json").json()[
        "data"
    ]

    assert data["status"] == "Draft"


def test_new_invoice_cannot_claim_to_be_paid(api, customer):
    response = api.post("/api/v2/invoices", body(customer, status="Paid"), format="json")

    assert response.status_code == 400
    assert response.json()["errors"] == {"status": "A new invoice is either Draft or Unpaid."}
    assert Invoice.objects.count() == 0


def test_create_refreshes_rollups_for_the_invoice_date(api, customer, monkeypatch):
    calls = []
    monkeypatch.setattr("billing.services.money_moved", lambda **kw: calls.append(kw))

    api.post("/api/v2/invoices", body(customer), format="json")

    assert calls == [{"dates": [datetime.date(2024, 1, 15)]}]


# --- read, filter, search --------------------------------------------------------------------


def test_retrieve(api):
    invoice = make_invoice(items=[item("12.50", qty=2)])

    data = api.get(f"/api/v2/invoices/{invoice.pk}").json()["data"]

    assert (data["invoice_number"], data["amount"]) == (invoice.invoice_number, 25.0)


def test_unknown_invoice_is_404(api):
    response = api.get("/api/v2/invoices/999")

    assert response.status_code == 404
    assert response.json() == {"success": False, "message": "Not found."}


def test_filter_by_status(api):
    paid = make_invoice(items=[item("10")])
    make_payment(paid, "10")
    make_invoice()

    data = api.get("/api/v2/invoices?status=Paid").json()["data"]

    assert [i["id"] for i in data] == [paid.pk]


def test_filter_by_partially_paid(api):
    partial = make_invoice(items=[item("10")])
    make_payment(partial, "4")
    make_invoice()

    data = api.get("/api/v2/invoices", {"status": "Partially Paid"}).json()["data"]

    assert [i["id"] for i in data] == [partial.pk]


def test_unknown_status_filter_is_400(api):
    response = api.get("/api/v2/invoices?status=Lost")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]


def test_filter_by_customer(api):
    mine = make_invoice()
    make_invoice()

    data = api.get(f"/api/v2/invoices?customer_id={mine.customer_id}").json()["data"]

    assert [i["id"] for i in data] == [mine.pk]


def test_date_range_is_inclusive(api):
    days = [datetime.date(2024, 1, d) for d in (9, 10, 20, 21)]
    invoices = [make_invoice(date=d) for d in days]

    data = api.get("/api/v2/invoices?date_from=2024-01-10&date_to=2024-01-20").json()["data"]

    assert sorted(i["id"] for i in data) == [invoices[1].pk, invoices[2].pk]


def test_updated_since(api):
    old = make_invoice()
    new = make_invoice()
    Invoice.objects.filter(pk=old.pk).update(
        updated_at=datetime.datetime(2024, 1, 1, tzinfo=datetime.UTC)
    )

    data = api.get("/api/v2/invoices?updated_since=2024-06-01T00:00:00Z").json()["data"]

    assert [i["id"] for i in data] == [new.pk]


def test_search_by_number(api):
    make_invoice(date=datetime.date(2024, 3, 1))
    wanted = make_invoice(date=datetime.date(2024, 3, 2))

    data = api.get("/api/v2/invoices?search=INV-2024-002").json()["data"]

    assert [i["id"] for i in data] == [wanted.pk]


def test_search_by_customer_account(api):
    wanted = make_invoice(customer=CustomerFactory(account="Globex Industries"))
    make_invoice(customer=CustomerFactory(account="Initech"))

    data = api.get("/api/v2/invoices?search=globex").json()["data"]

    assert [i["id"] for i in data] == [wanted.pk]


def test_list_query_count_does_not_grow_with_page_size(api, django_assert_max_num_queries):
    customer = CustomerFactory()
    for _ in range(5):
        make_invoice(customer=customer, items=[item("1"), item("2")])
    api.get("/api/v2/invoices?limit=5")  # warm caches (content types, key lookups)

    with django_assert_max_num_queries(12) as small:
        assert len(api.get("/api/v2/invoices?limit=5").json()["data"]) == 5
    for _ in range(45):
        make_invoice(customer=CustomerFactory(), items=[item("1"), item("2"), item("3")])
    with django_assert_max_num_queries(len(small.captured_queries)):
        data = api.get("/api/v2/invoices?limit=50").json()["data"]

    assert len(data) == 50
    assert sum(len(i["items"]) for i in data) == 5 * 2 + 45 * 3


def test_viewer_can_read_but_not_create(client_for, customer):
    viewer = client_for("viewer")

    assert viewer.get("/api/v2/invoices").status_code == 200
    assert viewer.post("/api/v2/invoices", body(customer), format="json").status_code == 403
    assert Invoice.objects.count() == 0


def test_staff_can_create(client_for, customer):
    response = client_for("staff").post("/api/v2/invoices", body(customer), format="json")

    assert response.status_code == 201


# --- update ----------------------------------------------------------------------------------
FROZEN = "Issued invoices cannot be changed. Issue a credit note or cancel the invoice."


def test_put_replaces_a_drafts_items_and_recomputes(api, customer):
    invoice = make_invoice(customer=customer, items=[item("100"), item("50")], status="Draft")
    new_items = [{"description": "Only line", "amount": 80, "qty": 2, "tax_rate": 5}]

    response = api.put(
        f"/api/v2/invoices/{invoice.pk}", body(customer, items=new_items), format="json"
    )

    data = response.json()["data"]
    assert response.status_code == 200
    assert [i["description"] for i in data["items"]] == ["Only line"]
    assert (data["subtotal"], data["tax"], data["amount"], data["balance_due"]) == (160, 8, 168, 0)
    assert (data["status"], data["invoice_number"]) == ("Draft", None)
    assert InvoiceItem.objects.filter(invoice=invoice).count() == 1


def test_patch_notes_keeps_items_and_number(api):
    invoice = make_invoice(items=[item("100")])

    data = api.patch(f"/api/v2/invoices/{invoice.pk}", {"notes": "Thanks"}, format="json").json()[
        "data"
    ]

    assert (data["notes"], data["amount"], data["invoice_number"]) == (
        "Thanks",
        100,
        invoice.invoice_number,
    )
    assert len(data["items"]) == 1


def test_patch_due_date_before_date_is_rejected(api):
    invoice = make_invoice(date=datetime.date(2024, 1, 15))

    response = api.patch(
        f"/api/v2/invoices/{invoice.pk}", {"due_date": "2024-01-01"}, format="json"
    )

    assert response.status_code == 400
    assert response.json()["errors"] == {"due_date": "Due date cannot be before the invoice date."}
    invoice.refresh_from_db()
    assert invoice.due_date == datetime.date(2024, 2, 14)


def test_update_announces_invoice_updated(api):
    invoice = make_invoice()

    api.patch(f"/api/v2/invoices/{invoice.pk}", {"notes": "n"}, format="json")

    assert Event.objects.filter(type="invoice.updated").count() == 1


def test_paid_invoice_items_cannot_be_edited(api):
    invoice = make_invoice(items=[item("100")])
    make_payment(invoice, "100")

    response = api.patch(
        f"/api/v2/invoices/{invoice.pk}",
        {"items": [{"description": "Cheaper", "amount": 10, "qty": 1}]},
        format="json",
    )

    assert response.status_code == 409
    assert response.json() == {"success": False, "message": FROZEN}
    invoice.refresh_from_db()
    assert (invoice.total, invoice.status) == (Decimal("100.00"), "Paid")
    assert list(invoice.items.values_list("description", flat=True)) == ["Consulting"]


def test_paid_invoice_discount_cannot_be_edited(api):
    invoice = make_invoice(items=[item("100")])
    make_payment(invoice, "100")

    response = api.patch(f"/api/v2/invoices/{invoice.pk}", {"discount": 10}, format="json")

    assert response.status_code == 409
    invoice.refresh_from_db()
    assert invoice.discount == Decimal("0.00")


def test_paid_invoice_notes_and_unchanged_items_can_be_saved(api):
    invoice = make_invoice(items=[item("100", description="Consulting")])
    make_payment(invoice, "100")

    response = api.patch(
        f"/api/v2/invoices/{invoice.pk}",
        {"notes": "Paid, thanks", "items": [{"description": "Consulting", "amount": 100}]},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["data"]["status"] == "Paid"


def test_partially_paid_invoice_items_cannot_be_edited(api):
    invoice = make_invoice(items=[item("100")])
    make_payment(invoice, "60")

    response = api.patch(
        f"/api/v2/invoices/{invoice.pk}",
        {"items": [{"description": "Less", "amount": 50}]},
        format="json",
    )

    assert response.status_code == 409
    assert response.json()["message"] == FROZEN
    invoice.refresh_from_db()
    assert invoice.total == Decimal("100.00")


def test_status_cannot_be_set_by_hand(api):
    invoice = make_invoice()

    response = api.patch(f"/api/v2/invoices/{invoice.pk}", {"status": "Paid"}, format="json")

    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]
    invoice.refresh_from_db()
    assert invoice.status == "Unpaid"


def test_resending_the_current_status_is_accepted(api):
    invoice = make_invoice(status="Draft")

    response = api.patch(
        f"/api/v2/invoices/{invoice.pk}", {"status": "Draft", "notes": "x"}, format="json"
    )

    assert response.status_code == 200
    assert response.json()["data"]["notes"] == "x"


def test_moving_a_drafts_date_refreshes_both_months(api, monkeypatch):
    invoice = make_invoice(date=datetime.date(2024, 1, 15), status="Draft")
    calls = []
    monkeypatch.setattr("billing.services.money_moved", lambda **kw: calls.append(kw))

    api.patch(f"/api/v2/invoices/{invoice.pk}", {"date": "2024-02-01"}, format="json")

    assert calls == [{"dates": [datetime.date(2024, 1, 15), datetime.date(2024, 2, 1)]}]


# --- delete ----------------------------------------------------------------------------------
ONLY_DRAFTS_DELETED = (
    "Only draft invoices can be deleted; cancel an issued invoice or issue a credit note instead."
)


def test_delete_a_draft(api):
    invoice = make_invoice(status="Draft")

    response = api.delete(f"/api/v2/invoices/{invoice.pk}")

    assert response.status_code == 200
    assert response.json() == {"success": True, "data": None}
    assert not Invoice.objects.filter(pk=invoice.pk).exists()


def test_unpaid_issued_invoice_cannot_be_deleted(api):
    invoice = make_invoice()

    response = api.delete(f"/api/v2/invoices/{invoice.pk}")

    assert response.status_code == 409
    assert response.json() == {"success": False, "message": ONLY_DRAFTS_DELETED}
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_paid_invoice_cannot_be_deleted(api):
    invoice = make_invoice(items=[item("100")])
    make_payment(invoice, "100")

    response = api.delete(f"/api/v2/invoices/{invoice.pk}")

    assert response.status_code == 409
    assert response.json() == {"success": False, "message": ONLY_DRAFTS_DELETED}
    assert Invoice.objects.filter(pk=invoice.pk).exists()


def test_deleting_a_draft_uses_up_no_number(api, customer):
    first = make_invoice(date=datetime.date(2024, 5, 1), status="Draft")
    api.delete(f"/api/v2/invoices/{first.pk}")

    data = api.post(
        "/api/v2/invoices", body(customer, date="2024-05-02", due_date="2024-06-01"), format="json"
    ).json()

    assert data["data"]["invoice_number"] == "INV-2024-001"
