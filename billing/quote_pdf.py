"""The printable quote, attached when a quote is emailed (billing.sending.quote_send). It is
drawn with the invoice PDF's parts (billing.pdf: header, parties, lines, totals, notes,
footer) and differs only in its words. Not cached: a quote is rendered once per send."""

from io import BytesIO
from xml.sax.saxutils import escape

from reportlab.lib.units import mm
from reportlab.platypus import Spacer

from billing.models import Quote
from billing.pdf import (
    _document,
    _footer,
    _header,
    _items,
    _notes,
    _parties,
    _styles,
    _tax_rows,
    _totals,
    billing_details,
    currency_line,
    money,
)


def _number(quote: Quote) -> str:
    return quote.quote_number or f"draft #{quote.pk}"


def quote_pdf(quote: Quote, *, with_notes: bool = True) -> bytes:
    """The quote as PDF bytes. Expects the customer joined and the items prefetched.
    `with_notes=False` leaves the notes out (the client portal's copy)."""
    s = _styles()
    buffer = BytesIO()
    details = billing_details(quote)
    number = _number(quote)
    doc = _document(
        buffer, title=f"Quote {number}", subject=f"Quote {number} for {details['account']}"
    )
    items = list(quote.items.all())
    currency = quote.currency
    rows: list[tuple[str, str]] = [("Subtotal", money(quote.subtotal, currency))]
    if quote.discount:
        rows.append(("Discount", f"-{money(quote.discount, currency)}"))
    rows += _tax_rows(items, quote.tax, currency)
    rows.append(("Total", money(quote.total, currency)))
    story: list = [
        _header(
            s,
            title="QUOTE",
            meta_html=f"<b>{escape(number)}</b><br/>"
            f"Dated {quote.date:%d %b %Y}<br/>"
            f"Valid until {quote.valid_until:%d %b %Y}<br/>"
            f"{currency_line(quote.currency)}",
        ),
        Spacer(1, 7 * mm),
        _parties(
            details,
            s,
            label="TOTAL",
            amount=quote.total,
            line=f"Valid until {quote.valid_until:%d %b %Y}",
            currency=currency,
        ),
        Spacer(1, 8 * mm),
        _items(items, s, currency),
        Spacer(1, 4 * mm),
        _totals(rows, total_row=len(rows) - 1),
        *_notes("NOTES", quote.notes if with_notes else "", s),
    ]
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()


def quote_pdf_filename(quote: Quote) -> str:
    return f"{_number(quote)}.pdf"
