"""Two gunicorn worker processes must share one rate-limit counter per key (Redis)."""

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from tests.celery_worker import database_url
from tests.factories import make_api_key
from tests.markers import requires_postgres, requires_redis

ROOT = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, raw_key: str) -> tuple[int, int]:
    request = urllib.request.Request(url, headers={"X-API-Key": raw_key})
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, int(response.headers["X-RateLimit-Remaining"])


@requires_postgres
@requires_redis
@pytest.mark.django_db(transaction=True)
def test_two_gunicorn_workers_share_one_counter(tmp_path):
    _, raw = make_api_key()
    port = _free_port()
    log = tmp_path / "access.log"
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
                _get(url, raw)
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

        with ThreadPoolExecutor(max_workers=6) as pool:
            results = list(pool.map(lambda _: _get(url, raw), range(60)))
    finally:
        server.terminate()
        server.wait(timeout=20)

    remaining = sorted(r for _, r in results)
    # 61 requests in all (one warm-up): every one took a distinct count from the shared counter.
    assert remaining == list(range(1000 - 61, 1000 - 1))
    assert {status for status, _ in results} == {200}
    pids = set(re.findall(r"^<?(\d+)>? 200", log.read_text(), re.M))
    assert len(pids) == 2, "both worker processes served requests"
