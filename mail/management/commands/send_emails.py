from django.core.management.base import BaseCommand, CommandError

from core.actor import Actor, acting_as
from core.db import LIVE, using_alias
from mail.sending import emails_send_due
from mail.services import MAIL_DISABLED, mail_sending_enabled


class Command(BaseCommand):
    help = (
        "Send every due email now, in this process (no worker or broker needed): each queued "
        "message whose attempt is due is tried once. Safe to run beside workers."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default=LIVE, help="default (live) or sandbox")

    def handle(self, *args, database, **options):
        with using_alias(database), acting_as(Actor.system("command:send_emails")):
            if not mail_sending_enabled():
                raise CommandError(MAIL_DISABLED)
            summary = emails_send_due()
        self.stdout.write(
            f"Attempts: {summary.attempts} ({summary.sent} sent, "
            f"{summary.retrying} will be retried, {summary.failed} failed)."
        )
