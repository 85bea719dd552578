"""Secrets that travel in URL paths never reach a log line.

A client portal link carries its document's token in the path (`/portal/<token>`, see
docs/portal.md), and a path is what request logs print: Django's "Not Found: /…" and CSRF
warnings, runserver's request lines, gunicorn's access log. `redact_path` replaces the token
with `***`; `SecretPathFilter` applies it to every record the console handler writes (message,
arguments and the `request` Django attaches), and config/gunicorn.conf.py's logger class to
the access log.
"""

import logging
import re

# `/portal/<token>` and everything under it, except the one fixed path that holds no secret.
_PORTAL_TOKEN = re.compile(r"(/portal/)(?!stripe/webhook\b)[^/\s?#\"'>]+")
MASK = "***"


def redact_path(text: str) -> str:
    return _PORTAL_TOKEN.sub(lambda m: m.group(1) + MASK, text)


class SecretPathFilter(logging.Filter):
    """Rewrites a record so that no portal token is left in what it prints."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed record is the formatter's to report, unchanged
            return True
        if "/portal/" in message:
            record.msg, record.args = redact_path(message), None
        request = getattr(record, "request", None)
        if request is not None and "/portal/" in str(getattr(request, "path", "")):
            # JSON formatters print extra attributes: the request's repr holds the path.
            record.request = redact_path(repr(request))
        return True
