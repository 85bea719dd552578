"""The portal page of a document: who may see it (whoever holds its token, nobody else), what
it shows (that document only, no notes, no other rows' ids), and the headers every portal
answer carries."""

import datetime
import re

import pytest

from billing import services
from billing.models import Invoice, Quote
from tests.billing.factories import AccountFactory, item, make_invoice, make_payment, make_quote
from tests.factories import CustomerFactory
from tests.portal.conftest import SITE, path_of

pytestmark = pytest.mark.django_db


@pytest.fixture
def invoice():
    customer = CustomerFactory(account="Northwind Traders", email="ap@northwind.test")
    return make_invoice(
        customer=customer,
        items=[item("120.00", qty=10, description="Web development"), item("99.99")],
        notes="INTERNAL: customer is slow to pay",
    )


def _not_found_body(browser, path: str) -> tuple[int, bytes]:
    response = browser.get(path)
    return response.status_code, response.content


def test_an_issued_invoice_has_a_256_bit_token_unrelated_to_its_id(invoice):
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", invoice.portal_token)
    assert str(invoice.pk) not in invoice.portal_token[:3]
    other = make_invoice()
    assert other.portal_token != invoice.portal_token


def test_a_draft_has_no_token_until_it_is_issued():
    draft = make_invoice(status="Draft")
    assert draft.portal_token is None

    issued = services.invoice_issue(invoice=draft)

    assert issued.portal_token is not None


def test_the_page_shows_the_invoice_to_whoever_holds_the_link(browser, invoice):
    response = browser.get(path_of(invoice))

    assert response.status_code == 200
    page = response.content.decode()
    assert invoice.invoice_number in page
    assert "Northwind Traders" in page
    assert "Web development" in page
    assert "$1,299.99" in page  # total = balance due
    assert "Download PDF" in page


def test_the_page_never_shows_notes_or_another_customers_data(browser, invoice):
    other = make_invoice(
        customer=CustomerFactory(account="Contoso Secret Ltd", email="cfo@contoso.test"),
        items=[item("555.55", description="Contoso confidential work")],
        notes="Contoso internal note",
    )
    account = AccountFactory()
    payment = make_payment(invoice, "100.00", account=account)

    page = browser.get(path_of(invoice)).content.decode()

    assert "INTERNAL" not in page and "slow to pay" not in page
    for foreign in ("Contoso", "cfo@contoso.test", "555.55", other.invoice_number):
        assert foreign not in page
    assert other.portal_token not in page
    # No ids of rows: every link and form leads to this document's own token, and the text
    # names no row by number (the payment by date, method and amount only).
    targets = re.findall(r'(?:href|action)="([^"]*)"', page)
    assert targets and all(t.startswith(path_of(invoice)) for t in targets)
    text = re.sub(r"<style.*?</style>|<[^>]+>", " ", page, flags=re.S)
    assert f"#{payment.pk}" not in text and f"#{invoice.pk}" not in text
    assert account.name not in page
    assert "$100.00" in page  # the payment itself is shown, by date, method and amount


def test_unknown_revoked_and_tampered_tokens_answer_the_same_404_page(browser, invoice, api):
    good = path_of(invoice)
    tampered = good[:-1] + ("A" if good[-1] != "A" else "B")
    api.post(f"/api/v2/invoices/{invoice.pk}/portal-link")
    revoked = good

    answers = {
        path: _not_found_body(browser, path)
        for path in (
            "/portal/not-a-token",
            tampered,
            revoked,
            "/portal/" + "x" * 500,
            f"/portal/{invoice.pk}",
            good + "/pdf",
        )
    }

    assert {status for status, _ in answers.values()} == {404}
    assert len({body for _, body in answers.values()}) == 1
    assert browser.get(path_of(Invoice.objects.get(pk=invoice.pk))).status_code == 200


def test_a_draft_quote_is_not_on_the_portal_even_if_it_once_had_a_link(browser, api):
    quote = make_quote(status="Sent")
    token_path = path_of(quote)
    services.quote_update(quote=quote, status="Draft")

    assert browser.get(token_path).status_code == 404
    assert api.get(f"/api/v2/quotes/{quote.pk}").json()["data"]["portal_url"] is None


def test_every_portal_answer_is_noindex_and_sends_no_referrer_elsewhere(browser, invoice):
    for path in (path_of(invoice), "/portal/unknown", path_of(invoice) + "/pdf", "/portal/"):
        response = browser.get(path)
        assert response["X-Robots-Tag"] == "noindex, nofollow", path
        assert response["Referrer-Policy"] == "same-origin", path
        assert "no-store" in response["Cache-Control"], path


def test_portal_requests_are_rate_limited_per_address(browser, invoice, settings):
    settings.PORTAL_RATE_LIMIT = "3/m"
    statuses = [browser.get(path_of(invoice)).status_code for _ in range(3)]

    limited = browser.get("/portal/guessing-another-token")
    other_address = browser.get(path_of(invoice), REMOTE_ADDR="10.9.8.7")

    assert statuses == [200, 200, 200]
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) >= 1
    assert limited["X-Robots-Tag"] == "noindex, nofollow"
    assert other_address.status_code == 200


def test_the_pdf_downloads_without_the_notes(browser, invoice):
    import io

    from pypdf import PdfReader

    response = browser.get(path_of(invoice) + "/pdf")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert f'filename="{invoice.invoice_number}.pdf"' in response["Content-Disposition"]
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(response.content)).pages)
    assert invoice.invoice_number in text
    assert "slow to pay" not in text


def test_a_credit_note_has_its_own_page(browser, invoice):
    note = services.credit_note_create(
        invoice=invoice, items=[item("50.00", description="Goodwill")], reason="Late delivery"
    )

    page = browser.get(path_of(note)).content.decode()

    assert note.credit_note_number in page
    assert "Late delivery" in page
    assert "$50.00" in page


def test_api_shows_portal_urls_and_null_for_drafts(api, invoice):
    draft = make_invoice(status="Draft")
    quote = make_quote(status="Sent")
    draft_quote = make_quote()

    data = api.get(f"/api/v2/invoices/{invoice.pk}").json()["data"]

    assert data["portal_url"] == f"{SITE}/portal/{invoice.portal_token}"
    assert api.get(f"/api/v2/invoices/{draft.pk}").json()["data"]["portal_url"] is None
    assert api.get(f"/api/v2/quotes/{quote.pk}").json()["data"]["portal_url"] == (
        f"{SITE}/portal/{quote.portal_token}"
    )
    assert api.get(f"/api/v2/quotes/{draft_quote.pk}").json()["data"]["portal_url"] is None


def test_rotating_the_link_gives_a_new_url_and_the_old_one_404s(api, browser, invoice):
    old_path = path_of(invoice)

    response = api.post(f"/api/v2/invoices/{invoice.pk}/portal-link")

    assert response.status_code == 200
    new_url = response.json()["data"]["portal_url"]
    assert new_url != f"{SITE}{old_path}"
    assert browser.get(old_path).status_code == 404
    assert browser.get(new_url.removeprefix(SITE)).status_code == 200


def test_rotation_is_audited_without_the_token(api, invoice):
    from audit.models import AuditEvent

    api.post(f"/api/v2/invoices/{invoice.pk}/portal-link")

    entry = AuditEvent.objects.get(action="invoice.portal_link_rotated")
    fresh = Invoice.objects.get(pk=invoice.pk)
    assert set(entry.changes) == {"portal_token"}
    assert invoice.portal_token not in str(entry.changes)
    assert fresh.portal_token not in str(entry.changes)
    issued = AuditEvent.objects.get(action="invoice.created", resource_id=str(invoice.pk))
    assert invoice.portal_token not in str(issued.changes)


def test_a_draft_cannot_get_a_new_link(api):
    draft = make_invoice(status="Draft")

    response = api.post(f"/api/v2/invoices/{draft.pk}/portal-link")

    assert response.status_code == 409
    assert Invoice.objects.get(pk=draft.pk).portal_token is None


def test_quote_and_credit_note_links_rotate_too(api, browser, invoice):
    quote = make_quote(status="Sent")
    note = services.credit_note_create(invoice=invoice, items=[item("10.00")], reason="Typo")

    for path, document in (("quotes", quote), ("credit-notes", note)):
        old = path_of(document)
        response = api.post(f"/api/v2/{path}/{document.pk}/portal-link")
        assert response.status_code == 200, path
        assert browser.get(old).status_code == 404
        fresh = type(document).objects.get(pk=document.pk)
        assert browser.get(path_of(fresh)).status_code == 200


def test_the_invoice_email_carries_the_portal_link(mail_settings, invoice):
    from billing.sending import invoice_send

    message = invoice_send(invoice=invoice)

    assert f"{SITE}/portal/{invoice.portal_token}" in message.body_text


def test_existing_issued_documents_get_links_from_the_migration():
    from importlib import import_module
    from types import SimpleNamespace

    from django.apps import apps as global_apps
    from django.db import connection

    migration = import_module("billing.migrations.0010_portal_tokens")
    invoice = make_invoice()
    draft = make_invoice(status="Draft")
    quote = make_quote(status="Sent", date=datetime.date(2024, 1, 1))
    Invoice.objects.filter(pk=invoice.pk).update(portal_token=None)
    Quote.objects.filter(pk=quote.pk).update(portal_token=None)

    # The data migration reads only the schema editor's connection.
    editor = SimpleNamespace(connection=connection)
    migration._backfill_portal_tokens(global_apps, editor)

    assert Invoice.objects.get(pk=invoice.pk).portal_token
    assert Quote.objects.get(pk=quote.pk).portal_token
    assert Invoice.objects.get(pk=draft.pk).portal_token is None


def test_every_miss_costs_the_same_three_indexed_lookups(invoice, django_assert_num_queries):
    from portal.selectors import document_by_token

    tampered = invoice.portal_token[:-1] + ("A" if invoice.portal_token[-1] != "A" else "B")
    for token in ("unknown", tampered, invoice.portal_token[:10], "x" * 500):
        with django_assert_num_queries(3):
            assert document_by_token(token) is None


@pytest.mark.parametrize("lines", [1, 40])
def test_the_page_costs_the_same_queries_whatever_its_size(
    browser, lines, django_assert_max_num_queries
):
    invoice = make_invoice(items=[item("10.00", description=f"Line {n}") for n in range(lines)])
    make_payment(invoice, "5.00")

    with django_assert_max_num_queries(8):
        response = browser.get(path_of(invoice))

    assert response.status_code == 200
    assert response.content.decode().count('class="desc"') == lines
