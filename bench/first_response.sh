#!/usr/bin/env bash
# Time from `make run` on a fresh clone (no .venv, empty pip/uv caches) to the first answer of
# GET /health. Usage: bench/first_response.sh [git-ref] [port]   (docs/performance.md)
set -euo pipefail
REF=${1:-HEAD}
PORT=${2:-8765}
ROOT=$(git rev-parse --show-toplevel)
WORK=$(mktemp -d /tmp/ll-first-response.XXXXXX)
git clone --quiet "$ROOT" "$WORK/clone"
git -C "$WORK/clone" checkout --quiet "$REF"
export PIP_CACHE_DIR="$WORK/pip-cache" UV_CACHE_DIR="$WORK/uv-cache" XDG_CACHE_HOME="$WORK/cache"
unset DATABASE_URL SANDBOX_DATABASE_URL REDIS_URL CI VIRTUAL_ENV
cd "$WORK/clone"
start=$(date +%s.%N)
setsid make run PORT="$PORT" >"$WORK/make-run.log" 2>&1 &
pid=$!
until curl -fsS -o /dev/null "http://127.0.0.1:$PORT/health" 2>/dev/null; do
    if ! kill -0 "$pid" 2>/dev/null; then echo "make run exited; see $WORK/make-run.log"; exit 1; fi
    sleep 0.5
done
end=$(date +%s.%N)
printf 'first response after %.1f s (log: %s)\n' "$(echo "$end - $start" | bc)" "$WORK/make-run.log"
kill -- -"$pid" 2>/dev/null || true
