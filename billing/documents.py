"""What invoices, quotes and credit notes share: their lines, their totals and their
discount. One helper for all of them, so a rule about lines (a product fills in what a line
leaves out, amounts are rounded half-up per line, the discount is shared over the lines before
tax and never exceeds the subtotal) is written once.

Nothing here saves the document itself; `lines_store` writes its lines after it is saved."""

from dataclasses import dataclass
from decimal import Decimal

from billing.models import CreditNote, Invoice, LineItem, Product, Quote
from billing.totals import document_totals, lines_with_discount
from core.errors import DomainValidationError
from core.fields import AMOUNT_POSITIVE
from core.money import ZERO, to_cents

Document = Invoice | Quote | CreditNote


def lines_build(*, items: list[dict], path: str = "items") -> list[dict]:
    """Validates and completes item inputs: a line with a `product` takes the product's name,
    price and tax rate for whatever it does not give itself. Returns the line rows with their
    rounded subtotals (their discount share and tax come from `totals_apply`); raises one
    DomainValidationError listing every bad item field."""
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
        lines.append(
            {
                "product": product,
                "description": description,
                "amount": amount,
                "qty": qty,
                "tax_rate": Decimal(tax_rate),
                "line_subtotal": to_cents(qty * amount),
                "line_discount": ZERO,
                "line_tax": ZERO,
                "position": index,
            }
        )
    if errors:
        raise DomainValidationError(errors)
    return lines


def line_inputs(items) -> list[dict]:
    """Stored line rows as item inputs (for `lines_build`)."""
    return [
        {
            "product": item.product,
            "description": item.description,
            "amount": item.amount,
            "qty": item.qty,
            "tax_rate": item.tax_rate,
        }
        for item in items
    ]


def lines_of(document: Document) -> list[dict]:
    """A stored document's lines as item inputs (a quote's lines become its invoice's)."""
    return line_inputs(document.items.select_related("product"))


def _line_key(line: LineItem | dict) -> tuple:
    if isinstance(line, dict):
        product = line["product"]
        values = (product.pk if product is not None else None, line["description"])
        numbers = (line["amount"], line["qty"], line["tax_rate"])
    else:
        values = (line.product_id, line.description)
        numbers = (line.amount, line.qty, line.tax_rate)
    return values + tuple(Decimal(n).normalize() for n in numbers)


def _stored_lines(items: list[LineItem]) -> list[dict]:
    """Stored lines as line rows, to recompute their discount shares and tax."""
    return [
        {
            "product": item.product,
            "description": item.description,
            "amount": item.amount,
            "qty": item.qty,
            "tax_rate": item.tax_rate,
            "line_subtotal": item.line_subtotal,
            "line_discount": item.line_discount,
            "line_tax": item.line_tax,
            "position": item.position,
        }
        for item in items
    ]


def totals_apply(document: Document, lines: list[dict]) -> None:
    """Shares the document's discount over `lines` (written into each row's `line_discount`
    and `line_tax`) and sets subtotal, tax and total; a discount above the subtotal is a 400
    on `discount`. A credit note has no discount."""
    discount = to_cents(getattr(document, "discount", ZERO))
    subtotal = sum((line["line_subtotal"] for line in lines), ZERO)
    if discount > subtotal:
        raise DomainValidationError(
            {"discount": f"Discount cannot be more than the subtotal ({subtotal})."}
        )
    parts = lines_with_discount(
        lines=[(line["line_subtotal"], line["tax_rate"]) for line in lines], discount=discount
    )
    for line, part in zip(lines, parts, strict=True):
        line["line_discount"], line["line_tax"] = part.discount, part.tax
    totals = document_totals(lines=parts)
    document.subtotal = totals.subtotal
    if hasattr(document, "discount"):
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
    if discount is not None and lines is None:
        # A new discount changes every line's share and tax: the lines are rewritten.
        lines = _stored_lines(current)
    return Revision(current=current, lines=lines, discount=discount)


def revision_apply(document: Document, revision: Revision, *, notes: str | None) -> None:
    """Applies the revision and `notes` (None: unchanged) to the unsaved document. Totals are
    recomputed only when the money changes, so stored figures otherwise stay as they are."""
    if notes is not None:
        document.notes = notes
    if revision.discount is not None:
        document.discount = revision.discount
    if revision.changes_money:
        totals_apply(document, revision.lines)


def lines_store(document: Document, lines: list[dict] | None, *, replace: bool = False) -> None:
    """Writes the document's lines (after the document is saved); `replace` drops the old."""
    if lines is None:
        return
    items = document.items
    if replace:
        items.all().delete()
    link = items.field.name  # `invoice`, `quote` or `credit_note`
    items.model.objects.bulk_create([items.model(**{link: document}, **line) for line in lines])


def period_check(*, start, end, field: str, message: str) -> None:
    """A document's second date (due date, valid until) is never before its date."""
    if end < start:
        raise DomainValidationError({field: message})
