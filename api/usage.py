"""API usage monitoring: every response to a request made with a key adds one to that key's
per-day counter of its status class (users.ApiKeyUsage, shown in the admin)."""

import logging

from users.services import api_key_usage_count

logger = logging.getLogger("ledgerline.api")


def record(request, response) -> None:
    api_key = getattr(request, "auth", None)
    if api_key is None:
        return
    try:
        api_key_usage_count(api_key_id=api_key.pk, status_code=response.status_code)
    except Exception:
        # Monitoring must never turn a served request into an error.
        logger.exception("could not count API usage for key %s", api_key.pk)
