"""An inspector does a visit on a 360x740 phone: opens the task from "My tasks", checks in with the phone's
location, answers the checklist (one item fails) with photos, records a pre-activated SIM, loses the network
halfway, keeps working, reloads the page with changes still waiting, gets the network back and submits.
Nothing typed is lost and the database holds the whole report."""

import base64
import datetime as dt

import pytest
from django.utils import timezone

from core.roles import Role
from inspections.catalogue import load_catalogue
from inspections.models import InspectionReport, TaskStatus
from tests.agents.factories import AgentFactory, PointFactory
from tests.inspections.factories import TaskFactory
from tests.registrations.factories import ActivationFactory, RegistrationFactory

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests (fails them under CI) and says why
    expect = None

pytestmark = pytest.mark.e2e

PHONE_WIDTH = 360
# About 40 m from the point (the factories put points of province 001 at 21.02450, 105.85720).
NEAR_THE_POINT = {"latitude": 21.0248, "longitude": 105.8574, "accuracy": 10}
SENT = "All changes sent"
WAITING = "Saved on this phone — waiting for the network"


@pytest.fixture
def viewport():
    """The phone only: the inspector's pages are made for it."""
    return "phone"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Photos go to a folder of their own (the live server runs in this process, so it sees the setting)."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def catalogue(transactional_db):
    """The checklist a migration loads is emptied after each browser test, like the provinces."""
    load_catalogue()


def camera_photo(page) -> bytes:
    """A 1200x900 JPEG drawn by the browser's canvas: what a phone camera gives, only smaller."""
    data_url = page.evaluate(
        """() => {
            const canvas = document.createElement("canvas");
            canvas.width = 1200; canvas.height = 900;
            const c = canvas.getContext("2d");
            c.fillStyle = "#0f3d57"; c.fillRect(0, 0, 1200, 900);
            c.fillStyle = "#ffd34d"; c.fillRect(150, 250, 900, 300);
            c.fillStyle = "#0f3d57"; c.font = "bold 120px sans-serif"; c.fillText("SIM 24h", 330, 450);
            return canvas.toDataURL("image/jpeg", 0.9);
        }"""
    )
    return base64.b64decode(data_url.split(",", 1)[1])


def assert_fits_the_phone(page):
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_WIDTH


def test_inspector_does_a_visit_on_the_phone_through_a_network_cut(
    page, e2e_users, catalogue, login, screenshot, live_server
):
    # given: a task due today at a point, and a SIM there that was active before it was registered
    point = PointFactory(
        code="HN-FIELD", name="Điểm Tràng Tiền", agent=AgentFactory(code="AG-FIELD", province_code="001")
    )
    task = TaskFactory(point=point, inspector=e2e_users[Role.INSPECTOR], due_date=timezone.localdate())
    registration = RegistrationFactory(point=point)
    ActivationFactory(iccid=registration.iccid, activated_at=registration.registered_at - dt.timedelta(days=2))
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation(NEAR_THE_POINT)

    # when: the inspector signs in and opens the task from "My tasks"
    login(page, "inspector")
    expect(page.get_by_test_id("group-today")).to_contain_text("Điểm Tràng Tiền")
    card = page.get_by_test_id(f"task-{task.pk}")
    expect(card).to_contain_text("HN-FIELD")
    expect(card.get_by_test_id(f"maps-{task.pk}")).to_have_attribute(
        "href", "https://www.google.com/maps/search/?api=1&query=21.024500%2C105.857200"
    )
    assert_fits_the_phone(page)
    screenshot(page, "field-1-my-tasks")
    card.get_by_role("button", name="Start").click()

    # and checks in with the phone's location
    expect(page.get_by_test_id("checkin")).to_be_visible()
    expect(page.get_by_test_id("inspection-form")).to_be_hidden()
    assert_fits_the_phone(page)
    screenshot(page, "field-2-check-in")
    page.get_by_test_id("checkin-button").click()

    # then: the checklist opens and the check-in reaches the server
    expect(page.get_by_test_id("inspection-form")).to_be_visible()
    expect(page.get_by_test_id("checkin-done")).to_contain_text("m from the point")
    expect(page.get_by_test_id("sync-status")).to_have_text(SENT)
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS

    # when: every item is answered (the camera fails), with a photo where one is needed
    report = InspectionReport.objects.get(task=task)
    items = list(report.template.items.all())
    for item in items:
        box = page.get_by_test_id(f"item-{item.code}")
        if item.answer_kind == "NUMBER":
            box.locator("input[type=number]").fill("0")
        else:
            passing = "NO" if item.code == "camera" else ("YES" if item.failing_answer == "NO" else "NO")
            box.locator(f"label.choice:has(input[value={passing}])").click()
    photo = camera_photo(page)
    needing_photos = [item for item in items if item.requires_photo]
    for item in needing_photos:
        page.get_by_test_id(f"photo-{item.code}").set_input_files(
            files=[{"name": "IMG_0001.jpg", "mimeType": "image/jpeg", "buffer": photo}]
        )
    page.get_by_test_id("item-camera").locator("details summary").click()
    page.get_by_test_id("item-camera").locator("[data-note]").fill("No camera at the counter")

    # then: the photos are uploaded and everything is sent
    for item in needing_photos:
        expect(page.get_by_test_id(f"item-{item.code}").locator('[data-testid="photo-thumb"]')).to_have_count(1)
    expect(page.get_by_test_id("item-camera")).to_have_class("item failed")
    expect(page.get_by_test_id("progress")).to_have_text(f"{len(items)} of {len(items)} answered")
    expect(page.get_by_test_id("sync-status")).to_have_text(SENT)
    assert_fits_the_phone(page)
    page.get_by_test_id("item-camera").scroll_into_view_if_needed()
    screenshot(page, "field-3-checklist")

    # when: a SIM's ICCID is typed, first with a wrong last digit
    iccid = registration.iccid
    wrong = iccid[:-1] + str((int(iccid[-1]) + 1) % 10)
    page.get_by_test_id("iccid-input").fill(wrong)
    expect(page.get_by_test_id("iccid-check")).to_have_text("Check digit wrong: check the number on the SIM")
    expect(page.get_by_test_id("sim-add")).to_be_disabled()
    page.get_by_test_id("iccid-input").fill(iccid)
    expect(page.get_by_test_id("iccid-check")).to_have_text("Check digit correct")
    page.get_by_test_id("sim-add").click()

    # then: it is recorded with its registration and activation
    sim_row = page.get_by_test_id(f"sim-{iccid}")
    expect(sim_row).to_contain_text(f"Registered as {registration.external_id}")
    expect(sim_row).to_contain_text("at this point")
    expect(sim_row).to_contain_text("Activated")
    assert_fits_the_phone(page)
    page.get_by_test_id("sims").scroll_into_view_if_needed()
    screenshot(page, "field-4-sim")

    # when: the network goes, and the inspector keeps working
    page.context.set_offline(True)
    page.get_by_test_id("item-staff-trained").locator("label.choice:has(input[value=NO])").click()
    page.get_by_test_id("remarks").fill("Clerk says the SIMs came from a wholesaler.")

    # then: the phone says the changes are kept, and nothing reaches the server
    expect(page.get_by_test_id("sync-status")).to_have_text(WAITING)
    assert report.answers.get(item__code="staff-trained").value == "YES"
    screenshot(page, "field-5-offline")

    # when: the page is reloaded while the server is still out of reach for the changes
    page.route("**/my-tasks/*/answers/", lambda route: route.abort("internetdisconnected"))
    page.route("**/my-tasks/*/remarks/", lambda route: route.abort("internetdisconnected"))
    page.context.set_offline(False)
    page.reload()

    # then: what is waiting is shown again from the phone's storage
    expect(page.get_by_test_id("item-staff-trained").locator("input[value=NO]")).to_be_checked()
    expect(page.get_by_test_id("remarks")).to_have_value("Clerk says the SIMs came from a wholesaler.")
    expect(page.get_by_test_id("sync-status")).to_have_text(WAITING)
    report.refresh_from_db()
    assert report.remarks == ""

    # when: the network comes back
    page.unroute("**/my-tasks/*/answers/")
    page.unroute("**/my-tasks/*/remarks/")
    page.evaluate("window.dispatchEvent(new Event('online'))")

    # then: everything is sent
    expect(page.get_by_test_id("sync-status")).to_have_text(SENT)
    assert report.answers.get(item__code="staff-trained").value == "NO"
    report.refresh_from_db()
    assert report.remarks == "Clerk says the SIMs came from a wholesaler."
    page.get_by_test_id("submit").scroll_into_view_if_needed()
    screenshot(page, "field-6-back-online")

    # when: the inspector checks out and submits
    page.get_by_test_id("submit").click()

    # then: back on "My tasks" with the task sent for review
    expect(page.get_by_text("sent for review.")).to_be_visible()
    expect(page.get_by_test_id("group-sent")).to_contain_text("Điểm Tràng Tiền")
    assert_fits_the_phone(page)
    screenshot(page, "field-7-submitted")
    task.refresh_from_db()
    report.refresh_from_db()
    assert task.status == TaskStatus.SUBMITTED
    assert report.submitted_at is not None
    assert report.checkout_at is not None
    assert 30 < report.checkin_distance_m < 50
    answers = {a.item.code: a for a in report.answers.select_related("item")}
    assert set(answers) == {item.code for item in items}
    assert [code for code, a in answers.items() if a.failed] == ["camera", "staff-trained"]
    assert answers["camera"].note == "No camera at the counter"
    photos = list(report.photos.select_related("item"))
    assert sorted(p.item.code for p in photos) == sorted(item.code for item in needing_photos)
    for stored in photos:
        assert stored.content_type == "image/jpeg"
        assert stored.client_id
        assert stored.file.storage.exists(stored.file.name)
    sim = report.sims.get()
    assert (sim.iccid, sim.registration, sim.activation.iccid) == (iccid, registration, iccid)


def test_a_returned_task_reopens_on_the_phone_with_the_reason(page, e2e_users, catalogue, login, screenshot):
    # given: a report an officer returned
    from inspections.services import review
    from tests.inspections.factories import ReportFactory, answer_all_with_photos

    point = PointFactory(code="HN-BACK", name="Điểm Hàng Bài", agent=AgentFactory(code="AG-BACK", province_code="001"))
    report = ReportFactory(task=TaskFactory(point=point, inspector=e2e_users[Role.INSPECTOR]))
    answer_all_with_photos(report)
    task = report.task
    task.status = TaskStatus.SUBMITTED
    task.save(update_fields=["status"])
    review.report_return(task=task, actor=e2e_users[Role.OFFICER], reason="Photograph the signboard from the street")

    # when
    login(page, "inspector")
    expect(page.get_by_test_id("group-returned")).to_contain_text("Điểm Hàng Bài")
    page.get_by_test_id(f"task-{task.pk}").get_by_role("button", name="Continue").click()

    # then: the reason is shown and the answers can change again
    expect(page.get_by_test_id("return-reason")).to_contain_text("Photograph the signboard from the street")
    expect(page.get_by_test_id("inspection-form")).to_be_visible()
    assert_fits_the_phone(page)
    screenshot(page, "field-8-returned")

    # when: the inspector changes an answer and sends the report again
    page.get_by_test_id("item-procedure").locator("label.choice:has(input[value=NO])").click()
    expect(page.get_by_test_id("sync-status")).to_have_text(SENT)
    page.get_by_test_id("submit").click()

    # then
    expect(page.get_by_text("sent for review.")).to_be_visible()
    task.refresh_from_db()
    assert task.status == TaskStatus.SUBMITTED
    assert report.answers.get(item__code="procedure").failed


def test_check_in_without_location_asks_why_and_records_it(page, e2e_users, catalogue, login, screenshot):
    # given: the phone refuses to give its location (no permission granted)
    task = TaskFactory(point=PointFactory(code="HN-NOGPS"), inspector=e2e_users[Role.INSPECTOR])
    login(page, "inspector")
    page.goto(f"/inspections/my-tasks/{task.pk}/")

    # when
    page.get_by_test_id("checkin-button").click()

    # then: the page says why it cannot locate and asks for a reason
    expect(page.get_by_test_id("checkin")).to_contain_text("Your location is not available (permission refused)")
    page.get_by_test_id("checkin-anyway").click()
    expect(page.get_by_test_id("checkin")).to_contain_text("Say why first.")
    assert_fits_the_phone(page)
    screenshot(page, "field-9-no-location")

    # when: the inspector says why
    page.get_by_label("Reason").fill("Location is switched off by the company phone policy")
    page.get_by_test_id("checkin-anyway").click()

    # then: the inspection starts without a position, with the reason
    expect(page.get_by_test_id("inspection-form")).to_be_visible()
    expect(page.get_by_test_id("sync-status")).to_have_text(SENT)
    report = InspectionReport.objects.get(task=task)
    assert report.checkin_latitude is None
    assert report.checkin_distance_m is None
    assert report.location_note == "Location is switched off by the company phone policy"
