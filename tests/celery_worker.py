"""A real Celery worker process for end-to-end tests (PostgreSQL + Redis only).

The worker is a separate process, so it sees only committed rows: tests that use it need
`@pytest.mark.django_db(transaction=True)` and the `worker` marker, which also turns off the
in-process eager mode for that test.
"""

import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connections

ROOT = Path(__file__).resolve().parent.parent


def database_url(alias: str) -> str:
    s = connections[alias].settings_dict
    user = s.get("USER") or "postgres"
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    host = s.get("HOST") or "127.0.0.1"
    port = s.get("PORT") or 5432
    return f"postgres://{user}{password}@{host}:{port}/{s['NAME']}"


@contextmanager
def celery_worker(
    *, beat: bool = False, extra_env: dict | None = None
) -> Iterator[subprocess.Popen]:
    """Starts `celery -A config worker` against this test run's databases and broker, waits
    until it is ready, yields the process, and stops it."""
    env = os.environ.copy()
    env["DATABASE_URL"] = database_url("default")
    env["SANDBOX_DATABASE_URL"] = database_url("sandbox") if "sandbox" in connections else ""
    env.update(extra_env or {})
    cmd = [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "config",
        "worker",
        "--pool=solo",
        "--without-mingle",
        "--without-gossip",
        "--loglevel=INFO",
        f"--hostname=test-{uuid.uuid4().hex[:8]}@%h",
    ]
    if beat:
        cmd.append("--beat")
        cmd.append(f"--schedule=/tmp/celerybeat-{uuid.uuid4().hex[:8]}")
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    ready = threading.Event()
    log: list[str] = []

    def pump() -> None:
        for line in proc.stdout:
            log.append(line)
            if " ready." in line:
                ready.set()

    threading.Thread(target=pump, daemon=True).start()
    deadline = time.monotonic() + 60
    while not ready.is_set() and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.1)
    if not ready.is_set():
        proc.kill()
        raise RuntimeError("Celery worker did not start:\n" + "".join(log[-50:]))
    proc.log = log
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
