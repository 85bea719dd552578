"""The load test, end to end: a fresh database, gunicorn (config/gunicorn.conf.py) +
PostgreSQL + a private Redis + a Celery worker with beat + an SMTP server on loopback
(aiosmtpd, every message kept), 50 locust clients for 2 minutes running the flows of
scenarios.py, its server-side jobs (scenarios.JOBS) at their time, then verify.py.
Everything it starts is stopped when it ends, even on failure.

    bench/load/run.sh                      # 50 users, 120 s
    LOAD_USERS=10 LOAD_SECONDS=20 bench/load/run.sh     # a dry run
    LOAD_REDIS_OUTAGE=20 bench/load/run.sh # Redis killed for 20 s in the middle of the run

Redis is a `redis-server` of its own on a free port (never a shared one: the outage kills it
and it starts empty); the database is `LOAD_DB` (default ll_bench_load) and its `_sb` twin;
gunicorn listens on `LOAD_PORT` (default: a free port). So several runs can share a machine.

Writes bench/results/load-<stamp>/ (locust CSVs, client writes, verify output, server logs,
summary.md) and prints the summary.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import (  # noqa: E402
    PYTHON,
    RESULTS,
    ROOT,
    VENV_BIN,
    db_url,
    django_env,
    gunicorn,
    stop_process_group,
)
from bench.load.scenarios import JOBS, WRITES  # noqa: E402
from tests.mail.smtp_server import SmtpServer  # noqa: E402

DB = os.environ.get("LOAD_DB", "ll_bench_load")
USERS = int(os.environ.get("LOAD_USERS", "50"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "120"))
WORKERS = int(os.environ.get("LOAD_WORKERS", "4"))
OUTAGE = int(os.environ.get("LOAD_REDIS_OUTAGE", "0"))  # seconds; 0: no outage
# Seconds after the clients start: by default the outage sits in the middle of the run.
OUTAGE_AT = int(os.environ.get("LOAD_REDIS_OUTAGE_AT", str(max(0, (SECONDS - OUTAGE) // 2))))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# The load test's own signing secret: the clients sign Stripe's events with it as Stripe does.
STRIPE_WEBHOOK_SECRET = "whsec_load_test_only"  # noqa: S105 - not a real secret


PORT = int(os.environ.get("LOAD_PORT") or _free_port())


class PrivateRedis:
    """A throwaway redis-server on loopback: no persistence, killed and restarted at will."""

    def __init__(self, log: Path) -> None:
        self.port = _free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.log = log
        self.proc: subprocess.Popen | None = None
        self.events: list[str] = []

    def start(self) -> None:
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(
                [shutil.which("redis-server") or "redis-server", "--port", str(self.port),
                 "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
                stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
        deadline = time.monotonic() + 10
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        self.events.append(f"{datetime.now(UTC):%H:%M:%S} redis started")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)
            self.events.append(f"{datetime.now(UTC):%H:%M:%S} redis killed")

    def outage(self, after: float, seconds: float) -> threading.Thread:
        def run() -> None:
            time.sleep(after)
            self.stop()
            time.sleep(seconds)
            self.start()

        thread = threading.Thread(target=run, daemon=True)
        thread.start()
        return thread


def _jobs(env: dict[str, str], log: Path) -> list[threading.Thread]:
    """Starts each job of scenarios.JOBS `at` its fraction of the run, `copies` at once."""

    started: dict[str, str] = {}

    def run(job) -> None:
        time.sleep(job.at * SECONDS)
        # verify.py: what existed when a job started is what it had to act on.
        started[job.name] = datetime.now(UTC).isoformat()
        (log.parent / "jobs.json").write_text(json.dumps(started))
        procs = [
            subprocess.Popen(
                [PYTHON, str(ROOT / "manage.py"), *job.command],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )  # fmt: skip
            for _ in range(job.copies)
        ]
        for n, proc in enumerate(procs):
            output, _ = proc.communicate()
            with log.open("a") as out:
                out.write(
                    f"--- {' '.join(job.command)} (copy {n + 1} of {job.copies}, "
                    f"{datetime.now(UTC):%H:%M:%S}): exit {proc.returncode}\n{output}\n"
                )

    threads = [threading.Thread(target=run, args=(job,), daemon=True) for job in JOBS]
    for thread in threads:
        thread.start()
    return threads


def _outbox_drained(db: str, timeout: float = 120) -> int:
    """Waits until the worker has sent every queued message; returns how many are left."""
    import psycopg

    deadline = time.monotonic() + timeout
    with psycopg.connect(db_url(db), autocommit=True) as conn:
        while True:
            left = conn.execute(
                "SELECT count(*) FROM mail_emailmessage WHERE status = 'queued'"
            ).fetchone()[0]
            if left == 0 or time.monotonic() > deadline:
                return left
            time.sleep(2)


def _smtp_dump(server: SmtpServer, path: Path) -> None:
    received = [
        {
            "message_id": str(m.parsed["Message-ID"]),
            "to": m.rcpt_tos,
            "subject": m.subject,
        }
        for m in list(server.messages)
    ]
    path.write_text(json.dumps(received))


def _summary(
    out: Path, verified: subprocess.CompletedProcess, started: datetime, redis: PrivateRedis
) -> str:
    rows = list(csv.DictReader((out / "locust_stats.csv").open()))
    outage = (
        f" Redis killed {OUTAGE_AT} s into the run and restarted (empty) {OUTAGE} s later "
        f"({'; '.join(redis.events)})."
        if OUTAGE
        else ""
    )
    lines = [
        f"Load test {started.isoformat()}: {USERS} clients for {SECONDS} s against gunicorn "
        f"({WORKERS} sync workers, config/gunicorn.conf.py) + PostgreSQL + Redis + 1 Celery "
        f"worker with beat, all on this machine.{outage}",
        "",
        "| request | count | failures | req/s | p50 ms | p95 ms | p99 ms | max ms |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for row in rows:
        name = row["Name"] if row["Name"] != "Aggregated" else "**all**"
        lines.append(
            f"| {name} | {row['Request Count']} | {row['Failure Count']} | "
            f"{float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} | {row['99%']} | "
            f"{float(row['Max Response Time']):.0f} |"
        )
    writes = json.loads((out / "writes.json").read_text())
    statuses = ", ".join(f"{code}: {n}" for code, n in sorted(writes.get("statuses", {}).items()))
    # The kinds verify.py derives from the database (no client is told of them) are left out.
    kinds = ", ".join(
        f"{kind} {len(writes['writes'][kind])}" for kind in WRITES if kind in writes["writes"]
    )
    smtp = len(json.loads((out / "smtp.json").read_text()))
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    lines += [
        "",
        f"Load average (1, 5, 15 min) at the end: {load}.",
        "",
        f"Responses by status (retries included): {statuses}.",
        "",
        f"Writes the clients saw succeed: {kinds}. Messages the SMTP server received: {smtp}.",
        "",
        "Verification (bench/load/verify.py):",
        "",
        "```",
        verified.stdout.strip(),
        "```",
        "",
    ]
    return "\n".join(lines)


def main() -> int:
    started = datetime.now(UTC)
    out = RESULTS / f"load-{started:%Y%m%dT%H%M%S}"
    out.mkdir(parents=True, exist_ok=True)
    state = out / "state.json"
    redis = PrivateRedis(out / "redis.log")
    redis.start()
    subprocess.run(
        [PYTHON, str(ROOT / "bench/load/prepare.py"), "--db", DB, "--state", str(state)],
        check=True,
        env={**os.environ, "BENCH_REDIS_URL": redis.url},
    )
    prepared = json.loads(state.read_text())
    smtp = SmtpServer().start()
    env = django_env(
        DB,
        WEB_CONCURRENCY=str(WORKERS),
        REDIS_URL=redis.url,
        EMAIL_URL=smtp.url(),
        # Every client comes from 127.0.0.1: the portal's per-address limit would measure 429s.
        PORTAL_RATE_LIMIT="100000/m",
        STRIPE_WEBHOOK_SECRET=STRIPE_WEBHOOK_SECRET,
    )
    with (out / "celery.log").open("wb") as celery_log:
        # With beat (-B): the outbox sweep re-queues what an outage lost, as in production.
        worker = subprocess.Popen(
            [str(VENV_BIN / "celery"), "-A", "config", "worker", "-B",
             "-s", str(out / "celerybeat-schedule"), "--pool=solo",
             "--loglevel=WARNING", "--without-mingle", "--without-gossip"],
            cwd=ROOT, env=env, stdout=celery_log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
    try:
        with gunicorn(
            "config.wsgi:application",
            port=PORT,
            workers=WORKERS,
            env=env,
            log=out / "gunicorn.log",
            extra_args=("-c", str(ROOT / "config/gunicorn.conf.py")),
        ) as base:
            client_env = {
                **os.environ,
                "LOAD_API_KEY": prepared["api_key"],
                "LOAD_ACCOUNT_ID": str(prepared["account_id"]),
                "LOAD_FOREIGN_ACCOUNT_ID": str(prepared["foreign_account_id"]),
                "LOAD_STRIPE_WEBHOOK_SECRET": STRIPE_WEBHOOK_SECRET,
                "LOAD_CUSTOMER_IDS": ",".join(map(str, prepared["customer_ids"])),
                "LOAD_WRITES_FILE": str(out / "writes.json"),
            }
            if OUTAGE:
                redis.outage(after=OUTAGE_AT, seconds=OUTAGE)
            jobs = _jobs(env, out / "jobs.log")
            subprocess.run(
                [str(VENV_BIN / "locust"), "-f", str(ROOT / "bench/load/locustfile.py"),
                 "--headless", "-u", str(USERS), "-r", str(max(1, USERS // 5)),
                 "-t", f"{SECONDS}s", "--host", base, "--csv", str(out / "locust"),
                 "--only-summary", "--stop-timeout", "15", "--loglevel", "WARNING"],
                cwd=ROOT, env=client_env, check=False,
            )  # fmt: skip
            for thread in jobs:
                thread.join(timeout=120)
        left = _outbox_drained(DB)
        if left:
            print(f"{left} messages still queued after 120 s", flush=True)
        _smtp_dump(smtp, out / "smtp.json")
        verified = subprocess.run(
            [PYTHON, str(ROOT / "bench/load/verify.py"), "--state", str(state),
             "--writes", str(out / "writes.json"), "--smtp", str(out / "smtp.json"),
             "--jobs", str(out / "jobs.json"),
             "--out", str(out / "verify.txt")],
            capture_output=True, text=True, check=False,
            env={**os.environ, "BENCH_REDIS_URL": redis.url},
        )  # fmt: skip
    finally:
        stop_process_group(worker)
        redis.stop()
        smtp.stop()
    summary = _summary(out, verified, started, redis)
    (out / "summary.md").write_text(summary)
    print(summary)
    if verified.returncode != 0:
        print(verified.stderr[-3000:])
    return verified.returncode


if __name__ == "__main__":
    sys.exit(main())
