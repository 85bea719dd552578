"""Two gunicorn worker processes share one rate-limit counter per key and one API-key lookup
cache (Redis)."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path

import pytest

from tests.celery_worker import database_url
from tests.factories import make_api_key
from tests.markers import requires_postgres, requires_redis
from users.services import api_key_revoke

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, raw_key: str) -> tuple[int, int]:
    request = urllib.request.Request(url, headers={"X-API-Key": raw_key})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, int(response.headers["X-RateLimit-Remaining"])


@contextmanager
def _gunicorn(log: Path, wait_with_key: str):
    """Serves the app with 2 gunicorn workers on PostgreSQL + Redis; yields the list URL."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": database_url("default"),
        "SANDBOX_DATABASE_URL": database_url("sandbox"),
        "API_RATE_LIMIT": "1000/h",
    }
    server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable, "-m", "gunicorn", "config.wsgi:application",
            "--workers", "2", "--bind", f"127.0.0.1:{port}",
            "--access-logfile", str(log), "--access-logformat", "%(p)s %(s)s",
        ],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    url = f"http://127.0.0.1:{port}/api/v2/customers"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                _get(url, wait_with_key)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        server.wait(timeout=20)


def _served_by(log: Path, status: int) -> set[str]:
    return set(re.findall(rf"^<?(\d+)>? {status}", log.read_text(), re.M))


@requires_postgres
@requires_redis
@pytest.mark.django_db(transaction=True)
def test_two_gunicorn_workers_share_one_counter(tmp_path):
    _, raw = make_api_key()
    log = tmp_path / "access.log"
    results: list[tuple[int, int]] = []
    with _gunicorn(log, raw) as url, ThreadPoolExecutor(max_workers=6) as pool:
        # Rounds until both workers have served some (one may take a whole burst).
        for _ in range(10):
            results += pool.map(lambda _: _get(url, raw), range(60))
            if len(_served_by(log, 200)) == 2:
                break

    remaining = sorted(r for _, r in results)
    # Every request took a distinct count from the shared counter, with no gap between them (the
    # warm-up may have taken one or more before, when a slow start made it retry).
    assert remaining == list(range(remaining[0], remaining[0] + len(results)))
    assert remaining[-1] <= 1000 - 2
    assert {status for status, _ in results} == {200}
    assert len(_served_by(log, 200)) == 2, "both worker processes served requests"


def _status(url: str, raw_key: str) -> int:
    try:
        return _get(url, raw_key)[0]
    except urllib.error.HTTPError as error:
        return error.code


def _until_both_workers(url: str, raw_key: str, log: Path, status: int, pool) -> set[int]:
    """Sends requests in rounds until both workers have answered `status` (gunicorn's accept
    loop may give one worker a whole burst); returns every status seen."""
    seen: set[int] = set()
    for _ in range(20):
        seen |= set(pool.map(lambda _: _status(url, raw_key), range(30)))
        if len(_served_by(log, status)) == 2 or seen != {status}:
            break
    return seen


@requires_postgres
@requires_redis
@pytest.mark.django_db(transaction=True)
def test_a_revoked_key_stops_at_once_in_every_worker(tmp_path):
    # Both workers serve the key from the lookup cache (users/key_cache.py); a revocation made
    # elsewhere (here: this process, as the admin would) must stop it on the very next request.
    key, raw = make_api_key()
    log = tmp_path / "access.log"
    with _gunicorn(log, raw) as url, ThreadPoolExecutor(max_workers=6) as pool:
        before = _until_both_workers(url, raw, log, 200, pool)
        api_key_revoke(api_key=key)
        after = _until_both_workers(url, raw, log, 401, pool)

    assert before == {200}
    assert after == {401}
    assert len(_served_by(log, 401)) == 2, "both worker processes refused the key"
