from django.core.management.base import BaseCommand, CommandError

from core.actor import Actor, acting_as
from core.command_arguments import checked_email
from core.db import LIVE, using_alias
from core.errors import DomainValidationError
from users.models import ApiKey, Role, User
from users.services import api_key_create, api_key_revoke, user_create, user_sandbox_mirror


class Command(BaseCommand):
    help = (
        "Create an API key for EMAIL (creating the user with ROLE if missing). The raw key is "
        "printed alone on the last line and never stored."
    )

    def add_arguments(self, parser):
        parser.add_argument("--email", required=True)
        parser.add_argument("--role", choices=Role.values, default=Role.ADMINISTRATOR)
        parser.add_argument("--name", default="")
        parser.add_argument("--sandbox", action="store_true", help="key for the sandbox only")
        parser.add_argument(
            "--signed",
            action="store_true",
            help="every request with this key must be signed; prints the signing secret on "
            "the line before the key (docs/request-signing.md)",
        )
        parser.add_argument(
            "--replace",
            action="store_true",
            help="revoke EMAIL's other keys of the same --name first, so re-running (make run) "
            "leaves one such key, not a pile",
        )

    def handle(self, *args, **options):
        # Whatever it writes is recorded in the audit trail as this command's doing.
        with acting_as(Actor.system("command:create_api_key")):
            self._handle(**options)

    def _handle(self, *, email, role, name, sandbox, signed, replace, **options):
        email = checked_email(email)
        if replace and not name:
            raise CommandError("--replace needs --name (the keys it replaces carry that name).")
        user = User.objects.filter(email__iexact=email).first()
        try:
            if user is None:
                user = user_create(email=email, role=role)
                self.stdout.write(f"Created user {user.email} with role {user.role}.")
            if sandbox:
                # The sandbox database has its own users table (its rows reference users);
                # the same person is mirrored there so sandbox data can name them.
                user_sandbox_mirror(user=user)
        except DomainValidationError as exc:
            raise CommandError("; ".join(exc.errors.values())) from None
        with using_alias(LIVE):
            replaced = 0
            if replace:
                earlier = ApiKey.objects.filter(
                    user=user, name=name, is_sandbox=sandbox, revoked_at__isnull=True
                )
                for old in earlier:
                    api_key_revoke(api_key=old)
                    replaced += 1
            key, raw = api_key_create(
                user=user,
                name=name or "created by create_api_key",
                is_sandbox=sandbox,
                require_signature=signed,
            )
        kind = "sandbox" if sandbox else "live"
        if replaced:
            self.stdout.write(f"Revoked {replaced} earlier '{name}' key(s) of {user.email}.")
        self.stdout.write(f"Created {kind} API key {key.prefix}… for {user.email} ({user.role}).")
        if signed:
            self.stdout.write(f"Signing secret: {key.signing_secret}")
        self.stdout.write(raw)
