"""Overdue reminders (contract section 10): `INVOICE_REMINDER_DAYS` steps relative to the due
date, run daily by beat or by `manage.py send_reminders --date`. Simulated months, day by day
and with gaps: exactly the expected messages, never two for one step, never a backlog."""

import datetime
import io
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from billing.models import Invoice
from billing.sending import reminders_send
from billing.tasks import send_reminders
from customers.models import Customer
from mail.models import EmailMessage
from tests.billing.factories import item, make_invoice, make_payment
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_settings")]

D = datetime.date
ISSUED, DUE = D(2026, 3, 1), D(2026, 3, 20)


@pytest.fixture(autouse=True)
def steps(settings):
    settings.INVOICE_REMINDER_DAYS = [-3, 1, 7, 14]


def new_invoice(*, date=ISSUED, due=DUE, **customer):
    customer.setdefault("account", "Jane Doe Ltd")
    return make_invoice(
        customer=CustomerFactory(**customer),
        items=[item("1500.00", description="Web Development")],
        date=date,
        due_date=due,
    )


def run(on: D) -> str:
    out = io.StringIO()
    call_command("send_reminders", "--date", on.isoformat(), stdout=out)
    return out.getvalue()


def run_days(first: D, last: D, *, skip: tuple[D, ...] = ()) -> dict[D, list[str]]:
    """Runs the command for every day from `first` to `last` (but `skip`); returns the lines
    'Queued: …' of each day that queued something."""
    queued = {}
    day = first
    while day <= last:
        if day not in skip:
            lines = [line for line in run(day).splitlines() if line.startswith("Queued: ")]
            if lines:
                queued[day] = lines
        day += timedelta(days=1)
    return queued


def reminder_keys() -> list[str]:
    return sorted(EmailMessage.objects.values_list("dedupe_key", flat=True))


def test_a_month_day_by_day_sends_each_step_once_on_its_day():
    invoice = new_invoice()
    n = invoice.invoice_number

    queued = run_days(D(2026, 3, 1), D(2026, 4, 30))

    assert queued == {
        D(2026, 3, 17): [f"Queued: {n} (step -3)"],
        D(2026, 3, 21): [f"Queued: {n} (step 1)"],
        D(2026, 3, 27): [f"Queued: {n} (step 7)"],
        D(2026, 4, 3): [f"Queued: {n} (step 14)"],
    }
    assert EmailMessage.objects.count() == 4
    assert reminder_keys() == sorted(f"reminder:{invoice.pk}:{s}" for s in (-3, 1, 7, 14))


def test_a_run_after_a_gap_sends_only_the_latest_due_step():
    invoice = new_invoice()
    n = invoice.invoice_number

    # No run from 1 to 27 March: steps -3, 1 and 7 all came due meanwhile.
    queued = run_days(D(2026, 3, 28), D(2026, 4, 30))

    assert queued == {
        D(2026, 3, 28): [f"Queued: {n} (step 7)"],
        D(2026, 4, 3): [f"Queued: {n} (step 14)"],
    }
    assert reminder_keys() == [f"reminder:{invoice.pk}:14", f"reminder:{invoice.pk}:7"]


def test_gaps_inside_the_month_never_send_a_backlog():
    invoice = new_invoice()
    n = invoice.invoice_number
    # Down from the 16th to the 22nd and from the 26th to 5 April.
    skip = tuple(D(2026, 3, d) for d in range(16, 23)) + tuple(
        D(2026, 3, 26) + timedelta(days=i) for i in range(11)
    )

    queued = run_days(D(2026, 3, 1), D(2026, 4, 30), skip=skip)

    assert queued == {
        D(2026, 3, 23): [f"Queued: {n} (step 1)"],
        D(2026, 4, 6): [f"Queued: {n} (step 14)"],
    }
    assert EmailMessage.objects.count() == 2


def test_a_first_run_long_after_the_due_date_sends_one_reminder():
    invoice = new_invoice()

    assert "Queued: " + invoice.invoice_number + " (step 14)" in run(D(2026, 6, 1))
    assert EmailMessage.objects.count() == 1


def test_running_the_same_day_twice_sends_once():
    new_invoice()

    first, second = run(D(2026, 3, 21)), run(D(2026, 3, 21))

    assert "1 queued" in first
    assert second.strip() == (
        "Reminders for 2026-03-21: 0 queued, 1 already sent, 0 without an email address, "
        "0 opted out."
    )
    assert EmailMessage.objects.count() == 1


def test_an_earlier_date_after_a_later_step_sends_nothing():
    new_invoice()
    run(D(2026, 3, 27))  # step 7

    run(D(2026, 3, 21))  # step 1 would be the latest then, but 7 already went out

    assert EmailMessage.objects.count() == 1


def test_several_invoices_each_get_their_own_steps():
    early = new_invoice(due=D(2026, 3, 10))
    late = new_invoice(due=D(2026, 3, 25))

    run_days(D(2026, 3, 1), D(2026, 4, 30))

    assert EmailMessage.objects.filter(invoice_id=early.pk).count() == 4
    assert EmailMessage.objects.filter(invoice_id=late.pk).count() == 4
    seventh = EmailMessage.objects.filter(invoice_id=early.pk, purpose="reminder:7").get()
    assert seventh.to == [early.customer.email]


def test_the_reminder_message():
    invoice = new_invoice(email="jane@example.com")
    make_payment(invoice, "500.00", date=D(2026, 3, 5))
    EmailMessage.objects.all().delete()  # the payment's receipt

    run(D(2026, 3, 27))

    [message] = EmailMessage.objects.all()
    n = invoice.invoice_number
    assert message.to == ["jane@example.com"]
    assert message.subject == f"Overdue: invoice {n} was due on 20 Mar 2026"
    assert message.body_text.startswith(
        f"Hello Jane Doe Ltd,\n\nInvoice {n} was due on 20 Mar 2026 and $1,000.00 is still "
        "outstanding."
    )
    assert (message.purpose, message.invoice_id, message.customer_id) == (
        "reminder:7",
        invoice.pk,
        invoice.customer_id,
    )
    assert [a.filename for a in message.attachments.all()] == [f"{n}.pdf"]


def test_the_reminder_before_the_due_date_says_when_it_is_due():
    invoice = new_invoice()

    run(D(2026, 3, 17))

    message = EmailMessage.objects.get()
    assert message.subject == f"Reminder: invoice {invoice.invoice_number} is due on 20 Mar 2026"
    assert "A friendly reminder" in message.body_text


def test_a_paid_invoice_gets_no_reminder():
    invoice = new_invoice()
    make_payment(invoice, "1500.00", date=D(2026, 3, 5))
    EmailMessage.objects.all().delete()  # the receipt

    queued = run_days(D(2026, 3, 1), D(2026, 4, 30))

    assert queued == {}
    assert EmailMessage.objects.count() == 0


def test_an_invoice_paid_mid_month_gets_the_steps_before_only():
    invoice = new_invoice()
    run_days(D(2026, 3, 1), D(2026, 3, 22))
    make_payment(invoice, "1500.00", date=D(2026, 3, 22))

    run_days(D(2026, 3, 23), D(2026, 4, 30))

    assert EmailMessage.objects.filter(purpose__startswith="reminder:").count() == 2


def test_cancelled_and_draft_invoices_get_none():
    cancelled = new_invoice()
    Invoice.objects.filter(pk=cancelled.pk).update(status="Cancelled")
    make_invoice(date=ISSUED, due_date=DUE, status="Draft")

    assert run_days(D(2026, 3, 1), D(2026, 4, 30)) == {}
    assert EmailMessage.objects.count() == 0


def test_a_customer_who_opted_out_gets_none(api):
    invoice = new_invoice()
    response = api.patch(
        f"/api/v2/customers/{invoice.customer_id}", {"reminders_enabled": False}, format="json"
    )
    assert response.json()["data"]["reminders_enabled"] is False

    out = run(D(2026, 3, 27))

    assert EmailMessage.objects.count() == 0
    assert out.strip().endswith(
        "0 queued, 0 already sent, 0 without an email address, 1 opted out."
    )


def test_customers_get_reminders_by_default(api):
    response = api.post(
        "/api/v2/customers", {"account": "New Co", "email": "new@example.com"}, format="json"
    )

    assert response.json()["data"]["reminders_enabled"] is True
    assert Customer.objects.get().reminders_enabled is True


def test_an_invoice_whose_customer_has_no_email_gets_none_and_the_summary_says_so():
    invoice = new_invoice()
    Customer.objects.filter(pk=invoice.customer_id).update(email="")

    out = run(D(2026, 3, 27))

    assert EmailMessage.objects.count() == 0
    assert out.splitlines() == [
        f"Skipped: {invoice.invoice_number} (the customer has no email address)",
        "Reminders for 2026-03-27: 0 queued, 0 already sent, 1 without an email address, "
        "0 opted out.",
    ]


def test_no_reminder_dated_before_the_invoice_itself():
    # Issued two days before it is due: the "3 days before" step was never due.
    invoice = new_invoice(date=D(2026, 3, 18), due=D(2026, 3, 20))

    queued = run_days(D(2026, 3, 18), D(2026, 3, 21))

    assert queued == {D(2026, 3, 21): [f"Queued: {invoice.invoice_number} (step 1)"]}


def test_the_steps_come_from_the_setting(settings):
    settings.INVOICE_REMINDER_DAYS = [0, 30]
    invoice = new_invoice()

    queued = run_days(D(2026, 3, 1), D(2026, 4, 30))

    n = invoice.invoice_number
    assert queued == {
        D(2026, 3, 20): [f"Queued: {n} (step 0)"],
        D(2026, 4, 19): [f"Queued: {n} (step 30)"],
    }
    assert EmailMessage.objects.get(purpose="reminder:0").subject == (
        f"Reminder: invoice {n} is due today"
    )


def test_without_sending_configured_the_command_fails_and_queues_nothing(settings):
    settings.EMAIL_ENABLED = False
    new_invoice()

    with pytest.raises(CommandError, match="Email sending is not configured"):
        run(D(2026, 3, 27))
    assert EmailMessage.objects.count() == 0


def test_a_malformed_date_is_refused():
    with pytest.raises(CommandError, match="--date: '2026-13-01' is not a date"):
        call_command("send_reminders", "--date", "2026-13-01", stdout=io.StringIO())


def test_the_beat_task_sends_todays_reminders():
    today = timezone.localdate()
    invoice = new_invoice(date=today - timedelta(days=30), due=today - timedelta(days=1))

    assert send_reminders(db_alias="default") == {"default": 1}

    assert EmailMessage.objects.get().dedupe_key == f"reminder:{invoice.pk}:1"


def test_a_run_over_many_invoices_already_reminded_costs_a_fixed_number_of_queries(
    django_assert_max_num_queries,
):
    for _ in range(12):
        new_invoice()
    reminders_send(on=D(2026, 3, 27))

    with django_assert_max_num_queries(3):
        run = reminders_send(on=D(2026, 3, 28))

    assert run.already_sent == 12
