from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone

from billing.sending import reminders_send
from core.actor import Actor, acting_as
from core.command_arguments import checked_database, checked_date
from core.db import LIVE, using_alias
from mail.services import MAIL_DISABLED


class Command(BaseCommand):
    help = (
        "Queue the overdue-invoice reminders due on a day (default today): per open invoice, "
        "the latest INVOICE_REMINDER_DAYS step due and not yet sent. Safe to re-run, and to run "
        "beside the daily beat job: each (invoice, step) is sent at most once."
    )

    def add_arguments(self, parser):
        parser.add_argument("--date", help="the day to run for, YYYY-MM-DD (default today)")
        parser.add_argument("--database", default=LIVE, help="default (live) or sandbox")

    def handle(self, *args, date=None, database=LIVE, **options):
        on = checked_date(date) if date else timezone.localdate()
        with (
            using_alias(checked_database(database)),
            acting_as(Actor.system("command:send_reminders")),
        ):
            run = reminders_send(on=on)
        if not run.enabled:
            raise CommandError(MAIL_DISABLED)
        for entry in run.queued:
            self.stdout.write(f"Queued: {entry}")
        for number in run.no_email:
            self.stdout.write(f"Skipped: {number} (the customer has no email address)")
        self.stdout.write(
            f"Reminders for {on.isoformat()}: {len(run.queued)} queued, "
            f"{run.already_sent} already sent, {len(run.no_email)} without an email address, "
            f"{run.opted_out} opted out."
        )
