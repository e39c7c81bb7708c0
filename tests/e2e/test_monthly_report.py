"""The monthly report page in a browser: figures, trend and downloads under the CSP, and a manager issuing it
(desktop 1366x900 and phone 360x740; screenshots in var/screenshots/)."""

import pytest

from inspections.catalogue import load_catalogue
from tests.agents.factories import AgentFactory, PointFactory
from tests.e2e.test_csp import _violations, _watch
from tests.registrations.factories import RegistrationFactory
from tests.reports.monthly.scene import local

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests (fails them under CI) and says why
    expect = None

pytestmark = pytest.mark.e2e


def test_a_manager_reads_and_issues_the_month(page, e2e_users, login, screenshot, settings, tmp_path):
    # given
    settings.MEDIA_ROOT = tmp_path
    load_catalogue()
    point = PointFactory(code="HN-M", agent=AgentFactory(code="AG-M", province_code="001"))
    RegistrationFactory(point=point, registered_at=local(2026, 3, 31, 23, 59))
    RegistrationFactory(point=point, registered_at=local(2026, 4, 1, 0, 0))
    console = _watch(page)
    login(page, "manager")

    # when
    page.goto("/reports/monthly/?month=2026-03")

    # then
    expect(page.get_by_test_id("drill-registrations")).to_have_text("1")
    expect(page.locator("svg.trend-chart")).to_be_visible()
    expect(page.get_by_test_id("legal-basis")).to_contain_text("Decree 163/2024")
    screenshot(page, "monthly-report")
    with page.expect_download() as download:
        page.get_by_test_id("download-csv").click()
    assert download.value.suggested_filename == "monthly-2026-03-all.csv"

    # when the manager issues it
    page.get_by_test_id("issue").click()

    # then
    expect(page.get_by_test_id("version")).to_have_text("version 1")
    expect(page.get_by_test_id("issued-pdf")).to_be_visible()
    screenshot(page, "monthly-issued")
    assert _violations(page, console) == []


def test_a_hanoi_auditor_reads_only_hanois_month(page, make_user, login, screenshot, settings, tmp_path):
    # given: March 2026 with two registrations in Hà Nội and three in TP HCM, and an auditor limited to Hà Nội
    from core.roles import Role

    settings.MEDIA_ROOT = tmp_path
    load_catalogue()
    hanoi = PointFactory(code="HN-A", agent=AgentFactory(code="AG-HN", province_code="001"), province_code="001")
    saigon = PointFactory(code="SG-A", agent=AgentFactory(code="AG-SG", province_code="079"), province_code="079")
    for day in (3, 4):
        RegistrationFactory(point=hanoi, registered_at=local(2026, 3, day, 10, 0))
    for day in (5, 6, 7):
        RegistrationFactory(point=saigon, registered_at=local(2026, 3, day, 10, 0))
    make_user(Role.AUDITOR, provinces=["001"], username="auditor-hn")
    login(page, "auditor-hn")
    # when
    page.goto("/reports/monthly/?month=2026-03")
    # then: Hà Nội's count only, no way to pick another province, and no issuing for an auditor
    expect(page.get_by_test_id("drill-registrations")).to_have_text("2")
    options = page.get_by_test_id("report-form").locator("select[name=province] option").all_inner_texts()
    assert options
    assert all("Hồ Chí Minh" not in text for text in options), options
    expect(page.get_by_test_id("issue")).to_have_count(0)
    screenshot(page, "monthly-report-hanoi-auditor")
