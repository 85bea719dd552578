#!/usr/bin/env bash
# The scale benchmarks in one command (bench/bench_scale.py says what they do). Needs
# PostgreSQL on 127.0.0.1, wrk (apt-get install wrk) and the bench requirements.
#   SCALE=0.01 BENCH_SECONDS=3 bench/scale.sh   # a small run, to check the script works
#   ROUNDS=5 bench/scale.sh                     # rounds of interleaved pairs (default 3)
#   BENCH_DB=name BENCH_REDIS_URL=redis://127.0.0.1:6379/N   # database and Redis to use
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "wrk is missing: apt-get install -y wrk" >&2; exit 1; }
if ! .venv/bin/python -c "import orjson, pyinstrument" 2>/dev/null; then
  .venv/bin/pip install --quiet -r requirements/bench.txt
fi
exec .venv/bin/python bench/bench_scale.py "$@"
