import secrets

from django.core.management.base import BaseCommand, CommandError

from core.actor import Actor, acting_as
from core.command_arguments import checked_email
from core.errors import DomainValidationError
from users.models import Role, User
from users.services import user_create, user_update

# `make run`'s administrator. Not admin@example.com: the reference's own "Create User" example
# uses that address, and it must work on a fresh `make run` (docs/operations.md).
DEFAULT_EMAIL = "owner@ledgerline.local"


class Command(BaseCommand):
    help = (
        "Make sure an administrator EMAIL can log into the admin. Creates it with a new random "
        "password (printed once); an existing user is made an active administrator and keeps "
        "its password unless --password or --reset-password is given. Safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", default=DEFAULT_EMAIL)
        parser.add_argument("--password", default="", help="set this password")
        parser.add_argument(
            "--reset-password",
            action="store_true",
            help="give an existing user a new random password (printed)",
        )

    def handle(self, *args, **options):
        # Whatever it writes is recorded in the audit trail as this command's doing.
        with acting_as(Actor.system("command:ensure_admin")):
            self._handle(**options)

    def _handle(self, *, email, password, reset_password, **options):
        email = checked_email(email)
        user = User.objects.filter(email__iexact=email).first()
        try:
            if user is None:
                password = password or secrets.token_urlsafe(12)
                user = user_create(
                    email=email, name="Administrator", role=Role.ADMINISTRATOR, password=password
                )
            else:
                fields = {"role": Role.ADMINISTRATOR, "is_active": True}
                if password or reset_password:
                    password = password or secrets.token_urlsafe(12)
                    fields["password"] = password
                user = user_update(user=user, **fields)
        except DomainValidationError as exc:
            raise CommandError("; ".join(exc.errors.values())) from None
        if password:
            self.stdout.write(f"Admin login: {user.email} / {password}")
        else:
            self.stdout.write(
                f"Admin login: {user.email} / (password unchanged; "
                "new one: manage.py ensure_admin --reset-password)"
            )
