"""An officer imports agents.csv and points.csv through the page, finds a point, suspends it with a
reason and sees the entry in its status history."""

import pytest

from agents.importers import AGENT_COLUMNS, POINT_COLUMNS
from agents.models import RegistrationPoint, Status, StatusChange

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests (fails them under CI) and says why
    expect = None

pytestmark = pytest.mark.e2e

AGENTS_CSV = (
    ",".join(AGENT_COLUMNS)
    + """
AGE1,Chuỗi Điện Thoại Việt,AUTHORISED,,0100109106,0912345678,001,ACTIVE,HD-E1,2025-01-01,2027-01-01
AGE2,Đại lý sai mã tỉnh,AUTHORISED,,,,999,ACTIVE,,,
"""
)
POINTS_CSV = (
    ",".join(POINT_COLUMNS)
    + """
PTE-001,AGE1,Cửa hàng Lê Lợi,AUTHORISED_FIXED,12 Lê Lợi,001,21.02850,105.85420,08:00,21:00,ACTIVE,2025-01-01,
PTE-002,AGE1,Cửa hàng Hai Bà Trưng,AUTHORISED_FIXED,5 Hai Bà Trưng,001,21.01500,105.85000,08:00,21:00,ACTIVE,2025-01-01,
PTE-003,AGE2,Điểm của đại lý bị từ chối,AUTHORISED_FIXED,1 Quang Trung,001,,,,,,,
"""
)


@pytest.fixture
def viewport():
    return "desktop"  # the officer's desk


def test_officer_imports_finds_and_suspends_a_point(page, e2e_users, login, screenshot, tmp_path):
    # given
    (tmp_path / "agents.csv").write_text(AGENTS_CSV, encoding="utf-8")
    (tmp_path / "points.csv").write_text(POINTS_CSV, encoding="utf-8")
    login(page, "officer")

    # when: both files are uploaded together
    page.goto("/agents/import/")
    page.set_input_files("input[name=agents_file]", str(tmp_path / "agents.csv"))
    page.set_input_files("input[name=points_file]", str(tmp_path / "points.csv"))
    screenshot(page, "agents-import-form")
    page.get_by_role("button", name="Import", exact=True).click()

    # then: counts per file, with the rejected rows offered for download
    jobs = page.get_by_test_id("import-jobs")
    expect(jobs).to_contain_text("agents.csv")
    rows = jobs.locator("tbody tr")
    expect(rows.nth(0).get_by_test_id("job-created")).to_have_text("1")  # agents created
    expect(rows.nth(0).get_by_test_id("job-rejected")).to_have_text("1")  # agents rejected (province 999)
    expect(rows.nth(1).get_by_test_id("job-created")).to_have_text("2")  # points created
    expect(rows.nth(1).get_by_test_id("job-rejected")).to_have_text("1")  # point of the rejected agent
    expect(page.get_by_test_id("rejects-link")).to_have_count(2)
    screenshot(page, "agents-import-result")

    # when: the officer searches the points list and opens one
    page.goto("/agents/points/")
    page.get_by_placeholder("code, name…").fill("Hai Bà")
    table = page.get_by_test_id("point-table")
    expect(table.locator("tbody tr")).to_have_count(1)
    expect(table).to_contain_text("PTE-002")
    screenshot(page, "points-search")
    table.get_by_role("link", name="PTE-002").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Cửa hàng Hai Bà Trưng")

    # and suspends it with a reason
    page.get_by_role("button", name="Suspend").click()
    page.get_by_label("Reason").fill("Bán SIM đã kích hoạt sẵn (biên bản KT-17)")
    screenshot(page, "point-suspend-form")
    page.get_by_test_id("confirm").click()

    # then: the page says so and the history holds the entry
    expect(page.locator(".messages")).to_contain_text("is now suspended")
    history = page.get_by_test_id("status-history")
    expect(history.locator("tbody tr").first).to_contain_text("Bán SIM đã kích hoạt sẵn (biên bản KT-17)")
    expect(history.locator("tbody tr").first).to_contain_text("officer")
    screenshot(page, "point-suspended")
    point = RegistrationPoint.objects.get(code="PTE-002")
    assert point.status == Status.SUSPENDED
    assert StatusChange.objects.filter(point=point, to_status="SUSPENDED").count() == 1
