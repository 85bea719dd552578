"""Email settings from the environment (contract section 10), read by a fresh interpreter
the way a server process reads them."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NAMES = [
    "EMAIL_ENABLED",
    "EMAIL_BACKEND",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_SSL",
    "ANYMAIL",
    "DEFAULT_FROM_EMAIL",
    "EMAIL_RETRY_DELAYS",
    "EMAIL_PAYMENT_RECEIPTS",
    "INVOICE_REMINDER_DAYS",
    "SANDBOX_EMAIL",
]


def settings_with(**env: str) -> dict:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("EMAIL_", "ANYMAIL_"))}
    clean.update({"SECRET_KEY": "x" * 50, "DEBUG": "false", **env})
    code = (
        "import json; from config import settings as s; "
        f"print(json.dumps({{n: getattr(s, n, None) for n in {NAMES!r}}}))"
    )
    done = subprocess.run(  # noqa: S603 - our own interpreter and code
        [sys.executable, "-c", code], cwd=ROOT, env=clean, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def test_defaults_in_production_send_nothing():
    s = settings_with()

    assert s["EMAIL_ENABLED"] is False
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.dummy.EmailBackend"
    assert s["EMAIL_RETRY_DELAYS"] == [60, 300, 1800, 7200]
    assert s["EMAIL_PAYMENT_RECEIPTS"] is True
    assert s["INVOICE_REMINDER_DAYS"] == [-3, 1, 7, 14]
    assert s["DEFAULT_FROM_EMAIL"] == "Ledgerline Demo Co. <billing@example.com>"
    assert s["SANDBOX_EMAIL"]["EMAIL_BACKEND"] == "django.core.mail.backends.dummy.EmailBackend"


def test_debug_prints_emails_to_the_console():
    s = settings_with(DEBUG="true")

    assert s["EMAIL_ENABLED"] is True
    assert s["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"


def test_an_smtp_url():
    s = settings_with(EMAIL_URL="smtp+ssl://mailer:s%3Acret@smtp.example.com:465")

    assert s["EMAIL_ENABLED"] is True
    assert (s["EMAIL_BACKEND"], s["EMAIL_HOST"], s["EMAIL_PORT"]) == (
        "django.core.mail.backends.smtp.EmailBackend",
        "smtp.example.com",
        465,
    )
    assert (s["EMAIL_HOST_USER"], s["EMAIL_HOST_PASSWORD"], s["EMAIL_USE_SSL"]) == (
        "mailer",
        "s:cret",
        True,
    )


def test_a_provider_through_anymail():
    s = settings_with(
        EMAIL_BACKEND="anymail.backends.postmark.EmailBackend",
        ANYMAIL_POSTMARK_SERVER_TOKEN="server-token",
    )

    assert s["EMAIL_ENABLED"] is True
    assert s["EMAIL_BACKEND"] == "anymail.backends.postmark.EmailBackend"
    assert s["ANYMAIL"] == {"POSTMARK_SERVER_TOKEN": "server-token"}


@pytest.mark.parametrize(
    "env",
    [{"EMAIL_URL": "carrier-pigeon://x"}, {"EMAIL_RETRY_DELAYS": "60,soon"}],
)
def test_a_malformed_value_fails_at_start_up(env):
    clean = {k: v for k, v in os.environ.items() if not k.startswith("EMAIL_")}
    clean.update(SECRET_KEY="x" * 50, **env)
    done = subprocess.run(  # noqa: S603
        [sys.executable, "-c", "import config.settings"],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
    )

    assert done.returncode != 0
