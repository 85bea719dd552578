"""Recurring invoices (contract section 11): schedules, and the generator that issues their
invoices once per period, whatever happens.

Period n of a schedule is dated `start_date + n × interval × frequency`, counted from the
start date every time (never from the previous period), with `dateutil.relativedelta`: a
monthly schedule from 31 January issues on 31 January, 28/29 February, 31 March, 30 April …
and one from 29 February yearly on 28 February in common years and 29 February in leap years.

The generator (`recurring_invoices_generate`) issues, for every active schedule, one invoice
per period date up to and including the day it runs for: missed periods each once (dated
their own period date), never a future one. Guarantees:

- once per period: `Invoice(recurring_invoice, period_date)` is unique in the database, and a
  schedule's row is locked (`SELECT … FOR UPDATE SKIP LOCKED`) while its invoices are issued,
  so a re-run or two workers at once issue nothing twice; a worker skips the schedules another
  one holds, which is how two processes share a day's work;
- bulk: a chunk of schedules is issued with one numbering lock per year, one INSERT of
  invoices, one of lines, one of audit entries and one per event type;
- isolation: a schedule that cannot be issued (closed books, a date outside the business
  window, a database error) is logged and skipped; the rest of its chunk is retried one
  schedule at a time, each in its own savepoint, so one bad schedule never stops the others.
"""

import logging
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from dateutil.relativedelta import relativedelta
from django.conf import settings
from django.db import connections
from django.db.models import Prefetch
from django.utils import timezone

from audit.changes import diff_fields, snapshot
from audit.services import audit_record, audit_record_each
from billing import numbering
from billing.documents import line_inputs, lines_build, lines_store, period_check, totals_apply
from billing.events import invoice_payloads, recurring_invoice_payload
from billing.models import (
    Invoice,
    InvoiceItem,
    InvoiceStatus,
    RecurringFrequency,
    RecurringInvoice,
    RecurringInvoiceItem,
    RecurringRun,
    RecurringStatus,
)
from billing.sending import invoice_send
from billing.services import BILLING_DETAIL_FIELDS, _line_view, _rate, _state
from core.books import books_closed_through, closed_message
from core.currencies import currency_check, rate_check
from core.db import atomic, current_alias
from core.errors import ConflictError, DomainValidationError
from core.fields import business_dates_check
from core.hooks import money_moved
from core.money import ZERO, to_cents
from customers.models import Customer
from webhooks.services import event_publish, events_publish_many

logger = logging.getLogger("ledgerline.billing")

MAX_INTERVAL = 100
MAX_DUE_DAYS = 365
CHUNK_SIZE = 100
END_BEFORE_START = "End date cannot be before the start date."
FROZEN_SCHEDULE = (
    "This schedule has issued invoices: its customer, start_date, frequency and interval "
    "are fixed. Set an end_date and create a new schedule instead."
)
_MONTHS = {
    RecurringFrequency.MONTHLY: 1,
    RecurringFrequency.QUARTERLY: 3,
    RecurringFrequency.YEARLY: 12,
}


class _Unset:
    def __repr__(self) -> str:
        return "UNSET"


# `end_date=None` removes the end date; UNSET leaves it as it is.
UNSET = _Unset()


# --- period dates ---------------------------------------------------------------------------


def period_date(*, start_date: date, frequency: str, interval: int, n: int) -> date:
    """The date of period n (0 = the start date), always from the start date."""
    if frequency == RecurringFrequency.WEEKLY:
        return start_date + timedelta(weeks=n * interval)
    return start_date + relativedelta(months=n * interval * _MONTHS[frequency])


def _date_of(schedule: RecurringInvoice, n: int) -> date:
    return period_date(
        start_date=schedule.start_date,
        frequency=schedule.frequency,
        interval=schedule.interval,
        n=n,
    )


def _place(schedule: RecurringInvoice) -> None:
    """Sets `next_date` from `next_period`, and finishes the schedule when that date lies past
    its end date (or reopens a finished one whose end date moved past it)."""
    upcoming = _date_of(schedule, schedule.next_period)
    if schedule.end_date is not None and upcoming > schedule.end_date:
        schedule.status = RecurringStatus.FINISHED
        schedule.next_date = None
        return
    schedule.next_date = upcoming
    if schedule.status == RecurringStatus.FINISHED:
        schedule.status = RecurringStatus.ACTIVE


def due_periods(schedule: RecurringInvoice, *, through: date) -> list[tuple[int, date]]:
    """The periods (n, date) not issued yet and dated on or before `through` (and the end
    date): what a run for `through` issues."""
    periods = []
    n = schedule.next_period
    while True:
        day = _date_of(schedule, n)
        if day > through or (schedule.end_date is not None and day > schedule.end_date):
            return periods
        periods.append((n, day))
        n += 1


# --- building invoices ----------------------------------------------------------------------


def _schedule_items(schedule: RecurringInvoice) -> list[dict]:
    # `.all()`: the generator prefetched the items with their products.
    return line_inputs(schedule.items.all())


def _invoice_build(
    schedule: RecurringInvoice, *, on: date, closed_through: date | None
) -> tuple[Invoice, list[dict]]:
    """The issued invoice of the period dated `on`, unsaved and unnumbered, with its line rows
    (raises what `invoice_create` would: a date outside the business window, closed books)."""
    due = on + timedelta(days=schedule.due_days)
    business_dates_check(date=on, due_date=due)
    if closed_through is not None and on <= closed_through:
        raise ConflictError(closed_message(closed_through))
    customer = schedule.customer
    invoice = Invoice(
        customer=customer,
        date=on,
        due_date=due,
        discount=schedule.discount,
        notes=schedule.notes,
        currency=schedule.currency,
        exchange_rate=schedule.exchange_rate
        or _rate(currency=schedule.currency, on=on, given=None),
        status=InvoiceStatus.UNPAID,
        recurring_invoice=schedule,
        period_date=on,
        billing_details={name: getattr(customer, name) for name in BILLING_DETAIL_FIELDS},
    )
    lines = lines_build(items=_schedule_items(schedule))
    totals_apply(invoice, lines)
    invoice.amount_paid = invoice.amount_credited = ZERO
    invoice.balance_due = invoice.total
    return invoice, lines


def recurring_invoice_preview(*, recurring_invoice: RecurringInvoice) -> Invoice:
    """The next invoice the schedule will issue, as it would be issued today, unsaved: no id
    and no number yet (a finished schedule issues none: 409). Its lines are in
    `preview_items` (an unsaved invoice has no `items` manager)."""
    schedule = recurring_invoice
    if schedule.status == RecurringStatus.FINISHED or schedule.next_date is None:
        raise ConflictError("This schedule is finished: it issues no more invoices.")
    invoice, lines = _invoice_build(schedule, on=schedule.next_date, closed_through=None)
    invoice.issued_at = None
    items = [InvoiceItem(invoice=invoice, **line) for line in lines]
    invoice.preview_items = items
    return invoice


# --- schedules ------------------------------------------------------------------------------


def _audit(action: str, schedule: RecurringInvoice, changes: dict) -> None:
    audit_record(
        action=action, resource="recurring_invoice", resource_id=schedule.pk, changes=changes
    )


def _schedule_state(schedule: RecurringInvoice, lines=None) -> dict:
    values = snapshot(schedule)
    if lines is not None:
        values["items"] = [_line_view(line) for line in lines]
    return values


def _check(
    *, frequency: str, interval: int, start_date: date, end_date: date | None, due_days: int
) -> None:
    errors = {}
    if frequency not in RecurringFrequency.values:
        errors["frequency"] = "Frequency must be weekly, monthly, quarterly or yearly."
    if not 1 <= interval <= MAX_INTERVAL:
        errors["interval"] = f"Interval must be a whole number from 1 to {MAX_INTERVAL}."
    if not 0 <= due_days <= MAX_DUE_DAYS:
        errors["due_days"] = f"Due days must be a whole number from 0 to {MAX_DUE_DAYS}."
    if errors:
        raise DomainValidationError(errors)
    business_dates_check(start_date=start_date, end_date=end_date)
    if end_date is not None:
        period_check(start=start_date, end=end_date, field="end_date", message=END_BEFORE_START)


def recurring_invoice_create(
    *,
    customer: Customer,
    items: list[dict],
    frequency: str,
    start_date: date,
    interval: int = 1,
    end_date: date | None = None,
    due_days: int = 30,
    auto_send: bool = False,
    discount: Decimal = ZERO,
    notes: str = "",
    currency: str | None = None,
    exchange_rate: Decimal | None = None,
) -> RecurringInvoice:
    """Creates an active schedule whose first invoice is dated `start_date` (a start date in
    the past is billed from then: the next run issues each period since, once). Lines and
    discount are validated like an invoice's; its totals are those of each invoice it
    issues. Announces `recurring_invoice.created`."""
    _check(
        frequency=frequency,
        interval=interval,
        start_date=start_date,
        end_date=end_date,
        due_days=due_days,
    )
    currency = currency_check(currency) or customer.currency
    exchange_rate = rate_check(exchange_rate, currency=currency)
    lines = lines_build(items=items)
    with atomic():
        schedule = RecurringInvoice(
            customer=customer,
            frequency=frequency,
            interval=interval,
            start_date=start_date,
            end_date=end_date,
            due_days=due_days,
            auto_send=auto_send,
            currency=currency,
            exchange_rate=exchange_rate,
            discount=to_cents(discount or ZERO),
            notes=notes or "",
            status=RecurringStatus.ACTIVE,
            next_period=0,
        )
        totals_apply(schedule, lines)
        _place(schedule)
        schedule.save()
        lines_store(schedule, lines)
        created = diff_fields({}, _schedule_state(schedule, lines))
        _audit("recurring_invoice.created", schedule, created)
        event_publish(
            event_type="recurring_invoice.created", data=recurring_invoice_payload(schedule)
        )
    return schedule


def _lock(schedule: RecurringInvoice) -> RecurringInvoice:
    return RecurringInvoice.objects.select_for_update().get(pk=schedule.pk)


def recurring_invoice_update(
    *,
    recurring_invoice: RecurringInvoice,
    customer: Customer | None = None,
    items: list[dict] | None = None,
    frequency: str | None = None,
    interval: int | None = None,
    start_date: date | None = None,
    end_date: date | None | _Unset = UNSET,
    due_days: int | None = None,
    auto_send: bool | None = None,
    discount: Decimal | None = None,
    notes: str | None = None,
    currency: str | None = None,
    exchange_rate: Decimal | None = None,
) -> RecurringInvoice:
    """Applies the arguments given (None: unchanged; `end_date=None` removes the end date;
    `items` replaces all lines). Changes apply to the invoices issued from now on; issued ones
    keep theirs. Once the schedule has issued an invoice its customer, start date, frequency
    and interval are fixed (409), and its end date cannot move before the last issued period
    (400). Moving the end date before the next period finishes the schedule; moving a
    finished schedule's end date past it makes it active again. Announces
    `recurring_invoice.updated`."""
    currency = currency_check(currency)
    lines = lines_build(items=items) if items is not None else None
    with atomic():
        schedule = _lock(recurring_invoice)
        current = list(schedule.items.all())
        before = _schedule_state(schedule, current)
        changes = {
            "customer_id": customer is not None and customer.pk != schedule.customer_id,
            "frequency": frequency is not None and frequency != schedule.frequency,
            "interval": interval is not None and interval != schedule.interval,
            "start_date": start_date is not None and start_date != schedule.start_date,
        }
        if schedule.next_period > 0 and any(changes.values()):
            raise ConflictError(FROZEN_SCHEDULE)
        new_end = schedule.end_date if isinstance(end_date, _Unset) else end_date
        _check(
            frequency=frequency or schedule.frequency,
            interval=schedule.interval if interval is None else interval,
            start_date=start_date or schedule.start_date,
            end_date=new_end,
            due_days=schedule.due_days if due_days is None else due_days,
        )
        if schedule.next_period > 0 and new_end is not None:
            last = _date_of(schedule, schedule.next_period - 1)
            if new_end < last:
                raise DomainValidationError(
                    {
                        "end_date": "End date cannot be before the last period already "
                        f"invoiced ({last.isoformat()})."
                    }
                )
        if customer is not None:
            schedule.customer = customer
        for name, value in (
            ("frequency", frequency),
            ("interval", interval),
            ("start_date", start_date),
            ("due_days", due_days),
            ("auto_send", auto_send),
            ("notes", notes),
            ("currency", currency),
        ):
            if value is not None:
                setattr(schedule, name, value)
        if exchange_rate is not None or currency is not None:
            # A new currency drops a fixed rate given for the old one.
            schedule.exchange_rate = rate_check(exchange_rate, currency=schedule.currency)
        schedule.end_date = new_end
        if discount is not None:
            schedule.discount = to_cents(discount)
        if lines is None and discount is not None:
            # A new discount changes every line's share and tax: the lines are rewritten.
            lines = [
                {
                    "product": line.product,
                    "description": line.description,
                    "amount": line.amount,
                    "qty": line.qty,
                    "tax_rate": line.tax_rate,
                    "line_subtotal": line.line_subtotal,
                    "line_discount": ZERO,
                    "line_tax": ZERO,
                    "position": line.position,
                }
                for line in current
            ]
        if lines is not None:
            totals_apply(schedule, lines)
            lines_store(schedule, lines, replace=True)
        _place(schedule)
        schedule.save()
        after = _schedule_state(schedule, lines if lines is not None else current)
        _audit("recurring_invoice.updated", schedule, diff_fields(before, after))
        event_publish(
            event_type="recurring_invoice.updated", data=recurring_invoice_payload(schedule)
        )
    return schedule


def recurring_invoice_delete(*, recurring_invoice: RecurringInvoice) -> None:
    """Deletes the schedule; the invoices it issued stay, with `recurring_invoice_id` null.
    Announces `recurring_invoice.deleted` with the schedule as it was."""
    with atomic():
        schedule = _lock(recurring_invoice)
        pk = schedule.pk
        before = _schedule_state(schedule, schedule.items.all())
        payload = recurring_invoice_payload(schedule)
        schedule.delete()
        audit_record(
            action="recurring_invoice.deleted",
            resource="recurring_invoice",
            resource_id=pk,
            changes=diff_fields(before, {}),
        )
        event_publish(event_type="recurring_invoice.deleted", data=payload)


def recurring_invoice_pause(*, recurring_invoice: RecurringInvoice) -> RecurringInvoice:
    """Stops issuing until resumed (only an active schedule: else 409). Announces
    `recurring_invoice.updated`."""
    with atomic():
        schedule = _lock(recurring_invoice)
        if schedule.status != RecurringStatus.ACTIVE:
            raise ConflictError(
                f"Only an active schedule can be paused; this one is {schedule.status}."
            )
        before = snapshot(schedule)
        schedule.status = RecurringStatus.PAUSED
        schedule.save(update_fields=["status", "updated_at"])
        _audit("recurring_invoice.paused", schedule, diff_fields(before, snapshot(schedule)))
        event_publish(
            event_type="recurring_invoice.updated", data=recurring_invoice_payload(schedule)
        )
    return schedule


def recurring_invoice_resume(
    *, recurring_invoice: RecurringInvoice, today: date | None = None
) -> RecurringInvoice:
    """Makes a paused schedule active again (else 409). Periods dated while it was paused,
    before today, are skipped, not billed: the next invoice is the first period from today on
    (the schedule finishes if that lies past its end date). Announces
    `recurring_invoice.updated`."""
    today = today or timezone.localdate()
    with atomic():
        schedule = _lock(recurring_invoice)
        if schedule.status != RecurringStatus.PAUSED:
            raise ConflictError(
                f"Only a paused schedule can be resumed; this one is {schedule.status}."
            )
        before = snapshot(schedule)
        schedule.status = RecurringStatus.ACTIVE
        while _date_of(schedule, schedule.next_period) < today:
            schedule.next_period += 1
        _place(schedule)
        schedule.save()
        _audit("recurring_invoice.resumed", schedule, diff_fields(before, snapshot(schedule)))
        event_publish(
            event_type="recurring_invoice.updated", data=recurring_invoice_payload(schedule)
        )
    return schedule


# --- the generator --------------------------------------------------------------------------


@dataclass
class RecurringGeneration:
    """What one generator run did, for the command's summary and the task's log."""

    on_date: date
    issued: list[str] = field(default_factory=list)  # invoice numbers
    schedules: int = 0  # schedules that issued at least one invoice
    finished: int = 0  # schedules that reached their end date
    sent: int = 0
    not_sent: list[str] = field(default_factory=list)  # "INV-… (why)"
    failed: list[str] = field(default_factory=list)  # "schedule #12: why"

    def merge(self, part: "RecurringGeneration") -> None:
        """Adds what a committed part of the run did (a rolled-back part is dropped)."""
        self.issued.extend(part.issued)
        self.schedules += part.schedules
        self.finished += part.finished
        self.sent += part.sent
        self.not_sent.extend(part.not_sent)
        self.failed.extend(part.failed)


def _due_schedules(*, on_date: date, after_pk: int, limit: int, pk: int | None = None):
    wanted = {"pk": pk} if pk is not None else {"pk__gt": after_pk}
    return list(
        RecurringInvoice.objects.select_for_update(skip_locked=True, of=("self",))
        .select_related("customer")
        .prefetch_related(
            Prefetch(
                "items",
                queryset=RecurringInvoiceItem.objects.select_related("product").order_by(
                    "position", "id"
                ),
            )
        )
        .filter(status=RecurringStatus.ACTIVE, next_date__lte=on_date, **wanted)
        .order_by("pk")[:limit]
    )


def _issue(schedules: list[RecurringInvoice], *, on_date: date, run: RecurringGeneration) -> None:
    """Issues every due period of the (locked) schedules in one go. A schedule whose invoices
    cannot be built is logged and left as it is; a database error propagates (the caller
    retries one schedule at a time)."""
    closed_through = books_closed_through()
    built: list[tuple[RecurringInvoice, int, Invoice, list[dict]]] = []
    for schedule in schedules:
        try:
            periods = due_periods(schedule, through=on_date)
            rows = []
            for n, day in periods:
                invoice, lines = _invoice_build(schedule, on=day, closed_through=closed_through)
                rows.append((schedule, n, invoice, lines))
        except (DomainValidationError, ConflictError) as exc:
            message = f"schedule #{schedule.pk}: {_reason(exc)}"
            logger.warning("recurring invoice not issued, %s", message)
            run.failed.append(message)
            continue
        built.extend(rows)
    if not built:
        return

    # Numbers in date order within each year, the counters locked in year order.
    built.sort(key=lambda row: (row[2].date, row[0].pk, row[1]))
    now = timezone.now()
    by_year: dict[int, list[Invoice]] = defaultdict(list)
    for _, _, invoice, _ in built:
        by_year[invoice.date.year].append(invoice)
    for year in sorted(by_year):
        numbers = numbering.numbers_take(
            kind=numbering.INVOICE, year=year, count=len(by_year[year])
        )
        for invoice, number in zip(by_year[year], numbers, strict=True):
            invoice.invoice_number = number
            invoice.issued_at = now
    invoices = Invoice.objects.bulk_create([row[2] for row in built])
    items = []
    for (_, _, _, lines), saved in zip(built, invoices, strict=True):
        rows = [InvoiceItem(invoice=saved, **line) for line in lines]
        saved._prefetched_objects_cache = {"items": rows}
        items.extend(rows)
    InvoiceItem.objects.bulk_create(items)

    payloads = invoice_payloads(invoices)
    entries = [
        ("invoice.created", "invoice", invoice.pk, diff_fields({}, _state(invoice, lines)))
        for (_, _, invoice, lines) in built
    ]
    events_publish_many(event_type="invoice.created", items=payloads)
    events_publish_many(event_type="invoice.issued", items=payloads)

    touched: dict[int, RecurringInvoice] = {}
    befores: dict[int, dict] = {}
    for schedule, n, invoice, _ in built:
        if schedule.pk not in touched:
            touched[schedule.pk] = schedule
            befores[schedule.pk] = snapshot(schedule, PROGRESS_FIELDS)
        schedule.next_period = n + 1
        schedule.invoices_count += 1
        schedule.last_invoice = invoice
    for schedule in touched.values():
        _place(schedule)
        schedule.updated_at = now
        if schedule.status == RecurringStatus.FINISHED:
            run.finished += 1
    _progress_save(list(touched.values()))
    # The invoices' and the schedules' entries in one INSERT: the chunk is one write.
    audit_record_each(
        entries=[
            *entries,
            *(
                (
                    "recurring_invoice.invoiced",
                    "recurring_invoice",
                    pk,
                    diff_fields(befores[pk], snapshot(schedule, PROGRESS_FIELDS)),
                )
                for pk, schedule in touched.items()
            ),
        ]
    )
    money_moved(dates=sorted({invoice.date for invoice in invoices}))
    run.schedules += len(touched)
    run.issued.extend(invoice.invoice_number for invoice in invoices)

    for schedule, _, invoice, _ in built:
        if not schedule.auto_send:
            continue
        try:
            with atomic():
                invoice_send(invoice=invoice)
            run.sent += 1
        except (DomainValidationError, ConflictError) as exc:
            # The invoice stands; only the email is missing (no address, sending disabled).
            run.not_sent.append(f"{invoice.invoice_number} ({_reason(exc)})")


PROGRESS_FIELDS = ["next_period", "next_date", "status", "invoices_count", "last_invoice"]


def _progress_save(schedules: list[RecurringInvoice]) -> None:
    """Writes the schedules' progress in one statement. On PostgreSQL an `UPDATE … FROM
    (VALUES …)`: Django's `bulk_update` builds a CASE per column and row, which cost more
    than the invoices' own INSERT."""
    connection = connections[current_alias()]
    if connection.vendor != "postgresql":
        RecurringInvoice.objects.bulk_update(schedules, [*PROGRESS_FIELDS, "updated_at"])
        return
    table = RecurringInvoice._meta.db_table
    rows = ", ".join(["(%s, %s, %s::date, %s, %s, %s, %s::timestamptz)"] * len(schedules))
    params = []
    for s in schedules:
        params += [
            s.pk, s.next_period, s.next_date, s.status, s.invoices_count, s.last_invoice_id,
            s.updated_at,
        ]  # fmt: skip
    # Only the table name and the placeholders are formatted in; every value is a parameter.
    sql = (
        f"UPDATE {table} AS r SET next_period = v.next_period, next_date = v.next_date, "  # noqa: S608
        "status = v.status, invoices_count = v.invoices_count, "
        "last_invoice_id = v.last_invoice_id, updated_at = v.updated_at "
        f"FROM (VALUES {rows}) AS v(id, next_period, next_date, status, invoices_count, "
        "last_invoice_id, updated_at) WHERE r.id = v.id"
    )
    with connection.cursor() as cursor:
        cursor.execute(
            sql,
            params,
        )


def _reason(exc: Exception) -> str:
    errors = getattr(exc, "errors", None)
    if isinstance(errors, dict) and errors:
        return "; ".join(str(value) for value in errors.values())
    return str(exc)


def _issue_one_by_one(pks: list[int], *, on_date: date, run: RecurringGeneration) -> None:
    for pk in pks:
        try:
            with atomic():
                schedules = _due_schedules(on_date=on_date, after_pk=0, limit=1, pk=pk)
                part = RecurringGeneration(on_date=on_date)
                _issue(schedules, on_date=on_date, run=part)
            run.merge(part)
        except Exception as exc:
            logger.exception("recurring invoice schedule #%s failed", pk)
            run.failed.append(f"schedule #{pk}: {type(exc).__name__}")


def recurring_invoices_generate(
    *, on_date: date, chunk_size: int = CHUNK_SIZE
) -> RecurringGeneration:
    """Issues every active schedule's invoices due on or before `on_date` (see the module's
    docstring for the guarantees), then records the run for `/health`. Safe to re-run and to
    run in several processes at once: each takes the schedules no other one holds."""
    run = RecurringGeneration(on_date=on_date)
    after = 0
    while True:
        with atomic():
            schedules = _due_schedules(on_date=on_date, after_pk=after, limit=chunk_size)
            if not schedules:
                break
            after = schedules[-1].pk
            pks = [schedule.pk for schedule in schedules]
            part = RecurringGeneration(on_date=on_date)
            try:
                with atomic():
                    _issue(schedules, on_date=on_date, run=part)
                run.merge(part)
                failed_chunk = False
            except Exception:
                logger.warning("recurring invoice chunk failed; retrying one by one", exc_info=True)
                failed_chunk = True
        if failed_chunk:
            _issue_one_by_one(pks, on_date=on_date, run=run)
    run_record(run=run)
    return run


def run_record(*, run: RecurringGeneration) -> RecurringRun:
    """Records a finished generator run (the latest one wins), for `/health`."""
    with atomic():
        RecurringRun.objects.bulk_create(
            [
                RecurringRun(
                    pk=RecurringRun.SINGLETON, finished_at=timezone.now(), on_date=run.on_date
                )
            ],
            ignore_conflicts=True,
        )
        record = RecurringRun.objects.select_for_update().get(pk=RecurringRun.SINGLETON)
        record.finished_at = timezone.now()
        record.on_date = run.on_date
        record.issued = len(run.issued)
        record.failed = len(run.failed)
        record.save()
    return record


def last_run() -> RecurringRun | None:
    return RecurringRun.objects.filter(pk=RecurringRun.SINGLETON).first()


def generator_health() -> tuple[bool, dict]:
    """For `/health`: stale (not ok) when active schedules exist and the generator has not
    finished a run for more than `RECURRING_INVOICES_STALE_HOURS` (default 25: a daily job
    plus an hour of slack), or has never run while a schedule has waited that long."""
    limit = timedelta(hours=settings.RECURRING_INVOICES_STALE_HOURS)
    now = timezone.now()
    record = last_run()
    detail = {
        "last_run_at": record.finished_at.isoformat().replace("+00:00", "Z") if record else None,
        "last_run_for": record.on_date.isoformat() if record else None,
        "issued": record.issued if record else 0,
        "failed": record.failed if record else 0,
    }
    if record is not None and now - record.finished_at <= limit:
        return True, detail
    waiting = RecurringInvoice.objects.filter(status=RecurringStatus.ACTIVE)
    if record is None:
        waiting = waiting.filter(created_at__lt=now - limit)
    return not waiting.exists(), detail
