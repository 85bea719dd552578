"""What every benchmark in bench/ shares: the environment Django runs with, starting and
stopping gunicorn (the app or the baseline) on loopback, and driving wrk.

Everything here is for a person running benchmarks by hand on a development machine; nothing
is imported by the application.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python")
RESULTS = ROOT / "bench" / "results"
WRK_REPORT = ROOT / "bench" / "wrk_report.lua"
PG_SERVER = os.environ.get("BENCH_PG", "postgres://postgres@127.0.0.1:5432")
REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/7")


def db_url(name: str) -> str:
    return f"{PG_SERVER}/{name}"


def django_env(db_name: str, **extra: str) -> dict[str, str]:
    """The production-like environment the benchmarked app runs with: DEBUG off, PostgreSQL,
    Redis, and a rate limit high enough that the benchmark measures work, not 429s."""
    env = dict(os.environ)
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DEBUG": "false",
            "SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
            "DATABASE_URL": db_url(db_name),
            "SANDBOX_DATABASE_URL": db_url(db_name + "_sb"),
            "REDIS_URL": REDIS_URL,
            "API_RATE_LIMIT": "100000000/h",
            "LOG_LEVEL": "WARNING",
            "LOG_FORMAT": "plain",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
        }
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str) -> str:
    """Runs `manage.py args` and returns its stdout (raising with stderr on failure)."""
    done = subprocess.run(
        [PYTHON, str(ROOT / "manage.py"), *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
    return done.stdout


def psql_admin(sql: str) -> None:
    """Runs a statement on the server's maintenance database (CREATE/DROP DATABASE)."""
    import psycopg

    with psycopg.connect(db_url("postgres"), autocommit=True) as conn:
        conn.execute(sql)


def database_recreate(name: str) -> None:
    psql_admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    psql_admin(f'CREATE DATABASE "{name}"')


def database_exists(name: str) -> bool:
    import psycopg

    with psycopg.connect(db_url("postgres"), autocommit=True) as conn:
        row = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
    return row is not None


def _wait_ready(url: str, proc: subprocess.Popen, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 - loopback
                response.read()
                return
        except urllib.error.HTTPError:
            return  # it answered, even if not 2xx (e.g. 401 without a key)
        except OSError:
            time.sleep(0.3)
    raise RuntimeError(f"server did not answer {url} within {timeout}s")


@contextmanager
def gunicorn(
    app: str,
    *,
    port: int,
    workers: int,
    env: dict[str, str],
    log: Path,
    ready_path: str = "/health",
    extra_args: tuple[str, ...] = (),
):
    """Serves `app` with gunicorn sync workers on 127.0.0.1:port until the block ends; the
    server is always stopped (its process group), even when the block raises."""
    log.parent.mkdir(parents=True, exist_ok=True)
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                str(VENV_BIN / "gunicorn"),
                app,
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                str(workers),
                "--worker-class",
                "sync",
                "--log-level",
                "warning",
                "--timeout",
                "60",
                *extra_args,
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait_ready(f"http://127.0.0.1:{port}{ready_path}", proc)
        yield f"http://127.0.0.1:{port}"
    finally:
        stop_process_group(proc)


def stop_process_group(proc: subprocess.Popen, timeout: float = 20.0) -> None:
    if proc.poll() is not None:
        return
    os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()


def wrk(
    url: str,
    *,
    seconds: int,
    connections: int,
    threads: int = 1,
    headers: dict[str, str] | None = None,
) -> dict:
    """Drives `url` with wrk and returns {requests, rps, errors, non_2xx, p50, p95, p99, max}
    (latencies in ms), read from bench/wrk_report.lua's JSON line."""
    args = ["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        args += ["-H", f"{name}: {value}"]
    args += ["-s", str(WRK_REPORT), url]
    done = subprocess.run(args, capture_output=True, text=True, check=True)
    line = next(x for x in done.stdout.splitlines() if x.startswith("WRK_JSON "))
    return json.loads(line.removeprefix("WRK_JSON "))


def write_json(path: Path, data) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, default=str) + "\n")
