"""gunicorn settings: `gunicorn -c config/gunicorn.conf.py config.wsgi:application`.

Every value comes from the environment (docs/operations.md has the table), with defaults fit
for one web container behind a load balancer that terminates TLS.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


def _bool(name: str, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value not in ("true", "1", "yes", "false", "0", "no"):
        raise ValueError(f"{name} must be true or false, not {value!r}")
    return value in ("true", "1", "yes")


bind = os.environ.get("GUNICORN_BIND") or f"0.0.0.0:{_int('PORT', 8000)}"  # noqa: S104
# Sync workers: Django's ORM is synchronous and each request is short. The classic
# 2 x cores + 1, overridable per container (WEB_CONCURRENCY is the common convention).
workers = _int("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1)
threads = _int("GUNICORN_THREADS", 1)
# Longer than any request should take; the idempotency lock (api/idempotency.py, 120 s)
# outlives it, so a killed request's key frees itself soon after.
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
# Recycle workers now and then so a slow leak never grows without bound; the jitter keeps
# them from restarting all at once.
max_requests = _int("GUNICORN_MAX_REQUESTS", 2000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 200)
# The master imports the application once and every worker is a fork of it. Workers that share
# the load evenly reach max_requests together (the jitter spreads them over seconds only), and a
# worker that imports Django itself serves nothing for the second or more that takes: under
# the load test all four were booting at once and requests waited 6 s (docs/performance.md).
# A fork serves at once, and the startup objects config/wsgi.py froze stay shared copy-on-write.
# No connection is open in the master to be inherited (config/wsgi.py closes any). Off
# (GUNICORN_PRELOAD=false) when a HUP must load new code without restarting the master.
preload_app = _bool("GUNICORN_PRELOAD", True)
# The balancer's address(es) allowed to set X-Forwarded-* (Django trusts X-Forwarded-Proto
# through SECURE_PROXY_SSL_HEADER).
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None  # noqa: S108

# One JSON line per request on stdout, carrying the request id the application put in the
# X-Request-ID response header, so an access line joins the application's own log lines.
accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()
# Only atoms that cannot hold a double quote (gunicorn does not JSON-escape): the request id
# is sanitised by api.middleware, the path is percent-encoded by clients. The query string and
# user agent are left out for that reason.
access_log_format = (
    '{"time": "%(t)s", "request_id": "%({x-request-id}o)s", "remote": "%(h)s", '
    '"method": "%(m)s", "path": "%(U)s", "status": %(s)s, "bytes": "%(B)s", '
    '"duration_ms": %(M)s}'
)
# Portal links carry a secret token in the path: the access log prints `/portal/***`.
logger_class = "config.access_log.RedactingLogger"
