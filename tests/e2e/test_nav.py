"""The main menu folds behind one button on a phone and stays a row of links on a desktop (issue 13)."""

import pytest

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests (fails them under CI) and says why
    expect = None

pytestmark = pytest.mark.e2e


def test_the_menu_folds_on_a_phone_and_not_on_a_desktop(page, viewport, e2e_users, login, screenshot):
    # given: a manager (the longest menu) on the rules page
    login(page, "manager")
    page.goto("/registrations/rules/")
    toggle = page.get_by_test_id("nav-toggle")
    rules_link = page.locator("#mainnav-list").get_by_role("link", name="Rules")
    if viewport == "desktop":
        # then: every link in view, no button
        expect(toggle).to_be_hidden()
        expect(rules_link).to_be_visible()
        return
    # then: on the phone one line says where you are; the links wait behind it
    expect(toggle).to_be_visible()
    expect(toggle).to_contain_text("Rules")
    expect(rules_link).to_be_hidden()
    header = page.locator("header.topbar").bounding_box()
    assert header["height"] < 200, header
    # when it is opened, the links show and the button says so
    toggle.click()
    expect(rules_link).to_be_visible()
    expect(toggle).to_have_attribute("aria-expanded", "true")
    screenshot(page, "menu-open")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
