"""Cheap ways to load the server (issue 13, item 8): the schema is built once per process,
anonymous paths are limited per address, PDF work is bounded by input and cached."""

from decimal import Decimal

import pytest
from drf_spectacular.generators import SchemaGenerator

from api import public
from billing import pdf
from billing.models import Invoice
from tests.billing.factories import AccountFactory, item, make_invoice, make_payment
from tests.factories import CustomerFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def schema_builds(monkeypatch):
    calls = []
    original = SchemaGenerator.get_schema

    def counting(self, *args, **kwargs):
        calls.append(1)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(SchemaGenerator, "get_schema", counting)
    return calls


def test_the_schema_is_built_once_per_process(client, schema_builds):
    public._documents.clear()  # as in a fresh process

    first = client.get("/api/v2/schema")
    second = client.get("/api/v2/schema")

    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert second["Content-Disposition"] == first["Content-Disposition"]
    assert len(schema_builds) == 1


def test_the_schema_is_limited_per_address(client, settings):
    settings.ANON_RATE_LIMIT = "3/m"

    statuses = [
        client.get("/api/v2/schema", REMOTE_ADDR="203.0.113.5").status_code for _ in range(4)
    ]
    other = client.get("/api/v2/schema", REMOTE_ADDR="198.51.100.6")
    refused = client.get("/api/v2/docs", REMOTE_ADDR="203.0.113.5")

    assert statuses == [200, 200, 200, 429]
    assert other.status_code == 200
    assert refused.status_code == 429
    assert int(refused["Retry-After"]) >= 1
    assert refused.json()["success"] is False
    assert refused.json()["message"].startswith("Rate limit exceeded: 3 requests per window")


def test_behind_a_proxy_the_forwarded_address_is_limited(client, settings):
    settings.ANON_RATE_LIMIT = "1/m"
    settings.TRUSTED_PROXY_COUNT = 1

    first = client.get("/api/v2/schema", HTTP_X_FORWARDED_FOR="203.0.113.5")
    second = client.get("/api/v2/schema", HTTP_X_FORWARDED_FOR="203.0.113.6")
    again = client.get("/api/v2/schema", HTTP_X_FORWARDED_FOR="forged, 203.0.113.5")

    assert (first.status_code, second.status_code, again.status_code) == (200, 200, 429)


@pytest.mark.django_db(databases=["default", "sandbox"])
def test_health_is_never_rate_limited(client, settings):
    settings.ANON_RATE_LIMIT = "1/m"

    statuses = {client.get("/health").status_code for _ in range(5)}

    assert statuses == {200}


def test_a_document_has_at_most_200_lines(api):
    customer = CustomerFactory()
    lines = [{"description": f"Line {n}", "amount": 1} for n in range(201)]

    response = api.post("/api/v2/invoices", {"customer_id": customer.pk, "items": lines})
    quote = api.post("/api/v2/quotes", {"customer_id": customer.pk, "items": lines})

    assert response.status_code == quote.status_code == 400
    assert response.json()["errors"] == {"items": "A document has at most 200 lines."}
    assert quote.json()["errors"] == {"items": "A document has at most 200 lines."}
    assert Invoice.objects.count() == 0


@pytest.fixture
def renders(monkeypatch):
    calls = []
    original = pdf.invoice_pdf_render

    def counting(invoice, **options):
        calls.append(invoice.pk)
        return original(invoice, **options)

    monkeypatch.setattr(pdf, "invoice_pdf_render", counting)
    return calls


def test_a_repeated_pdf_download_is_not_rendered_again(api, renders):
    invoice = make_invoice(items=[item("100.00")])

    first = api.get(f"/api/v2/invoices/{invoice.pk}/pdf")
    second = api.get(f"/api/v2/invoices/{invoice.pk}/pdf")

    assert first.status_code == second.status_code == 200
    assert second.content == first.content
    assert renders == [invoice.pk]


def test_a_change_to_what_the_pdf_shows_renders_it_again(api, renders):
    invoice = make_invoice(items=[item("100.00")], status="Unpaid")
    first = api.get(f"/api/v2/invoices/{invoice.pk}/pdf")

    make_payment(invoice, Decimal("40.00"), account=AccountFactory())
    second = api.get(f"/api/v2/invoices/{invoice.pk}/pdf")
    invoice.customer.account = "Renamed Customer"
    invoice.customer.save()
    third = api.get(f"/api/v2/invoices/{invoice.pk}/pdf")

    assert renders == [invoice.pk] * 3
    assert len({first.content, second.content, third.content}) == 3
