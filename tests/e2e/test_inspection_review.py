"""The inspections issue's "done when", end to end through the pages: an inspector visits a point on a phone
(check-in with the phone's location, a failing item with its photo, a pre-activated SIM, a network cut), an
officer on a desktop returns the report with a reason, the inspector fixes it and sends it again, the officer
accepts it (findings) and proposes suspending the point, and a manager approves: the point is suspended with
the sanction in its status history, and the audit trail holds every step."""

import datetime as dt
from urllib.parse import urlencode

import pytest
from django.urls import reverse
from django.utils import timezone

from agents.models import RegistrationPoint, Status, StatusChange
from core.models import AuditEvent
from core.registry import AUDIT_ACTION_LABELS
from core.roles import Role
from inspections.catalogue import load_catalogue
from inspections.models import (
    Finding,
    FindingKind,
    FindingStatus,
    InspectionReport,
    ReviewOutcome,
    Sanction,
    SanctionStatus,
    TaskEvent,
    TaskStatus,
)
from tests.agents.factories import AgentFactory, PointFactory
from tests.e2e.conftest import SCREENSHOTS, TIMEOUT_MS, VIEWPORTS
from tests.e2e.test_inspection_field import NEAR_THE_POINT, SENT, WAITING, assert_fits_the_phone, camera_photo
from tests.inspections.factories import TaskFactory
from tests.registrations.factories import ActivationFactory, RegistrationFactory

try:
    from playwright.sync_api import expect
except ImportError:  # the browser fixture skips these tests (fails them under CI) and says why
    expect = None

pytestmark = pytest.mark.e2e

FAILING_ITEM = "no-preactivated-sims"
RETURN_REASON = "Staff training cannot be 'not applicable': ask who registers subscribers and answer yes or no."
SANCTION_NAME = "Suspension of the registration point"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    """Photos go to a folder of their own (the live server runs in this process, so it sees the setting)."""
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def catalogue(transactional_db):
    """The checklist and sanction catalogue a migration loads are emptied after each browser test."""
    load_catalogue()


@pytest.fixture
def desktop(browser, live_server, provinces):
    """desktop() opens a 1366x900 page in a context of its own (its own cookies: one user per context)."""
    contexts = []

    def open_page():
        context = browser.new_context(base_url=live_server.url, locale="en-US", **VIEWPORTS["desktop"])
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def desktop_screenshot(page, name: str) -> None:
    """As the screenshot fixture, named for the desktop (the test itself is parametrised on the phone)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}-desktop.png"), full_page=True)


def choose(page, code: str, value: str) -> None:
    page.get_by_test_id(f"item-{code}").locator(f"label.choice:has(input[value={value}])").click()


def open_task_from_planning(page, task) -> None:
    """The officer's way in: the Inspections nav item (the planning page), then the task's row."""
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Inspections", exact=True).click()
    expect(page.get_by_role("heading", name="Inspection planning")).to_be_visible()
    row = page.get_by_test_id("task-row").filter(has_text=task.point.code)
    row.get_by_role("link", name=f"#{task.pk}", exact=True).click()
    expect(page.get_by_test_id("task-facts")).to_contain_text(task.point.code)


def audit_actions_for(page, object_type: str, object_id: str = "") -> list[str]:
    """The audit trail filtered to one object type (and id), as its links do; the action codes of its rows,
    read back from the words the page shows (core.audit.action_label, in English here)."""
    page.goto(f"{reverse('core:audit_list')}?{urlencode({'object_type': object_type, 'object_id': object_id})}")
    codes = {str(label): code for code, label in AUDIT_ACTION_LABELS.items()}
    return [codes.get(text.strip(), text.strip()) for text in page.get_by_test_id("action").all_inner_texts()]


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_visit_review_return_accept_and_sanction_through_the_pages(
    page, desktop, e2e_users, catalogue, login, screenshot, live_server
):
    # given: a point with its coordinates, a task for it assigned to the inspector, and a SIM of that point
    # that was active before it was registered
    point = PointFactory(
        code="HN-REVIEW", name="Điểm Hàng Khay", agent=AgentFactory(code="AG-REVIEW", province_code="001")
    )
    task = TaskFactory(point=point, inspector=e2e_users[Role.INSPECTOR], due_date=timezone.localdate())
    registration = RegistrationFactory(point=point)
    ActivationFactory(iccid=registration.iccid, activated_at=registration.registered_at - dt.timedelta(days=2))
    page.context.grant_permissions(["geolocation"], origin=live_server.url)
    page.context.set_geolocation(NEAR_THE_POINT)

    # --- 1. phone: the visit ------------------------------------------------------------------------

    # when: the inspector opens the task from "My tasks" and checks in where the phone is
    login(page, "inspector")
    page.get_by_test_id(f"task-{task.pk}").get_by_role("button", name="Start").click()
    page.get_by_test_id("checkin-button").click()

    # then: the checklist opens, the distance to the point is shown and the check-in reaches the server
    expect(page.get_by_test_id("inspection-form")).to_be_visible()
    expect(page.get_by_test_id("checkin-done")).to_contain_text("m from the point")
    expect(page.get_by_test_id("sync-status")).to_have_text(SENT)
    assert_fits_the_phone(page)
    screenshot(page, "review-01-checkin")
    task.refresh_from_db()
    assert task.status == TaskStatus.IN_PROGRESS
    report = InspectionReport.objects.get(task=task)
    assert 30 < report.checkin_distance_m < 50

    # when: every item passes but one (pre-activated SIMs in stock), with a photo where one is needed
    items = list(report.template.items.all())
    for item in items:
        if item.answer_kind == "NUMBER":
            page.get_by_test_id(f"item-{item.code}").locator("input[type=number]").fill("0")
        else:
            choose(page, item.code, "NO" if item.code == FAILING_ITEM else "YES")
    photo = camera_photo(page)
    needing_photos = [item.code for item in items if item.requires_photo]
    assert FAILING_ITEM in needing_photos
    for code in needing_photos:
        page.get_by_test_id(f"photo-{code}").set_input_files(
            files=[{"name": "IMG_0002.jpg", "mimeType": "image/jpeg", "buffer": photo}]
        )

    # and the SIM's ICCID is recorded
    page.get_by_test_id("iccid-input").fill(registration.iccid)
    expect(page.get_by_test_id("iccid-check")).to_have_text("Check digit correct")
    page.get_by_test_id("sim-add").click()

    # then: one item failed, the photos are up, the SIM is matched to its registration, all is sent
    for code in needing_photos:
        expect(page.get_by_test_id(f"item-{code}").locator('[data-testid="photo-thumb"]')).to_have_count(1)
    expect(page.get_by_test_id(f"item-{FAILING_ITEM}")).to_have_class("item failed")
    expect(page.get_by_test_id(f"sim-{registration.iccid}")).to_contain_text(
        f"Registered as {registration.external_id}"
    )
    expect(page.get_by_test_id("progress")).to_have_text(f"{len(items)} of {len(items)} answered")
    expect(page.get_by_test_id("sync-status")).to_have_text(SENT)
    assert_fits_the_phone(page)
    page.get_by_test_id("sims").scroll_into_view_if_needed()
    screenshot(page, "review-02-checklist")
    assert [a.item.code for a in report.answers.filter(failed=True).select_related("item")] == [FAILING_ITEM]
    assert report.photos.count() == len(needing_photos)
    assert report.sims.get().registration == registration

    # when: the network goes while the inspector changes an answer and types remarks
    page.context.set_offline(True)
    choose(page, "staff-trained", "NA")
    page.get_by_test_id("remarks").fill("Three SIMs in the drawer were already active.")

    # then: the phone keeps them, and nothing reaches the server
    expect(page.get_by_test_id("sync-status")).to_have_text(WAITING)
    assert_fits_the_phone(page)
    screenshot(page, "review-03-offline")
    assert report.answers.get(item__code="staff-trained").value == "YES"
    report.refresh_from_db()
    assert report.remarks == ""

    # when: the network comes back
    page.context.set_offline(False)

    # then: everything is sent
    expect(page.get_by_test_id("sync-status")).to_have_text(SENT)
    assert report.answers.get(item__code="staff-trained").value == "NA"
    report.refresh_from_db()
    assert report.remarks == "Three SIMs in the drawer were already active."
    page.get_by_test_id("submit").scroll_into_view_if_needed()
    screenshot(page, "review-04-back-online")

    # when: the inspector submits
    page.get_by_test_id("submit").click()

    # then
    expect(page.get_by_text("sent for review.")).to_be_visible()
    expect(page.get_by_test_id("group-sent")).to_contain_text("Điểm Hàng Khay")
    assert_fits_the_phone(page)
    screenshot(page, "review-05-submitted")
    task.refresh_from_db()
    report.refresh_from_db()
    assert task.status == TaskStatus.SUBMITTED
    assert report.submitted_at is not None
    assert report.review_outcome == ""

    # --- 2. desktop: the officer returns the report --------------------------------------------------

    # when: the officer opens the task from the planning page and returns it with a reason
    office = desktop()
    login(office, "officer")
    open_task_from_planning(office, task)
    expect(office.get_by_test_id("failed-answer")).to_have_count(1)
    expect(office.get_by_test_id("sims")).to_contain_text(registration.external_id)
    desktop_screenshot(office, "review-06-officer-reads")
    office.get_by_label("Note or reason").fill(RETURN_REASON)
    office.get_by_test_id("return").click()

    # then
    expect(office.get_by_text("Returned to the inspector: it is back on their phone.")).to_be_visible()
    expect(office.get_by_test_id("review-outcome")).to_contain_text("Returned")
    expect(office.get_by_test_id("review-outcome")).to_contain_text(RETURN_REASON)
    expect(office.get_by_test_id("review")).to_have_count(0)
    desktop_screenshot(office, "review-07-returned")
    task.refresh_from_db()
    report.refresh_from_db()
    assert task.status == TaskStatus.RETURNED
    assert report.review_outcome == ReviewOutcome.RETURNED
    assert report.return_reason == RETURN_REASON
    assert report.reviewed_by == e2e_users[Role.OFFICER]
    assert not Finding.objects.filter(task=task).exists()

    # --- 3. phone: the inspector fixes the answer and sends the report again ------------------------

    # when: "My tasks" is reloaded and the returned task opened
    page.reload()
    expect(page.get_by_test_id("group-returned")).to_contain_text("Điểm Hàng Khay")
    assert_fits_the_phone(page)
    screenshot(page, "review-08-my-tasks-returned")
    page.get_by_test_id(f"task-{task.pk}").get_by_role("button", name="Continue").click()

    # then: the reason is there and the answers can change
    expect(page.get_by_test_id("return-reason")).to_contain_text(RETURN_REASON)
    expect(page.get_by_test_id("item-staff-trained").locator("input[value=NA]")).to_be_checked()
    assert_fits_the_phone(page)
    screenshot(page, "review-09-returned-task")

    # when: the answer is fixed and the report sent again
    choose(page, "staff-trained", "YES")
    expect(page.get_by_test_id("sync-status")).to_have_text(SENT)
    page.get_by_test_id("submit").click()

    # then
    expect(page.get_by_text("sent for review.")).to_be_visible()
    assert_fits_the_phone(page)
    screenshot(page, "review-10-resubmitted")
    task.refresh_from_db()
    assert task.status == TaskStatus.SUBMITTED
    assert report.answers.get(item__code="staff-trained").value == "YES"
    assert TaskEvent.objects.filter(task=task, to_status=TaskStatus.SUBMITTED).count() == 2

    # --- 4. desktop: the officer accepts and proposes a sanction -------------------------------------

    # when
    open_task_from_planning(office, task)
    office.get_by_label("Note or reason").fill("Complete report; the SIMs found are evidence.")
    office.get_by_test_id("accept").click()

    # then: the report is accepted and the failed item and the SIM found are findings
    expect(office.get_by_text("Report accepted: 2 findings recorded.")).to_be_visible()
    expect(office.get_by_test_id("review-outcome")).to_contain_text("Accepted")
    findings_table = office.get_by_test_id("findings")
    expect(findings_table.locator("tbody tr")).to_have_count(2)
    expect(findings_table).to_contain_text("No pre-activated or pre-filled SIMs in stock")
    expect(findings_table).to_contain_text(f"Pre-activated SIM found on site: ICCID {registration.iccid}")
    desktop_screenshot(office, "review-11-accepted")
    task.refresh_from_db()
    report.refresh_from_db()
    assert task.status == TaskStatus.CLOSED
    assert task.closed_at is not None
    assert report.review_outcome == ReviewOutcome.ACCEPTED
    assert report.return_reason == ""
    findings = {f.kind: f for f in Finding.objects.filter(task=task).select_related("answer__item", "sim")}
    assert set(findings) == {FindingKind.FAILED_ITEM, FindingKind.SIM_FOUND}
    assert findings[FindingKind.FAILED_ITEM].answer.item.code == FAILING_ITEM
    assert findings[FindingKind.SIM_FOUND].sim.iccid == registration.iccid
    assert {f.status for f in findings.values()} == {FindingStatus.OPEN}
    sim_finding = findings[FindingKind.SIM_FOUND]
    point.refresh_from_db()
    assert point.last_inspection_on == timezone.localdate(report.checkin_at)

    # when: the officer proposes suspending the point on the SIM found
    findings_table.locator("tbody tr", has_text=registration.iccid).get_by_test_id("propose-sanction").click()
    office.get_by_label("Sanction").select_option(label=SANCTION_NAME)
    office.get_by_label("Grounds").fill("Pre-activated SIMs sold at the counter.")
    desktop_screenshot(office, "review-12-propose")
    office.get_by_role("button", name="Propose").click()

    # then: it waits for a manager
    expect(office.get_by_text("proposed: a manager decides on it.")).to_be_visible()
    expect(office.get_by_test_id("sanction-status")).to_have_text("Proposed")
    expect(office.get_by_test_id("decide")).to_have_count(0)
    desktop_screenshot(office, "review-13-proposed")
    sanction = Sanction.objects.select_related("sanction_type").get(finding=sim_finding)
    assert sanction.status == SanctionStatus.PROPOSED
    assert (sanction.sanction_type.code, sanction.amount_vnd) == ("suspend-point", None)
    assert (sanction.point, sanction.proposed_by) == (point, e2e_users[Role.OFFICER])
    point.refresh_from_db()
    assert point.status == Status.ACTIVE

    # --- 5. desktop: the manager approves ------------------------------------------------------------

    # when: the manager opens it from the dashboard's "awaiting approval" counter (the list it counts) and
    # approves it
    boss = desktop()
    login(boss, "manager")
    counter = boss.get_by_test_id("count-sanctions-proposed")
    expect(counter.locator("strong")).to_have_text("1")
    counter.click()
    waiting = boss.get_by_test_id("sanction-table").get_by_test_id("sanction-row")
    expect(waiting).to_have_count(1)
    waiting.get_by_role("link", name=f"#{sanction.pk}", exact=True).click()
    boss.get_by_label("Note (required to reject)").fill("Approved: evidence in the inspection report.")
    boss.get_by_test_id("approve").click()

    # then: it is applied at once
    expect(boss.get_by_text(f"Sanction #{sanction.pk} approved and applied.")).to_be_visible()
    expect(boss.get_by_test_id("sanction-status")).to_have_text("Approved and applied")
    expect(boss.get_by_test_id("status-change")).to_contain_text("Active → Suspended")
    desktop_screenshot(boss, "review-14-approved")
    sanction.refresh_from_db()
    assert sanction.status == SanctionStatus.APPROVED
    assert sanction.decided_by == e2e_users[Role.MANAGER]
    point = RegistrationPoint.objects.get(pk=point.pk)
    assert point.status == Status.SUSPENDED
    change = point.status_changes.get()
    assert change == sanction.status_change
    assert (change.source, change.from_status, change.to_status) == (
        StatusChange.Source.SANCTION,
        Status.ACTIVE,
        Status.SUSPENDED,
    )
    assert change.actor == e2e_users[Role.MANAGER]

    # when: the point's page is opened from the sanction
    boss.get_by_test_id("sanction-facts").get_by_role("link", name=str(point)).click()

    # then: the point is suspended, with the sanction in its status history and its inspections section
    expect(boss.get_by_role("heading", name="Điểm Hàng Khay")).to_be_visible()
    expect(boss.locator("main .status").first).to_have_text("Suspended")
    history = boss.get_by_test_id("status-history").locator("tbody tr")
    expect(history).to_have_count(1)
    expect(history).to_contain_text(f"Sanction #{sanction.pk} approved: {SANCTION_NAME}")
    expect(history.locator("td").last).to_have_text("Sanction")
    expect(boss.get_by_test_id("inspections-section").get_by_test_id("sanction-row")).to_contain_text(
        "Approved and applied"
    )
    desktop_screenshot(boss, "review-15-point-suspended")

    # when: the manager reads the audit trail of the task, of sanctions, and of the point
    boss.get_by_role("navigation", name="Main").get_by_role("link", name="Audit trail").click()
    task_actions = audit_actions_for(boss, "inspections.inspectiontask", str(task.pk))
    desktop_screenshot(boss, "review-16-audit")
    sanction_actions = audit_actions_for(boss, "inspections.sanction")
    point_actions = audit_actions_for(boss, "agents.registrationpoint", str(point.pk))

    # then: every step is there, newest first
    expected_task_steps = [
        "inspection.check_in",
        "inspection.in_progress",
        "inspection.sim_add",
        "inspection.submitted",
        "inspection.returned",
        "inspection.closed",
        "inspection.accept",
    ]
    assert set(expected_task_steps) <= set(task_actions)
    assert task_actions.count("inspection.submitted") == 2
    assert task_actions[:2] == ["inspection.accept", "inspection.closed"]
    assert sanction_actions == ["sanction.approve", "sanction.propose"]
    assert point_actions == ["point.suspend"]
    recorded = set(AuditEvent.objects.values_list("action", flat=True))
    assert set(expected_task_steps) | {"sanction.propose", "sanction.approve", "point.suspend"} <= recorded
