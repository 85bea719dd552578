import time
from importlib import import_module
from importlib.util import find_spec

from django.core.management.base import BaseCommand

from core.actor import Actor, acting_as
from core.command_arguments import checked_database
from core.db import LIVE, using_alias

# Each domain app may have a `demo.py` with `load(*, size: str, stdout) -> str` returning a
# one-line summary. Order matters: later loaders use earlier data (payments need accounts).
DEMO_MODULES = [
    "users.demo",
    "customers.demo",
    "ledger.demo",
    "billing.demo",
    "support.demo",
    "webhooks.demo",
    "reporting.demo",
]


class Command(BaseCommand):
    help = "Load the demo data set. Idempotent: running it twice does not duplicate anything."

    def add_arguments(self, parser):
        parser.add_argument("--size", choices=["small", "large"], default="small")
        parser.add_argument("--database", default=LIVE)

    def handle(self, *args, size, database, **options):
        database = checked_database(database)
        loaders = [m for m in DEMO_MODULES if find_spec(m) is not None]
        started = time.monotonic()
        with using_alias(database), acting_as(Actor.system("command:seed_demo")):
            for step, module_path in enumerate(loaders, start=1):
                app = module_path.split(".")[0]
                # Progress: one line as each app starts (large loaders add their own tqdm bar).
                self.stdout.write(f"[{step}/{len(loaders)}] {app}…")
                app_started = time.monotonic()
                summary = import_module(module_path).load(size=size, stdout=self.stdout)
                elapsed = time.monotonic() - app_started
                self.stdout.write(f"[{step}/{len(loaders)}] {app}: {summary} ({elapsed:.1f} s)")
        total = time.monotonic() - started
        self.stdout.write(
            self.style.SUCCESS(
                f"Demo data ready ({size}) in '{database}': {len(loaders)} apps in {total:.1f} s."
            )
        )
