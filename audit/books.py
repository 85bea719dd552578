"""The closed-through date every money write checks (`core.books.books_assert_open`), read
from the `Books` row of the current database, through the shared cache when there is one.

Correctness rules, as for the API-key cache (users/key_cache.py):
- Readers store what the database said with `add`; a change (`books_update`, a flush) puts a
  tombstone over the entry at once and again when its transaction commits. `add` cannot
  replace a tombstone, so a reader that read the old value just before the commit cannot put
  it back. Every process sees a change on its next check.
- Only with Redis (`REDIS_URL`): a local-memory cache is not shared with the other processes
  (`manage.py close_books`) that change the row. Without it, one small query per check.
- Keyed by database alias and name: the sandbox and the test databases have their own books.
- Redis unreachable (core.cache degraded mode): checks read the database, nothing is stored,
  and a change's tombstone cannot be written (logged). A date cached before the outage, if
  Redis comes back with it, lives out its TTL at most, as for the API-key cache.
"""

import logging
from datetime import date

from django.conf import settings
from django.core.cache import cache
from django.db import connections, transaction

from audit.models import Books
from core.cache import CacheUnavailable, call
from core.db import current_alias

logger = logging.getLogger("ledgerline.cache")

_OPEN = "open"
_TOMBSTONE = "changed"
TOMBSTONE_SECONDS = 60


def _cache_seconds() -> int:
    default = 60 if getattr(settings, "REDIS_URL", "") else 0
    return getattr(settings, "BOOKS_CACHE_SECONDS", default)


def _name(alias: str) -> str:
    return f"books:{alias}:{connections[alias].settings_dict['NAME']}"


def read_closed_through(alias: str) -> date | None:
    return (
        Books.objects.using(alias)
        .filter(pk=Books.SINGLETON)
        .values_list("closed_through", flat=True)
        .first()
    )


def closed_through() -> date | None:
    """The closed-through date of the current database (live or sandbox), or None."""
    alias = current_alias()
    seconds = _cache_seconds()
    if seconds <= 0:
        return read_closed_through(alias)
    name = _name(alias)
    try:
        cached = call("books lookup", cache.get, name)
    except CacheUnavailable:
        return read_closed_through(alias)  # a money write must not fail on the cache
    if isinstance(cached, date):
        return cached
    if cached == _OPEN:
        return None
    found = read_closed_through(alias)
    try:
        call("books store", cache.add, name, _OPEN if found is None else found, seconds)
    except CacheUnavailable:
        pass  # read from the database this time
    return found


def forget(alias: str) -> None:
    """Buries the cached date of `alias`: now, and again when the current transaction on it
    commits (or at once outside one)."""
    if _cache_seconds() <= 0:
        return
    name = _name(alias)

    def bury() -> None:
        # Never raises: it runs inside the change's transaction and after its commit.
        try:
            call("books tombstone", cache.set, name, _TOMBSTONE, TOMBSTONE_SECONDS)
        except CacheUnavailable:
            logger.warning("could not bury the cached books date of %s during an outage", alias)

    bury()
    transaction.on_commit(bury, using=alias)


def forget_after_flush(sender=None, using: str = "default", **kwargs) -> None:
    forget(using)
