from django.core.management.base import BaseCommand

from core.actor import Actor, acting_as
from core.command_arguments import checked_database
from core.db import LIVE, using_alias
from webhooks.delivery import deliveries_drain


class Command(BaseCommand):
    help = (
        "Deliver every due webhook now, in this process (no worker or broker needed): fans out "
        "waiting events, then makes each due attempt once. Safe to run beside workers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default=LIVE, help="default (live) or sandbox")

    def handle(self, *args, **options):
        # Whatever it writes is recorded in the audit trail as this command's doing.
        with acting_as(Actor.system("command:deliver_webhooks")):
            self._handle(**options)

    def _handle(self, *, database, **options):
        database = checked_database(database)
        with using_alias(database):
            summary = deliveries_drain()
        self.stdout.write(
            f"Events fanned out: {summary.events_fanned_out}. "
            f"Attempts: {summary.attempts} ({summary.succeeded} succeeded, "
            f"{summary.retrying} will be retried, {summary.gave_up} gave up)."
        )
        if summary.endpoints_disabled:
            ids = ", ".join(str(pk) for pk in summary.endpoints_disabled)
            self.stdout.write(self.style.WARNING(f"Endpoints disabled: {ids}."))
