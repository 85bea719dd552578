from django.core.management.base import BaseCommand

from core.command_arguments import checked_database
from core.db import LIVE, using_alias
from reporting.services import rollups_rebuild


class Command(BaseCommand):
    help = (
        "Rebuild the monthly reporting roll-ups from the ledger and invoices. Safe to re-run "
        "at any time: every month is recomputed from source under its own lock."
    )

    def add_arguments(self, parser):
        parser.add_argument("--database", default=LIVE, help="default (live) or sandbox")

    def handle(self, *args, database, **options):
        database = checked_database(database)
        verbosity = options["verbosity"]

        def progress(month, index, total):
            if verbosity >= 1 and (index == total or index % 12 == 0 or verbosity >= 2):
                self.stdout.write(f"  [{index}/{total}] {month.year:04d}-{month.month:02d}")

        with using_alias(database):
            self.stdout.write(f"Rebuilding roll-ups in '{database}'...")
            summary = rollups_rebuild(progress=progress)
        self.stdout.write(
            self.style.SUCCESS(
                f"Rebuilt {summary.months} months: {summary.transactions} transactions, "
                f"income {summary.income:.2f}, expenses {summary.expenses:.2f}, "
                f"outstanding invoices {summary.outstanding:.2f}."
            )
        )
