"""The load test, end to end: a fresh database, gunicorn (config/gunicorn.conf.py) +
PostgreSQL + Redis + a Celery worker, 50 locust clients for 2 minutes, then verify.py.
Everything it starts is stopped when it ends, even on failure.

    bench/load/run.sh                      # 50 users, 120 s
    LOAD_USERS=10 LOAD_SECONDS=20 bench/load/run.sh     # a dry run

Writes bench/results/load-<stamp>/ (locust CSVs, client writes, verify output, server logs,
summary.md) and prints the summary.
"""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from bench.common import (  # noqa: E402
    PYTHON,
    REDIS_URL,
    RESULTS,
    ROOT,
    VENV_BIN,
    django_env,
    gunicorn,
    stop_process_group,
)

PORT = 8114
DB = os.environ.get("LOAD_DB", "ll_bench_load")
USERS = int(os.environ.get("LOAD_USERS", "50"))
SECONDS = int(os.environ.get("LOAD_SECONDS", "120"))
WORKERS = int(os.environ.get("LOAD_WORKERS", "4"))


def _summary(out: Path, verified: subprocess.CompletedProcess, started: datetime) -> str:
    rows = list(csv.DictReader((out / "locust_stats.csv").open()))
    lines = [
        f"Load test {started.isoformat()}: {USERS} clients for {SECONDS} s against gunicorn "
        f"({WORKERS} sync workers, config/gunicorn.conf.py) + PostgreSQL + Redis + 1 Celery "
        "worker, all on this machine.",
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
    lines += [
        "",
        f"Writes the clients saw succeed: {len(writes['customers'])} customers, "
        f"{len(writes['invoices'])} invoices, {len(writes['payments'])} payments.",
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
    subprocess.run(
        [PYTHON, str(ROOT / "bench/load/prepare.py"), "--db", DB, "--state", str(state)],
        check=True,
    )
    subprocess.run(["redis-cli", "-u", REDIS_URL, "flushdb"], check=True, capture_output=True)
    prepared = json.loads(state.read_text())
    env = django_env(DB, WEB_CONCURRENCY=str(WORKERS))
    with (out / "celery.log").open("wb") as celery_log:
        worker = subprocess.Popen(
            [str(VENV_BIN / "celery"), "-A", "config", "worker", "--pool=solo",
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
                "LOAD_CUSTOMER_IDS": ",".join(map(str, prepared["customer_ids"])),
                "LOAD_WRITES_FILE": str(out / "writes.json"),
            }
            subprocess.run(
                [str(VENV_BIN / "locust"), "-f", str(ROOT / "bench/load/locustfile.py"),
                 "--headless", "-u", str(USERS), "-r", str(max(1, USERS // 5)),
                 "-t", f"{SECONDS}s", "--host", base, "--csv", str(out / "locust"),
                 "--only-summary", "--stop-timeout", "15", "--loglevel", "WARNING"],
                cwd=ROOT, env=client_env, check=False,
            )  # fmt: skip
        verified = subprocess.run(
            [PYTHON, str(ROOT / "bench/load/verify.py"), "--state", str(state),
             "--writes", str(out / "writes.json"), "--out", str(out / "verify.txt")],
            capture_output=True, text=True, check=False,
        )  # fmt: skip
    finally:
        stop_process_group(worker)
    summary = _summary(out, verified, started)
    (out / "summary.md").write_text(summary)
    print(summary)
    if verified.returncode != 0:
        print(verified.stderr[-3000:])
    return verified.returncode


if __name__ == "__main__":
    sys.exit(main())
