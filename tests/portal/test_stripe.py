"""Online payment with Stripe Checkout.

No test here, or anywhere, talks to Stripe's own servers: session creation is tested against
`StripeStandIn`, a small threaded HTTP server on loopback that answers
`POST /v1/checkout/sessions` and records each request (`STRIPE_API_BASE` points the `stripe`
package at it). The webhook is tested for real: events signed with the scheme Stripe uses
(`t=…,v1=HMAC-SHA256("<t>.<body>")`) and verified by the `stripe` package.
"""

from decimal import Decimal

import pytest
from django.test import Client

from billing.models import Invoice, OnlinePayment, Payment
from customers.models import Customer
from ledger.models import Transaction
from mail.models import EmailMessage
from tests.billing.factories import AccountFactory, item, make_invoice
from tests.concurrency import run_at_once
from tests.markers import requires_postgres
from tests.portal.conftest import (
    checkout_completed,
    csrf_post,
    deliver,
    path_of,
    stripe_signature,
)
from tests.portal.stripe_standin import StripeStandIn


@pytest.fixture
def invoice(db):
    return make_invoice(items=[item("100.00"), item("50.00", description="Support")])


@pytest.fixture
def account(db):
    return AccountFactory(name="Stripe balance", currency="USD")


@pytest.fixture
def stripe_on(settings):
    with StripeStandIn() as stand_in:
        settings.STRIPE_SECRET_KEY = "sk_test_portal"  # noqa: S105 - the stand-in's key
        settings.STRIPE_API_BASE = stand_in.url
        yield stand_in


# --- Pay: the Checkout Session ------------------------------------------------------------


@pytest.mark.django_db
def test_pay_creates_a_session_for_the_balance_and_redirects_to_it(browser, invoice, stripe_on):
    page = path_of(invoice)

    response = csrf_post(browser, page + "/pay", page)

    assert response.status_code == 303
    assert response["Location"] == "https://checkout.stripe.test/c/pay/cs_test_standin_1"
    [request] = stripe_on.requests
    assert request["path"] == "/v1/checkout/sessions"
    assert request["headers"]["Authorization"] == "Bearer sk_test_portal"
    form = request["form"]
    assert form["client_reference_id"] == str(invoice.pk)
    assert form["mode"] == "payment"
    assert form["line_items[0][price_data][unit_amount]"] == "15000"
    assert form["line_items[0][price_data][currency]"] == "usd"
    assert form["success_url"].endswith(page + "?payment=done")


@pytest.mark.django_db
def test_a_page_view_creates_no_session(browser, invoice, stripe_on):
    page = browser.get(path_of(invoice)).content.decode()

    assert 'id="pay"' in page and "Pay $150.00 online" in page
    assert stripe_on.requests == []


@pytest.mark.django_db
def test_no_pay_button_without_a_stripe_key(browser, invoice):
    page = browser.get(path_of(invoice)).content.decode()

    assert 'id="pay"' not in page
    assert csrf_post(browser, path_of(invoice) + "/pay", path_of(invoice)).status_code == 409


@pytest.mark.django_db
def test_a_paid_invoice_offers_nothing_to_pay(browser, stripe_on, account):
    invoice = make_invoice(items=[item("20.00")])
    from tests.billing.factories import make_payment

    make_payment(invoice, "20.00", account=account)
    page = path_of(invoice)

    shown = browser.get(page).content.decode()
    response = csrf_post(browser, page + "/pay", page)

    assert 'id="pay"' not in shown
    assert response.status_code == 409
    assert stripe_on.requests == []


@pytest.mark.django_db
def test_stripe_refusing_shows_a_message_and_records_nothing(browser, invoice, settings):
    with StripeStandIn(status=500) as stand_in:
        settings.STRIPE_SECRET_KEY = "sk_test_portal"  # noqa: S105
        settings.STRIPE_API_BASE = stand_in.url
        page = path_of(invoice)

        response = csrf_post(browser, page + "/pay", page)

    assert response.status_code == 502
    assert "not available right now" in response.content.decode()
    assert len(stand_in.requests) == 1


@pytest.mark.django_db
def test_pay_without_csrf_token_is_refused(invoice, stripe_on):
    browser = Client(enforce_csrf_checks=True)
    browser.get(path_of(invoice))

    response = browser.post(path_of(invoice) + "/pay")

    assert response.status_code == 403
    assert stripe_on.requests == []


# --- the webhook ----------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_completed_checkout_records_the_payment(invoice, account, mail_settings):
    response = deliver(Client(), checkout_completed(invoice.pk, 15000, intent="pi_full"))

    assert response.status_code == 200
    payment = Payment.objects.get()
    assert (payment.amount, payment.account, payment.method) == (Decimal("150.00"), account, "card")
    assert payment.external_reference == "pi_full"
    fresh = Invoice.objects.get(pk=invoice.pk)
    assert (fresh.status, fresh.balance_due) == ("Paid", Decimal("0.00"))
    receipt = EmailMessage.objects.get(purpose="receipt")
    assert receipt.invoice_id == invoice.pk
    assert path_of(invoice) in receipt.body_text


@pytest.mark.django_db
@pytest.mark.parametrize(
    "signature",
    ["", "t=1,v1=deadbeef", "garbage", stripe_signature(b"another body")],
    ids=["missing", "wrong", "malformed", "other-body"],
)
def test_a_signature_that_does_not_verify_is_a_400_and_records_nothing(invoice, account, signature):
    response = deliver(Client(), checkout_completed(invoice.pk, 15000), signature=signature)

    assert response.status_code == 400
    assert Payment.objects.count() == 0
    assert OnlinePayment.objects.count() == 0
    assert Invoice.objects.get(pk=invoice.pk).status == "Unpaid"


@pytest.mark.django_db
def test_a_signature_with_another_secret_is_a_400(invoice, account):
    payload = checkout_completed(invoice.pk, 15000)

    response = deliver(Client(), payload, signature=stripe_signature(payload, secret="whsec_x"))

    assert response.status_code == 400
    assert Payment.objects.count() == 0


@pytest.mark.django_db
def test_the_same_event_twice_records_one_payment(invoice, account):
    payload = checkout_completed(invoice.pk, 5000, intent="pi_twice")

    first, second = deliver(Client(), payload), deliver(Client(), payload)

    assert (first.status_code, second.status_code) == (200, 200)
    assert second.content == b"Already recorded."
    assert Payment.objects.count() == 1
    assert OnlinePayment.objects.count() == 1
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == Decimal("50.00")


@pytest.mark.django_db
def test_a_second_event_for_the_same_intent_pays_nothing_more(invoice, account):
    deliver(Client(), checkout_completed(invoice.pk, 5000, intent="pi_1", event_id="evt_a"))
    deliver(
        Client(),
        checkout_completed(invoice.pk, 5000, intent="pi_1", event_id="evt_b").replace(
            b"checkout.session.completed", b"checkout.session.async_payment_succeeded"
        ),
    )

    assert Payment.objects.count() == 1


@pytest.mark.django_db
def test_an_amount_above_the_balance_goes_to_customer_credit(invoice, account):
    response = deliver(Client(), checkout_completed(invoice.pk, 20000, intent="pi_over"))

    assert response.status_code == 200
    payment = Payment.objects.get()
    assert payment.amount == Decimal("150.00")
    assert Customer.objects.get(pk=invoice.customer_id).credit_balance == Decimal("50.00")
    record = OnlinePayment.objects.get()
    assert (record.amount, record.credited) == (Decimal("200.00"), Decimal("50.00"))
    # All the money that arrived is on the account: 150 paid + 50 kept as credit.
    incomes = Transaction.objects.filter(account=account, voided_at__isnull=True)
    assert sorted(t.amount for t in incomes) == [Decimal("50.00"), Decimal("150.00")]
    assert Invoice.objects.get(pk=invoice.pk).status == "Paid"


@pytest.mark.django_db
def test_a_payment_on_an_invoice_paid_meanwhile_is_all_credit(invoice, account):
    from tests.billing.factories import make_payment

    make_payment(invoice, "150.00", account=account)

    deliver(Client(), checkout_completed(invoice.pk, 15000, intent="pi_late"))

    assert Payment.objects.count() == 1  # the earlier bank payment only
    assert Customer.objects.get(pk=invoice.customer_id).credit_balance == Decimal("150.00")


@pytest.mark.django_db
def test_stripe_account_setting_chooses_the_ledger_account(invoice, account, settings):
    chosen = AccountFactory(name="Stripe payouts", currency="USD")
    settings.STRIPE_ACCOUNT_ID = chosen.pk

    deliver(Client(), checkout_completed(invoice.pk, 15000))

    assert Payment.objects.get().account == chosen


@pytest.mark.django_db
def test_other_events_and_foreign_sessions_are_acknowledged_and_ignored(invoice, account):
    other_type = checkout_completed(invoice.pk, 15000).replace(
        b"checkout.session.completed", b"charge.refunded"
    )
    foreign = checkout_completed(0, 15000).replace(b'"0"', b"null")

    assert deliver(Client(), other_type).status_code == 200
    assert deliver(Client(), foreign).status_code == 200
    assert Payment.objects.count() == 0


@pytest.mark.django_db
def test_the_webhook_needs_no_csrf_token(invoice, account):
    response = deliver(Client(enforce_csrf_checks=True), checkout_completed(invoice.pk, 15000))

    assert response.status_code == 200


@requires_postgres
@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliveries_record_one_payment(invoice, account):
    payload = checkout_completed(invoice.pk, 15000, intent="pi_race")

    statuses = run_at_once(4, lambda: deliver(Client(), payload).status_code)

    assert statuses == [200, 200, 200, 200]
    assert Payment.objects.filter(external_reference="pi_race").count() == 1
    assert OnlinePayment.objects.count() == 1
    assert Invoice.objects.get(pk=invoice.pk).amount_paid == Decimal("150.00")


def test_minor_units_follow_the_currency():
    from portal.stripe_checkout import from_minor_units, to_minor_units

    assert to_minor_units(Decimal("150.00"), "USD") == 15000
    assert to_minor_units(Decimal("1500.00"), "JPY") == 1500
    assert to_minor_units(Decimal("1.50"), "KWD") == 1500
    assert from_minor_units(15050, "eur") == Decimal("150.50")
    assert from_minor_units(1500, "jpy") == Decimal("1500")


@pytest.mark.django_db
def test_a_currency_other_than_the_invoices_is_refused(invoice, account):
    response = deliver(Client(), checkout_completed(invoice.pk, 15000, currency="eur"))

    assert response.status_code == 400
    assert Payment.objects.count() == 0
    assert OnlinePayment.objects.count() == 0


@pytest.mark.django_db
def test_without_a_ledger_account_stripe_is_asked_to_retry(invoice):
    response = deliver(Client(), checkout_completed(invoice.pk, 15000))

    assert response.status_code == 503
    assert Payment.objects.count() == 0


@pytest.mark.django_db
def test_a_session_not_paid_yet_records_nothing(invoice, account):
    payload = checkout_completed(invoice.pk, 15000).replace(b'"paid"', b'"unpaid"')

    response = deliver(Client(), payload)

    assert response.status_code == 200
    assert Payment.objects.count() == 0


@pytest.mark.django_db
def test_without_a_webhook_secret_nothing_is_accepted(invoice, account, settings):
    settings.STRIPE_WEBHOOK_SECRET = ""

    response = deliver(Client(), checkout_completed(invoice.pk, 15000))

    assert response.status_code == 400
    assert Payment.objects.count() == 0
