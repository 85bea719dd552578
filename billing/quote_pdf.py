"""The printable quote, attached when a quote is emailed (billing.sending.quote_send). It shares
the invoice PDF's styles, item table and footer (billing.pdf) and differs only in its header,
its "valid until" box and its totals. Not cached: a quote is rendered once per send."""

from io import BytesIO
from xml.sax.saxutils import escape

from django.conf import settings
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from billing.models import Quote
from billing.pdf import (
    ACCENT,
    BAND,
    CONTENT_WIDTH,
    MARGIN,
    _footer,
    _items,
    _lines,
    _styles,
    money,
)


def _header(quote: Quote, s) -> Table:
    company = [
        Paragraph(escape(settings.COMPANY_NAME), s["company"]),
        Paragraph(_lines(*settings.COMPANY_ADDRESS.split("\n")), s["small"]),
    ]
    meta = [
        Paragraph("QUOTE", s["title"]),
        Spacer(1, 2 * mm),
        Paragraph(
            f"<b>{escape(quote.quote_number)}</b><br/>"
            f"Dated {quote.date:%d %b %Y}<br/>"
            f"Valid until {quote.valid_until:%d %b %Y}",
            s["right"],
        ),
    ]
    table = Table([[company, meta]], colWidths=[CONTENT_WIDTH * 0.6, CONTENT_WIDTH * 0.4])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("LINEBELOW", (0, 0), (-1, 0), 1.2, ACCENT),
                ("BOTTOMPADDING", (0, 0), (-1, 0), 5 * mm),
            ]
        )
    )
    return table


def _parties(quote: Quote, s) -> Table:
    c = quote.customer
    place = " ".join(v for v in [c.city, c.state, c.zip] if v)
    prepared_for = [
        Paragraph("PREPARED FOR", s["label"]),
        Paragraph(f"<b>{escape(c.account)}</b>", s["body"]),
        Paragraph(_lines(c.address, place, c.country, c.email, c.phone), s["body"]),
    ]
    summary = [
        Paragraph("TOTAL", s["label"]),
        Paragraph(
            f'<font size="16"><b>{money(quote.total)}</b></font>',
            ParagraphStyle("total", parent=s["body"], leading=20),
        ),
        Paragraph(f"Valid until {quote.valid_until:%d %b %Y}", s["small"]),
    ]
    table = Table([[prepared_for, summary]], colWidths=[CONTENT_WIDTH * 0.6, CONTENT_WIDTH * 0.4])
    table.setStyle(
        TableStyle(
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                ("BACKGROUND", (1, 0), (1, 0), BAND),
                ("LEFTPADDING", (1, 0), (1, 0), 4 * mm),
                ("TOPPADDING", (1, 0), (1, 0), 3 * mm),
                ("BOTTOMPADDING", (1, 0), (1, 0), 3 * mm),
            ]
        )
    )
    return table


def _totals(quote: Quote) -> Table:
    rows = [("Subtotal", money(quote.subtotal))]
    if quote.discount:
        rows.append(("Discount", f"-{money(quote.discount)}"))
    rows += [("Tax", money(quote.tax)), ("Total", money(quote.total))]
    table = Table(
        [["", label, value] for label, value in rows],
        colWidths=[CONTENT_WIDTH * 0.55, CONTENT_WIDTH * 0.25, CONTENT_WIDTH * 0.20],
    )
    last = len(rows) - 1
    table.setStyle(
        TableStyle(
            [
                ("FONT", (1, 0), (-1, -1), "Helvetica", 9.5),
                ("ALIGN", (2, 0), (2, -1), "RIGHT"),
                ("RIGHTPADDING", (2, 0), (2, -1), 6),
                ("FONT", (1, last), (-1, last), "Helvetica-Bold", 11),
                ("LINEABOVE", (1, last), (-1, last), 0.8, ACCENT),
                ("BACKGROUND", (1, last), (-1, last), BAND),
            ]
        )
    )
    return table


def quote_pdf(quote: Quote) -> bytes:
    """The quote as PDF bytes. Expects the customer joined and the items prefetched."""
    s = _styles()
    buffer = BytesIO()
    doc = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=22 * mm,
        title=f"Quote {quote.quote_number}",
        author=settings.COMPANY_NAME,
        subject=f"Quote {quote.quote_number} for {quote.customer.account}",
    )
    story: list = [
        _header(quote, s),
        Spacer(1, 7 * mm),
        _parties(quote, s),
        Spacer(1, 8 * mm),
        _items(quote, s),
        Spacer(1, 4 * mm),
        _totals(quote),
    ]
    if quote.notes:
        story += [
            Spacer(1, 8 * mm),
            Paragraph("NOTES", s["label"]),
            Spacer(1, 1.5 * mm),
            Paragraph(escape(quote.notes).replace("\n", "<br/>"), s["body"]),
        ]
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()


def quote_pdf_filename(quote: Quote) -> str:
    return f"{quote.quote_number}.pdf"
