"""Where one request's CPU goes under load: Ledgerline and the baseline, each served alone by
gunicorn and driven by wrk, with the CPU time of every process on the machine read from /proc
before and after. Prints milliseconds of CPU per request for the app's workers, PostgreSQL,
Redis and wrk. This is what showed that a list request's gap to the baseline is the app's own
Python, and how much each round trip to Redis or PostgreSQL costs (docs/performance.md).

    .venv/bin/python bench/cpu_split.py --db ll_bench_scale "/api/v2/customers?page=1&limit=20"
    WORKERS=1 CONNECTIONS=1 ...   # the same without contention

Needs the scale database (bench/scale_data.py prints its API key on its last line; pass it
with --key or as BENCH_KEY) and wrk. Linux only (/proc).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import RESULTS, django_env, gunicorn, wrk  # noqa: E402

HZ = os.sysconf("SC_CLK_TCK")


def _cpu_by_process() -> dict[str, tuple[str, str, float]]:
    out = {}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            stat = Path(f"/proc/{pid}/stat").read_text()
            cmd = Path(f"/proc/{pid}/cmdline").read_text().replace("\0", " ")
        except OSError:
            continue
        comm = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        out[pid] = (comm, cmd, (int(fields[11]) + int(fields[12])) / HZ)
    return out


def _group(comm: str, cmd: str) -> str:
    if "gunicorn" in cmd:
        return "app workers"
    if comm.startswith("postgres") or "postgres" in cmd:
        return "postgres"
    if "redis" in comm:
        return "redis"
    return "other"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def measure(app: str, path: str, headers: dict, args) -> dict[str, float]:
    env = django_env(args.db)
    log = RESULTS / "logs" / "cpu_split.log"
    with gunicorn(app, port=_free_port(), workers=args.workers, env=env, log=log) as base:
        wrk(base + path, seconds=2, connections=args.connections, headers=headers)
        before, children = _cpu_by_process(), os.times()
        command = ["wrk", "-t1", f"-c{args.connections}", f"-d{args.seconds}s"]
        for name, value in headers.items():
            command += ["-H", f"{name}: {value}"]
        done = subprocess.run([*command, base + path], capture_output=True, text=True, check=True)
        after, children_after = _cpu_by_process(), os.times()
    requests = int(next(x for x in done.stdout.splitlines() if "requests in" in x).split()[0])
    split: dict[str, float] = {}
    for pid, (comm, cmd, cpu) in after.items():
        group = _group(comm, cmd)
        split[group] = split.get(group, 0.0) + cpu - before.get(pid, (comm, cmd, 0.0))[2]
    split["wrk"] = (children_after.children_user + children_after.children_system) - (
        children.children_user + children.children_system
    )
    per_request = {k: v / requests * 1000 for k, v in split.items() if v > 0}
    per_request["requests/s"] = requests / args.seconds
    return per_request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("path")
    parser.add_argument("--db", default="ll_bench_scale")
    parser.add_argument("--key", default=os.environ.get("BENCH_KEY", ""))
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--workers", type=int, default=int(os.environ.get("WORKERS", "4")))
    parser.add_argument("--connections", type=int, default=int(os.environ.get("CONNECTIONS", "8")))
    args = parser.parse_args()
    if not args.key:
        parser.error("the API key of the scale database: --key or BENCH_KEY")
    for label, app, headers in (
        ("Ledgerline", "config.wsgi:application", {"Authorization": f"Bearer {args.key}"}),
        ("baseline", "bench.baseline_app:application", {}),
    ):
        split = measure(app, args.path, headers, args)
        rate = split.pop("requests/s")
        total = sum(split.values())
        parts = ", ".join(f"{k} {v:.2f}" for k, v in sorted(split.items()))
        print(f"{label:10} {rate:6.0f} req/s; CPU ms per request: {parts}; total {total:.2f}")


if __name__ == "__main__":
    main()
