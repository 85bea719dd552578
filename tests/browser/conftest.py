"""Playwright against Debian's Chromium, driving the admin served by pytest-django's
`live_server` (a real HTTP server in a thread of this process, on the transactional test
database). Screenshots land in test-artifacts/browser/ so a person can look at each step."""

from pathlib import Path

import pytest
from django.db import connections

CHROMIUM = Path("/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "browser"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# The window the issue holds every admin page to: nothing wider than a 1280 px laptop screen.
VIEWPORT = {"width": 1280, "height": 800}
STAFF_EMAIL = "clerk@example.com"
STAFF_PASSWORD = "ledger-clerk-pass-42"  # noqa: S105 - a test user's password


def pytest_collection_modifyitems(config, items):
    # Without the browser the whole folder skips with the reason and the fix (CI installs it).
    if CHROMIUM.exists():
        return
    skip = pytest.mark.skip(
        reason="needs Debian's Chromium at /usr/bin/chromium: apt-get install chromium "
        "chromium-driver (.ci/run does)"
    )
    here = str(Path(__file__).parent)
    for item in items:
        if str(item.path).startswith(here):
            item.add_marker(skip)


@pytest.fixture
def staff_user(transactional_db):
    from users.models import Role
    from users.services import user_create

    return user_create(
        email=STAFF_EMAIL, name="Casey Clerk", password=STAFF_PASSWORD, role=Role.STAFF
    )


class Clerk:
    """A staff member at the browser: a page plus the habits every step shares."""

    def __init__(self, page, base_url: str):
        self.page = page
        self.base_url = base_url.rstrip("/")

    def goto(self, path: str) -> None:
        self.page.goto(self.base_url + path)
        self.assert_fits()

    def assert_fits(self) -> None:
        """No page wider than the window: no sideways scrolling for a clerk on a laptop."""
        scroll_width, inner_width = self.page.evaluate(
            "[document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert scroll_width <= inner_width, f"{self.page.url} is {scroll_width} px wide"

    def assert_tables_fit(self) -> None:
        """No box scrolls sideways inside the page either (an inline table wider than its
        panel hides its last columns behind a scroll bar)."""
        scrolling = self.page.evaluate(
            """[...document.querySelectorAll('body *')].filter(el => {
                const overflow = getComputedStyle(el).overflowX;
                return (overflow === 'auto' || overflow === 'scroll')
                    && el.scrollWidth > el.clientWidth + 1 && el.clientHeight > 0;
            }).map(el => `${el.className} ${el.scrollWidth}>${el.clientWidth}`)"""
        )
        assert scrolling == [], f"{self.page.url}: {scrolling}"

    def shot(self, name: str) -> Path:
        self.assert_fits()
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def login(self) -> None:
        self.goto("/admin/login/")
        self.page.fill("#id_username", STAFF_EMAIL)
        self.page.fill("#id_password", STAFF_PASSWORD)
        self.shot("01-login")
        self.page.click("#login-form [type=submit]")
        self.page.wait_for_url(lambda url: "/admin/login" not in url)
        self.page.wait_for_selector("#header-inner")
        self.assert_fits()

    def success_message(self) -> str:
        return self.page.inner_text("ul.messagelist li.success")

    def pick_autocomplete(self, field_id: str, search: str, option_text: str) -> None:
        """Chooses `option_text` in an admin autocomplete (select2) widget, as a person does:
        open it, type, click the suggestion."""
        self.page.click(f"#{field_id} + .select2 .select2-selection")
        self.page.fill(".select2-container--open .select2-search__field", search)
        self.page.click(f".select2-results__option:has-text('{option_text}')")

    def run_action(self, action: str, *pks: int) -> None:
        for pk in pks:
            self.page.check(f"input[name=_selected_action][value='{pk}']")
        self.page.select_option("select[name=action]", action)
        self.page.click("button[name=index]")


@pytest.fixture(scope="session")
def admin_server(django_db_setup, live_server):
    """pytest-django's live server, started after the test databases exist so that it stops
    (closing its connections) before they are dropped."""
    return live_server


@pytest.fixture
def clerk(admin_server, staff_user, monkeypatch):
    """A logged-out clerk's browser, started after the database is ready. One browser per
    test: Playwright's sync API runs an asyncio loop in this thread while it is open, which no
    other test in the session should inherit."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install playwright")
    # Django refuses ORM calls from a thread with a running loop ("async context"); the test
    # body's ORM calls are plain synchronous code, so allow them while the browser is open.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        context = browser.new_context(viewport=VIEWPORT, accept_downloads=True, locale="en-US")
        context.set_default_timeout(15_000)
        yield Clerk(context.new_page(), admin_server.url)
        # The test body's ORM calls ran while Playwright's loop was running, so Django (whose
        # connections are per async context) opened a connection for that context: close it
        # here, or it outlives the test and blocks dropping the test database.
        connections.close_all()
        context.close()
        browser.close()
