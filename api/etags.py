"""ETags on API reads (contract section 4; decisions in docs/api-platform.md).

The ETag is a strong validator: a hash of the exact bytes of the rendered body, so two
responses share an ETag only when they are byte-identical. It costs one hash of a body the
server renders anyway (no extra query). `If-None-Match` is compared the weak way, as RFC 9110
requires for it, so a proxy that weakens the tag on compression (`W/"..."`) still gets 304s.
Responses are per key, so they are marked `private, no-cache`: clients may keep them but must
revalidate, which a 304 answers cheaply.
"""

import hashlib

from django.http import HttpResponseNotModified
from django.utils.http import parse_etags
from rest_framework import status

CACHE_CONTROL = "private, no-cache"
_DROPPED_ON_304 = {"content-type", "content-length"}


def etag_for(content: bytes) -> str:
    return '"' + hashlib.sha256(content).hexdigest()[:32] + '"'


def _matches(if_none_match: str, etag: str) -> bool:
    tags = parse_etags(if_none_match)
    if tags == ["*"]:
        return True
    bare = etag.removeprefix("W/")
    return any(tag.removeprefix("W/") == bare for tag in tags)


def apply(request, response):
    """Adds `ETag` to a successful GET/HEAD and answers 304 when the client already has it."""
    if request.method not in ("GET", "HEAD") or response.status_code != status.HTTP_200_OK:
        return response
    if getattr(response, "streaming", False) or not hasattr(response, "render"):
        return response
    response.render()
    etag = etag_for(response.content)
    response["ETag"] = etag
    if not response.has_header("Cache-Control"):
        response["Cache-Control"] = CACHE_CONTROL
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match and _matches(if_none_match, etag):
        not_modified = HttpResponseNotModified()
        for name, value in response.items():
            if name.lower() not in _DROPPED_ON_304:
                not_modified[name] = value
        return not_modified
    return response
