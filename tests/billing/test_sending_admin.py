"""The admin's "Send by email" button on invoices and quotes, and receipts for payments
recorded in the admin: through the same services as the API, refusals as page messages."""

import datetime

import pytest

from billing.models import Invoice
from mail.models import EmailMessage
from tests.billing.factories import AccountFactory, item, make_invoice, make_quote
from tests.billing.test_admin import form_data, messages_of, staff  # noqa: F401
from tests.factories import CustomerFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mail_settings")]


def flashes(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


@pytest.fixture
def invoice():
    return make_invoice(
        customer=CustomerFactory(email="jane@example.com"),
        items=[item("200.00")],
        date=datetime.date(2026, 3, 1),
    )


def test_the_invoice_page_shows_the_send_button(staff, invoice):  # noqa: F811
    response = staff.get(f"/admin/billing/invoice/{invoice.pk}/change/")

    assert response.status_code == 200
    assert f'action="/admin/billing/invoice/{invoice.pk}/send/"' in response.content.decode()


def test_the_send_button_sends_the_invoice(staff, invoice):  # noqa: F811
    response = staff.post(f"/admin/billing/invoice/{invoice.pk}/send/", follow=True)

    assert response.redirect_chain[0][0] == f"/admin/billing/invoice/{invoice.pk}/change/"
    assert flashes(response) == [
        f"{invoice.invoice_number} is queued to be sent to jane@example.com."
    ]
    [message] = EmailMessage.objects.all()
    assert (message.invoice_id, message.to) == (invoice.pk, ["jane@example.com"])
    invoice.refresh_from_db()
    assert invoice.sent_at is not None


def test_a_refused_send_is_a_message_and_changes_nothing(staff):  # noqa: F811
    unreachable = make_invoice(customer=CustomerFactory(email=""))

    response = staff.post(f"/admin/billing/invoice/{unreachable.pk}/send/", follow=True)

    assert flashes(response) == [
        "to: The customer has no email address: give the recipients in `to`."
    ]
    assert EmailMessage.objects.count() == 0
    assert Invoice.objects.get(pk=unreachable.pk).sent_at is None


def test_only_the_buttons_post_sends(staff, invoice):  # noqa: F811
    response = staff.get(f"/admin/billing/invoice/{invoice.pk}/send/")

    assert response.status_code == 302
    assert response["Location"] == f"/admin/billing/invoice/{invoice.pk}/change/"
    assert EmailMessage.objects.count() == 0


def test_a_viewer_cannot_send(client, invoice):
    from users.services import user_create

    client.force_login(user_create(email="viewer@example.com", name="V", role="viewer"))

    response = client.post(f"/admin/billing/invoice/{invoice.pk}/send/")

    assert response.status_code == 403
    assert EmailMessage.objects.count() == 0


def test_the_send_button_sends_the_quote(staff):  # noqa: F811
    quote = make_quote(
        customer=CustomerFactory(email="jane@example.com"),
        date=datetime.date(2026, 3, 1),
        valid_until=datetime.date(2026, 3, 31),
    )

    page = staff.get(f"/admin/billing/quote/{quote.pk}/change/")
    response = staff.post(f"/admin/billing/quote/{quote.pk}/send/", follow=True)

    assert f'action="/admin/billing/quote/{quote.pk}/send/"' in page.content.decode()
    quote.refresh_from_db()
    # A draft quote is numbered when sending moves it to Sent; the message names the number.
    assert quote.status == "Sent"
    assert flashes(response) == [f"{quote.quote_number} is queued to be sent to jane@example.com."]
    [message] = EmailMessage.objects.all()
    assert message.quote_id == quote.pk


def test_a_payment_recorded_in_the_admin_queues_a_receipt(staff, invoice):  # noqa: F811
    url = f"/admin/billing/invoice/{invoice.pk}/change/"
    data = form_data(staff.get(url))
    data.update(
        {
            "payments-TOTAL_FORMS": "1",
            "payments-0-amount": "50",
            "payments-0-date": "2026-03-05",
            "payments-0-account": AccountFactory().pk,
            "payments-0-method": "card",
        }
    )

    response = staff.post(url, data)

    assert response.status_code == 302, messages_of(response)
    [message] = EmailMessage.objects.all()
    assert (message.purpose, message.to) == ("receipt", ["jane@example.com"])
