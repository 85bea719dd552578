"""Demo billing: a product catalog, invoices in every state (paid, partially paid, unpaid,
overdue, draft, cancelled) and quotes in every state, all created through the services so the
numbers, totals, statuses, payments and events are the real thing. Dates are relative to the
day of loading, so "overdue" and "expired" hold on a fresh load.

It also shows the later features: a monthly retainer schedule from the 31st (month ends
kept), and, for the customers demo's euro customer, an exchange rate, an issued EUR invoice
and a EUR schedule. The schedules start on coming dates, so loading issues nothing from them:
the daily generator does, when their day comes.

Idempotent: products are matched by name (the oldest of a name: users may reuse one),
invoices, quotes and schedules by customer and notes, the rate by currency. `large` adds
nothing yet beyond the small set (no billing benchmark needs volume so far).
"""

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from billing import services
from billing.models import (
    CreditNote,
    Invoice,
    InvoiceStatus,
    Product,
    Quote,
    QuoteStatus,
    RecurringFrequency,
    RecurringInvoice,
)
from billing.recurring import recurring_invoice_create
from core.currencies import base_currency
from customers.demo import EURO_EMAIL
from customers.models import Customer
from ledger.models import Account, ExchangeRate
from ledger.services import exchange_rate_create

PRODUCTS = [
    ("Web Development", "service", "150.00", "10", "Design and build, per hour"),
    ("Web Hosting", "service", "99.99", "10", "Annual web hosting package"),
    ("SEO Audit", "service", "850.00", "10", "Full technical and content audit"),
    ("Consulting", "service", "200.00", "0", "Strategy consulting, per hour"),
    ("Support Retainer", "service", "1200.00", "10", "Monthly priority support"),
    ("Laptop Stand", "product", "49.50", "8.25", "Aluminium, adjustable"),
    ("USB-C Dock", "product", "189.00", "8.25", "12-port docking station"),
    ("Domain Registration", "service", "15.00", "0", "One .com domain, one year"),
]

# (customer index, days ago issued, terms in days, lines [(product, qty)], discount,
#  paid fraction: None = no payment, "draft" / "cancelled" = that status, notes)
INVOICES = [
    (0, 95, 30, [("Web Development", 40), ("Web Hosting", 1)], "0", 1, "Website build, phase 1"),
    (1, 80, 30, [("SEO Audit", 1)], "50.00", 1, "SEO audit Q1"),
    (2, 70, 14, [("Consulting", 12)], "0", 0.5, "Strategy workshop"),
    (3, 60, 30, [("Support Retainer", 1)], "0", None, "Support retainer, March"),
    (4, 45, 15, [("Laptop Stand", 10), ("USB-C Dock", 10)], "100.00", None, "Office kit"),
    (5, 40, 30, [("Web Development", 16)], "0", 0.25, "Landing page redesign"),
    (6, 20, 30, [("Domain Registration", 5), ("Web Hosting", 1)], "0", 1, "Domains renewal"),
    (7, 10, 30, [("Consulting", 6)], "0", None, "Analytics review"),
    (8, 5, 30, [("Support Retainer", 1)], "0", "draft", "Support retainer, next month"),
    (9, 30, 30, [("Web Development", 3)], "0", "cancelled", "Cancelled small fix"),
    (0, 3, 30, [("Web Development", 24), ("SEO Audit", 1)], "0", None, "Website build, phase 2"),
]

# (customer index, days ago issued, valid for days, lines, status, notes)
QUOTES = [
    (1, 3, 30, [("Web Development", 80)], QuoteStatus.SENT, "E-commerce rebuild"),
    (2, 10, 30, [("Consulting", 20)], QuoteStatus.DRAFT, "Quarterly strategy days"),
    (3, 15, 30, [("Support Retainer", 12)], QuoteStatus.ACCEPTED, "Annual support plan"),
    (4, 20, 30, [("USB-C Dock", 25)], QuoteStatus.DECLINED, "Docking stations for HQ"),
    (5, 60, 30, [("SEO Audit", 2)], QuoteStatus.SENT, "Two-site SEO audit"),
    (6, 25, 30, [("Web Hosting", 3)], "convert", "Hosting for three sites"),
]


def _line(products: dict[str, Product], name: str, qty) -> dict:
    return {"product": products[name], "qty": Decimal(str(qty))}


def load(*, size: str, stdout) -> str:
    customers = list(Customer.objects.order_by("id")[:10])
    if len(customers) < 10:
        return "skipped: needs at least 10 customers (customers demo)"
    account = Account.objects.order_by("id").first() or Account.objects.create(
        name="Business Checking", currency="USD"
    )
    today = timezone.localdate()
    products = {}
    for name, kind, price, tax_rate, description in PRODUCTS:
        # Names are not unique: a user may have made a product called "Web Hosting" too
        # (the reference's own example). The oldest of that name is the demo's.
        products[name] = Product.objects.filter(name=name).order_by(
            "id"
        ).first() or Product.objects.create(
            name=name,
            type=kind,
            price=Decimal(price),
            tax_rate=Decimal(tax_rate),
            description=description,
        )

    made_invoices = 0
    for index, days_ago, terms, lines, discount, paid, notes in INVOICES:
        customer = customers[index]
        if Invoice.objects.filter(customer=customer, notes=notes).exists():
            continue
        issued = today - timedelta(days=days_ago)
        invoice = services.invoice_create(
            customer=customer,
            items=[_line(products, name, qty) for name, qty in lines],
            date=issued,
            due_date=issued + timedelta(days=terms),
            discount=Decimal(discount),
            notes=notes,
            status=InvoiceStatus.DRAFT if paid == "draft" else None,
        )
        if paid == "cancelled":
            services.invoice_cancel(invoice=invoice, reason="Issued to the wrong customer.")
        elif isinstance(paid, int | float):
            _pay(invoice, fraction=Decimal(str(paid)), account=account, issued=issued)
        made_invoices += 1

    made_notes = _credit_note(account=account)

    made_quotes = 0
    for index, days_ago, valid_for, lines, status, notes in QUOTES:
        customer = customers[index]
        if Quote.objects.filter(customer=customer, notes=notes).exists():
            continue
        issued = today - timedelta(days=days_ago)
        quote = services.quote_create(
            customer=customer,
            items=[_line(products, name, qty) for name, qty in lines],
            date=issued,
            valid_until=issued + timedelta(days=valid_for),
            notes=notes,
            status=QuoteStatus.ACCEPTED if status == "convert" else status,
        )
        if status == "convert":
            services.quote_convert(quote=quote, date=today - timedelta(days=2))
        made_quotes += 1

    euro_invoices, made_schedules = _currencies_and_schedules(customers, products, today)
    made_invoices += euro_invoices

    return (
        f"{made_invoices} invoices, {made_notes} credit note(s), {made_quotes} quotes and "
        f"{made_schedules} recurring schedule(s) created; "
        f"{Product.objects.count()} products, {Invoice.objects.count()} invoices, "
        f"{Quote.objects.count()} quotes, {RecurringInvoice.objects.count()} schedules in all"
        + (" (large: no extra billing volume yet)" if size == "large" else "")
    )


CREDIT_REASON = "One consulting hour billed twice."
FOREIGN = "EUR"
EURO_RATE = Decimal("1.08")  # base-currency units per euro (with a USD base)
EURO_INVOICE = "Brand workshop, Berlin"
RETAINER = "Support retainer, billed on the last day of the month"
EURO_SCHEDULE = "Website care plan (EUR)"


def _next_31st(today: date) -> date:
    day = today
    while day.day != 31:
        day += timedelta(days=1)
    return day


def _currencies_and_schedules(
    customers: list[Customer], products: dict[str, Product], today: date
) -> tuple[int, int]:
    """The retainer schedule, then (when the euro customer exists) a EUR rate from 90 days
    ago, a EUR invoice issued 20 days ago and a EUR schedule: (invoices, schedules) made."""
    made_invoices = made_schedules = 0
    retainer = customers[3]
    if not RecurringInvoice.objects.filter(customer=retainer, notes=RETAINER).exists():
        recurring_invoice_create(
            customer=retainer,
            items=[_line(products, "Support Retainer", 1)],
            frequency=RecurringFrequency.MONTHLY,
            start_date=_next_31st(today),
            notes=RETAINER,
        )
        made_schedules += 1

    euro = Customer.objects.filter(email=EURO_EMAIL).first()
    if euro is None:
        return made_invoices, made_schedules
    if base_currency() != FOREIGN and not ExchangeRate.objects.filter(currency=FOREIGN).exists():
        exchange_rate_create(currency=FOREIGN, date=today - timedelta(days=90), rate=EURO_RATE)
    if not Invoice.objects.filter(customer=euro, notes=EURO_INVOICE).exists():
        issued = today - timedelta(days=20)
        services.invoice_create(
            customer=euro,
            items=[_line(products, "Consulting", 8), _line(products, "SEO Audit", 1)],
            date=issued,
            due_date=issued + timedelta(days=30),
            notes=EURO_INVOICE,
        )
        made_invoices += 1
    if not RecurringInvoice.objects.filter(customer=euro, notes=EURO_SCHEDULE).exists():
        recurring_invoice_create(
            customer=euro,
            items=[_line(products, "Web Hosting", 1), _line(products, "Web Development", 2)],
            frequency=RecurringFrequency.MONTHLY,
            start_date=today + timedelta(days=7),
            due_days=14,
            notes=EURO_SCHEDULE,
        )
        made_schedules += 1
    return made_invoices, made_schedules


def _credit_note(*, account: Account) -> int:
    """One credit note on a paid invoice, refunded: the demo shows a correction."""
    if CreditNote.objects.filter(reason=CREDIT_REASON).exists():
        return 0
    invoice = Invoice.objects.filter(status=InvoiceStatus.PAID).order_by("id").first()
    if invoice is None:
        return 0
    first = invoice.items.order_by("position", "id").first()
    services.credit_note_create(
        invoice=invoice,
        items=[
            {
                "description": first.description,
                "amount": min(first.amount, invoice.total / 2).quantize(Decimal("0.01")),
                "qty": Decimal(1),
                "tax_rate": first.tax_rate,
                "product": None,
            }
        ],
        reason=CREDIT_REASON,
        date=max(invoice.date, timezone.localdate() - timedelta(days=1)),
        settlement="refund",
        account=account,
    )
    return 1


def _pay(invoice: Invoice, *, fraction: Decimal, account: Account, issued) -> None:
    amount = (invoice.total * fraction).quantize(Decimal("0.01"))
    if fraction == 1:
        # Paid in two instalments, the second settling the balance to the cent.
        first = (invoice.total / 2).quantize(Decimal("0.01"))
        services.payment_record(
            invoice=invoice,
            amount=first,
            account=account,
            date=min(issued + timedelta(days=7), timezone.localdate()),
            method="bank_transfer",
            note="First instalment",
            receipt=False,
        )
        amount = invoice.total - first
        note = "Balance"
    else:
        note = "Part payment"
    services.payment_record(
        invoice=invoice,
        amount=amount,
        account=account,
        date=min(issued + timedelta(days=14), timezone.localdate()),
        method="card" if fraction != 1 else "bank_transfer",
        note=note,
        receipt=False,
    )
