"""In a browser: an officer asks for a point's evidence pack, sees it made and downloads it; an auditor sees
the pack but no button. The task runs in the request (eager), so the section shows the outcome at once."""

import zipfile

import pytest

from inspections.catalogue import load_catalogue
from tests.reports.evidence.factories import evidence_scene

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests (fails them under CI) and says why
    expect = None

pytestmark = pytest.mark.e2e


def test_officer_makes_and_downloads_a_pack_auditor_only_downloads(page, login, e2e_users, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    load_catalogue()  # a migration's data, emptied after each browser test like the provinces
    scene = evidence_scene(e2e_users["officer"], e2e_users["inspector"])
    # when the officer presses the button on the point's page
    login(page, "officer")
    page.goto(f"/agents/points/{scene.point.pk}/")
    section = page.get_by_test_id("evidence-section")
    expect(section.get_by_test_id("evidence-none")).to_be_visible()
    section.get_by_test_id("evidence-create").click()
    # then the pack is listed as done, with its hash, and downloads as a ZIP with its manifest
    expect(page.locator("[data-testid=evidence-pack][data-status=DONE]")).to_be_visible()
    expect(page.get_by_test_id("evidence-sha256")).to_contain_text("SHA-256")
    with page.expect_download() as info:
        page.get_by_test_id("evidence-download").click()
    path = tmp_path / "downloaded.zip"
    info.value.save_as(path)
    with zipfile.ZipFile(path) as zf:
        assert "manifest.json" in zf.namelist()
        assert f"inspections/{scene.task.pk}/report.json" in zf.namelist()
    # and an auditor sees the pack and its download, but no button
    page.context.clear_cookies()
    login(page, "auditor")
    page.goto(f"/agents/points/{scene.point.pk}/")
    expect(page.get_by_test_id("evidence-download")).to_be_visible()
    expect(page.get_by_test_id("evidence-create")).to_have_count(0)
