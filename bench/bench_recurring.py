"""Recurring invoice benchmark (run by hand; figures go in docs/performance.md).

N active schedules (default 10,000), all due today, are issued by two worker processes:

- `--mode worker` (default): a running `celery -A config worker --concurrency 2`; the clock
  starts when the daily beat task (`billing.tasks.generate_recurring_invoices`) is queued,
  which shares the day out to two tasks, and stops when the last invoice is committed;
- `--mode command`: two `manage.py generate_recurring_invoices` processes started together
  (their start-up, ~10-17 s on a loaded machine, counts).

Either way the two processes share the work through `SELECT … FOR UPDATE SKIP LOCKED`
(billing/recurring.py). The target: all of them in under 60 s. Then checks that every
schedule issued exactly one invoice and the numbers are gapless, and runs the command once
more (it must issue nothing).

Needs PostgreSQL and Redis and a database of its own, which it EMPTIES (`flush`):

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/ll_recurring \\
    SANDBOX_DATABASE_URL=postgres://postgres@127.0.0.1:5432/ll_recurring_sb \\
    REDIS_URL=redis://127.0.0.1:6379/1 .venv/bin/python bench/bench_recurring.py
"""

import argparse
import datetime
import os
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("SECRET_KEY", "bench-only-secret-key")
os.environ.setdefault("LOG_LEVEL", "WARNING")
os.environ.setdefault("LOG_FORMAT", "plain")

DAY = datetime.datetime.now(datetime.UTC).date()  # TIME_ZONE is UTC


def _setup(count: int) -> None:
    from django.core.management import call_command

    from billing.models import (
        RecurringInvoice,
        RecurringInvoiceItem,
        RecurringStatus,
    )
    from customers.models import Customer

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    customers = Customer.objects.bulk_create(
        [
            Customer(account=f"Retainer client {n}", email=f"client{n}@example.com")
            for n in range(count)
        ],
        batch_size=2000,
    )
    schedules = RecurringInvoice.objects.bulk_create(
        [
            RecurringInvoice(
                customer=customer,
                frequency="monthly",
                start_date=DAY,
                next_date=DAY,
                status=RecurringStatus.ACTIVE,
                subtotal=Decimal("150.00"),
                tax=Decimal("10.00"),
                total=Decimal("160.00"),
                notes="Monthly retainer",
            )
            for customer in customers
        ],
        batch_size=2000,
    )
    lines = []
    for schedule in schedules:
        lines.append(
            RecurringInvoiceItem(
                recurring_invoice=schedule,
                description="Retainer",
                amount=Decimal("100.00"),
                qty=1,
                tax_rate=Decimal("10"),
                line_subtotal=Decimal("100.00"),
                line_tax=Decimal("10.00"),
                position=0,
            )
        )
        lines.append(
            RecurringInvoiceItem(
                recurring_invoice=schedule,
                description="Hosting",
                amount=Decimal("50.00"),
                qty=1,
                tax_rate=Decimal("0"),
                line_subtotal=Decimal("50.00"),
                position=1,
            )
        )
    RecurringInvoiceItem.objects.bulk_create(lines, batch_size=5000)


def _generate(processes: int) -> tuple[float, list[str]]:
    command = [
        sys.executable,
        str(ROOT / "manage.py"),
        "generate_recurring_invoices",
        "--date",
        DAY.isoformat(),
    ]
    started = time.monotonic()
    running = [
        subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, text=True)
        for _ in range(processes)
    ]
    outputs = [process.communicate()[0].strip() for process in running]
    elapsed = time.monotonic() - started
    if any(process.returncode for process in running):
        raise SystemExit(f"a generator process failed: {outputs}")
    return elapsed, outputs


def _generate_by_workers(count: int) -> float:
    """Starts a Celery worker (two processes), queues the daily task, and times it until
    every invoice is committed."""
    from billing.models import Invoice
    from billing.tasks import generate_recurring_invoices

    command = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--concurrency",
        "2",
        "--without-mingle",
        "--without-gossip",
        "--loglevel=INFO",
    ]
    worker = subprocess.Popen(
        command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    try:
        for line in worker.stdout:
            if "ready." in line:
                break
        started = time.monotonic()
        generate_recurring_invoices.delay("default")
        invoices = Invoice.objects.filter(recurring_invoice__isnull=False)
        while invoices.count() < count:
            if time.monotonic() - started > 600:
                raise SystemExit("the workers did not finish within 10 minutes")
            time.sleep(0.2)
        return time.monotonic() - started
    finally:
        worker.terminate()
        worker.wait(timeout=60)


def _check(count: int) -> None:
    from django.db.models import Count

    from billing.models import Invoice

    invoices = Invoice.objects.filter(recurring_invoice__isnull=False)
    assert invoices.count() == count, invoices.count()
    doubles = (
        invoices.values("recurring_invoice", "period_date").annotate(n=Count("id")).filter(n__gt=1)
    )
    assert not doubles.exists()
    numbers = sorted(
        int(n.rsplit("-", 1)[1]) for n in invoices.values_list("invoice_number", flat=True)
    )
    assert numbers == list(range(1, count + 1)), "numbers are not gapless"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--schedules", type=int, default=10_000)
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--mode", choices=["worker", "command"], default="worker")
    args = parser.parse_args()

    import django

    django.setup()
    started = time.monotonic()
    _setup(args.schedules)
    print(f"setup: {args.schedules} schedules due {DAY} in {time.monotonic() - started:.1f} s")

    if args.mode == "worker":
        elapsed = _generate_by_workers(args.schedules)
        args.processes = 2
    else:
        elapsed, outputs = _generate(args.processes)
        for output in outputs:
            print(f"  {output.splitlines()[-1]}")
    _check(args.schedules)
    rate = args.schedules / elapsed
    print(
        f"{args.schedules} invoices issued by {args.processes} processes ({args.mode}) in "
        f"{elapsed:.1f} s "
        f"({rate:.0f} invoices/s); each schedule once, numbers gapless"
    )
    again, outputs = _generate(1)
    print(f"re-run: {outputs[0].splitlines()[-1]} ({again:.1f} s)")
    try:
        load = os.getloadavg()
        print(f"load average during the run: {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    except OSError:
        pass


if __name__ == "__main__":
    main()
