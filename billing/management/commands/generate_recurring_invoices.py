from django.core.management.base import BaseCommand
from django.utils import timezone

from billing.recurring import recurring_invoices_generate
from core.actor import Actor, acting_as
from core.command_arguments import checked_database, checked_date
from core.db import LIVE, using_alias


class Command(BaseCommand):
    help = (
        "Issue the recurring invoices due on or before a day (default today): for every active "
        "schedule, one invoice per period date not issued yet, never a future one. Safe to "
        "re-run, and to run beside the daily beat job or another copy of itself: each "
        "(schedule, period) is issued once. A schedule with a period in closed books is "
        "skipped and listed as failed. Audited as the system "
        "(command:generate_recurring_invoices)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day to run for, YYYY-MM-DD (default today)")
        parser.add_argument("--database", default=LIVE, help="default (live) or sandbox")

    def handle(self, *args, date=None, database=LIVE, **options):
        on = checked_date(date) if date else timezone.localdate()
        with (
            using_alias(checked_database(database)),
            acting_as(Actor.system("command:generate_recurring_invoices")),
        ):
            run = recurring_invoices_generate(on_date=on)
        verbose = options.get("verbosity", 1) > 1
        if verbose:
            for number in run.issued:
                self.stdout.write(f"Issued: {number}")
        for entry in run.not_sent:
            self.stdout.write(f"Not sent: {entry}")
        for entry in run.failed:
            self.stdout.write(f"Failed: {entry}")
        self.stdout.write(
            f"Recurring invoices for {on.isoformat()}: {len(run.issued)} issued from "
            f"{run.schedules} schedules, {run.sent} sent, {run.finished} schedules finished, "
            f"{len(run.failed)} failed."
        )
