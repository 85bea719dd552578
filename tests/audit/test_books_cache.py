"""The closed-through date through the shared cache (audit/books.py): a hit reads nothing,
and a change reaches the next check at once."""

from datetime import date

import pytest
from django.core.cache import cache

from audit import books
from audit.services import books_update
from core.books import books_assert_open, books_closed_through
from core.errors import ConflictError

pytestmark = pytest.mark.django_db


@pytest.fixture
def cached(settings):
    settings.BOOKS_CACHE_SECONDS = 60


@pytest.fixture
def uncached(settings):
    settings.BOOKS_CACHE_SECONDS = 0


def test_without_a_shared_cache_each_check_is_one_query(uncached, django_assert_num_queries):
    books_update(closed_through=date(2024, 1, 31))

    with django_assert_num_queries(1):
        books_assert_open(date(2024, 2, 1))
    with django_assert_num_queries(1):
        books_assert_open(date(2024, 2, 1))


def test_a_cache_hit_reads_nothing(cached, django_assert_num_queries):
    books_assert_open(date(2024, 2, 1))  # fills the cache (open)

    with django_assert_num_queries(0):
        books_assert_open(date(2024, 2, 1))


def test_closing_reaches_the_next_check_despite_a_cached_open_state(cached):
    books_assert_open(date(2024, 1, 15))  # caches "open"

    books_update(closed_through=date(2024, 1, 31))

    with pytest.raises(ConflictError, match="closed through 2024-01-31"):
        books_assert_open(date(2024, 1, 15))


def test_a_reader_cannot_put_back_the_value_from_before_a_change(cached):
    books_update(closed_through=date(2024, 1, 31))
    # A reader that read the old row just before the change tries to store it afterwards.
    cache.add(books._name("default"), books._OPEN, timeout=60)

    assert books_closed_through() == date(2024, 1, 31)


def test_a_flush_forgets_the_cached_date(cached):
    books_update(closed_through=date(2024, 1, 31))
    cache.clear()
    assert books_closed_through() == date(2024, 1, 31)  # cached now

    books.forget_after_flush(using="default")
    books.Books.objects.all().delete()  # what the flush does to the row

    assert books_closed_through() is None
