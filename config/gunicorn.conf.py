"""gunicorn settings: `gunicorn -c config/gunicorn.conf.py config.wsgi:application`.

Every value comes from the environment (docs/operations.md has the table), with defaults fit
for one web container behind a load balancer that terminates TLS.
"""

import multiprocessing
import os


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "")
    return int(value) if value.strip() else default


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
