from decimal import ROUND_HALF_UP, Decimal

from django.db import migrations

CENT = Decimal("0.01")
OPEN_QUOTES = ("Draft", "Sent", "Accepted")


def _cents(value):
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _shares(subtotals, discount):
    # billing.totals.discount_shares as of this migration (copied: a migration must not
    # change meaning when the code it once used changes).
    total = sum(subtotals, Decimal(0))
    if discount <= 0 or total <= 0:
        return [Decimal("0.00") for _ in subtotals]
    shares = [_cents(discount * s / total) for s in subtotals]
    remainder = discount - sum(shares, Decimal(0))
    for i in sorted(range(len(subtotals)), key=lambda i: (-subtotals[i], i)):
        if remainder == 0:
            break
        up, down = subtotals[i] - shares[i], shares[i]
        step = min(remainder, up) if remainder > 0 else max(remainder, -down)
        shares[i] += step
        remainder -= step
    return shares


def _recompute(document):
    items = list(document.items.order_by("position", "id"))
    shares = _shares([item.line_subtotal for item in items], document.discount)
    for item, share in zip(items, shares, strict=True):
        item.line_discount = share
        item.line_tax = _cents((item.line_subtotal - share) * item.tax_rate / 100)
        item.save(update_fields=["line_discount", "line_tax"])
    document.tax = sum((item.line_tax for item in items), Decimal(0))
    document.total = document.subtotal - document.discount + document.tax


def forwards(apps, schema_editor):
    """Only what is not issued changes: drafts lose the number they took (it is retired, a gap
    left by the old rule), owe nothing, and (like open quotes) get their discount taken before
    tax. Issued invoices and converted quotes keep every stored figure; a cancelled invoice
    owes nothing."""
    Invoice = apps.get_model("billing", "Invoice")
    Quote = apps.get_model("billing", "Quote")
    db = schema_editor.connection.alias
    for invoice in Invoice.objects.using(db).filter(status="Draft"):
        if invoice.discount > 0:
            _recompute(invoice)
        invoice.invoice_number = None
        invoice.balance_due = Decimal("0.00")
        invoice.save(update_fields=["invoice_number", "tax", "total", "balance_due"])
    Invoice.objects.using(db).filter(status="Cancelled").update(balance_due=Decimal("0.00"))
    for quote in Quote.objects.using(db).filter(status__in=OPEN_QUOTES, discount__gt=0):
        _recompute(quote)
        quote.save(update_fields=["tax", "total"])
    Quote.objects.using(db).filter(status="Draft").update(quote_number=None)


class Migration(migrations.Migration):
    dependencies = [("billing", "0003_lifecycle_credit_notes")]

    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
