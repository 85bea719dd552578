"""Resetting the sandbox database (contract section 6): wipe it, re-seed the demo data, and
mirror the owners of sandbox keys so their keys keep working."""

import io
import time

from django.conf import settings
from django.core.management import call_command
from django.db import connections, transaction

from core.db import SANDBOX, using_alias
from users.models import ApiKey
from users.services import user_sandbox_mirror


class SandboxConfigurationError(Exception):
    pass


def _same_database(a: dict, b: dict) -> bool:
    keys = ("ENGINE", "NAME", "HOST", "PORT")
    return all(str(a.get(k) or "") == str(b.get(k) or "") for k in keys)


def sandbox_reset(*, size: str = "small", stdout=None) -> str:
    """Empties every table of the sandbox database and loads the demo data into it, in one
    transaction: until it commits, sandbox clients keep seeing the old data, and a failure
    leaves the old data in place. Safe to re-run. Refuses to run when the sandbox alias points
    at the live database. Returns a one-line summary."""
    if _same_database(settings.DATABASES["default"], settings.DATABASES[SANDBOX]):
        raise SandboxConfigurationError(
            "SANDBOX_DATABASE_URL points at the live database: refusing to wipe it."
        )
    out = stdout if stdout is not None else io.StringIO()
    started = time.monotonic()
    with using_alias(SANDBOX), transaction.atomic(using=SANDBOX):
        connection = connections[SANDBOX]
        if connection.vendor == "postgresql":
            # PostgreSQL refuses to TRUNCATE a table with deferred foreign-key checks still
            # pending in this transaction (rows written earlier in it, e.g. a previous reset
            # inside an enclosing transaction): run those checks now.
            connection.check_constraints()
        # `flush` empties every table Django knows (TRUNCATE on PostgreSQL, DELETE on SQLite,
        # whose deferred foreign keys are checked at commit) and re-creates content types.
        call_command("flush", database=SANDBOX, interactive=False, verbosity=0)
        call_command("seed_demo", database=SANDBOX, size=size, stdout=out)
        owners = {
            key.user_id: key.user
            for key in ApiKey.objects.filter(is_sandbox=True, revoked_at__isnull=True)
            .select_related("user")
            .order_by("id")
        }
        for user in owners.values():
            user_sandbox_mirror(user=user)
    seconds = time.monotonic() - started
    return (
        f"Sandbox reset: emptied, demo data loaded ({size}), {len(owners)} key owner(s) "
        f"mirrored in {seconds:.1f} s."
    )
