"""Gapless, unique document numbers: `INV-2024-001`, `QUO-2024-001`, `CN-2024-001`.

Numbers are taken when a document is issued (an invoice at issue, a quote when it leaves
Draft, a credit note when it is created), never by a draft, so each sequence counts issued
documents only.

One counter row per kind and year. The creating transaction inserts the row if it is missing
(`ON CONFLICT DO NOTHING`, so concurrent first creators do not fail), then locks it with
`SELECT ... FOR UPDATE` and increments it. Concurrent creators queue on that lock; a creator
whose transaction rolls back also rolls back its increment, so no number is skipped, and the
unique constraint on the document's number is the last line of defence against duplicates.
A deleted document's number is retired, never handed out again.
"""

from billing.models import DocumentCounter
from core.db import atomic

INVOICE = "INV"
QUOTE = "QUO"
CREDIT_NOTE = "CN"


def format_number(*, kind: str, year: int, sequence: int) -> str:
    # At least three digits; the 1000th document of a year is simply NNNN.
    return f"{kind}-{year}-{sequence:03d}"


def number_next(*, kind: str, year: int) -> str:
    """Takes the next number of `kind` for `year`. Must run inside the transaction that saves
    the document (the lock is held until that transaction ends)."""
    return numbers_take(kind=kind, year=year, count=1)[0]


def numbers_take(*, kind: str, year: int, count: int) -> list[str]:
    """Takes the next `count` numbers of `kind` for `year` at once, in order, with one lock and
    one write (the recurring invoice generator issues many invoices in one transaction). Same
    rules as `number_next`: the caller's transaction must save a document under each."""
    with atomic():
        DocumentCounter.objects.bulk_create(
            [DocumentCounter(kind=kind, year=year, last_number=0)], ignore_conflicts=True
        )
        counter = DocumentCounter.objects.select_for_update().get(kind=kind, year=year)
        first = counter.last_number + 1
        counter.last_number += count
        counter.save(update_fields=["last_number"])
    return [
        format_number(kind=kind, year=year, sequence=sequence)
        for sequence in range(first, first + count)
    ]
