"""The admin follows the API's role matrix (contract section 4), checked by walking every admin
URL as each role: every registered model's list, add page and a change page (where a row
exists), and every custom admin view (the dashboard, the password page).

administrator: everything the admin offers; staff: the same but the administrator-only apps
(users.roles.ADMINISTRATOR_ONLY_APPS), which answer 403; viewer: lists and change pages (read
only) outside those apps, 403 for every add page; anonymous: the login page (302)."""

import io

import pytest
from django.contrib import admin
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from tests.factories import CustomerFactory, make_api_key
from tests.webhooks.factories import DeliveryFactory
from users.models import Role
from users.roles import ADMINISTRATOR_ONLY_APPS
from users.services import api_key_usage_add, user_create

pytestmark = pytest.mark.django_db

WRITE_ACTIONS = ("/cancel", "/issue", "/send")
STANDARD_VIEWS = ("changelist", "add", "change", "delete", "history", "autocomplete")
# django-import-export's pages: the import adds rows, so it is walked as an add page; the
# confirmation step answers only the import page's POST (a GET is a 405 by design).
ADD_LIKE_VIEWS = ("import",)
POST_ONLY_VIEWS = ("process_import",)


def _pages() -> list[tuple[str, str, str]]:
    """(app label, kind, url) for every page the walk visits; kind is `list`, `add`,
    `change` or `custom` (any view a ModelAdmin adds through get_urls)."""
    pages = []
    for model, model_admin in admin.site._registry.items():
        opts = model._meta
        prefix = f"{opts.app_label}_{opts.model_name}_"
        row = model._default_manager.order_by("pk").first()
        pages.append((opts.app_label, "list", reverse(f"admin:{prefix}changelist")))
        pages.append((opts.app_label, "add", reverse(f"admin:{prefix}add")))
        if row is not None:
            pages.append(
                (opts.app_label, "change", reverse(f"admin:{prefix}change", args=[row.pk]))
            )
        for pattern in model_admin.get_urls():
            name = getattr(pattern, "name", None)
            if not name or name.removeprefix(prefix) in STANDARD_VIEWS + POST_ONLY_VIEWS:
                continue
            if name.removeprefix(prefix) in ADD_LIKE_VIEWS:
                pages.append((opts.app_label, "add", reverse(f"admin:{name}")))
            elif "<" not in str(pattern.pattern):
                pages.append((opts.app_label, "custom", reverse(f"admin:{name}")))
            elif row is not None:
                pages.append((opts.app_label, "custom", reverse(f"admin:{name}", args=[row.pk])))
    return pages


@pytest.fixture
def world():
    """A row of every model the demo data and the administrator-only rooms have."""
    call_command("seed_demo", stdout=io.StringIO())
    key, _ = make_api_key()
    api_key_usage_add(api_key_id=key.pk, day=timezone.now().date(), counts={2: 3})
    DeliveryFactory()


def _client_as(client, role: str):
    user = user_create(email=f"{role}@example.com", name=role, password="x-Long-pass-42", role=role)
    client.force_login(user)
    return client


def _walk(client) -> dict[str, int]:
    # Followed: a one-row settings screen (the books) sends its list to its only page.
    return {url: client.get(url, follow=True).status_code for _, _, url in _pages()}


def test_administrators_reach_every_page(world, client):
    pages = _pages()
    assert sum(kind == "list" for _, kind, _ in pages) == len(admin.site._registry)
    custom = {url for _, kind, url in pages if kind == "custom"}
    assert reverse("admin:reporting_dashboard") in custom
    assert any(url.endswith("/password/") for url in custom)

    codes = _walk(_client_as(client, Role.ADMINISTRATOR))

    for _, kind, url in pages:
        # A read-only screen (usage, events, roll-ups) offers no add page to anyone.
        allowed = {200, 403} if kind == "add" else {200}
        assert codes[url] in allowed, (url, codes[url])


def test_staff_reach_what_administrators_do_but_the_administrator_only_screens(world, client):
    as_admin = _walk(_client_as(client, Role.ADMINISTRATOR))
    client.logout()

    codes = _walk(_client_as(client, Role.STAFF))

    for app_label, _, url in _pages():
        expected = 403 if app_label in ADMINISTRATOR_ONLY_APPS else as_admin[url]
        assert codes[url] == expected, (url, codes[url])


def test_viewers_read_the_staff_screens_and_change_nothing(world, client):
    codes = _walk(_client_as(client, Role.VIEWER))

    for app_label, kind, url in _pages():
        if app_label in ADMINISTRATOR_ONLY_APPS or kind == "add":
            expected = {403}
        elif kind == "custom" and url.rstrip("/").endswith(WRITE_ACTIONS):
            # A state-changing button's page: refused (cancel's form) or sent back to the
            # document (issue, send: only their POST acts); either way nothing changes.
            expected = {200, 403}
        else:
            expected = {200}
        assert codes[url] in expected, (url, codes[url])


def test_anonymous_visitors_are_sent_to_the_login_page(client):
    CustomerFactory()

    for _, _, url in _pages():
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith("/admin/login/"), url


@pytest.mark.parametrize("role", [Role.STAFF, Role.VIEWER])
def test_the_index_lists_no_administrator_only_screen(client, role):
    page = _client_as(client, role).get("/admin/").content.decode()

    assert "/admin/customers/customer/" in page
    for app_label in ADMINISTRATOR_ONLY_APPS:
        assert f'href="/admin/{app_label}/' not in page


def test_a_viewer_cannot_save_a_change(client):
    customer = CustomerFactory(account="Kept")
    viewer = _client_as(client, Role.VIEWER)

    response = viewer.post(
        f"/admin/customers/customer/{customer.pk}/change/",
        {"account": "Renamed", "email": customer.email},
    )

    assert response.status_code == 403
    customer.refresh_from_db()
    assert customer.account == "Kept"
