"""API usage monitoring: per key, per UTC day, counts by status class, in the admin."""

import re

import pytest
from django.utils import timezone

from tests.factories import CustomerFactory, UserFactory
from users.models import ApiKeyUsage
from users.usage import flush_all

pytestmark = pytest.mark.django_db


def usage_of(client) -> ApiKeyUsage:
    flush_all()
    return ApiKeyUsage.objects.get(api_key=client.api_key, day=timezone.now().date())


def test_requests_are_counted_by_status_class(api):
    customer = CustomerFactory()
    api.get("/api/v2/customers")
    api.get(f"/api/v2/customers/{customer.pk}")
    api.post("/api/v2/customers", {"account": "New", "email": "new@example.com"})
    api.get("/api/v2/customers/999999")
    api.post("/api/v2/customers", {"account": "", "email": "bad"})

    usage = usage_of(api)

    assert (usage.count_2xx, usage.count_3xx, usage.count_4xx, usage.count_5xx) == (3, 0, 2, 0)
    assert usage.total == 5


def test_not_modified_counts_as_3xx(api):
    etag = api.get("/api/v2/customers")["ETag"]

    api.get("/api/v2/customers", HTTP_IF_NONE_MATCH=etag)

    assert (usage_of(api).count_2xx, usage_of(api).count_3xx) == (1, 1)


def test_forbidden_and_rate_limited_requests_count_as_4xx(client_for, settings):
    settings.API_RATE_LIMIT = "2/m"
    viewer = client_for("viewer")

    viewer.post("/api/v2/customers", {"account": "X", "email": "x@example.com"})  # 403
    viewer.get("/api/v2/customers")  # 200
    viewer.get("/api/v2/customers")  # 429

    usage = usage_of(viewer)
    assert (usage.count_2xx, usage.count_4xx) == (1, 2)


def test_server_errors_count_as_5xx(api, monkeypatch):
    from customers.views import CustomerViewSet

    def boom(self, data):
        raise RuntimeError("boom")

    monkeypatch.setattr(CustomerViewSet, "create_object", boom)

    api.post("/api/v2/customers", {"account": "X", "email": "x@example.com"})

    assert usage_of(api).count_5xx == 1


def test_one_row_per_key_and_day(client_for):
    alice, bob = client_for(), client_for()

    alice.get("/api/v2/customers")
    alice.get("/api/v2/customers")
    bob.get("/api/v2/customers")

    assert ApiKeyUsage.objects.count() == 2
    assert usage_of(alice).count_2xx == 2
    assert usage_of(bob).count_2xx == 1


def test_requests_without_a_valid_key_are_not_counted(anon):
    anon.get("/api/v2/customers")

    assert ApiKeyUsage.objects.count() == 0


@pytest.fixture
def admin_client_logged_in(client):
    client.force_login(UserFactory(role="administrator", is_superuser=True))
    return client


def test_usage_changelist_in_admin(api, admin_client_logged_in):
    api.get("/api/v2/customers")

    response = admin_client_logged_in.get("/admin/users/apikeyusage/")

    assert response.status_code == 200
    assert api.api_key.prefix in response.content.decode()


def test_usage_inline_on_the_api_key_page(api, admin_client_logged_in):
    api.get("/api/v2/customers")
    api.get("/api/v2/customers/424242")

    response = admin_client_logged_in.get(f"/admin/users/apikey/{api.api_key.pk}/change/")

    page = " ".join(response.content.decode().split())
    assert response.status_code == 200
    assert "Usage per day (UTC)" in page
    assert usage_cell(page, "count_2xx") == "1"
    assert usage_cell(page, "count_4xx") == "1"
    assert usage_cell(page, "total") == "2"


def usage_cell(page: str, field: str) -> str:
    """The value the usage inline shows in a column (unfold's tabular inline markup)."""
    match = re.search(
        rf'field-{field}\b[^>]*>.*?<div class="readonly[^"]*">\s*([^<]*?)\s*</div>', page
    )
    assert match, field
    return match.group(1)


def test_usage_rows_cannot_be_edited_in_admin(api, admin_client_logged_in):
    api.get("/api/v2/customers")
    usage = usage_of(api)

    response = admin_client_logged_in.post(
        f"/admin/users/apikeyusage/{usage.pk}/change/", {"count_2xx": 999}
    )

    assert response.status_code == 403
    usage.refresh_from_db()
    assert usage.count_2xx == 1


def test_counting_a_request_writes_nothing_to_the_database_within_the_interval(
    api, django_assert_num_queries, settings
):
    settings.API_KEY_CACHE_SECONDS = 60
    CustomerFactory()
    api.get("/api/v2/customers")  # the first request of the interval flushes

    # the page with its count (the key comes from the lookup cache): no UPDATE on the key, no
    # UPSERT on its usage row
    with django_assert_num_queries(1):
        api.get("/api/v2/customers")


def test_buffered_counts_reach_the_database_on_flush(api):
    for _ in range(3):
        api.get("/api/v2/customers")
    api.api_key.refresh_from_db()
    assert api.api_key.request_count == 1  # only the first request's flush so far

    moved = flush_all()

    api.api_key.refresh_from_db()
    assert moved == 2
    assert api.api_key.request_count == 3
    assert ApiKeyUsage.objects.get(api_key=api.api_key).count_2xx == 3


def test_a_second_flush_moves_nothing_twice(api):
    api.get("/api/v2/customers")
    api.get("/api/v2/customers")
    flush_all()

    assert flush_all() == 0
    assert ApiKeyUsage.objects.get(api_key=api.api_key).count_2xx == 2


def test_the_beat_task_flushes(api):
    from users.tasks import flush_api_usage

    api.get("/api/v2/customers")
    api.get("/api/v2/customers")

    assert flush_api_usage() == 1
    api.api_key.refresh_from_db()
    assert api.api_key.request_count == 2
    assert api.api_key.last_used_at is not None


def test_the_admin_shows_current_counts(api, client):
    api.get("/api/v2/customers")
    api.get("/api/v2/customers")
    client.force_login(UserFactory(role="administrator"))

    client.get("/admin/users/apikey/")

    api.api_key.refresh_from_db()
    assert api.api_key.request_count == 2


LOCAL_CACHE = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}


@pytest.mark.parametrize("local_cache", [False, True], ids=["configured-cache", "local-memory"])
def test_counts_and_last_use_reach_the_key(api, settings, local_cache):
    # Redis counts in one scripted round trip, any other cache through the cache API: the
    # stored result must be the same.
    if local_cache:
        settings.CACHES = LOCAL_CACHE
    before = timezone.now().replace(microsecond=0)

    api.get("/api/v2/customers")
    api.get("/api/v2/customers/999999")

    usage = usage_of(api)
    api.api_key.refresh_from_db()
    assert (usage.count_2xx, usage.count_4xx) == (1, 1)
    assert api.api_key.request_count == 2
    assert api.api_key.last_used_at >= before
