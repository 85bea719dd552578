import os

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from tests.factories import make_api_key
from tests.markers import uses_postgres, uses_redis
from users.models import Role


def pytest_configure(config):
    # CI must exercise the real PostgreSQL and Redis: never let their tests skip silently there.
    if os.environ.get("CI") == "true" and not (uses_postgres() and uses_redis()):
        pytest.exit("CI=true but DATABASE_URL (PostgreSQL) or REDIS_URL is not set", returncode=3)


@pytest.fixture(autouse=True)
def _eager_celery(request):
    # Tasks run in-process (after commit) in every test but those that start a real worker,
    # even when REDIS_URL points at a broker.
    from config.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = "worker" not in request.keywords
    yield
    app.conf.task_always_eager = previous


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is for production; tests only need a working hasher.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _login_with_a_request(monkeypatch):
    # django-axes checks every authentication against its lockouts and so needs the request;
    # the test client's login() passes none (axes' documented fix: hand it one).
    from django.http import HttpRequest
    from django.test import Client

    original = Client.login

    def login(self, **credentials):
        credentials.setdefault("request", HttpRequest())
        return original(self, **credentials)

    monkeypatch.setattr(Client, "login", login)


@pytest.fixture(autouse=True)
def _clear_cache():
    # Rate-limit counters and idempotency records must not leak between tests.
    cache.clear()
    yield
    cache.clear()


def _client_for(role: str = Role.ADMINISTRATOR, **key_kwargs) -> APIClient:
    key, raw = make_api_key(role=role, **key_kwargs)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    client.api_key = key
    client.raw_key = raw
    client.user = key.user
    return client


@pytest.fixture
def client_for(db):
    """`client_for("staff")` → an APIClient authenticated with a new key of that role."""
    return _client_for


@pytest.fixture
def api(db) -> APIClient:
    """An APIClient with an administrator's key."""
    return _client_for(Role.ADMINISTRATOR)


@pytest.fixture
def anon() -> APIClient:
    return APIClient()


@pytest.fixture(scope="session")
def django_db_setup(
    request,
    django_test_environment,
    django_db_blocker,
    django_db_keepdb,
    django_db_createdb,
    django_db_modify_db_settings,
):
    """pytest-django's fixture, except that it always creates and migrates BOTH test databases
    (live `default` and `sandbox`), whatever tests were collected: code under test may route
    to the sandbox, and a worker process is handed both test databases' names."""
    from django.db import connections
    from django.test.utils import setup_databases, teardown_databases

    with django_db_blocker.unblock():
        db_cfg = setup_databases(
            verbosity=request.config.option.verbose,
            interactive=False,
            keepdb=django_db_keepdb and not django_db_createdb,
            aliases=set(connections),
            serialized_aliases=set(),
        )
    yield
    if not django_db_keepdb:
        with django_db_blocker.unblock():
            teardown_databases(db_cfg, verbosity=request.config.option.verbose)


# --- email (shared by tests/mail and the rooms that send mail) -------------------------------


@pytest.fixture
def mail_settings(settings):
    """Sending configured (pytest-django already swapped the backend for locmem), the company
    details fixed, and a retry schedule the tests can read."""
    settings.EMAIL_ENABLED = True
    settings.DEFAULT_FROM_EMAIL = "Acme Billing <billing@acme.test>"
    settings.COMPANY_NAME = "Acme & Sons Ltd"
    settings.COMPANY_ADDRESS = "1 Ledger Lane, Springfield"
    settings.COMPANY_EMAIL = "billing@acme.test"
    settings.COMPANY_PHONE = "+1 555 0100"
    settings.COMPANY_WEBSITE = "https://acme.test"
    settings.EMAIL_RETRY_DELAYS = [60, 300, 1800, 7200]
    settings.EMAIL_TIMEOUT = 5
    return settings


@pytest.fixture
def smtp_server(settings):
    """A real SMTP server on a free loopback port, with Django's email settings pointing at
    it."""
    from tests.mail.smtp_server import SmtpServer

    with SmtpServer() as server:
        for name, value in server.settings().items():
            setattr(settings, name, value)
        yield server


@pytest.fixture(scope="session")
def small_pdf() -> bytes:
    """A small real PDF, made by the same library as the invoices."""
    import io

    from reportlab.pdfgen import canvas

    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.drawString(72, 720, "Invoice INV-2026-001")
    pdf.save()
    return buffer.getvalue()
