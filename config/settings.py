"""Ledgerline settings: one module, every value from the environment (contract section 1).

A malformed variable fails loudly at start-up (django-environ raises), and production
refuses the development secret key.
"""

from datetime import date, timedelta
from pathlib import Path

import environ
from babel.numbers import list_currencies
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured
from django.templatetags.static import static
from import_export.formats import base_formats as import_export_formats

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()

DEV_SECRET_KEY = "django-insecure-ledgerline-development-key-do-not-use-in-production"  # noqa: S105

DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env.str("SECRET_KEY", default=DEV_SECRET_KEY)
if not DEBUG and SECRET_KEY == DEV_SECRET_KEY:
    raise ImproperlyConfigured(
        "SECRET_KEY is the development default while DEBUG is false: set SECRET_KEY."
    )
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])

INSTALLED_APPS = [
    # django-unfold before django.contrib.admin: its templates and admin site take over the
    # stock admin's, at the same URLs (docs/admin.md).
    "unfold",
    "unfold.contrib.filters",
    "unfold.contrib.forms",
    "unfold.contrib.import_export",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "import_export",
    "core",
    "api",
    "users",
    "customers",
    "billing",
    "ledger",
    "support",
    "reporting",
    "webhooks",
    "mail",
    "audit",
    "portal",
]

MIDDLEWARE = [
    "api.middleware.RequestIdMiddleware",
    # Before anything reads the body: a chunked body is read in full or refused (411).
    "api.middleware.ChunkedBodyMiddleware",
    # Inside the request id (its log lines carry it) and around everything that answers.
    "users.usage.ApiUsageMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # noindex, no referrer, no caching on every /portal/ answer, CSRF refusals included.
    "portal.middleware.PortalHeadersMiddleware",
    # Last, as django-axes asks: turns a locked-out login into its lockout response.
    "axes.middleware.AxesMiddleware",
]

# django-axes first: it refuses a locked-out account or address before any password check.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
# Paths are served with and without a trailing slash by the routes themselves: a redirect
# would drop a POST body (contract section 3).
APPEND_SLASH = False

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
            "builtins": ["core.money_format"],
        },
    },
]

# --- Databases -----------------------------------------------------------------------------
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
    "sandbox": env.db("SANDBOX_DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'sandbox.sqlite3'}"),
}
for _db in DATABASES.values():
    if _db["ENGINE"] == "django.db.backends.postgresql":
        # Django's backend with a health check that needs no round trip (its docstring).
        _db["ENGINE"] = "core.postgresql"
        _db.setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
        _db.setdefault("CONN_HEALTH_CHECKS", True)
DATABASE_ROUTERS = ["core.db.SandboxRouter"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "users.User"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
STATICFILES_DIRS = [BASE_DIR / "static"]  # the admin's own CSS and JS (no build step)
WHITENOISE_USE_FINDERS = True  # `make run` serves the admin's assets without collectstatic

# Every business date (documents, payments, transactions, filters) must fall in this window
# (core.fields.BusinessDateField): a year 9999 or 0001 typo would otherwise be stored and break
# the monthly roll-ups. ISO dates; a malformed one fails at start-up.
BUSINESS_DATE_MIN = date.fromisoformat(env.str("BUSINESS_DATE_MIN", default="1900-01-01"))
BUSINESS_DATE_MAX = date.fromisoformat(env.str("BUSINESS_DATE_MAX", default="2199-12-31"))
if not date(1000, 1, 1) <= BUSINESS_DATE_MIN <= BUSINESS_DATE_MAX < date(9999, 1, 1):
    raise ImproperlyConfigured(
        "BUSINESS_DATE_MIN must not be after BUSINESS_DATE_MAX, both within years 1000-9998."
    )

# The currency of every amount that has none of its own (invoices, reports); accounts carry
# their own. Amounts are shown with it, formatted by Babel (core.money_format).
BASE_CURRENCY = env.str("BASE_CURRENCY", default="USD")
if BASE_CURRENCY not in list_currencies():
    raise ImproperlyConfigured("BASE_CURRENCY must be an ISO 4217 code in capitals, e.g. USD.")
MONEY_LOCALE = env.str("MONEY_LOCALE", default="en_US")

# --- Admin (django-unfold; docs/admin.md) ------------------------------------------------------
# unfold's login form posts no `next` when none was asked for: land on the admin index.
LOGIN_REDIRECT_URL = "/admin/"
LOGIN_URL = "/admin/login/"
UNFOLD = {
    "SITE_TITLE": "Ledgerline",
    "SITE_HEADER": "Ledgerline",
    "SITE_SUBHEADER": "Billing, CRM and support",
    "SITE_SYMBOL": "account_balance",
    "SHOW_HISTORY": True,
    "SHOW_VIEW_ON_SITE": False,
    "DASHBOARD_CALLBACK": "reporting.admin.index_dashboard",
    "STYLES": [lambda request: static("ledgerline/admin.css")],
    "SIDEBAR": {
        "show_search": True,
        "show_all_applications": False,
        # Built per request from the models the user's role may see, grouped by room.
        "navigation": "config.admin_navigation.sidebar",
    },
}

# --- Cache, broker, Celery -------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "core.cache.RedisCache",
            "LOCATION": REDIS_URL,
            # Redis answers in well under a millisecond: a Redis that hangs must cost a
            # request at most this, then degraded mode takes over (core/cache.py).
            "OPTIONS": {
                "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT", default=0.5),
                "socket_timeout": env.float("REDIS_TIMEOUT", default=1.0),
            },
        }
    }
    SILENCED_SYSTEM_CHECKS: list[str] = []
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    # Embedded mode (no Redis) is one process: `make run` or the test suite. A per-process
    # cache is then correct for rate limits, so django-ratelimit's "shared cache" check is
    # knowingly silenced here and only here (docs/architecture.md).
    SILENCED_SYSTEM_CHECKS = ["django_ratelimit.E003", "django_ratelimit.W001"]

RATELIMIT_USE_CACHE = "default"
API_RATE_LIMIT = env.str("API_RATE_LIMIT", default="1000/h")
# Per client address, on the anonymous paths (the schema and the docs; api/public.py).
ANON_RATE_LIMIT = env.str("ANON_RATE_LIMIT", default="60/m")
# Seconds of Redis outage (per process) during which API requests are served without counting
# them against the rate limit; past that they get 503 + Retry-After (api/ratelimit.py).
RATELIMIT_FAIL_OPEN_SECONDS = env.int("RATELIMIT_FAIL_OPEN_SECONDS", default=300)
# How often, at most, one key's buffered usage counts are written to the database (users/usage.py).
API_USAGE_FLUSH_SECONDS = env.int("API_USAGE_FLUSH_SECONDS", default=60)
# Seconds an API-key lookup is cached (users/key_cache.py). Only with Redis by default: the
# cache must be shared by every process that can change a key, or a change made elsewhere
# (another process on a local-memory cache) would wait out the TTL.
API_KEY_CACHE_SECONDS = env.int("API_KEY_CACHE_SECONDS", default=60 if REDIS_URL else 0)

# "localhost" only to spare kombu's "No hostname was supplied" warning: memory ignores it.
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
# Without a broker, tasks run in-process right after the transaction commits.
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_IGNORE_RESULT = True
CELERY_TIMEZONE = "UTC"
# Tasks are idempotent (they take ids and re-check state), so a task lost with a crashed
# worker is re-delivered rather than dropped. Retry timing lives in the database, never in
# long countdowns, so the visibility timeout only has to outlast one task run.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# max_retries 0: publishing (on_commit hooks in web requests) fails at once when the broker is
# down instead of blocking the request ~6 s in kombu's reconnect loop; the webhook sweep and
# idempotent tasks cover the lost message (docs/webhooks.md). Workers reconnect on their own
# settings (broker_connection_retry), not this one.
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "max_retries": 0}
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    "webhooks-sweep": {
        "task": "webhooks.tasks.sweep_due_deliveries",
        "schedule": timedelta(seconds=5),
    },
    "reporting-rebuild": {
        "task": "reporting.tasks.rebuild_rollups",
        "schedule": crontab(hour=3, minute=15),
    },
    "api-usage-flush": {
        "task": "users.tasks.flush_api_usage",
        "schedule": timedelta(seconds=60),
    },
    "sandbox-reset": {
        "task": "users.tasks.reset_sandbox",
        "schedule": crontab(hour=4, minute=0),
    },
    "mail-sweep": {
        "task": "mail.tasks.sweep_due_emails",
        "schedule": timedelta(seconds=env.int("EMAIL_SWEEP_SECONDS", default=60)),
    },
    # Daily (TIME_ZONE), in business hours: a day's reminders go out together.
    "invoice-reminders": {
        "task": "billing.tasks.send_reminders",
        "schedule": crontab(hour=env.int("INVOICE_REMINDER_HOUR", default=9), minute=0),
    },
    # Daily, early: the day's recurring invoices exist (and are sent) before the reminders.
    "recurring-invoices": {
        "task": "billing.tasks.generate_recurring_invoices",
        "schedule": crontab(hour=env.int("RECURRING_INVOICES_HOUR", default=6), minute=0),
    },
}
# /health reports the recurring invoice generator stale past this many hours without a run.
RECURRING_INVOICES_STALE_HOURS = env.int("RECURRING_INVOICES_STALE_HOURS", default=25)
# How many tasks the daily job is shared out to (worker processes that issue side by side).
RECURRING_INVOICES_WORKERS = env.int("RECURRING_INVOICES_WORKERS", default=2)

# --- Admin login lockout (django-axes; docs/operations.md) ----------------------------------
# In the database (the default handler): works with and without Redis, survives a Redis
# outage, and the admin lists attempts (Axes → Access attempts: delete one to unlock).
# Axes announces itself at every start-up; ops commands print only their own lines.
AXES_VERBOSE = False
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=10)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=15))
# Two separate counters: per account (whatever the address) and per address (whatever the
# account), so neither a botnet on one account nor one address spraying accounts gets far.
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
# The admin login form posts the email as `username`; counted case-insensitively.
AXES_USERNAME_CALLABLE = "api.ratelimit.login_username"
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "api.ratelimit.client_ip"
# Proxies in front of gunicorn that append to X-Forwarded-For (1 behind one load balancer);
# 0 trusts no header and uses the peer address. Per-IP limits use it (api/ratelimit.py).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# --- Webhooks --------------------------------------------------------------------------------
WEBHOOK_RETRY_DELAYS = [
    int(x)
    for x in env.list(
        "WEBHOOK_RETRY_DELAYS", default=["5", "300", "1800", "7200", "18000", "36000", "36000"]
    )
]
WEBHOOK_ALLOW_PRIVATE_TARGETS = env.bool("WEBHOOK_ALLOW_PRIVATE_TARGETS", default=False)
WEBHOOK_TIMEOUT = env.float("WEBHOOK_TIMEOUT", default=10.0)

# --- REST API --------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["api.renderers.EnvelopeJSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["api.parsers.DecimalJSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": ["users.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["users.permissions.RolePermission"],
    "DEFAULT_PAGINATION_CLASS": "api.pagination.Pagination",
    "DEFAULT_FILTER_BACKENDS": [
        "core.filters.FilterBackend",
        "core.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "api.autoschema.LedgerAutoSchema",
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "api.negotiation.JSONFirstNegotiation",
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": None,
    "COERCE_DECIMAL_TO_STRING": False,
    "DATETIME_FORMAT": "%Y-%m-%dT%H:%M:%SZ",
    # ISO 8601 (`date.isoformat()`): strftime("%Y") does not zero-pad years before 1000.
    "DATE_FORMAT": "iso-8601",
    "PAGE_SIZE": 20,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}

# --- Admin import and export (django-import-export; docs/api.md, Import and export) ---------
# Importing adds rows (the role's add permission); exporting only needs to see them.
IMPORT_EXPORT_IMPORT_PERMISSION_CODE = "add"
IMPORT_EXPORT_EXPORT_PERMISSION_CODE = "view"
IMPORT_EXPORT_FORMATS = [import_export_formats.CSV, import_export_formats.XLSX]
# Admin exports are opened in spreadsheets: a cell starting with "=" is not run as a formula.
IMPORT_EXPORT_ESCAPE_FORMULAE_ON_EXPORT = True

SPECTACULAR_SETTINGS = {
    "TITLE": "Ledgerline API",
    "DESCRIPTION": "Billing and CRM back office: customers, invoices, payments, quotes, "
    "ledger, support, leads, reports and webhooks.",
    "VERSION": "2.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": r"/api/v2",
    "COMPONENT_SPLIT_REQUEST": True,
    # Docs work offline: Swagger UI's assets come from drf-spectacular-sidecar.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # Several resources have a `status` field with different choices: name each enum.
    "ENUM_NAME_OVERRIDES": {
        "InvoiceStatusEnum": "billing.models.InvoiceStatus",
        "QuoteStatusEnum": "billing.models.QuoteStatus",
        "LeadStatusEnum": "customers.models.LeadStatus",
        "TicketStatusEnum": "support.models.TicketStatus",
        "DeliveryStatusEnum": "webhooks.models.Delivery.Status",
        "EmailStatusEnum": "mail.models.EmailMessage.Status",
        # Three different `type` choice sets: products, Income/Expense (categories and new
        # transactions), and a transaction's type as shown (with Transfer).
        "ProductTypeEnum": "billing.models.ProductType",
        "IncomeExpenseEnum": "ledger.models.CategoryType",
        "TransactionTypeEnum": "ledger.models.TransactionType",
    },
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "api.schema.postprocess_envelope",
    ],
}

# --- Security (production: DEBUG false) -------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=False)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=True)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=False)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
# Load balancers probe /health over plain HTTP on the private network: never redirect it.
SECURE_REDIRECT_EXEMPT = [r"^health$"]
SESSION_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- Logging -----------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "request_id": {"()": "api.middleware.RequestIdLogFilter"},
        # Portal tokens are secrets: a logged path shows `/portal/***` (core/log_redaction.py).
        "redact_secrets": {"()": "core.log_redaction.SecretPathFilter"},
    },
    "formatters": {
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s %(request_id)s",
        },
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "filters": ["request_id", "redact_secrets"],
            "formatter": env.str("LOG_FORMAT", default="json"),
        }
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.request": {"level": "ERROR"},
        # runserver's request lines, through the redacting handler instead of Django's own.
        "django.server": {"handlers": ["console"], "level": "INFO", "propagate": False},
        # Tasks run in-process without a broker (make run, tests): one "Task … succeeded" line
        # per task would drown the progress of seed_demo. A worker keeps them.
        **({"celery.app.trace": {"level": "WARNING"}} if CELERY_TASK_ALWAYS_EAGER else {}),
    },
}

# --- The company (invoice PDFs, email header and signature) -----------------------------------
COMPANY_NAME = env.str("COMPANY_NAME", default="Ledgerline Demo Co.")
COMPANY_ADDRESS = env.str("COMPANY_ADDRESS", default="1 Ledger Lane, Springfield, US")
COMPANY_EMAIL = env.str("COMPANY_EMAIL", default="billing@example.com")
COMPANY_PHONE = env.str("COMPANY_PHONE", default="")
COMPANY_WEBSITE = env.str("COMPANY_WEBSITE", default="")

# --- Client portal and online payment (contract section 12, docs/portal.md) ------------------
# Where customers reach this server: portal links in the API and in emails start with it.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")
# Per client address, on every portal page and form (the Stripe webhook excepted).
PORTAL_RATE_LIMIT = env.str("PORTAL_RATE_LIMIT", default="60/m")
# Online payment is offered only with a secret key; the webhook needs its signing secret.
STRIPE_SECRET_KEY = env.str("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env.str("STRIPE_WEBHOOK_SECRET", default="")
# Tests and staging point the stripe package at a stand-in; production leaves the default.
STRIPE_API_BASE = env.str("STRIPE_API_BASE", default="https://api.stripe.com")
# The ledger account Stripe payments land on; unset: the first account in the currency paid.
STRIPE_ACCOUNT_ID = env.int("STRIPE_ACCOUNT_ID", default=None)
# Seconds a Stripe API call may take before the customer is told to try again.
STRIPE_TIMEOUT = env.float("STRIPE_TIMEOUT", default=20.0)

# --- Email (contract section 10, docs/email.md) ------------------------------------------------
# EMAIL_URL is django-environ's email URL (smtp://user:pass@host:587, smtp+ssl://…,
# consolemail://). A provider through django-anymail: set EMAIL_BACKEND to its backend
# (anymail.backends.postmark.EmailBackend) and its ANYMAIL_* variables instead. Neither set
# and DEBUG off: nothing is sent, and sending answers 409 (mail.services.mail_sending_enabled).
EMAIL_URL = env.str("EMAIL_URL", default="consolemail://" if DEBUG else "")
_email_backend = env.str("EMAIL_BACKEND", default="")
EMAIL_ENABLED = bool(EMAIL_URL or _email_backend)
if EMAIL_URL:
    globals().update(
        {k: v for k, v in env.email_url_config(EMAIL_URL).items() if v not in (None, "")}
    )
if _email_backend:
    EMAIL_BACKEND = _email_backend
elif not EMAIL_URL:
    # Not configured: Django's own mail (error reports) goes nowhere rather than to a
    # localhost:25 that is not there.
    EMAIL_BACKEND = "django.core.mail.backends.dummy.EmailBackend"
# Anymail reads its provider credentials from this dict: ANYMAIL_POSTMARK_SERVER_TOKEN=… in
# the environment becomes ANYMAIL["POSTMARK_SERVER_TOKEN"].
ANYMAIL = {
    name.removeprefix("ANYMAIL_"): value
    for name, value in env.ENVIRON.items()
    if name.startswith("ANYMAIL_")
}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default=f"{COMPANY_NAME} <{COMPANY_EMAIL}>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=COMPANY_EMAIL)
# Seconds per SMTP socket operation; Django's default (none) could hold a worker forever.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=30)
# The sandbox never mails real people: its messages are recorded and "sent" to nowhere unless
# this points somewhere (a Mailpit, say).
SANDBOX_EMAIL_URL = env.str("SANDBOX_EMAIL_URL", default="dummymail://")
SANDBOX_EMAIL = env.email_url_config(SANDBOX_EMAIL_URL) if SANDBOX_EMAIL_URL else {}
EMAIL_RETRY_DELAYS = [
    int(x) for x in env.list("EMAIL_RETRY_DELAYS", default=["60", "300", "1800", "7200"])
]
EMAIL_PAYMENT_RECEIPTS = env.bool("EMAIL_PAYMENT_RECEIPTS", default=True)
INVOICE_REMINDER_DAYS = [
    int(x) for x in env.list("INVOICE_REMINDER_DAYS", default=["-3", "1", "7", "14"])
]
