"""The financial report's roll-ups against its live aggregate on an existing database (the
scale benchmark's), in-process: prints one line `REPORT_JSON {...}` that bench_scale.py reads.

    DATABASE_URL=postgres://.../ll_bench_scale .venv/bin/python bench/report_ratio.py --runs 15

Both ways must give identical figures (asserted); each way is timed with the runs alternating
(bench_reports.timed_pair), so load from other processes weighs on both alike.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.bench_reports import timed_pair  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--year", type=int, default=2025)
    args = parser.parse_args()

    import django

    django.setup()
    from ledger.models import Transaction
    from reporting.selectors import Period, financial_report, financial_report_live

    periods = {
        "all time": Period(),
        f"one year ({args.year})": Period(year=args.year),
        f"one month ({args.year}-06)": Period(year=args.year, month=6),
    }
    out = {"transactions": Transaction.objects.count(), "runs": args.runs, "periods": {}}
    for label, period in periods.items():
        rolled_ms, live_ms, rolled, live = timed_pair(
            lambda p=period: financial_report(period=p),
            lambda p=period: financial_report_live(period=p),
            args.runs,
        )
        if rolled != live:
            raise SystemExit(f"{label}: roll-ups {rolled} differ from the live figures {live}")
        out["periods"][label] = {
            "rollups_ms": round(rolled_ms, 2),
            "live_ms": round(live_ms, 2),
            "speedup": round(live_ms / rolled_ms, 1),
        }
    print("REPORT_JSON " + json.dumps(out))


if __name__ == "__main__":
    main()
