"""Finding a document by its portal token, and loading what its page shows.

The lookup never stops early and never branches on what a token looks like: each document
table is asked for the token through its unique index, and a row found is confirmed with
`hmac.compare_digest`, so an unknown, revoked or tampered token costs the same three indexed
queries and ends on the same 404.
"""

import hmac
from dataclasses import dataclass

from django.db.models import Prefetch

from billing.models import CreditNote, Invoice, InvoiceStatus, Quote, QuoteItem, QuoteStatus
from billing.selectors import credit_note_for_document, invoice_for_document

INVOICE, QUOTE, CREDIT_NOTE = "invoice", "quote", "credit_note"
# Longer than any token we hand out (43 characters): compared as an empty string instead.
MAX_TOKEN_LENGTH = 128


@dataclass(frozen=True)
class PortalDocument:
    kind: str
    document: Invoice | Quote | CreditNote


def _published(model, row) -> bool:
    if model is Invoice:
        return row.status != InvoiceStatus.DRAFT
    if model is Quote:
        return row.status != QuoteStatus.DRAFT
    return True


def document_by_token(token: str) -> PortalDocument | None:
    """The issued document whose portal token is `token`, loaded for its page; None for
    anything else (drafts included)."""
    given = token if len(token) <= MAX_TOKEN_LENGTH else ""
    found = None
    for kind, model in ((INVOICE, Invoice), (QUOTE, Quote), (CREDIT_NOTE, CreditNote)):
        row = (
            model.objects.filter(portal_token=given)
            .only("pk", "portal_token", "status" if model is not CreditNote else "pk")
            .first()
        )
        if (
            row is not None
            and hmac.compare_digest(row.portal_token.encode(), given.encode())
            and _published(model, row)
        ):
            found = (kind, row.pk)
    if found is None:
        return None
    kind, pk = found
    if kind == INVOICE:
        return PortalDocument(INVOICE, invoice_for_document(invoice_id=pk))
    if kind == QUOTE:
        quote = (
            Quote.objects.select_related("customer")
            .prefetch_related(
                Prefetch("items", queryset=QuoteItem.objects.order_by("position", "id"))
            )
            .get(pk=pk)
        )
        return PortalDocument(QUOTE, quote)
    return PortalDocument(CREDIT_NOTE, credit_note_for_document(credit_note_id=pk))
