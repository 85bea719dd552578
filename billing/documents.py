"""What invoices and quotes share: their lines, their totals and their discount. One helper
for both twins, so a rule about lines (a product fills in what a line leaves out, amounts are
rounded half-up per line, the discount never exceeds the subtotal) is written once.

Nothing here saves the document itself; `lines_store` writes its lines after it is saved."""

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from billing.models import Invoice, LineItem, Product, Quote
from billing.totals import LineAmounts, document_totals, line_amounts
from core.errors import DomainValidationError
from core.fields import AMOUNT_POSITIVE
from core.money import ZERO, to_cents

Document = Invoice | Quote


def lines_build(*, items: list[dict], path: str = "items") -> list[dict]:
    """Validates and completes item inputs: a line with a `product` takes the product's name,
    price and tax rate for whatever it does not give itself. Returns the line rows with their
    rounded amounts; raises one DomainValidationError listing every bad item field."""
    if not items:
        raise DomainValidationError({path: "Add at least one item."})
    errors: dict[str, str] = {}
    lines: list[dict] = []
    for index, item in enumerate(items):
        product: Product | None = item.get("product")
        description = (item.get("description") or "").strip() or (product.name if product else "")
        amount = item.get("amount")
        if amount is None and product is not None:
            amount = product.price
        tax_rate = item.get("tax_rate")
        if tax_rate is None:
            tax_rate = product.tax_rate if product is not None else ZERO
        qty = item.get("qty")
        qty = Decimal(1) if qty is None else Decimal(qty)
        where = f"{path}.{index}"
        if not description:
            errors[f"{where}.description"] = "This field is required."
        if amount is None:
            errors[f"{where}.amount"] = "This field is required."
        elif to_cents(amount) <= 0:
            errors[f"{where}.amount"] = AMOUNT_POSITIVE
        if qty <= 0:
            errors[f"{where}.qty"] = "Quantity must be greater than 0."
        if not ZERO <= Decimal(tax_rate) <= 100:
            errors[f"{where}.tax_rate"] = "Tax rate must be between 0 and 100."
        if any(key.startswith(where + ".") for key in errors):
            continue
        amount = to_cents(amount)
        parts = line_amounts(qty=qty, unit_price=amount, tax_rate=Decimal(tax_rate))
        lines.append(
            {
                "product": product,
                "description": description,
                "amount": amount,
                "qty": qty,
                "tax_rate": Decimal(tax_rate),
                "line_subtotal": parts.subtotal,
                "line_tax": parts.tax,
                "position": index,
            }
        )
    if errors:
        raise DomainValidationError(errors)
    return lines


def lines_of(document: Document) -> list[dict]:
    """A stored document's lines as item inputs (a quote's lines become its invoice's)."""
    return [
        {
            "product": item.product,
            "description": item.description,
            "amount": item.amount,
            "qty": item.qty,
            "tax_rate": item.tax_rate,
        }
        for item in document.items.select_related("product")
    ]


def _line_key(line: LineItem | dict) -> tuple:
    if isinstance(line, dict):
        product = line["product"]
        values = (product.pk if product is not None else None, line["description"])
        numbers = (line["amount"], line["qty"], line["tax_rate"])
    else:
        values = (line.product_id, line.description)
        numbers = (line.amount, line.qty, line.tax_rate)
    return values + tuple(Decimal(n).normalize() for n in numbers)


def _line_parts(line: LineItem | dict) -> LineAmounts:
    if isinstance(line, dict):
        return LineAmounts(line["line_subtotal"], line["line_tax"])
    return LineAmounts(line.line_subtotal, line.line_tax)


def totals_apply(document: Document, lines: Iterable[LineItem | dict]) -> None:
    """Sets subtotal, tax and total from the lines and the document's discount; a discount
    above the subtotal is a 400 on `discount`."""
    totals = document_totals(
        lines=[_line_parts(line) for line in lines], discount=document.discount
    )
    if totals.discount > totals.subtotal:
        raise DomainValidationError(
            {"discount": f"Discount cannot be more than the subtotal ({totals.subtotal})."}
        )
    document.subtotal = totals.subtotal
    document.discount = totals.discount
    document.tax = totals.tax
    document.total = totals.total


@dataclass(frozen=True)
class Revision:
    """What an edit changes in a document's money: new lines (None: unchanged) and a new
    discount (None: unchanged), compared with what is stored."""

    current: list[LineItem]
    lines: list[dict] | None
    discount: Decimal | None

    @property
    def changes_money(self) -> bool:
        return self.lines is not None or self.discount is not None


def revision_of(document: Document, *, lines: list[dict] | None, discount) -> Revision:
    current = list(document.items.all())
    if lines is not None and [_line_key(x) for x in current] == [_line_key(x) for x in lines]:
        lines = None
    if discount is not None:
        discount = to_cents(discount)
        if discount == document.discount:
            discount = None
    return Revision(current=current, lines=lines, discount=discount)


def revision_apply(document: Document, revision: Revision, *, notes: str | None) -> None:
    """Applies the revision and `notes` (None: unchanged) to the unsaved document."""
    if notes is not None:
        document.notes = notes
    if revision.discount is not None:
        document.discount = revision.discount
    totals_apply(document, revision.lines if revision.lines is not None else revision.current)


def lines_store(document: Document, lines: list[dict] | None, *, replace: bool = False) -> None:
    """Writes the document's lines (after the document is saved); `replace` drops the old."""
    if lines is None:
        return
    items = document.items
    if replace:
        items.all().delete()
    link = items.field.name  # `invoice` or `quote`
    items.model.objects.bulk_create([items.model(**{link: document}, **line) for line in lines])


def period_check(*, start, end, field: str, message: str) -> None:
    """A document's second date (due date, valid until) is never before its date."""
    if end < start:
        raise DomainValidationError({field: message})
