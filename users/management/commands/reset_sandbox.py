from django.core.management.base import BaseCommand, CommandError

from core.actor import Actor, acting_as
from users.sandbox import SandboxConfigurationError, sandbox_reset


class Command(BaseCommand):
    help = (
        "Empty the sandbox database and load the demo data into it (Celery beat runs it "
        "daily). Live data is never touched; safe to re-run."
    )

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=["small", "large"], default="small")

    def handle(self, *args, **options):
        # Whatever it writes is recorded in the audit trail as this command's doing.
        with acting_as(Actor.system("command:reset_sandbox")):
            self._handle(**options)

    def _handle(self, *, size, **options):
        try:
            summary = sandbox_reset(size=size, stdout=self.stdout)
        except SandboxConfigurationError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(self.style.SUCCESS(summary))
