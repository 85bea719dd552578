"""What the anonymous paths (`/api/v2/schema`, `/api/v2/docs`) need to stay cheap: the schema
document built once per process, and a per-address rate limit on the shared cache.

Generating the OpenAPI document walks every view and serializer (0.7–1.3 s); it changes only
with the code, so each process builds it on first use and keeps it (per URLconf and
language; cleared when a test changes settings). `/health` is not limited: load balancers
probe it often, and it is cheap by design (api/health.py).
"""

import functools
import threading

from django.conf import settings
from django.core.signals import setting_changed
from django.http import JsonResponse
from django.urls import get_urlconf
from django.utils import translation
from rest_framework.response import Response

from api.ratelimit import address_limit_consume
from api.schema import SchemaView

_documents: dict[tuple, dict] = {}
_lock = threading.Lock()


def _forget_documents(**kwargs) -> None:
    _documents.clear()


setting_changed.connect(_forget_documents, dispatch_uid="api.public.forget_documents")


class CachedSchemaView(SchemaView):
    """`SchemaView` whose document is generated once per process."""

    def _get_schema_response(self, request):
        key = (get_urlconf() or settings.ROOT_URLCONF, translation.get_language())
        document = _documents.get(key)
        if document is None:
            with _lock:  # one build per process, even when the first requests arrive together
                document = _documents.get(key)
                if document is None:
                    document = super()._get_schema_response(request).data
                    _documents[key] = document
        filename = self._get_filename(request, None)
        return Response(
            data=document, headers={"Content-Disposition": f'inline; filename="{filename}"'}
        )


def anonymous_rate_limited(view):
    """Wraps a view of an anonymous path with the per-address limit `ANON_RATE_LIMIT`: past
    it, 429 with `Retry-After` in the envelope. Fails open when the cache is unreachable."""

    def limited(request, *args, **kwargs):
        refusal = address_limit_consume(request, group="anonymous", rate=settings.ANON_RATE_LIMIT)
        if refusal is not None:
            return JsonResponse(
                {
                    "success": False,
                    "message": f"Rate limit exceeded: {refusal.limit} requests per window "
                    f"from this address. Retry in {refusal.wait} seconds.",
                },
                status=429,
                headers={"Retry-After": str(refusal.wait)},
            )
        return view(request, *args, **kwargs)

    # Keeps `cls`, `initkwargs`, `csrf_exempt`: URL walkers (drf-spectacular) read them.
    return functools.wraps(view)(limited)
