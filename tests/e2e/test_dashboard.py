"""In a real browser, on a desktop and on a 360 px phone: a Hà Nội-limited auditor signs in, lands on the
dashboard and sees Hà Nội's figures only; the page fits the phone's width."""

import pytest

from core.roles import Role
from inspections.catalogue import load_catalogue
from reports.dashboard.services import dashboard_aggregate
from tests.e2e.test_login_roles import assert_fits_window
from tests.reports.dashboard.scene import HANOI, build

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests (fails them under CI) and says why
    expect = None

pytestmark = pytest.mark.e2e


def test_a_hanoi_auditor_sees_hanois_figures(page, viewport, screenshot, make_user, provinces, login):
    # given the hand-counted scene (Hà Nội and TP HCM) after a night, and an auditor limited to Hà Nội (the
    # live server's tests empty every table: the sanction catalogue a migration loads comes back here)
    load_catalogue()
    build(proposer=make_user(Role.OFFICER, username="proposer"))
    dashboard_aggregate()
    make_user(Role.AUDITOR, provinces=[HANOI], username="auditor-hn")
    # when
    login(page, "auditor-hn")
    # then: the dashboard, Hà Nội's figures (see tests/reports/dashboard/scene.py), no TP HCM point or agent
    expect(page.get_by_role("heading", level=1)).to_have_text("Compliance overview")
    expect(page.get_by_test_id("scope")).to_contain_text("Thành phố Hà Nội")
    expect(page.get_by_test_id("count-registrations-30d")).to_contain_text("3")
    expect(page.get_by_test_id("count-flags-open")).to_contain_text("2")
    expect(page.get_by_test_id("count-tasks-overdue")).to_contain_text("1")
    expect(page.get_by_test_id("points-total")).to_have_text("5")
    expect(page.get_by_test_id("agents-total")).to_have_text("3")
    points = page.get_by_test_id("riskiest-points")
    expect(points).to_contain_text("P1")
    expect(points).not_to_contain_text("Q1")
    expect(page.get_by_test_id("riskiest-agents")).not_to_contain_text("S1")
    expect(page.locator("main")).not_to_contain_text("Hồ Chí Minh")
    # the charts are drawn (three of them, 26 bars each) and the page fits the window
    expect(page.locator("svg.bars")).to_have_count(3)
    assert_fits_window(page, viewport)
    screenshot(page, "dashboard-auditor-hanoi")
    # and a figure's link opens its list with as many rows
    page.get_by_test_id("count-flags-open").click()
    expect(page.locator("table tbody tr")).to_have_count(2)
