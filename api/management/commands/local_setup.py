import io

from django.core.management import call_command
from django.core.management.base import BaseCommand

from core.command_arguments import checked_email


class Command(BaseCommand):
    help = (
        "What `make run` does before serving, in one process (each manage.py start costs "
        "seconds): migrate the live and sandbox databases, load the demo data where missing, "
        "make sure of the administrator, and print a key that replaces the previous one of "
        "--key-name. Safe to re-run with data in place (docs/operations.md)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--admin-email", default="owner@ledgerline.local")
        parser.add_argument("--key-name", default="make run")

    def handle(self, *args, admin_email, key_name, **options):
        admin_email = checked_email(admin_email)
        self.stdout.write("Migrating the local databases...")
        for database in ("default", "sandbox"):
            call_command("migrate", interactive=False, verbosity=0, database=database)
        for database in ("default", "sandbox"):
            call_command("seed_demo", database=database, stdout=self.stdout)
        self.stdout.write("-" * 66)
        out = io.StringIO()
        call_command("ensure_admin", email=admin_email, stdout=out)
        self.stdout.write(out.getvalue().strip().splitlines()[-1])
        out = io.StringIO()
        call_command("create_api_key", email=admin_email, name=key_name, replace=True, stdout=out)
        self.stdout.write(f"API key (administrator; replaces the previous '{key_name}' key):")
        self.stdout.write(out.getvalue().strip().splitlines()[-1])
