import argparse
from datetime import date

from django.core.management.base import BaseCommand, CommandError

from audit.services import books_update
from core.actor import Actor, acting_as
from core.admin import error_text
from core.errors import DomainError


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a YYYY-MM-DD date: {value!r}") from None


class Command(BaseCommand):
    help = (
        "Closes the books through a date (writes dated on or before it are refused), or "
        "reopens them with --open. Audited as the system (command:close_books)."
    )

    def add_arguments(self, parser):
        which = parser.add_mutually_exclusive_group(required=True)
        which.add_argument("--through", type=_day, metavar="YYYY-MM-DD")
        which.add_argument("--open", action="store_true", help="Reopen every period.")

    def handle(self, *args, through: date | None = None, open: bool = False, **options):
        with acting_as(Actor.system("command:close_books")):
            try:
                books = books_update(closed_through=None if open else through)
            except DomainError as exc:
                raise CommandError(error_text(exc)) from None
        if books.closed_through is None:
            self.stdout.write("Books open: no period is closed.")
        else:
            self.stdout.write(f"Books closed through {books.closed_through.isoformat()}.")
