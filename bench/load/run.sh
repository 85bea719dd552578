#!/usr/bin/env bash
# The load test in one command (bench/load/run.py says what it does). Needs PostgreSQL and
# Redis on 127.0.0.1 and the bench requirements (installed here when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
if ! .venv/bin/python -c "import locust, orjson, aiosmtpd" 2>/dev/null; then
  .venv/bin/pip install --quiet -r requirements/bench.txt
fi
exec .venv/bin/python bench/load/run.py "$@"
