"""Scale benchmarks: Ledgerline against a minimal psycopg + orjson WSGI baseline, on the same
tables, both under gunicorn with the same worker count, both driven by wrk on loopback.

    .venv/bin/python bench/bench_scale.py                 # 100k customers, 1M items, 1M txns
    .venv/bin/python bench/bench_scale.py --scale 0.01 --seconds 3   # a dry run in a minute

Scenarios: customers page 1, customers page 5000 (limit 20), customer search, invoices page 1
with their items, the financial report, and a batch of 1000 customers (timed one request at a
time). Also EXPLAINs the search so the trigram index's use is shown. Writes
bench/results/scale-<timestamp>.json and .md, and prints the markdown.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import (  # noqa: E402
    PYTHON,
    RESULTS,
    ROOT,
    db_url,
    django_env,
    gunicorn,
    write_json,
    wrk,
)
from bench.scale_data import SEARCH_TERM  # noqa: E402

DJANGO_PORT = 8110
BASELINE_PORT = 8112
SCENARIOS = {
    "customers_page_1": "/api/v2/customers?page=1&limit=20",
    "customers_page_5000": "/api/v2/customers?page=5000&limit=20",
    "customers_search": f"/api/v2/customers?search={SEARCH_TERM}&page=1&limit=20",
    "invoices_page_1_with_items": "/api/v2/invoices?page=1&limit=20",
    "financial_report": "/api/v2/reports/financial?year=2025",
}
BATCH_SIZE = 1000
BATCH_RUNS = 5


def _prepare(db: str, scale: float) -> str:
    done = subprocess.run(
        [PYTHON, str(ROOT / "bench" / "scale_data.py"), "--db", db, "--scale", str(scale)],
        capture_output=True,
        text=True,
        check=True,
    )
    print(done.stdout.strip().splitlines()[0])
    return done.stdout.strip().splitlines()[-1]


def _explain_search(db: str) -> dict:
    """The plan of the search's count query, as Django issues it (search_text LIKE '%term%')."""
    import psycopg

    sql = "SELECT count(*) FROM customers_customer WHERE search_text::text LIKE LOWER(%(q)s)"
    with psycopg.connect(db_url(db)) as conn:
        rows = conn.execute(
            "EXPLAIN (ANALYZE, BUFFERS) " + sql, {"q": f"%{SEARCH_TERM}%"}
        ).fetchall()
        indexes = conn.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'customers_customer' "
            "ORDER BY indexname"
        ).fetchall()
    plan = "\n".join(r[0] for r in rows)
    return {
        "plan": plan,
        "uses_trigram_index": "trgm" in plan,
        "indexes": [f"{name}: {definition}" for name, definition in indexes],
    }


def _batch_payload(tag: str, run: int) -> bytes:
    customers = [
        {"account": f"Batch {tag} {run} {i}", "email": f"batch-{tag}-{run}-{i}@example.com"}
        for i in range(BATCH_SIZE)
    ]
    return json.dumps({"customers": customers}).encode()


def _batch(base: str, headers: dict[str, str], tag: str) -> dict:
    timings = []
    for run in range(BATCH_RUNS):
        request = urllib.request.Request(  # noqa: S310 - loopback
            f"{base}/api/v2/batch/customers",
            data=_batch_payload(tag, run),
            method="POST",
            headers={"Content-Type": "application/json", **headers},
        )
        started = time.perf_counter()
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
            body = json.loads(response.read())
            status = response.status
        timings.append(time.perf_counter() - started)
        assert status == 201 and len(body["data"]) == BATCH_SIZE, (status, len(body["data"]))
    return {
        "runs": BATCH_RUNS,
        "median_s": round(statistics.median(timings), 3),
        "max_s": round(max(timings), 3),
        "all_s": [round(t, 3) for t in timings],
    }


def _batch_cleanup(db: str) -> None:
    import psycopg

    with psycopg.connect(db_url(db)) as conn:
        conn.execute("DELETE FROM customers_customer WHERE email LIKE 'batch-%%'")
        conn.execute(
            "DELETE FROM webhooks_event WHERE type = 'customer.created' "
            "AND data->>'email' LIKE 'batch-%%'"
        )


def _drive(base: str, headers: dict[str, str], seconds: int, connections: int) -> dict:
    results = {}
    for name, path in SCENARIOS.items():
        wrk(base + path, seconds=2, connections=connections, headers=headers)  # warm-up
        results[name] = wrk(base + path, seconds=seconds, connections=connections, headers=headers)
        print(f"  {name}: {results[name]}", flush=True)
    return results


def run(args) -> dict:
    started = datetime.now(UTC)
    key = _prepare(args.db, args.scale)
    auth = {"Authorization": f"Bearer {key}"}
    explain = _explain_search(args.db)
    log_dir = RESULTS / "logs"
    stamp = started.strftime("%Y%m%dT%H%M%S")
    env = django_env(args.db)
    out: dict = {
        "started_at": started.isoformat(),
        "db": args.db,
        "scale": args.scale,
        "workers": args.workers,
        "connections": args.connections,
        "seconds": args.seconds,
        "explain_search": explain,
    }
    print("ledgerline (Django):", flush=True)
    with gunicorn(
        "config.wsgi:application",
        port=DJANGO_PORT,
        workers=args.workers,
        env=env,
        log=log_dir / f"scale-django-{stamp}.log",
    ) as base:
        out["django"] = _drive(base, auth, args.seconds, args.connections)
        out["django"]["batch_1000"] = _batch(base, auth, f"dj{stamp}")
        print(f"  batch_1000: {out['django']['batch_1000']}", flush=True)
    print("baseline (psycopg + orjson):", flush=True)
    with gunicorn(
        "bench.baseline_app:application",
        port=BASELINE_PORT,
        workers=args.workers,
        env=env,
        log=log_dir / f"scale-baseline-{stamp}.log",
    ) as base:
        out["baseline"] = _drive(base, {}, args.seconds, args.connections)
        out["baseline"]["batch_1000"] = _batch(base, {}, f"bl{stamp}")
        print(f"  batch_1000: {out['baseline']['batch_1000']}", flush=True)
    _batch_cleanup(args.db)
    out["goals"] = _goals(out)
    write_json(RESULTS / f"scale-{stamp}.json", out)
    markdown = to_markdown(out)
    (RESULTS / f"scale-{stamp}.md").write_text(markdown)
    print(markdown)
    return out


def _goals(out: dict) -> dict:
    dj, bl = out["django"], out["baseline"]
    goals = {}
    for name in ("customers_page_1", "customers_page_5000", "customers_search"):
        goals[f"{name}: throughput vs baseline >= 0.5"] = round(
            dj[name]["rps"] / bl[name]["rps"], 2
        )
    goals["invoices_page_1_with_items: throughput vs baseline >= 0.5"] = round(
        dj["invoices_page_1_with_items"]["rps"] / bl["invoices_page_1_with_items"]["rps"], 2
    )
    goals["deep page p50 / page 1 p50 <= 3"] = round(
        dj["customers_page_5000"]["p50"] / dj["customers_page_1"]["p50"], 2
    )
    goals["search p50 / list p50 <= 3"] = round(
        dj["customers_search"]["p50"] / dj["customers_page_1"]["p50"], 2
    )
    goals["batch of 1000 median seconds < 1.5"] = dj["batch_1000"]["median_s"]
    goals["search uses a trigram index"] = out["explain_search"]["uses_trigram_index"]
    return goals


def _met(name: str, value) -> str:
    if isinstance(value, bool):
        return "met" if value else "MISSED"
    limit = float(name.rsplit(" ", 1)[-1])
    ok = value >= limit if ">=" in name else value <= limit if "<=" in name else value < limit
    return "met" if ok else "MISSED"


def to_markdown(out: dict) -> str:
    lines = [
        f"Run {out['started_at']} on database `{out['db']}` (scale {out['scale']}); gunicorn "
        f"{out['workers']} sync workers each; wrk 1 thread, {out['connections']} connections, "
        f"{out['seconds']} s per scenario after a 2 s warm-up.",
        "",
        "| scenario | Ledgerline req/s | p50 ms | p95 ms | p99 ms | errors | baseline req/s "
        "| baseline p50 ms | ratio |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name in SCENARIOS:
        d, b = out["django"][name], out["baseline"][name]
        errors = d["errors"] + d["non_2xx"]
        lines.append(
            f"| {name} | {d['rps']:.0f} | {d['p50']:.1f} | {d['p95']:.1f} | {d['p99']:.1f} "
            f"| {errors} | {b['rps']:.0f} | {b['p50']:.1f} | {d['rps'] / b['rps']:.2f} |"
        )
    dj_batch, bl_batch = out["django"]["batch_1000"], out["baseline"]["batch_1000"]
    lines += [
        "",
        f"Batch of 1000 customers ({dj_batch['runs']} sequential requests): Ledgerline median "
        f"{dj_batch['median_s']} s (max {dj_batch['max_s']} s); baseline median "
        f"{bl_batch['median_s']} s.",
        "",
        "The throughput goal is for list endpoints; the financial report is not one (one "
        "roll-up read), so its ratio, in the table above, is the framework's fixed cost per "
        "request against a bare WSGI function, reported without a goal.",
        "",
        "| goal | measured | |",
        "| --- | ---: | --- |",
    ]
    for name, value in out["goals"].items():
        lines.append(f"| {name} | {value} | {_met(name, value)} |")
    lines += ["", "Search count query plan:", "", "```", out["explain_search"]["plan"], "```", ""]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="ll_bench_scale")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--connections", type=int, default=8)
    run(parser.parse_args())


if __name__ == "__main__":
    main()
