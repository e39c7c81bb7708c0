"""The reviewer's "Visit integrity" panel in the browser (issue 14), at 1366x900 and 360x740, in English and
Vietnamese: the signals of a doubtful visit (far from the point, a gallery photo, a photo already used in
another visit, the phone's clock 7 minutes behind) with the score; accepting it needs a reason."""

import datetime as dt

import pytest

from core.roles import Role
from inspections.catalogue import load_catalogue
from inspections.models import TaskStatus
from tests.agents.factories import AgentFactory, PointFactory
from tests.e2e.conftest import SCREENSHOTS
from tests.inspections.factories import add_photo, submitted_task

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests (fails them under CI) and says why
    expect = None

pytestmark = pytest.mark.e2e

PHONE_WIDTH = 360


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def catalogue(transactional_db):
    load_catalogue()


def doubtful_visit(inspector):
    """A submitted visit 640 m from the point, a camera photo and a gallery one, the camera photo's bytes
    also in an earlier visit, the phone's clock 7 min 5 s behind."""
    point = PointFactory(code="HN-CHO-01", name="Điểm chợ Đồng Xuân", agent=AgentFactory(province_code="001"))
    earlier = submitted_task(inspector=inspector, point=PointFactory(code="HN-CHO-02", province_code="001"))
    add_photo(earlier.report)
    task = submitted_task(inspector=inspector, point=point, checkin_distance_m=640.0, location_note="Trong hầm chợ")
    report = task.report
    report.clock_skew_s = 425.0
    report.save(update_fields=["clock_skew_s"])
    during = report.checkin_device_at + dt.timedelta(minutes=4)
    for code, source in (("signboard", "camera"), (None, "gallery")):
        photo = add_photo(report, code)
        photo.source, photo.taken_at = source, during
        photo.save()
    return task


def shoot(page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("language", ["en", "vi"])
def test_the_reviewer_reads_the_integrity_panel(page, viewport, e2e_users, catalogue, login, language):
    # given: an officer reading in `language`
    officer = e2e_users[Role.OFFICER]
    officer.language = language
    officer.save(update_fields=["language"])
    task = doubtful_visit(e2e_users[Role.INSPECTOR])
    login(page, officer.username)
    # when
    page.goto(f"/inspections/tasks/{task.pk}/")
    # then
    panel = page.get_by_test_id("integrity")
    expect(panel).to_be_visible()
    expect(page.get_by_test_id("signal-checkin_distance")).to_have_attribute("data-state", "weak")
    expect(page.get_by_test_id("signal-photo_reused")).to_have_attribute("data-state", "weak")
    expect(page.get_by_test_id("signal-camera_photos")).to_have_attribute("data-state", "weak")
    expect(page.get_by_test_id("signal-clock_skew")).to_have_attribute("data-state", "weak")
    expect(page.get_by_test_id("signal-time_on_site")).to_have_attribute("data-state", "ok")
    expect(page.get_by_test_id("integrity-score")).to_be_visible()
    expect(page.get_by_test_id("weak-needs-reason")).to_be_visible()
    assert "640 m" in panel.inner_text()
    if viewport == "phone":
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH
    panel.scroll_into_view_if_needed()
    shoot(page, f"integrity-{language}-{viewport}")


@pytest.mark.parametrize("viewport", ["desktop"])  # the same form at both sizes; the panel test covers the phone
def test_a_weak_visit_is_accepted_only_with_a_reason(page, viewport, e2e_users, catalogue, login):
    task = doubtful_visit(e2e_users[Role.INSPECTOR])
    login(page, e2e_users[Role.OFFICER].username)
    page.goto(f"/inspections/tasks/{task.pk}/")
    # when: accepted without a reason
    page.get_by_test_id("accept").click()
    # then: refused, with what to do
    expect(page.get_by_test_id("error-note")).to_contain_text("weak integrity signals")
    task.refresh_from_db()
    assert task.status == TaskStatus.SUBMITTED
    # when: with a reason
    page.get_by_label("Note or reason").fill("Photos checked with the point's owner by phone")
    page.get_by_test_id("accept").click()
    # then
    expect(page.get_by_test_id("accept-reason")).to_have_text("Photos checked with the point's owner by phone")
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED
    shoot(page, "integrity-accepted-en-desktop")
