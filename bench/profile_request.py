"""Profiles one API request in-process with pyinstrument (what the scale benchmark's slow
scenarios were diagnosed with).

    .venv/bin/python bench/profile_request.py --db ll_bench_scale GET "/api/v2/customers?page=1"
    .venv/bin/python bench/profile_request.py --db ll_bench_scale POST /api/v2/batch/customers

The request runs `--repeat` times (after one warm-up) under the same settings as the benchmark;
the profile of all runs is printed as text, and the SQL statements of the last run are counted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import django_env  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", default="ll_bench_scale")
    parser.add_argument("--repeat", type=int, default=20)
    parser.add_argument("method", choices=["GET", "POST"])
    parser.add_argument("path")
    args = parser.parse_args()
    os.environ.update(django_env(args.db))

    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from pyinstrument import Profiler

    from users.models import Role, User
    from users.services import api_key_create, user_create

    user = User.objects.filter(email="profile@example.com").first() or user_create(
        email="profile@example.com", role=Role.ADMINISTRATOR
    )
    _, raw = api_key_create(user=user, name="profile")
    client = Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_HOST="127.0.0.1")

    def body(i: int) -> str:
        customers = [
            {"account": f"Profiled {i} {n}", "email": f"batch-prof-{time.time_ns()}-{n}@ex.com"}
            for n in range(1000)
        ]
        return json.dumps({"customers": customers})

    def once(i: int):
        if args.method == "GET":
            return client.get(args.path)
        return client.post(args.path, data=body(i), content_type="application/json")

    once(0)
    profiler = Profiler(interval=0.0005)
    started = time.perf_counter()
    with profiler:
        for i in range(args.repeat):
            response = once(i + 1)
    elapsed = time.perf_counter() - started
    with CaptureQueriesContext(connection) as queries:
        once(args.repeat + 1)
    print(profiler.output_text(unicode=False, color=False, show_all=False))
    print(
        f"status {response.status_code}; {elapsed / args.repeat * 1000:.1f} ms per request; "
        f"{len(queries)} SQL statements"
    )
    for query in queries.captured_queries[:15]:
        print(f"  {query['time']}s  {query['sql'][:160]}")
    if args.method == "POST":
        from customers.models import Customer

        Customer.objects.filter(email__startswith="batch-prof-").delete()


if __name__ == "__main__":
    main()
