"""The printable invoice and credit note: A4 PDFs drawn with reportlab's platypus (flowing
layout, so long item lists break across pages with the table header repeated).

An issued document prints the customer's billing details as snapshotted at issue, so renaming
or moving the customer later never rewrites it; a draft prints the customer as they are now.

Drawing costs ~10 ms a line (docs/performance.md), so a rendered PDF is kept in the shared
cache under a fingerprint of everything it prints (the invoice, its customer, lines and active
payments, whether it is overdue, the company's name and address): a repeated download is one
cache read, and any change to what the PDF shows changes the key, so a stale PDF is never
served. Input bounds the work: at most `MAX_ITEMS` lines a document (billing/serializers.py).
"""

import hashlib
from collections import defaultdict
from decimal import Decimal
from io import BytesIO
from xml.sax.saxutils import escape

from django.conf import settings
from django.core.cache import cache
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from billing.models import CreditNote, Invoice, InvoiceStatus, Quote
from billing.serializers import NumberField
from core.cache import CacheUnavailable, call
from core.money_format import format_amount, format_money_latin1

INK = colors.HexColor("#1f2933")
MUTED = colors.HexColor("#616e7c")
RULE = colors.HexColor("#cbd2d9")
BAND = colors.HexColor("#f0f4f8")
ACCENT = colors.HexColor("#243b53")
STATUS_COLORS = {
    InvoiceStatus.PAID: colors.HexColor("#2f8132"),
    InvoiceStatus.PARTIALLY_PAID: colors.HexColor("#b26b00"),
    InvoiceStatus.UNPAID: colors.HexColor("#ba2525"),
    InvoiceStatus.DRAFT: MUTED,
    InvoiceStatus.CANCELLED: MUTED,
}
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
CONTENT_WIDTH = PAGE_WIDTH - 2 * MARGIN


def money(value: Decimal, currency: str | None = None) -> str:
    """The amount with its currency's symbol and decimals (Babel), drawable in Helvetica."""
    return format_money_latin1(value, currency)


def number(value: Decimal) -> str:
    return str(NumberField(max_digits=14, decimal_places=2).to_representation(value))


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()["Normal"]

    def style(name, **kw):
        defaults = {"fontName": "Helvetica", "textColor": INK}
        return ParagraphStyle(name, parent=base, **{**defaults, **kw})

    return {
        "company": style("company", fontName="Helvetica-Bold", fontSize=16, leading=20),
        "small": style("small", fontSize=9, leading=12, textColor=MUTED),
        "title": style(
            "title", fontName="Helvetica-Bold", fontSize=22, leading=26, alignment=TA_RIGHT
        ),
        "right": style("right", fontSize=9.5, leading=13, alignment=TA_RIGHT),
        "label": style("label", fontName="Helvetica-Bold", fontSize=8, leading=11, textColor=MUTED),
        "body": style("body", fontSize=9.5, leading=13),
        "cell": style("cell", fontSize=9, leading=11.5),
        "cell_right": style("cell_right", fontSize=9, leading=11.5, alignment=TA_RIGHT),
        "head": style("head", fontName="Helvetica-Bold", fontSize=8.5, leading=11, textColor=INK),
        "head_right": style(
            "head_right",
            fontName="Helvetica-Bold",
            fontSize=8.5,
            leading=11,
            textColor=INK,
            alignment=TA_RIGHT,
        ),
    }


def _lines(*values: str) -> str:
    return "<br/>".join(escape(v) for v in values if v)


def _header(s, *, title: str, meta_html: str) -> Table:
    company = [
        Paragraph(escape(settings.COMPANY_NAME), s["company"]),
        Paragraph(_lines(*settings.COMPANY_ADDRESS.split("\n")), s["small"]),
    ]
    meta = [Paragraph(title, s["title"]), Spacer(1, 2 * mm), Paragraph(meta_html, s["right"])]
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


def _invoice_header(invoice: Invoice, s) -> Table:
    color = STATUS_COLORS.get(invoice.status, MUTED).hexval().replace("0x", "#")
    status_label = invoice.status.upper() + (" · OVERDUE" if invoice.is_overdue else "")
    number = invoice.invoice_number or "Not yet numbered"
    return _header(
        s,
        title="DRAFT INVOICE" if invoice.status == InvoiceStatus.DRAFT else "INVOICE",
        meta_html=f"<b>{escape(number)}</b><br/>"
        f"Issued {invoice.date:%d %b %Y}<br/>"
        f"Due {invoice.due_date:%d %b %Y}<br/>"
        f"{currency_line(invoice.currency)}<br/>"
        f'<font color="{color}"><b>{escape(status_label)}</b></font>',
    )


def currency_line(currency: str) -> str:
    return f"Amounts in {escape(currency)}"


def billing_details(document: Invoice | CreditNote | Quote) -> dict:
    """The snapshot taken at issue, or the customer as they are now for a draft (and for a
    quote, which keeps no snapshot)."""
    if getattr(document, "billing_details", None):
        return document.billing_details
    c = document.customer
    names = ("account", "email", "address", "city", "state", "zip", "country")
    return {name: getattr(c, name) for name in names}


def _due_line(invoice: Invoice) -> str:
    if invoice.status == InvoiceStatus.PAID:
        return "Paid in full. Thank you."
    if invoice.status == InvoiceStatus.CANCELLED:
        return "This invoice was cancelled."
    if invoice.is_overdue:
        return f"Overdue since {invoice.due_date:%d %b %Y}"
    return f"Payment due by {invoice.due_date:%d %b %Y}"


def _parties(details: dict, s, *, label: str, amount: Decimal, line: str, currency: str) -> Table:
    place = " ".join(v for v in [details["city"], details["state"], details["zip"]] if v)
    bill_to = [
        Paragraph("BILL TO", s["label"]),
        Paragraph(f"<b>{escape(details['account'])}</b>", s["body"]),
        Paragraph(
            _lines(details["address"], place, details["country"], details["email"]), s["body"]
        ),
    ]
    summary = [
        Paragraph(label, s["label"]),
        Paragraph(
            f'<font size="16"><b>{escape(money(amount, currency))}</b></font>',
            ParagraphStyle("due", parent=s["body"], leading=20),
        ),
        Paragraph(escape(line), s["small"]),
    ]
    table = Table([[bill_to, summary]], colWidths=[CONTENT_WIDTH * 0.6, CONTENT_WIDTH * 0.4])
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


def _items(items: list, s, currency: str) -> Table:
    """The lines, their amounts as bare numbers in `currency` (named in the document's
    header); with a Discount column when the document's discount was shared over them (the
    Tax amount is then charged on Amount − Discount)."""
    discounted = any(item.line_discount for item in items)
    head = ["Description", "Qty", "Unit price", "Tax", "Amount"]
    widths = [0.40, 0.09, 0.14, 0.09, 0.13, 0.15]
    if discounted:
        head.insert(4, "Discount")
        widths = [0.31, 0.08, 0.13, 0.08, 0.13, 0.13, 0.14]
    head.insert(-1, "Tax amount")
    rows = [[Paragraph(h, s["head"] if i == 0 else s["head_right"]) for i, h in enumerate(head)]]
    for item in items:
        cells = [
            Paragraph(escape(item.description), s["cell"]),
            Paragraph(number(item.qty), s["cell_right"]),
            Paragraph(format_amount(item.amount, currency), s["cell_right"]),
            Paragraph(f"{number(item.tax_rate)}%", s["cell_right"]),
        ]
        if discounted:
            cells.append(
                Paragraph(f"-{format_amount(item.line_discount, currency)}", s["cell_right"])
            )
        cells += [
            Paragraph(format_amount(item.line_tax, currency), s["cell_right"]),
            Paragraph(format_amount(item.line_subtotal, currency), s["cell_right"]),
        ]
        rows.append(cells)
    table = Table(rows, colWidths=[CONTENT_WIDTH * w for w in widths], repeatRows=1)
    style = [
        ("BACKGROUND", (0, 0), (-1, 0), BAND),
        ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
        ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
    ]
    table.setStyle(TableStyle(style))
    return table


def _tax_rows(items: list, tax: Decimal, currency: str) -> list[tuple[str, str]]:
    tax_by_rate: dict[Decimal, Decimal] = defaultdict(Decimal)
    for item in items:
        if item.line_tax:
            tax_by_rate[item.tax_rate] += item.line_tax
    if not tax_by_rate:
        return [("Tax", money(tax, currency))]
    return [
        (f"Tax {number(rate)}%", money(amount, currency))
        for rate, amount in sorted(tax_by_rate.items())
    ]


def _totals(rows: list[tuple[str, str]], total_row: int) -> Table:
    """The totals block: `rows` of (label, value), the total at `total_row`, the last row
    highlighted."""
    table = Table(
        [["", label, value] for label, value in rows],
        colWidths=[CONTENT_WIDTH * 0.55, CONTENT_WIDTH * 0.25, CONTENT_WIDTH * 0.20],
    )
    last = len(rows) - 1
    table.setStyle(
        TableStyle(
            [
                ("FONT", (1, 0), (-1, -1), "Helvetica", 9.5),
                ("TEXTCOLOR", (1, 0), (-1, -1), INK),
                ("ALIGN", (2, 0), (2, -1), "RIGHT"),
                ("RIGHTPADDING", (2, 0), (2, -1), 6),
                ("FONT", (1, total_row), (-1, total_row), "Helvetica-Bold", 10.5),
                ("LINEABOVE", (1, total_row), (-1, total_row), 0.8, ACCENT),
                ("FONT", (1, last), (-1, last), "Helvetica-Bold", 11),
                ("BACKGROUND", (1, last), (-1, last), BAND),
                ("TOPPADDING", (1, last), (-1, last), 6),
                ("BOTTOMPADDING", (1, last), (-1, last), 6),
            ]
        )
    )
    return table


def _invoice_totals(invoice: Invoice, items: list) -> Table:
    currency = invoice.currency
    rows: list[tuple[str, str]] = [("Subtotal", money(invoice.subtotal, currency))]
    if invoice.discount:
        rows.append(("Discount", f"-{money(invoice.discount, currency)}"))
    rows += _tax_rows(items, invoice.tax, currency)
    total_row = len(rows)
    rows.append(("Total", money(invoice.total, currency)))
    rows.append(("Amount paid", money(invoice.amount_paid, currency)))
    if invoice.amount_credited:
        rows.append(("Credited", money(invoice.amount_credited, currency)))
    rows.append(("Balance due", money(invoice.balance_due, currency)))
    return _totals(rows, total_row)


def _payments(invoice: Invoice, s) -> list:
    payments = list(invoice.payments.all())
    if not payments:
        return []
    rows = [
        [Paragraph(h, s["head"]) for h in ("Payment date", "Method", "Note")]
        + [Paragraph("Amount", s["head_right"])]
    ]
    for p in payments:
        rows.append(
            [
                Paragraph(f"{p.date:%d %b %Y}", s["cell"]),
                Paragraph(escape(p.get_method_display()), s["cell"]),
                Paragraph(escape(p.note), s["cell"]),
                Paragraph(money(p.amount, invoice.currency), s["cell_right"]),
            ]
        )
    table = Table(rows, colWidths=[CONTENT_WIDTH * w for w in (0.2, 0.2, 0.45, 0.15)])
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, ACCENT),
                ("LINEBELOW", (0, 1), (-1, -1), 0.4, RULE),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return [Spacer(1, 8 * mm), Paragraph("PAYMENTS RECEIVED", s["label"]), Spacer(1, 2 * mm), table]


def _footer(canvas, doc) -> None:
    canvas.saveState()
    canvas.setStrokeColor(RULE)
    canvas.line(MARGIN, 14 * mm, PAGE_WIDTH - MARGIN, 14 * mm)
    canvas.setFont("Helvetica", 8)
    canvas.setFillColor(MUTED)
    canvas.drawString(MARGIN, 10 * mm, f"{settings.COMPANY_NAME} · {doc.title}")
    canvas.drawRightString(PAGE_WIDTH - MARGIN, 10 * mm, f"Page {doc.page}")
    canvas.restoreState()


# Bump when the layout changes: cached PDFs of the old layout are then never served.
LAYOUT_VERSION = 3
PDF_CACHE_SECONDS = 24 * 3600


def _row(obj) -> tuple:
    return tuple(getattr(obj, f.attname) for f in obj._meta.concrete_fields)


def pdf_fingerprint(invoice: Invoice) -> str:
    """A hash of everything the PDF prints: equal fingerprints, identical documents."""
    parts = (
        LAYOUT_VERSION,
        settings.COMPANY_NAME,
        settings.COMPANY_ADDRESS,
        _row(invoice),
        invoice.is_overdue,
        _row(invoice.customer),
        [_row(item) for item in invoice.items.all()],
        [_row(payment) for payment in invoice.payments.all()],
    )
    return hashlib.sha256(repr(parts).encode()).hexdigest()


def invoice_pdf(invoice: Invoice, *, with_notes: bool = True) -> bytes:
    """The invoice as PDF bytes, from the cache when this exact document was rendered before.
    Expects items and active payments prefetched (billing.selectors.invoice_for_document).
    `with_notes=False` leaves the notes out (the client portal's copy)."""
    variant = "" if with_notes else ":no-notes"
    key = f"invoice-pdf:{invoice.pk}:{pdf_fingerprint(invoice)}{variant}"
    try:
        cached = call("invoice pdf read", cache.get, key)
    except CacheUnavailable:
        return invoice_pdf_render(invoice, with_notes=with_notes)
    if isinstance(cached, bytes):
        return cached
    content = invoice_pdf_render(invoice, with_notes=with_notes)
    try:
        call("invoice pdf store", cache.set, key, content, PDF_CACHE_SECONDS)
    except CacheUnavailable:
        pass  # served all the same, rendered again next time
    return content


def _document(buffer: BytesIO, *, title: str, subject: str) -> SimpleDocTemplate:
    return SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=22 * mm,
        title=title,
        author=settings.COMPANY_NAME,
        subject=subject,
    )


def _notes(label: str, text: str, s) -> list:
    if not text:
        return []
    return [
        Spacer(1, 8 * mm),
        Paragraph(label, s["label"]),
        Spacer(1, 1.5 * mm),
        Paragraph(escape(text).replace("\n", "<br/>"), s["body"]),
    ]


def invoice_pdf_render(invoice: Invoice, *, with_notes: bool = True) -> bytes:
    """Draws the invoice's PDF (no cache)."""
    s = _styles()
    buffer = BytesIO()
    details = billing_details(invoice)
    name = invoice.invoice_number or f"draft #{invoice.pk}"
    doc = _document(
        buffer, title=f"Invoice {name}", subject=f"Invoice {name} for {details['account']}"
    )
    items = list(invoice.items.all())
    story: list = [
        _invoice_header(invoice, s),
        Spacer(1, 7 * mm),
        _parties(
            details,
            s,
            label="BALANCE DUE",
            amount=invoice.balance_due,
            line=_due_line(invoice),
            currency=invoice.currency,
        ),
        Spacer(1, 8 * mm),
        _items(items, s, invoice.currency),
        Spacer(1, 4 * mm),
        _invoice_totals(invoice, items),
        *_payments(invoice, s),
        *_notes("NOTES", invoice.notes if with_notes else "", s),
    ]
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()


SETTLEMENT_LINES = {
    "refund": "{amount} refunded to you.",
    "credit": "{amount} added to your account credit.",
}


def credit_note_pdf(note: CreditNote) -> bytes:
    """The credit note as PDF bytes. Expects its invoice, customer and items loaded
    (billing.selectors.credit_note_for_document)."""
    s = _styles()
    buffer = BytesIO()
    details = billing_details(note)
    number = note.credit_note_number
    doc = _document(
        buffer,
        title=f"Credit note {number}",
        subject=f"Credit note {number} for {details['account']}",
    )
    items = list(note.items.all())
    meta = (
        f"<b>{escape(number)}</b><br/>"
        f"Dated {note.date:%d %b %Y}<br/>"
        f"Credits invoice <b>{escape(note.invoice.invoice_number or '')}</b><br/>"
        f"of {note.invoice.date:%d %b %Y}<br/>"
        f"{currency_line(note.currency)}"
    )
    line = "Deducted from what the invoice still owed."
    if note.settled_amount:
        line = SETTLEMENT_LINES[note.settlement].format(
            amount=money(note.settled_amount, note.currency)
        )
    rows: list[tuple[str, str]] = [("Subtotal", money(note.subtotal, note.currency))]
    rows += _tax_rows(items, note.tax, note.currency)
    total_row = len(rows)
    rows.append(("Total credited", money(note.total, note.currency)))
    story: list = [
        _header(s, title="CREDIT NOTE", meta_html=meta),
        Spacer(1, 7 * mm),
        _parties(
            details,
            s,
            label="AMOUNT CREDITED",
            amount=note.total,
            line=line,
            currency=note.currency,
        ),
        Spacer(1, 8 * mm),
        _items(items, s, note.currency),
        Spacer(1, 4 * mm),
        _totals(rows, total_row),
        *_notes("REASON", note.reason, s),
    ]
    doc.build(story, onFirstPage=_footer, onLaterPages=_footer)
    return buffer.getvalue()


def document_pdf_filename(document: Invoice | CreditNote) -> str:
    if isinstance(document, CreditNote):
        return f"{document.credit_note_number}.pdf"
    return f"{document.invoice_number or f'draft-invoice-{document.pk}'}.pdf"


def invoice_pdf_filename(invoice: Invoice) -> str:
    return document_pdf_filename(invoice)
