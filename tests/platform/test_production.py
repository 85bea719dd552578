"""Production readiness: `check --deploy` clean with production variables, JSON logs that
carry the request id, and the gunicorn config serving the app."""

import io
import json
import logging
import os
import secrets
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from pythonjsonlogger.json import JsonFormatter

ROOT = Path(__file__).resolve().parents[2]

PRODUCTION_ENV = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "ledger.example.com",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_PRELOAD": "true",
    "CSRF_TRUSTED_ORIGINS": "https://ledger.example.com",
    "DATABASE_URL": "postgres://ledgerline@db.internal:5432/ledgerline",
    "SANDBOX_DATABASE_URL": "postgres://ledgerline@db.internal:5432/ledgerline_sandbox",
    "REDIS_URL": "redis://redis.internal:6379/0",
}


def _clean_env(**overrides) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in PRODUCTION_ENV}
    env.pop("LOG_FORMAT", None)
    return {**env, **overrides}


def test_check_deploy_is_clean_with_production_variables():
    result = subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=_clean_env(**PRODUCTION_ENV),
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_the_development_secret_key():
    env = _clean_env(**{**PRODUCTION_ENV, "SECRET_KEY": ""})
    env.pop("SECRET_KEY")

    result = subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", "check"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "SECRET_KEY is the development default" in result.stderr


@pytest.fixture
def json_log():
    """The console handler the settings install, writing JSON into a buffer."""
    handler = next(
        h
        for h in logging.getLogger().handlers
        if any(type(f).__name__ == "RequestIdLogFilter" for f in h.filters)
    )
    buffer = io.StringIO()
    old_stream, old_formatter = handler.stream, handler.formatter
    handler.setStream(buffer)
    handler.setFormatter(
        JsonFormatter("%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s")
    )
    yield buffer
    handler.setStream(old_stream)
    handler.setFormatter(old_formatter)


@pytest.mark.django_db
@pytest.mark.urls("tests.platform.failing_urls")
def test_error_log_line_is_json_with_the_request_id(api, json_log):
    response = api.get("/api/v2/failing", HTTP_X_REQUEST_ID="req-abc-123")

    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    errors = [line for line in lines if line["levelname"] == "ERROR"]
    assert response.status_code == 500
    assert response.json() == {
        "success": False,
        "message": "Internal server error. Quote request id req-abc-123 to support.",
    }
    assert errors[0]["request_id"] == "req-abc-123"
    assert errors[0]["name"] == "ledgerline.api"
    assert "simulated failure" in errors[0]["exc_info"]
    assert "Traceback" not in response.content.decode()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _migrated_env(tmp_path, **overrides) -> dict:
    """A production-like environment on SQLite, migrated as a deployment is: /health's
    registered checks (the recurring generator's last run) read their tables."""
    env = _clean_env(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"sqlite:///{tmp_path / 'live.sqlite3'}",
        SANDBOX_DATABASE_URL=f"sqlite:///{tmp_path / 'sandbox.sqlite3'}",
        REDIS_URL="",
        **overrides,
    )
    for database in ("default", "sandbox"):
        subprocess.run(  # noqa: S603
            [sys.executable, "manage.py", "migrate", "--database", database, "-v", "0"],
            cwd=ROOT,
            env=env,
            check=True,
        )
    return env


def _serve(env: dict, port: int, probe) -> str:
    """Runs gunicorn with config/gunicorn.conf.py, calls `probe(base_url)` once /health
    answers, and returns everything gunicorn printed."""
    proc = subprocess.Popen(  # noqa: S603
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"],
        cwd=ROOT,
        env={**env, "GUNICORN_BIND": f"127.0.0.1:{port}"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        # Generous: on a busy CI machine the master's import alone can take seconds.
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{base}/health", timeout=30):  # noqa: S310
                    break
            except OSError:
                if time.monotonic() > deadline or proc.poll() is not None:
                    raise
                time.sleep(0.2)
        probe(base)
    except BaseException as error:
        proc.terminate()
        error.add_note("gunicorn printed:\n" + proc.communicate(timeout=30)[0])
        raise
    proc.terminate()
    return proc.communicate(timeout=30)[0]


def _get(url: str, **headers) -> tuple[int, dict]:
    request = urllib.request.Request(url, headers=headers)
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, json.loads(response.read())


@pytest.mark.slow
def test_gunicorn_config_serves_health_and_logs_json_with_request_id(tmp_path):
    env = _migrated_env(tmp_path, WEB_CONCURRENCY="1")
    answers = []

    output = _serve(
        env,
        _free_port(),
        lambda base: answers.append(_get(f"{base}/health", **{"X-Request-ID": "lb-probe-7"})),
    )

    status, body = answers[0]
    assert status == 200
    assert body["status"] == "ok", body
    access = [json.loads(line) for line in output.splitlines() if '"request_id"' in line]
    assert {
        "request_id": "lb-probe-7",
        "method": "GET",
        "path": "/health",
        "status": 200,
    }.items() <= access[-1].items()


@pytest.mark.slow
def test_gunicorn_recycles_workers_as_forks_of_the_preloaded_app(tmp_path):
    # Every worker is recycled after 3 requests; each new one is a fork of the master that
    # imported the app, and answers /health (which reads both databases) like the first did:
    # no connection of the master's is shared by the forks.
    env = _migrated_env(
        tmp_path,
        WEB_CONCURRENCY="2",
        GUNICORN_MAX_REQUESTS="3",
        GUNICORN_MAX_REQUESTS_JITTER="0",
        LOG_LEVEL="INFO",
    )
    answers = []

    output = _serve(
        env,
        _free_port(),
        lambda base: answers.extend(_get(f"{base}/health") for _ in range(20)),
    )

    assert [status for status, _ in answers] == [200] * 20
    assert {body["status"] for _, body in answers} == {"ok"}
    assert output.count("Autorestarting worker after current request") >= 4
    assert output.count("Booting worker") >= 6


def _python(probe: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _preload_app(**environ) -> subprocess.CompletedProcess:
    return _python(
        "import json, runpy; "
        "print(json.dumps(runpy.run_path('config/gunicorn.conf.py')['preload_app']))",
        _clean_env(**environ),
    )


def test_gunicorn_preloads_the_app_unless_told_not_to():
    assert _preload_app().stdout.strip() == "true"
    assert _preload_app(GUNICORN_PRELOAD="false").stdout.strip() == "false"


def test_gunicorn_refuses_a_malformed_preload_flag():
    result = _preload_app(GUNICORN_PRELOAD="sometimes")

    assert result.returncode != 0
    assert "GUNICORN_PRELOAD must be true or false, not 'sometimes'" in result.stderr


def test_wsgi_application_freezes_its_startup_objects_with_every_view_imported():
    # The worker's long-lived objects (views included) are kept out of every garbage
    # collection; a URLconf left to load on the first request would not be.
    result = _python(
        "import gc, sys, config.wsgi; "
        "print(gc.get_freeze_count(), 'customers.views' in sys.modules, len(gc.get_objects()))",
        _clean_env(**PRODUCTION_ENV),
    )

    assert result.returncode == 0, result.stderr
    frozen, views_imported, tracked = result.stdout.split()
    assert int(frozen) > 50_000
    assert views_imported == "True"
    assert int(tracked) < int(frozen) // 10
