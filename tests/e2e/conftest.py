"""Browser-test harness: Playwright's sync API driving Debian's Chromium against pytest-django's live server.

One browser per session, a new context (cookies, viewport) per test. Without Chromium or the playwright
package the tests skip on a developer machine and fail under CI=true (see tests.conftest.require_or_skip).
"""

import os
import shutil
from pathlib import Path

import pytest
from django.conf import settings

from tests.conftest import PASSWORD, require_or_skip

# Playwright's sync API keeps an asyncio event loop in this thread; Django's ORM refuses to run
# while one exists unless told that this is safe (it is: the test body is ordinary sync code).
os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"

CHROMIUM = os.environ.get("E2E_CHROMIUM", "/usr/bin/chromium")
# The machine has no network: keep Chromium from phoning home (and from waiting for it).
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
SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"

VIEWPORTS = {
    "desktop": {"viewport": {"width": 1366, "height": 900}},
    "phone": {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True},
}
TIMEOUT_MS = 10_000


@pytest.fixture(scope="session")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        require_or_skip(False, "The playwright Python package (pip install -r requirements-dev.txt)")
    found = shutil.which(CHROMIUM) is not None
    require_or_skip(found, f"Chromium at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(params=sorted(VIEWPORTS))
def viewport(request):
    """The test runs once per viewport: "desktop" (1366x900) and "phone" (360x740, touch)."""
    return request.param


@pytest.fixture
def provinces(transactional_db):
    """The live server makes each test transactional; each ends by emptying every table, so the provinces
    that a migration loads are gone for the next test. Role groups come back by themselves (post_migrate)."""
    from core.models import Province
    from core.provinces import load_provinces

    load_provinces(Province)


@pytest.fixture
def page(browser, viewport, live_server, provinces):
    # English so assertions read the untranslated strings; the language test switches it.
    context = browser.new_context(base_url=live_server.url, locale="en-US", **VIEWPORTS[viewport])
    context.set_default_timeout(TIMEOUT_MS)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def screenshot(viewport):
    """screenshot(page, "home-officer") saves var/screenshots/home-officer-<viewport>.png (full page)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, name: str) -> Path:
        path = SCREENSHOTS / f"{name}-{viewport}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return take


@pytest.fixture
def e2e_users(transactional_db, users_by_role):
    """One user per role (usernames = role values), committed so the live server's thread sees them."""
    return users_by_role


@pytest.fixture
def login():
    """login(page, username) signs in through the real form and waits for the landing page."""

    def do_login(page, username: str, password: str = PASSWORD):
        page.goto("/login/")
        page.get_by_label("User name", exact=True).fill(username)
        page.get_by_label("Password", exact=True).fill(password)
        with page.expect_navigation():
            page.get_by_role("button", name="Sign in", exact=True).click()
        return page

    return do_login
