"""The client portal's links (contract section 12): one random token per issued document.

A token is `secrets.token_urlsafe(32)` (256 bits), stored on the document and unique, so the
portal finds the document by an indexed lookup; it is not derived from the id or anything
else, and replacing it (the `*_portal_link_rotate` services) makes the old link a 404. The
link is `SITE_URL` + `/portal/<token>`; the portal room serves it. Drafts have none.
"""

import secrets

from django.conf import settings

PORTAL_PATH = "/portal/"
TOKEN_BYTES = 32


def portal_token_new() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def portal_url(document) -> str | None:
    """The document's portal link, or None while it has no token (a draft)."""
    token = getattr(document, "portal_token", None)
    if not token:
        return None
    return f"{settings.SITE_URL.rstrip('/')}{PORTAL_PATH}{token}"
