from django.core.management.base import BaseCommand, CommandError

from core.command_arguments import checked_database
from core.db import LIVE, using_alias
from webhooks.delivery import attempts_prune


class Command(BaseCommand):
    help = "Delete webhook attempt logs older than --days N (deliveries keep their status)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, required=True)
        parser.add_argument("--database", default=LIVE, help="default (live) or sandbox")

    def handle(self, *args, days, database, **options):
        if days < 0:
            raise CommandError("--days must be 0 or more.")
        database = checked_database(database)
        with using_alias(database):
            deleted = attempts_prune(older_than_days=days)
        self.stdout.write(f"Deleted {deleted} webhook attempt(s) older than {days} day(s).")
