"""In a real browser, on a desktop and on a 360 px phone: an auditor reads the audit trail in words, filters it
by choosing an action, and verifies the chain (the job runs in-process here) and reads its result."""

import pytest

from core.audit import audit_record
from tests.e2e.test_login_roles import assert_fits_window

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests (fails them under CI) and says why
    expect = None

pytestmark = pytest.mark.e2e


def test_an_auditor_filters_the_trail_and_verifies_the_chain(page, viewport, e2e_users, login, screenshot):
    # given a point suspended by a manager
    from tests.agents.factories import AgentFactory, PointFactory

    point = PointFactory(code="HN-1", agent=AgentFactory(code="AG-HN", province_code="001"))
    manager = e2e_users["manager"]
    audit_record(action="point.suspend", actor=manager, obj=point, reason="No signboard")
    audit_record(action="point.update", actor=manager, obj=point)
    login(page, "auditor")
    # when the auditor opens the audit trail
    page.goto("/core/audit/")
    table = page.get_by_test_id("audit-table")
    # then actions and objects read as words
    expect(table).to_contain_text("Point suspended")
    expect(table).to_contain_text("Registration point")
    expect(table).not_to_contain_text("point.suspend")
    assert_fits_window(page, viewport)
    screenshot(page, "audit-list")
    # when it picks an action from the list (htmx reloads the results)
    page.get_by_label("Action").select_option(label="Point suspended")
    expect(page.get_by_test_id("audit-count")).to_have_text("1 event matches.")
    expect(table).not_to_contain_text("Point changed")
    expect(page.get_by_test_id("export")).to_have_attribute("href", "/core/audit/export/?action=point.suspend")
    # and verifies the chain
    page.get_by_test_id("verify-link").click()
    with page.expect_navigation():
        page.get_by_test_id("verify-start").click()
    # then the result says the chain is intact, who asked and when
    result = page.get_by_test_id("verify-result")
    expect(result.get_by_test_id("verify-status")).to_have_text("Intact")
    expect(result).to_contain_text("asked by auditor")
    assert_fits_window(page, viewport)
    screenshot(page, "audit-verify")
