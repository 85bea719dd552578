"""Of eight concurrent deletes of one row, one succeeds and the others find nothing (404);
eight concurrent voids of one payment void it once (one event). PostgreSQL only: the row
locks are what is tested."""

import pytest

from billing.models import Invoice, Payment, Product, Quote
from tests.billing.factories import ProductFactory, item, make_invoice, make_payment, make_quote
from tests.concurrency import statuses_of_concurrent
from tests.markers import requires_postgres
from webhooks.models import Event

pytestmark = [requires_postgres, pytest.mark.django_db(transaction=True)]

ONE_WINNER = [200] + [404] * 7


def test_concurrent_deletes_of_a_product(api):
    product = ProductFactory()

    statuses = statuses_of_concurrent(api, "delete", f"/api/v2/products/{product.pk}")

    assert statuses == ONE_WINNER
    assert not Product.objects.filter(pk=product.pk).exists()


def test_concurrent_deletes_of_an_invoice(api):
    invoice = make_invoice(status="Draft")
    events_before = Event.objects.count()

    statuses = statuses_of_concurrent(api, "delete", f"/api/v2/invoices/{invoice.pk}")

    assert statuses == ONE_WINNER
    assert not Invoice.objects.filter(pk=invoice.pk).exists()
    # Deleting an invoice announces nothing; nobody announced it eight times either.
    assert Event.objects.count() == events_before


def test_concurrent_deletes_of_a_quote(api):
    quote = make_quote()
    events_before = Event.objects.count()

    statuses = statuses_of_concurrent(api, "delete", f"/api/v2/quotes/{quote.pk}")

    assert statuses == ONE_WINNER
    assert not Quote.objects.filter(pk=quote.pk).exists()
    assert Event.objects.count() == events_before


def test_concurrent_voids_of_a_payment_void_it_once(api):
    invoice = make_invoice(items=[item("10")])
    payment = make_payment(invoice, "10")

    statuses = statuses_of_concurrent(
        api, "post", f"/api/v2/invoices/{invoice.pk}/payments/{payment.pk}/void"
    )

    # The payment still exists, voided: the others are told so (409), not that it is gone.
    assert statuses == [200] + [409] * 7
    assert Event.objects.filter(type="payment.voided").count() == 1
    payment.refresh_from_db()
    assert payment.voided_at is not None
    assert Payment.objects.count() == 1
