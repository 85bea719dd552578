"""A quote answered on the portal: Accept with the signer's name, or Decline, each once, with
when, who and from where recorded, its event and audit entry; CSRF on both forms."""

import datetime

import pytest
from django.test import Client

from audit.models import AuditEvent
from billing import services
from billing.models import Quote
from tests.billing.factories import make_quote
from tests.portal.conftest import csrf_post, path_of
from webhooks.models import Event

pytestmark = pytest.mark.django_db


@pytest.fixture
def quote():
    return make_quote(status="Sent")


def test_the_customer_accepts_a_quote_with_their_name(browser, quote):
    page = path_of(quote)

    response = csrf_post(browser, page + "/accept", page, {"name": "  Ada   Lovelace "})

    assert response.status_code == 303
    assert response["Location"] == page
    fresh = Quote.objects.get(pk=quote.pk)
    assert fresh.status == "Accepted"
    assert fresh.accepted_by == "Ada Lovelace"
    assert fresh.accepted_ip == "127.0.0.1"
    assert fresh.accepted_at is not None
    event = Event.objects.get(type="quote.accepted")
    assert event.data["accepted_by"] == "Ada Lovelace"
    entry = AuditEvent.objects.get(action="quote.accepted")
    assert entry.actor_type == "system" and entry.actor_name == "portal"
    assert entry.changes["status"] == ["Sent", "Accepted"]
    shown = browser.get(page).content.decode()
    assert "Accepted by Ada Lovelace" in shown
    assert 'id="accept-form"' not in shown and 'id="decline"' not in shown


def test_accepting_needs_a_name(browser, quote):
    page = path_of(quote)

    response = csrf_post(browser, page + "/accept", page, {"name": "   "})

    assert response.status_code == 400
    assert "Type your name" in response.content.decode()
    assert Quote.objects.get(pk=quote.pk).status == "Sent"
    assert not Event.objects.filter(type="quote.accepted").exists()


def test_the_customer_declines_a_quote(browser, quote):
    page = path_of(quote)

    response = csrf_post(browser, page + "/decline", page)

    assert response.status_code == 303
    fresh = Quote.objects.get(pk=quote.pk)
    assert (fresh.status, fresh.declined_ip) == ("Declined", "127.0.0.1")
    assert fresh.declined_at is not None and fresh.accepted_by == ""
    assert Event.objects.filter(type="quote.declined").count() == 1
    assert AuditEvent.objects.filter(action="quote.declined").count() == 1


def test_a_form_without_its_csrf_token_is_refused(browser, quote):
    page = path_of(quote)
    browser.get(page)

    response = browser.post(page + "/accept", {"name": "Mallory"})

    assert response.status_code == 403
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert Quote.objects.get(pk=quote.pk).status == "Sent"


def test_the_forms_carry_csrf_tokens(browser, quote):
    page = browser.get(path_of(quote)).content.decode()

    assert page.count('name="csrfmiddlewaretoken"') == 2


def test_an_answered_quote_cannot_be_answered_again(browser, quote):
    page = path_of(quote)
    csrf_post(browser, page + "/accept", page, {"name": "Ada Lovelace"})

    response = csrf_post(browser, page + "/decline", page)

    assert response.status_code == 409
    assert "already accepted" in response.content.decode()
    assert Quote.objects.get(pk=quote.pk).status == "Accepted"
    assert not Event.objects.filter(type="quote.declined").exists()


@pytest.mark.parametrize("state", ["expired", "converted"])
def test_expired_and_converted_quotes_show_their_state_and_no_buttons(browser, state):
    if state == "expired":
        quote = make_quote(
            status="Sent", date=datetime.date(2024, 1, 1), valid_until=datetime.date(2024, 1, 31)
        )
        expected = "expired on 31 Jan 2024"
    else:
        quote = make_quote(status="Sent")
        services.quote_convert(quote=quote)
        quote = Quote.objects.get(pk=quote.pk)
        expected = "has been invoiced"
    page = path_of(quote)

    shown = browser.get(page).content.decode()
    answer = csrf_post(browser, page + "/accept", page, {"name": "Ada"})

    assert expected in shown
    assert 'id="accept-form"' not in shown and 'id="decline"' not in shown
    assert answer.status_code == 409
    assert Quote.objects.get(pk=quote.pk).accepted_by == ""


def test_an_invoice_token_cannot_answer_as_a_quote(browser):
    from tests.billing.factories import make_invoice

    invoice = make_invoice()
    page = path_of(invoice)

    response = csrf_post(browser, page + "/accept", page, {"name": "Ada"})

    assert response.status_code == 404


def test_a_get_on_a_form_address_does_not_answer(quote):
    response = Client().get(path_of(quote) + "/accept")

    assert response.status_code == 405
    assert Quote.objects.get(pk=quote.pk).status == "Sent"


def test_an_accepted_quote_past_its_date_still_shows_who_accepted_it(browser, quote):
    services.quote_accept(quote=quote, name="Ada Lovelace", ip="10.0.0.1")
    Quote.objects.filter(pk=quote.pk).update(
        date=datetime.date(2024, 1, 1), valid_until=datetime.date(2024, 1, 31)
    )

    shown = browser.get(path_of(quote)).content.decode()

    assert "Accepted by Ada Lovelace" in shown
    assert "expired" not in shown
    assert 'id="accept-form"' not in shown
