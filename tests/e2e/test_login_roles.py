"""In a real browser, on a desktop and on a 360 px phone: each role signs in through the form, lands on
the home page made for it, sees the audit trail only if it may, and signs out; the language switch works."""

import re

import pytest
from django.urls import reverse

from core.roles import Role
from tests.e2e.conftest import VIEWPORTS

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests (fails them under CI) and says why
    expect = None

pytestmark = pytest.mark.e2e

HOME_HEADINGS = {
    Role.OFFICER: "Compliance overview",
    Role.MANAGER: "Compliance overview",
    Role.INSPECTOR: "My tasks",
    Role.AUDITOR: "Compliance overview",  # the dashboard (reports.dashboard), as officers and managers
    Role.INTEGRATION: "Integration account",
}
SEES_AUDIT_TRAIL = {Role.MANAGER, Role.AUDITOR}

# Elements sticking out of the window (outside any scrolling box such as .table-wrap); catches what
# `overflow-x: hidden` on html/body would hide from the scrollWidth check.
OUT_OF_WINDOW_JS = """() => {
  const width = document.documentElement.clientWidth;
  const inScroller = (el) => {
    for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
      if (getComputedStyle(p).overflowX !== "visible") return true;
    }
    return false;
  };
  return [...document.body.querySelectorAll("*")]
    .filter((el) => {
      const r = el.getBoundingClientRect();
      return r.width > 0 && (r.right > width + 1 || r.left < -1) && !inScroller(el);
    })
    .map((el) => {
      const r = el.getBoundingClientRect();
      return `${el.outerHTML.slice(0, 80)} at x=${Math.round(r.left)}..${Math.round(r.right)}`;
    });
}"""


def assert_fits_window(page, viewport):
    width = VIEWPORTS[viewport]["viewport"]["width"]
    sizes = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert sizes[1] == width, f"the page widened the window (zoomed out) to {sizes[1]}px"
    assert sizes[0] <= sizes[1], f"horizontal scroll: page {sizes[0]}px wide in a {sizes[1]}px window"
    assert page.evaluate(OUT_OF_WINDOW_JS) == []


def test_login_page_renders(page, viewport, screenshot):
    page.goto("/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_label("User name", exact=True)).to_be_focused()
    expect(page.get_by_label("Password", exact=True)).to_be_visible()
    expect(page.get_by_test_id("logout")).to_have_count(0)
    screenshot(page, "login")  # first, so a failing layout check leaves the picture
    assert_fits_window(page, viewport)


@pytest.mark.parametrize("role", list(Role), ids=lambda r: r.value)
def test_role_signs_in_to_its_home_and_signs_out(page, viewport, e2e_users, login, screenshot, role):
    # when: the role signs in through the form
    login(page, role.value)
    # then: it lands on the home page made for it
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("heading", level=1)).to_have_text(HOME_HEADINGS[role])
    if role == Role.INSPECTOR:
        expect(page.get_by_test_id("my-tasks")).to_be_visible()
    expect(page.get_by_test_id("who")).to_contain_text(role.value)
    # and: the audit trail is offered only to those allowed to read it (on a phone, behind the menu button)
    if viewport == "phone" and role != Role.INTEGRATION:
        page.get_by_test_id("nav-toggle").click()
    audit_links = page.locator(f'a[href="{reverse("core:audit_list")}"]')
    if role in SEES_AUDIT_TRAIL:
        expect(audit_links.first).to_be_visible()
    else:
        expect(audit_links).to_have_count(0)
    screenshot(page, f"home-{role.value}")  # first, so a failing layout check leaves the picture
    assert_fits_window(page, viewport)

    # when: it signs out
    page.get_by_test_id("logout").click()
    # then: it is back on the sign-in page, and the home page asks to sign in again
    expect(page).to_have_url(re.compile(r"/login/$"))
    expect(page.get_by_test_id("logout")).to_have_count(0)
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/login/\?next=/$"))


def test_language_switch_changes_page_language(page, viewport, e2e_users, login, screenshot):
    # given: a signed-in officer whose browser asks for English
    login(page, Role.OFFICER.value)
    html = page.locator("html")
    expect(html).to_have_attribute("lang", "en")
    # when: they press VI in the header
    page.get_by_role("button", name="VI", exact=True).click()
    # then: the same page comes back in Vietnamese, and the choice sticks
    expect(html).to_have_attribute("lang", "vi")
    expect(page).to_have_url(re.compile(r"/$"))
    expect(page.get_by_role("button", name="VI", exact=True)).to_have_attribute("aria-pressed", "true")
    page.reload()
    expect(html).to_have_attribute("lang", "vi")
    screenshot(page, "home-officer-vi")  # first, so a failing layout check leaves the picture
    assert_fits_window(page, viewport)
    # when: they press EN
    page.get_by_role("button", name="EN", exact=True).click()
    # then: back to English
    expect(html).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Compliance overview")
