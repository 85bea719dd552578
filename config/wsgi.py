import gc
import os

from django.core.wsgi import get_wsgi_application
from django.db import connections
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

application = get_wsgi_application()


def _freeze_startup_objects() -> None:
    """Moves everything built while starting (modules, URL patterns, views, serializers) out of
    the garbage collector's reach. Those objects live as long as the worker, yet every full
    collection walked all of them again: with the URLconf imported that is some 160,000
    objects, 0.24 ms of CPU per API request on average (docs/performance.md)."""
    get_resolver().url_patterns  # noqa: B018 - imports every view before the freeze
    # gunicorn forks its workers from this process (preload_app): a database connection opened
    # while starting would be one socket shared by every worker.
    connections.close_all()
    gc.collect()
    gc.freeze()


_freeze_startup_objects()
