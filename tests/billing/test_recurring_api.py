"""`/api/v2/recurring-invoices` (contract section 11): every rule through the API; a refused
request changes nothing."""

import datetime

import pytest
from django.utils import timezone

from audit.models import AuditEvent
from billing.models import Invoice, RecurringInvoice, RecurringStatus
from billing.recurring import recurring_invoices_generate
from mail.models import EmailMessage
from tests.billing.factories import item, make_invoice, make_recurring
from tests.factories import CustomerFactory
from webhooks.models import Event

pytestmark = pytest.mark.django_db

D = datetime.date
URL = "/api/v2/recurring-invoices"


@pytest.fixture
def customer():
    return CustomerFactory(account="Initech", email="billing@initech.test")


def body(customer, **overrides):
    return {
        "customer_id": customer.pk,
        "frequency": "monthly",
        "start_date": "2026-01-31",
        "items": [{"description": "Retainer", "amount": 1000.00, "qty": 1, "tax_rate": 10}],
        **overrides,
    }


def _state() -> tuple:
    return (
        RecurringInvoice.objects.count(),
        Invoice.objects.count(),
        Event.objects.count(),
        AuditEvent.objects.count(),
    )


def test_create_with_defaults(api, customer):
    response = api.post(URL, body(customer), format="json")

    data = response.json()["data"]
    assert response.status_code == 201
    assert data["customer_id"] == customer.pk
    assert (data["interval"], data["due_days"], data["auto_send"]) == (1, 30, False)
    assert (data["status"], data["next_date"]) == ("active", "2026-01-31")
    assert (data["invoices_count"], data["last_invoice_id"], data["end_date"]) == (0, None, None)
    assert (data["currency"], data["subtotal"], data["tax"], data["amount"]) == (
        "USD",
        1000.0,
        100.0,
        1100.0,
    )
    assert data["items"][0]["description"] == "Retainer"
    assert Event.objects.filter(type="recurring_invoice.created").count() == 1
    entry = AuditEvent.objects.get(action="recurring_invoice.created")
    assert entry.resource_id == str(data["id"])


def test_create_with_every_field(api, customer):
    response = api.post(
        URL,
        body(
            customer,
            frequency="weekly",
            interval=2,
            end_date="2026-06-30",
            due_days=14,
            auto_send=True,
            discount=100,
            notes="Thanks",
            currency="EUR",
        ),
        format="json",
    )

    data = response.json()["data"]
    assert response.status_code == 201
    assert (data["frequency"], data["interval"], data["end_date"]) == ("weekly", 2, "2026-06-30")
    assert (data["due_days"], data["auto_send"], data["notes"]) == (14, True, "Thanks")
    assert (data["currency"], data["discount"], data["amount"]) == ("EUR", 100.0, 990.0)


@pytest.mark.parametrize(
    ("overrides", "field", "message"),
    [
        ({"frequency": "daily"}, "frequency", "Frequency must be weekly, monthly"),
        ({"interval": 0}, "interval", "Interval must be a whole number from 1 to 100."),
        ({"interval": 101}, "interval", "Interval must be a whole number from 1 to 100."),
        ({"due_days": -1}, "due_days", "Due days must be a whole number from 0 to 365."),
        ({"end_date": "2026-01-30"}, "end_date", "End date cannot be before the start date."),
        ({"start_date": "2026-02-30"}, "start_date", "Date has wrong format"),
        ({"items": []}, "items", ""),
        ({"items": [{"description": "x", "amount": 0}]}, "items.0.amount", "greater than 0"),
        ({"discount": 5000}, "discount", "Discount cannot be more than the subtotal"),
        ({"customer_id": 999999}, "customer_id", "does not exist"),
        ({"currency": "€€€"}, "currency", "ISO 4217"),
    ],
)
def test_bad_input_is_a_400_and_creates_nothing(api, customer, overrides, field, message):
    before = _state()

    response = api.post(URL, body(customer, **overrides), format="json")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert field in errors and message in errors[field]
    assert _state() == before


def test_missing_required_fields_are_named(api):
    response = api.post(URL, {}, format="json")

    assert response.status_code == 400
    assert {"customer_id", "frequency", "start_date", "items"} <= set(response.json()["errors"])
    assert RecurringInvoice.objects.count() == 0


def test_read_only_fields_are_ignored_on_create(api, customer):
    response = api.post(
        URL,
        body(customer, status="paused", next_date="2030-01-01", invoices_count=9),
        format="json",
    )

    data = response.json()["data"]
    assert (data["status"], data["next_date"], data["invoices_count"]) == (
        "active",
        "2026-01-31",
        0,
    )


def test_list_retrieve_and_filter(api, customer):
    monthly = make_recurring(customer=customer, frequency="monthly")
    weekly = make_recurring(frequency="weekly")

    listed = api.get(URL).json()
    one = api.get(f"{URL}/{monthly.pk}").json()["data"]
    weekly_only = api.get(f"{URL}?frequency=weekly").json()["data"]
    by_customer = api.get(f"{URL}?customer_id={customer.pk}").json()["data"]

    assert listed["meta"]["total_records"] == 2
    assert one["id"] == monthly.pk
    assert [r["id"] for r in weekly_only] == [weekly.pk]
    assert [r["id"] for r in by_customer] == [monthly.pk]
    assert api.get(f"{URL}?status=sleeping").status_code == 400


def test_list_query_count_is_fixed(api, django_assert_max_num_queries):
    for _ in range(3):
        make_recurring(items=[item("1"), item("2")])
    api.get(f"{URL}?limit=3")

    with django_assert_max_num_queries(12) as small:
        assert len(api.get(f"{URL}?limit=3").json()["data"]) == 3
    for _ in range(20):
        make_recurring(items=[item("1"), item("2"), item("3")])
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert len(api.get(f"{URL}?limit=23").json()["data"]) == 23


def test_list_as_csv(api):
    make_recurring(notes="csv row")

    response = api.get(f"{URL}?format=csv")

    text = b"".join(response.streaming_content).decode()
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "frequency" in text.splitlines()[0]
    assert "csv row" in text


def test_viewer_reads_but_cannot_write(client_for, customer):
    viewer = client_for("viewer")

    assert viewer.get(URL).status_code == 200
    assert viewer.post(URL, body(customer), format="json").status_code == 403
    assert RecurringInvoice.objects.count() == 0


def test_patch_changes_future_invoices_only(api):
    schedule = make_recurring(start_date=D(2026, 1, 31))
    recurring_invoices_generate(on_date=D(2026, 1, 31))

    response = api.patch(
        f"{URL}/{schedule.pk}",
        {"items": [{"description": "Bigger retainer", "amount": 2000}], "notes": "New"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["data"]["amount"] == 2000.0
    recurring_invoices_generate(on_date=D(2026, 2, 28))
    totals = list(Invoice.objects.order_by("date").values_list("total", "notes"))
    assert [(float(t), n) for t, n in totals] == [(100.0, ""), (2000.0, "New")]
    assert AuditEvent.objects.filter(action="recurring_invoice.updated").count() == 1
    assert AuditEvent.objects.filter(action="recurring_invoice.invoiced").count() == 2


@pytest.mark.parametrize(
    "change",
    [
        {"frequency": "weekly"},
        {"interval": 2},
        {"start_date": "2026-02-01"},
    ],
)
def test_schedule_fields_freeze_after_the_first_invoice(api, change):
    schedule = make_recurring(start_date=D(2026, 1, 31))
    recurring_invoices_generate(on_date=D(2026, 1, 31))
    before = RecurringInvoice.objects.values().get(pk=schedule.pk)

    response = api.patch(f"{URL}/{schedule.pk}", change, format="json")

    assert response.status_code == 409
    assert "fixed" in response.json()["message"]
    assert RecurringInvoice.objects.values().get(pk=schedule.pk) == before


def test_customer_freezes_after_the_first_invoice(api):
    schedule = make_recurring(start_date=D(2026, 1, 31))
    recurring_invoices_generate(on_date=D(2026, 1, 31))

    other = CustomerFactory()
    response = api.patch(f"{URL}/{schedule.pk}", {"customer_id": other.pk}, format="json")

    assert response.status_code == 409
    schedule.refresh_from_db()
    assert schedule.customer_id != other.pk


def test_schedule_fields_change_freely_before_the_first_invoice(api):
    schedule = make_recurring(start_date=D(2026, 1, 31))

    response = api.patch(
        f"{URL}/{schedule.pk}",
        {"frequency": "quarterly", "start_date": "2026-03-15"},
        format="json",
    )

    assert response.status_code == 200
    assert response.json()["data"]["next_date"] == "2026-03-15"


def test_end_date_cannot_move_before_an_issued_period(api):
    schedule = make_recurring(start_date=D(2026, 1, 31))
    recurring_invoices_generate(on_date=D(2026, 2, 28))

    response = api.patch(f"{URL}/{schedule.pk}", {"end_date": "2026-02-27"}, format="json")

    assert response.status_code == 400
    assert "2026-02-28" in response.json()["errors"]["end_date"]
    schedule.refresh_from_db()
    assert schedule.end_date is None


def test_end_date_finishes_and_clearing_it_reopens(api):
    schedule = make_recurring(start_date=D(2026, 1, 31))
    recurring_invoices_generate(on_date=D(2026, 1, 31))

    ended = api.patch(f"{URL}/{schedule.pk}", {"end_date": "2026-02-15"}, format="json")
    reopened = api.patch(f"{URL}/{schedule.pk}", {"end_date": None}, format="json")

    assert (ended.json()["data"]["status"], ended.json()["data"]["next_date"]) == (
        "finished",
        None,
    )
    assert (reopened.json()["data"]["status"], reopened.json()["data"]["next_date"]) == (
        "active",
        "2026-02-28",
    )


def test_put_replaces_the_writable_fields(api, customer):
    schedule = make_recurring(customer=customer, notes="old", due_days=10)

    response = api.put(f"{URL}/{schedule.pk}", body(customer, notes="new"), format="json")

    data = response.json()["data"]
    assert response.status_code == 200
    assert (data["notes"], data["start_date"]) == ("new", "2026-01-31")


def test_put_needs_the_required_fields(api, customer):
    schedule = make_recurring(customer=customer, notes="old")

    response = api.put(f"{URL}/{schedule.pk}", {"notes": "new"}, format="json")

    assert response.status_code == 400
    schedule.refresh_from_db()
    assert schedule.notes == "old"


def test_pause_and_resume(api):
    today = timezone.localdate()
    schedule = make_recurring(frequency="weekly", start_date=today)

    paused = api.post(f"{URL}/{schedule.pk}/pause")
    again = api.post(f"{URL}/{schedule.pk}/pause")
    resumed = api.post(f"{URL}/{schedule.pk}/resume")
    twice = api.post(f"{URL}/{schedule.pk}/resume")

    assert (paused.status_code, paused.json()["data"]["status"]) == (200, "paused")
    assert again.status_code == 409
    assert (resumed.status_code, resumed.json()["data"]["status"]) == (200, "active")
    assert twice.status_code == 409
    assert Event.objects.filter(type="recurring_invoice.updated").count() == 2
    assert AuditEvent.objects.filter(action="recurring_invoice.paused").count() == 1


def test_resume_skips_the_periods_missed_while_paused(api):
    today = timezone.localdate()
    schedule = make_recurring(frequency="weekly", start_date=today - datetime.timedelta(days=20))
    api.post(f"{URL}/{schedule.pk}/pause")

    data = api.post(f"{URL}/{schedule.pk}/resume").json()["data"]

    assert data["next_date"] == (today + datetime.timedelta(days=1)).isoformat()
    recurring_invoices_generate(on_date=today)
    assert Invoice.objects.count() == 0


def test_paused_schedule_issues_nothing_and_shows_in_the_filter(api):
    schedule = make_recurring(frequency="weekly", start_date=D(2026, 1, 1))
    api.post(f"{URL}/{schedule.pk}/pause")

    recurring_invoices_generate(on_date=D(2026, 3, 1))

    assert Invoice.objects.count() == 0
    assert [r["id"] for r in api.get(f"{URL}?status=paused").json()["data"]] == [schedule.pk]


def test_preview_shows_the_next_invoice_without_saving(api):
    schedule = make_recurring(start_date=D(2026, 1, 31), due_days=15, discount="10")
    before = _state()

    response = api.get(f"{URL}/{schedule.pk}/preview")

    data = response.json()["data"]
    assert response.status_code == 200
    assert (data["id"], data["invoice_number"], data["status"]) == (None, None, "Unpaid")
    assert (data["date"], data["due_date"]) == ("2026-01-31", "2026-02-15")
    assert (data["discount"], data["amount"]) == (10.0, 90.0)
    assert data["recurring_invoice_id"] == schedule.pk
    assert [line["description"] for line in data["items"]] == ["Consulting"]
    assert _state() == before


def test_preview_of_a_finished_schedule_is_a_409(api):
    schedule = make_recurring(start_date=D(2026, 1, 10), end_date=D(2026, 1, 10))
    recurring_invoices_generate(on_date=D(2026, 1, 31))

    response = api.get(f"{URL}/{schedule.pk}/preview")

    assert response.status_code == 409
    assert api.get(f"{URL}/{schedule.pk}").json()["data"]["status"] == "finished"


def test_delete_keeps_the_issued_invoices(api):
    schedule = make_recurring(start_date=D(2026, 1, 31))
    recurring_invoices_generate(on_date=D(2026, 1, 31))

    response = api.delete(f"{URL}/{schedule.pk}")

    assert (response.status_code, response.json()["data"]) == (200, None)
    assert RecurringInvoice.objects.count() == 0
    invoice = Invoice.objects.get()
    assert invoice.recurring_invoice_id is None and invoice.invoice_number
    assert Event.objects.filter(type="recurring_invoice.deleted").count() == 1
    assert api.get(f"{URL}/{schedule.pk}").status_code == 404


def test_generated_invoice_in_the_invoices_api(api):
    schedule = make_recurring(start_date=D(2026, 1, 31))
    make_invoice()  # by hand: no schedule
    run = recurring_invoices_generate(on_date=D(2026, 2, 28))

    listed = api.get(f"/api/v2/invoices?recurring_invoice_id={schedule.pk}").json()["data"]
    data = api.get(f"{URL}/{schedule.pk}").json()["data"]

    assert [i["invoice_number"] for i in reversed(listed)] == run.issued
    assert {i["recurring_invoice_id"] for i in listed} == {schedule.pk}
    assert {i["status"] for i in listed} == {"Unpaid"}
    assert (data["invoices_count"], data["last_invoice_id"]) == (2, listed[0]["id"])
    assert data["next_date"] == "2026-03-31"
    assert api.get("/api/v2/invoices?recurring_invoice_id=x").status_code == 400
    assert Event.objects.filter(type="invoice.issued").count() == 3
    assert AuditEvent.objects.filter(action="invoice.created").count() == 3


@pytest.mark.usefixtures("mail_settings")
def test_auto_send_queues_the_email(api, customer):
    make_recurring(customer=customer, start_date=D(2026, 1, 31), auto_send=True)
    quiet = make_recurring(start_date=D(2026, 1, 31))

    run = recurring_invoices_generate(on_date=D(2026, 1, 31))

    sent = Invoice.objects.get(customer=customer)
    assert run.sent == 1
    assert sent.sent_at is not None
    message = EmailMessage.objects.get()
    assert (message.invoice_id, message.to) == (sent.pk, ["billing@initech.test"])
    assert Invoice.objects.get(recurring_invoice=quiet).sent_at is None


@pytest.mark.usefixtures("mail_settings")
def test_auto_send_without_an_email_still_issues(api):
    make_recurring(customer=CustomerFactory(email=""), start_date=D(2026, 1, 31), auto_send=True)

    run = recurring_invoices_generate(on_date=D(2026, 1, 31))

    assert Invoice.objects.count() == 1 and EmailMessage.objects.count() == 0
    assert len(run.not_sent) == 1 and run.sent == 0


def test_schedule_status_values(api):
    assert set(RecurringStatus.values) == {"active", "paused", "finished"}
