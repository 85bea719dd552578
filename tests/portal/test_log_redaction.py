"""Portal tokens never reach a log line: Django's request warnings, runserver's request lines
and gunicorn's access log all show `/portal/***`."""

import io
import logging
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.test import Client, RequestFactory

from config.access_log import RedactingLogger
from core.log_redaction import SecretPathFilter, redact_path
from tests.billing.factories import make_invoice

TOKEN = "Zr3kq0E1lJ7wW2m8YQxM4bNf9uA5cTgHdPiVsKo6XyC"


def test_redact_path_masks_the_token_and_keeps_the_rest():
    assert redact_path(f"GET /portal/{TOKEN}/pdf HTTP/1.1") == "GET /portal/***/pdf HTTP/1.1"
    assert redact_path("/portal/stripe/webhook") == "/portal/stripe/webhook"
    assert redact_path("/api/v2/invoices/1") == "/api/v2/invoices/1"


def test_the_filter_rewrites_message_arguments_and_the_request():
    request = RequestFactory().get(f"/portal/{TOKEN}")
    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Not Found: %s", (request.path,), None
    )
    record.request = request

    SecretPathFilter().filter(record)

    assert record.getMessage() == "Not Found: /portal/***"
    assert TOKEN not in str(record.request)


@pytest.mark.django_db
def test_the_console_handler_redacts_what_django_logs_for_the_portal(settings):
    settings.PORTAL_RATE_LIMIT = "1000/m"
    invoice = make_invoice()
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(isinstance(f, SecretPathFilter) for f in h.filters)
    )
    stream = io.StringIO()
    previous = handler.setStream(stream)
    try:
        # A CSRF refusal is logged (WARNING, django.security.csrf) with the path.
        Client(enforce_csrf_checks=True).post(f"/portal/{invoice.portal_token}/pay")
    finally:
        handler.setStream(previous)

    logged = stream.getvalue()
    assert "Forbidden" in logged and "/portal/***" in logged
    assert invoice.portal_token not in logged


def test_gunicorn_access_log_masks_the_path():
    logger = RedactingLogger(SimpleNamespace(**_gunicorn_config()))
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/portal/{TOKEN}?payment=done",
        "PATH_INFO": f"/portal/{TOKEN}",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "QUERY_STRING": "payment=done",
        "HTTP_REFERER": f"https://billing.example.test/portal/{TOKEN}",
    }
    response = SimpleNamespace(status="200 OK", sent=10, headers=[])

    atoms = logger.atoms(response, SimpleNamespace(headers=[]), environ, timedelta(seconds=1))

    assert atoms["U"] == "/portal/***"
    assert atoms["r"] == "GET /portal/***?payment=done HTTP/1.1"
    assert TOKEN not in atoms["f"]


def _gunicorn_config() -> dict:
    from gunicorn.config import Config

    config = Config()
    return {name: setting.get() for name, setting in config.settings.items()}


@pytest.mark.slow
def test_gunicorn_with_the_project_config_never_logs_a_token(tmp_path):
    """The real server (config/gunicorn.conf.py): its access log line and the application's
    error log line (here a 500: the throwaway database has no tables) show `/portal/***`."""
    import secrets
    import subprocess
    import sys
    import time
    import urllib.error
    import urllib.request

    from tests.platform.test_production import ROOT, _clean_env, _free_port

    port = _free_port()
    env = _clean_env(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"sqlite:///{tmp_path / 'live.sqlite3'}",
        SANDBOX_DATABASE_URL=f"sqlite:///{tmp_path / 'sandbox.sqlite3'}",
        REDIS_URL="",
        GUNICORN_BIND=f"127.0.0.1:{port}",
        WEB_CONCURRENCY="1",
    )
    proc = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    statuses = []
    try:
        deadline = time.monotonic() + 30
        while not statuses:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/portal/{TOKEN}", timeout=5)  # noqa: S310
            except urllib.error.HTTPError as error:
                statuses.append(error.code)
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
    finally:
        proc.terminate()
        output, _ = proc.communicate(timeout=30)

    assert statuses == [500]
    assert '"path": "/portal/***"' in output
    assert "Internal Server Error: /portal/***" in output
    assert TOKEN not in output
