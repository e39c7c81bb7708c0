"""The compliance staff's inspection pages: who may open and act (each role; in and out of province), the
planning page (order, filters, workload, constant query count), creating tasks (by hand, from a flag, in
bulk), assigning, cancelling, reviewing, sanctions, corrective actions with their evidence file."""

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from agents.models import RegistrationPoint, Status
from core.roles import Role
from inspections import selectors
from inspections.models import (
    ActionStatus,
    Finding,
    FindingStatus,
    InspectionTask,
    RiskPolicy,
    Sanction,
    SanctionStatus,
    SanctionType,
    TaskKind,
    TaskStatus,
)
from tests.agents.factories import AgentFactory, PointFactory
from tests.core.test_pages_read_as_people_write import UNGROUPED, visible_text
from tests.inspections.factories import (
    ReportFactory,
    TaskFactory,
    make_action,
    make_finding,
    make_sanction,
    submitted_task,
)
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag

pytestmark = pytest.mark.django_db

PLANNING = reverse("inspections:task_list")
PDF = b"%PDF-1.4\n%%EOF\n"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


@pytest.fixture
def saigon_point():
    return PointFactory(code="SG-1", province_code="079")


def days(n: int) -> dt.date:
    return timezone.localdate() + dt.timedelta(days=n)


def url(name, *args):
    return reverse(f"inspections:{name}", args=args)


# --- who may open what --------------------------------------------------------------------------

READ_PAGES = ["task_list", "finding_list", "sanction_list", "action_list", "checklist_list"]


READERS = {Role.OFFICER, Role.MANAGER, Role.AUDITOR}
STAFF = {Role.OFFICER, Role.MANAGER}


@pytest.mark.parametrize("name", READ_PAGES)
def test_staff_and_auditors_read_the_lists_and_others_are_refused(client, any_principal, name):
    client.force_login(any_principal.user)
    assert client.get(url(name)).status_code == (200 if any_principal.allowed(READERS) else 403)


@pytest.fixture
def hanoi_objects(officer, hanoi_point):
    task = TaskFactory(point=hanoi_point)
    finding = make_finding(hanoi_point)
    sanction = make_sanction(hanoi_point, proposed_by=officer, status="PROPOSED", finding=finding)
    action = make_action(hanoi_point, created_by=officer, finding=finding)
    return {"task": task, "finding": finding, "sanction": sanction, "action": action}


def test_object_pages_by_role_in_and_out_of_the_objects_province(client, principal, hanoi_objects):
    # given a Hà Nội task, finding, sanction and corrective action
    client.force_login(principal.user)
    # then readers open them, staff open the forms, and users limited to TP HCM get 404
    pages = [
        ("task_detail", "task", READERS),
        ("finding_detail", "finding", READERS),
        ("sanction_detail", "sanction", READERS),
        ("action_detail", "action", READERS),
        ("task_cancel", "task", STAFF),
        ("sanction_propose", "finding", STAFF),
        ("action_create", "finding", STAFF),
        ("action_evidence", "action", STAFF),
    ]
    for name, key, roles in pages:
        assert client.get(url(name, hanoi_objects[key].pk)).status_code == principal.expect(roles), name


def test_anonymous_users_are_sent_to_sign_in(client):
    response = client.get(PLANNING)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.fixture
def saigon_objects(officer, saigon_point):
    task = TaskFactory(point=saigon_point)
    finding = make_finding(saigon_point)
    sanction = make_sanction(saigon_point, proposed_by=officer, status="PROPOSED", finding=finding)
    action = make_action(saigon_point, created_by=officer, finding=finding)
    return {"task": task, "finding": finding, "sanction": sanction, "action": action}


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("task_detail", "task"),
        ("task_cancel", "task"),
        ("finding_detail", "finding"),
        ("sanction_propose", "finding"),
        ("action_create", "finding"),
        ("sanction_detail", "sanction"),
        ("action_detail", "action"),
        ("action_evidence", "action"),
    ],
)
def test_an_officer_limited_to_a_province_gets_404_on_other_provinces(client, hanoi_officer, saigon_objects, name, key):
    client.force_login(hanoi_officer)
    assert client.get(url(name, saigon_objects[key].pk)).status_code == 404


@pytest.mark.parametrize(
    ("name", "key", "data"),
    [
        ("task_assign", "task", {"inspector": "1"}),
        ("task_review", "task", {"decision": "accept"}),
        ("sanction_decide", "sanction", {"note": "ok"}),
    ],
)
def test_posts_on_other_provinces_objects_answer_404_too(client, make_user, saigon_objects, name, key, data):
    hanoi_manager = make_user(Role.MANAGER, provinces=["001"])
    client.force_login(hanoi_manager)
    args = (saigon_objects[key].pk, "approve") if name == "sanction_decide" else (saigon_objects[key].pk,)
    assert client.post(url(name, *args), data).status_code == 404
    assert Sanction.objects.get().status == SanctionStatus.PROPOSED


def test_the_evidence_file_of_another_province_is_404(client, hanoi_officer, officer, saigon_objects):
    # given
    action = saigon_objects["action"]
    client.force_login(officer)
    client.post(url("action_evidence", action.pk), {"note": "scan", "file": SimpleUploadedFile("a.pdf", PDF)})
    # when
    client.force_login(hanoi_officer)
    # then
    assert client.get(url("action_evidence_file", action.pk)).status_code == 404


def test_the_planning_page_lists_only_the_users_provinces(client, hanoi_officer, saigon_point):
    hanoi = TaskFactory()
    TaskFactory(point=saigon_point)
    client.force_login(hanoi_officer)
    assert [t.pk for t in client.get(PLANNING).context["page"].items] == [hanoi.pk]


def test_an_inspector_sees_only_their_own_tasks(inspector, make_user):
    # given
    mine = TaskFactory(inspector=inspector)
    theirs = TaskFactory(inspector=make_user(Role.INSPECTOR, provinces=["001"]))
    TaskFactory()
    # when / then
    assert list(InspectionTask.objects.for_user(inspector)) == [mine]
    assert selectors.task_get(user=inspector, pk=mine.pk) == mine
    with pytest.raises(Http404):
        selectors.task_get(user=inspector, pk=theirs.pk)


def test_the_office_task_page_is_not_for_inspectors(client, inspector):
    task = TaskFactory(inspector=inspector)
    client.force_login(inspector)
    assert client.get(url("task_detail", task.pk)).status_code == 403


# --- auditors read but do not write -------------------------------------------------------------


@pytest.fixture
def scene(officer, inspector):
    """A submitted task with a finding-making report, a finding with a sanction and an action."""
    task = submitted_task(inspector=inspector, failing=("camera",))
    finding = make_finding(task.point)
    sanction = make_sanction(task.point, proposed_by=officer, status="PROPOSED", finding=finding)
    action = make_action(task.point, created_by=officer, finding=finding)
    return {"task": task, "finding": finding, "sanction": sanction, "action": action}


def test_auditors_read_task_finding_sanction_and_action_pages_without_forms(client, auditor, scene):
    client.force_login(auditor)
    for name, key in [
        ("task_detail", "task"),
        ("finding_detail", "finding"),
        ("sanction_detail", "sanction"),
        ("action_detail", "action"),
    ]:
        response = client.get(url(name, scene[key].pk))
        assert response.status_code == 200
        html = response.content.decode()
        for testid in ("assign-form", "review-form", "propose-sanction", "add-action", "decide", "submit-evidence"):
            assert f'data-testid="{testid}"' not in html


@pytest.mark.parametrize(
    ("name", "key", "data"),
    [
        ("task_create", None, {"point_code": "X", "kind": "ROUTINE", "due_date": "2030-01-01"}),
        ("task_bulk_create", None, {"kind": "ROUTINE", "due_date": "2030-01-01"}),
        ("task_assign_bulk", None, {"inspector": "1", "ids": ["1"]}),
        ("task_assign", "task", {"inspector": "1"}),
        ("task_unassign", "task", {}),
        ("task_cancel", "task", {"reason": "no"}),
        ("task_review", "task", {"decision": "accept"}),
        ("sanction_propose", "finding", {"sanction_type": "1", "note": "x"}),
        ("action_create", "finding", {"description": "x", "owner": "y", "due_date": "2030-01-01"}),
        ("action_evidence", "action", {"note": "x"}),
        ("sanction_decide", "sanction", {"note": "x"}),
    ],
)
def test_auditors_cannot_write(client, auditor, scene, name, key, data):
    # given
    client.force_login(auditor)
    if key is None:
        args = ()
    elif name == "sanction_decide":
        args = (scene[key].pk, "approve")
    else:
        args = (scene[key].pk,)
    # when
    response = client.post(url(name, *args), data)
    # then
    assert response.status_code == 403
    scene["task"].refresh_from_db()
    assert scene["task"].status == TaskStatus.SUBMITTED
    assert Sanction.objects.get().status == SanctionStatus.PROPOSED


@pytest.mark.parametrize("name", ["task_create", "task_bulk_create"])
def test_auditors_do_not_get_the_creation_pages(client, auditor, name):
    client.force_login(auditor)
    assert client.get(url(name)).status_code == 403


def test_officers_cannot_approve_sanctions(client, officer, scene):
    client.force_login(officer)
    response = client.post(url("sanction_decide", scene["sanction"].pk, "approve"), {"note": ""})
    assert response.status_code == 403


# --- the planning page --------------------------------------------------------------------------


def test_unassigned_tasks_come_first_then_by_due_date(client, officer, inspector):
    # given
    assigned_soon = TaskFactory(inspector=inspector, due_date=days(1))
    unassigned_late = TaskFactory(due_date=days(20))
    unassigned_soon = TaskFactory(due_date=days(2))
    assigned_late = TaskFactory(inspector=inspector, due_date=days(30))
    TaskFactory(status=TaskStatus.CLOSED)
    client.force_login(officer)
    # when
    rows = [t.pk for t in client.get(PLANNING).context["page"].items]
    # then
    assert rows == [unassigned_soon.pk, unassigned_late.pk, assigned_soon.pk, assigned_late.pk]


@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_planning_pages_follow_the_planning_order_across_pages(client, officer, inspector, monkeypatch, size):
    # given: two unassigned and three assigned tasks, pages of `size` rows (the two parts meet mid-page or not)
    monkeypatch.setattr("inspections.views.planning.PAGE_SIZE", size)
    unassigned = [TaskFactory(due_date=days(n)).pk for n in (3, 9)]
    assigned = [TaskFactory(inspector=inspector, due_date=days(n)).pk for n in (1, 2, 2)]
    client.force_login(officer)
    # when: following the next-page links, with a filter that every link keeps
    seen, query, pages = [], "kind=ROUTINE", 0
    while query is not None:
        response = client.get(PLANNING + "?" + query)
        page = response.context["page"]
        assert response.context["count"] == 5
        assert len(page.items) <= size
        if pages:
            assert page.first_query == "kind=ROUTINE"
        seen += [t.pk for t in page.items]
        query, pages = page.next_query, pages + 1
        assert query is None or "kind=ROUTINE" in query
    # then
    assert seen == unassigned + sorted(assigned, key=lambda pk: (InspectionTask.objects.get(pk=pk).due_date, pk))
    assert pages == -(-5 // size)


def test_findings_sanctions_and_actions_lists_page_with_the_shared_pager(client, officer, monkeypatch):
    # given
    monkeypatch.setattr("inspections.views._common.PAGE_SIZE", 1)
    findings = [make_finding(PointFactory()) for _ in range(2)]
    # not shown on any page: the list opens on the open findings
    Finding.objects.filter(pk=make_finding(PointFactory()).pk).update(status=FindingStatus.RESOLVED)
    client.force_login(officer)
    # when
    first = client.get(url("finding_list"))
    second = client.get(url("finding_list") + "?" + first.context["page"].next_query)
    # then: newest first, one per page, the app's pager
    assert [f.pk for f in first.context["page"].items + second.context["page"].items] == sorted(
        (f.pk for f in findings), reverse=True
    )
    assert 'data-testid="next-page"' in first.content.decode()
    assert second.context["page"].next_query is None


def test_planning_filters(client, officer, inspector, saigon_point):
    # given
    late = TaskFactory(due_date=days(-3))
    complaint = TaskFactory(kind=TaskKind.COMPLAINT, inspector=inspector, due_date=days(5))
    saigon = TaskFactory(point=saigon_point, due_date=days(40))
    closed = TaskFactory(status=TaskStatus.CLOSED, due_date=days(-10))
    client.force_login(officer)

    def rows(**params):
        response = client.get(PLANNING, params)
        assert response.status_code == 200
        return {t.pk for t in response.context["page"].items}

    # then
    assert rows() == {late.pk, complaint.pk, saigon.pk}
    assert rows(status="all") == {late.pk, complaint.pk, saigon.pk, closed.pk}
    assert rows(status="CLOSED") == {closed.pk}
    assert rows(overdue="true") == {late.pk}
    assert rows(unassigned="true") == {late.pk, saigon.pk}
    assert rows(kind="COMPLAINT") == {complaint.pk}
    assert rows(province="079") == {saigon.pk}
    assert rows(inspector=inspector.pk) == {complaint.pk}
    assert rows(due_from=days(0).isoformat(), due_to=days(10).isoformat()) == {complaint.pk}
    assert rows(q=saigon_point.code) == {saigon.pk}


def test_htmx_filtering_answers_only_the_table(client, officer):
    TaskFactory()
    client.force_login(officer)
    response = client.get(PLANNING, HTTP_HX_REQUEST="true")
    assert [t.name for t in response.templates][0] == "inspections/office/task_list_rows.html"
    assert "<html" not in response.content.decode()


def test_the_workload_panel_counts_each_inspectors_tasks(client, officer, inspector, make_user):
    # given
    other = make_user(Role.INSPECTOR, provinces=["001"], username="other")
    TaskFactory(inspector=inspector, due_date=days(-1))  # overdue
    TaskFactory(inspector=inspector, due_date=days(3))  # due within 7 days
    TaskFactory(inspector=inspector, due_date=days(30))
    TaskFactory(inspector=inspector, status=TaskStatus.CLOSED, due_date=days(-30))
    client.force_login(officer)
    # when
    workload = {
        u.username: (u.open_tasks, u.overdue_tasks, u.due_soon) for u in client.get(PLANNING).context["workload"]
    }
    # then
    assert workload[inspector.username] == (3, 1, 1)
    assert workload[other.username] == (0, 0, 0)


def test_the_workload_lists_only_inspectors_of_the_users_provinces(client, hanoi_officer, make_user):
    make_user(Role.INSPECTOR, provinces=["079"], username="saigon-inspector")
    make_user(Role.INSPECTOR, provinces=["001"], username="hanoi-inspector")
    client.force_login(hanoi_officer)
    names = [u.username for u in client.get(PLANNING).context["workload"]]
    assert names == ["hanoi-inspector"]


def test_planning_query_count_does_not_grow_with_rows(client, officer, inspector, django_assert_max_num_queries):
    # given
    for _ in range(3):
        TaskFactory(inspector=inspector)
        TaskFactory()
    client.force_login(officer)
    with django_assert_max_num_queries(30) as few:
        client.get(PLANNING)
    for n in range(30):
        TaskFactory(inspector=inspector if n % 2 else None, point=PointFactory(agent=AgentFactory()))
    # when / then
    with django_assert_max_num_queries(len(few.captured_queries)):
        assert client.get(PLANNING).status_code == 200


def test_the_planning_page_writes_a_task_id_as_a_reference_not_an_ungrouped_number(client, manager, inspector):
    # given: tasks whose ids have four digits, one unassigned and one assigned (a bare 1045 is what a Vietnamese
    # reader takes for a number written without its thousands separator: issue 13)
    TaskFactory(pk=1045)
    TaskFactory(pk=2046, inspector=inspector)
    manager.language = "vi"
    manager.save(update_fields=["language"])
    client.force_login(manager)
    # when: the planning page in Vietnamese
    html = client.get(PLANNING).content.decode()
    assert '<html lang="vi"' in html
    # then: each id is a reference, #1045, linking to its task
    assert f'<a href="{url("task_detail", 1045)}">#1045</a>' in html
    assert f'<a href="{url("task_detail", 2046)}">#2046</a>' in html
    text = visible_text(html)
    assert "#1045" in text
    assert "#2046" in text
    # (factories' sequences may write other four-digit numbers into names, past a thousand tests: not the page's)
    assert not {"1045", "2046"} & set(UNGROUPED.findall(text))


def test_the_workload_counts_only_the_tasks_of_the_users_provinces(client, hanoi_officer, saigon_point, make_user):
    # given: an inspector covering Hà Nội and TP Hồ Chí Minh, with tasks in both
    both = make_user(Role.INSPECTOR, provinces=["001", "079"], username="both")
    TaskFactory(inspector=both, due_date=days(-1))  # Hà Nội, overdue
    TaskFactory(inspector=both, due_date=days(2))  # Hà Nội, due soon
    TaskFactory(inspector=both, status=TaskStatus.SUBMITTED, due_date=days(-5))  # Hà Nội, open, not waiting
    TaskFactory(inspector=both, point=saigon_point, due_date=days(-1))  # TP Hồ Chí Minh
    client.force_login(hanoi_officer)
    # when
    workload = {
        u.username: (u.open_tasks, u.overdue_tasks, u.due_soon) for u in client.get(PLANNING).context["workload"]
    }
    # then: a Hà Nội officer counts the Hà Nội tasks only
    assert workload["both"] == (3, 1, 1)


def test_a_user_with_no_province_counts_no_task(make_user, inspector):
    # given: a task of an inspector, read by a limited user with no province at all
    TaskFactory(inspector=inspector)
    nowhere = make_user(Role.OFFICER, all_provinces=False, username="nowhere")
    everywhere = make_user(Role.OFFICER, username="everywhere")
    # then
    counted = selectors.with_workload(selectors.inspectors().filter(pk=inspector.pk), user=nowhere).get()
    assert (counted.open_tasks, counted.overdue_tasks, counted.due_soon) == (0, 0, 0)
    counted = selectors.with_workload(selectors.inspectors().filter(pk=inspector.pk), user=everywhere).get()
    assert (counted.open_tasks, counted.overdue_tasks, counted.due_soon) == (1, 0, 1)


def test_the_planning_page_links_to_the_other_pages(client, manager):
    client.force_login(manager)
    html = client.get(PLANNING).content.decode()
    for name in ("task_create", "task_bulk_create", "checklist_list"):
        assert f'href="{url(name)}"' in html


# --- creating tasks -----------------------------------------------------------------------------


def test_an_officer_creates_a_complaint_task_by_hand(client, officer):
    # given
    point = PointFactory(code="HN-77")
    client.force_login(officer)
    # when
    response = client.post(
        url("task_create"),
        {"point_code": "HN-77", "kind": "COMPLAINT", "due_date": days(3).isoformat(), "reason": "Customer says X"},
    )
    # then
    task = InspectionTask.objects.get(point=point)
    assert response.status_code == 302
    assert response["Location"] == url("task_detail", task.pk)
    assert (task.kind, task.reason, task.created_by) == (TaskKind.COMPLAINT, "Customer says X", officer)


def test_a_complaint_needs_a_reason_and_a_point_in_the_users_provinces(client, hanoi_officer, saigon_point):
    client.force_login(hanoi_officer)
    response = client.post(
        url("task_create"), {"point_code": saigon_point.code, "kind": "COMPLAINT", "due_date": days(3).isoformat()}
    )
    form = response.context["form"]
    assert "point_code" in form.errors
    assert "reason" in form.errors
    assert not InspectionTask.objects.exists()


def test_creating_a_task_for_a_point_with_an_open_one_leads_to_it(client, officer):
    existing = TaskFactory()
    client.force_login(officer)
    response = client.post(
        url("task_create"), {"point_code": existing.point.code, "kind": "ROUTINE", "due_date": days(3).isoformat()}
    )
    assert response["Location"] == url("task_detail", existing.pk)
    assert InspectionTask.objects.count() == 1


@pytest.fixture
def flag():
    return make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=PointFactory(code="FLAGGED")))


def test_the_flag_page_prefills_the_due_date_from_the_risk_policy(client, officer, flag):
    RiskPolicy.objects.filter(pk=1).update(risk_task_due_days=5)
    client.force_login(officer)
    form = client.get(url("task_create_from_flag", flag.pk)).context["form"]
    assert form.initial["due_date"] == days(5)


def test_a_risk_task_from_a_flag(client, officer, flag):
    client.force_login(officer)
    response = client.post(url("task_create_from_flag", flag.pk), {"due_date": days(4).isoformat(), "reason": "r"})
    task = InspectionTask.objects.get()
    assert response["Location"] == url("task_detail", task.pk)
    assert (task.kind, list(task.flags.all())) == (TaskKind.RISK, [flag])


def test_a_flag_at_a_point_with_an_open_task_is_linked_to_it(client, officer, flag):
    # given
    existing = TaskFactory(point=flag.point)
    client.force_login(officer)
    # when: the page offers to link; posting links and leads to the task
    page = client.get(url("task_create_from_flag", flag.pk))
    linked_on_get = existing.flags.exists()
    response = client.post(url("task_create_from_flag", flag.pk), follow=True)
    # then
    assert page.context["existing"] == existing
    assert not linked_on_get
    assert response.redirect_chain[-1][0] == url("task_detail", existing.pk)
    assert list(existing.flags.all()) == [flag]
    assert "now linked to task" in response.content.decode()
    assert InspectionTask.objects.count() == 1


def test_a_flag_of_another_province_is_404(client, hanoi_officer):
    flag = make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=PointFactory(province_code="079")))
    client.force_login(hanoi_officer)
    assert client.get(url("task_create_from_flag", flag.pk)).status_code == 404


def test_bulk_previews_then_creates_one_task_per_point(client, officer):
    # given
    agent = AgentFactory(code="AG-BULK")
    fresh = [PointFactory(agent=agent) for _ in range(3)]
    busy = PointFactory(agent=agent)
    TaskFactory(point=busy)
    PointFactory(agent=agent, status=Status.TERMINATED)
    client.force_login(officer)
    # when
    preview = client.get(url("task_bulk_create"), {"agent": "AG-BULK"})
    done = client.post(
        url("task_bulk_create") + "?agent=AG-BULK", {"kind": "ROUTINE", "due_date": days(14).isoformat()}
    )
    # then
    assert preview.context["counts"] == {"points": 5, "open": 1, "terminated": 1, "new": 3}
    result = done.context["result"]
    assert sorted(t.point_id for t in result["created"]) == sorted(p.pk for p in fresh)
    assert len(result["skipped"]) == 2
    assert InspectionTask.objects.filter(point__agent=agent, status=TaskStatus.PLANNED).count() == 4


def test_bulk_only_reaches_the_users_provinces(client, hanoi_officer, saigon_point):
    PointFactory()
    client.force_login(hanoi_officer)
    client.post(url("task_bulk_create"), {"kind": "ROUTINE", "due_date": days(14).isoformat()})
    assert list(InspectionTask.objects.values_list("point__province", flat=True)) == ["001"]


# --- assigning and cancelling -------------------------------------------------------------------


def test_assign_offers_only_inspectors_covering_the_province(client, officer, inspector, make_user):
    # given
    make_user(Role.INSPECTOR, provinces=["079"], username="saigon-inspector")
    task = TaskFactory()
    client.force_login(officer)
    # when
    form = client.get(url("task_detail", task.pk)).context["assign_form"]
    # then
    assert [u.username for u in form.fields["inspector"].queryset] == [inspector.username]


def test_assign_and_unassign_through_the_page(client, officer, inspector):
    task = TaskFactory()
    client.force_login(officer)
    assert client.post(url("task_assign", task.pk), {"inspector": inspector.pk}).status_code == 302
    task.refresh_from_db()
    assert (task.status, task.inspector) == (TaskStatus.ASSIGNED, inspector)
    client.post(url("task_unassign", task.pk))
    task.refresh_from_db()
    assert (task.status, task.inspector) == (TaskStatus.PLANNED, None)


def test_assigning_to_an_inspector_of_another_province_is_refused(client, officer, make_user):
    saigon_inspector = make_user(Role.INSPECTOR, provinces=["079"])
    task = TaskFactory()
    client.force_login(officer)
    response = client.post(url("task_assign", task.pk), {"inspector": saigon_inspector.pk})
    assert response.status_code == 400
    task.refresh_from_db()
    assert task.inspector is None


def test_bulk_assign_of_ticked_tasks(client, officer, inspector):
    tasks = [TaskFactory() for _ in range(3)]
    client.force_login(officer)
    response = client.post(
        url("task_assign_bulk"), {"inspector": inspector.pk, "ids": [t.pk for t in tasks[:2]], "next": PLANNING}
    )
    assert response["Location"] == PLANNING
    assert [t.inspector_id for t in InspectionTask.objects.order_by("id")] == [inspector.pk, inspector.pk, None]


def test_cancel_needs_a_reason_on_the_page(client, officer):
    task = TaskFactory()
    client.force_login(officer)
    assert client.post(url("task_cancel", task.pk), {"reason": ""}).status_code == 400
    assert client.post(url("task_cancel", task.pk), {"reason": "Point closed"}).status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED


# --- the task page and its review ---------------------------------------------------------------


def test_the_task_page_shows_the_report(client, officer, inspector):
    # given
    point = PointFactory()
    registration = RegistrationFactory(point=point)
    task = submitted_task(
        inspector=inspector, point=point, failing=("camera",), checkin_distance_m=350.0, location_note="Next door"
    )
    task.report.sims.create(iccid=registration.iccid, registration=registration)
    flag = make_flag("MISSING_PHOTOS", registration=registration)
    task.flags.add(flag)
    client.force_login(officer)
    # when
    html = client.get(url("task_detail", task.pk)).content.decode()
    # then
    assert f'href="{reverse("agents:point_detail", args=[point.pk])}"' in html
    assert f'href="{reverse("registrations:flag_detail", args=[flag.pk])}"' in html
    assert f"Portrait or ID document photos missing #{flag.pk}" in html  # the rule in words, not its code
    assert f"MISSING_PHOTOS #{flag.pk}" not in html
    assert 'data-testid="distance-warning"' in html
    assert "Next door" in html
    assert html.count('data-testid="failed-answer"') == 1
    assert registration.external_id in html
    assert 'data-testid="review-form"' in html


def test_a_close_check_in_gets_no_distance_warning(client, officer, inspector):
    task = submitted_task(inspector=inspector, checkin_distance_m=150.0)
    client.force_login(officer)
    assert 'data-testid="distance-warning"' not in client.get(url("task_detail", task.pk)).content.decode()


def test_accepting_through_the_page_records_findings(client, officer, inspector):
    task = submitted_task(inspector=inspector, failing=("camera", "signboard"))
    client.force_login(officer)
    response = client.post(url("task_review", task.pk), {"decision": "accept", "note": ""})
    assert response.status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED
    assert Finding.objects.filter(task=task).count() == 2


def test_returning_through_the_page_needs_a_reason(client, officer, inspector):
    task = submitted_task(inspector=inspector)
    client.force_login(officer)
    assert client.post(url("task_review", task.pk), {"decision": "return", "note": ""}).status_code == 400
    assert client.post(url("task_review", task.pk), {"decision": "return", "note": "Photos missing"}).status_code == 302
    task.refresh_from_db()
    assert task.status == TaskStatus.RETURNED


def test_the_follow_up_review_lets_the_officer_untick_what_is_not_fixed(client, officer, inspector):
    # given
    task = submitted_task(inspector=inspector, kind=TaskKind.FOLLOW_UP)
    fixed, not_fixed = (
        make_action(task.point, created_by=officer, status=ActionStatus.EVIDENCE_SUBMITTED) for _ in range(2)
    )
    for action in (fixed, not_fixed):
        action.follow_up_task = task
        action.save(update_fields=["follow_up_task"])
    client.force_login(officer)
    # when
    client.post(url("task_review", task.pk), {"decision": "accept", "verified": [fixed.pk]})
    # then
    fixed.refresh_from_db()
    not_fixed.refresh_from_db()
    assert (fixed.status, not_fixed.status) == (ActionStatus.VERIFIED, ActionStatus.NOT_VERIFIED)


def test_the_review_form_is_only_on_a_submitted_task(client, officer, inspector):
    task = TaskFactory(inspector=inspector)
    ReportFactory(task=task)
    client.force_login(officer)
    assert 'data-testid="review-form"' not in client.get(url("task_detail", task.pk)).content.decode()
    assert client.post(url("task_review", task.pk), {"decision": "accept"}).status_code == 400


# --- sanctions and corrective actions through the pages -----------------------------------------


def test_propose_then_approve_a_point_suspension(client, officer, manager):
    # given
    finding = make_finding(PointFactory())
    client.force_login(officer)
    # when
    proposed = client.post(
        url("sanction_propose", finding.pk),
        {"sanction_type": SanctionType.objects.get(code="suspend-point").pk, "note": "SIMs pre-activated"},
    )
    sanction = Sanction.objects.get()
    client.force_login(manager)
    approved = client.post(url("sanction_decide", sanction.pk, "approve"), {"note": "Agreed"})
    # then
    assert proposed["Location"] == url("sanction_detail", sanction.pk)
    assert approved.status_code == 302
    finding.point.refresh_from_db()
    assert finding.point.status == Status.SUSPENDED
    html = client.get(url("sanction_detail", sanction.pk)).content.decode()
    assert 'data-testid="status-change"' in html


def test_a_fine_outside_the_range_is_shown_on_the_form(client, officer):
    finding = make_finding(PointFactory())
    client.force_login(officer)
    response = client.post(
        url("sanction_propose", finding.pk),
        {
            "sanction_type": SanctionType.objects.get(code="fine-preactivated-sims").pk,
            "amount_vnd": "1000",
            "note": "x",
        },
    )
    assert response.status_code == 400
    assert "amount_vnd" in response.context["form"].errors
    assert not Sanction.objects.exists()


def test_the_proposer_sees_the_four_eyes_rule(client, manager, make_user):
    finding = make_finding(PointFactory())
    sanction = make_sanction(finding.point, proposed_by=manager, status="PROPOSED", finding=finding)
    client.force_login(manager)
    html = client.get(url("sanction_detail", sanction.pk)).content.decode()
    assert 'data-testid="own-proposal"' in html
    assert 'data-testid="approve"' not in html
    response = client.post(url("sanction_decide", sanction.pk, "approve"))
    assert response.status_code == 400
    assert "four-eyes" in response.content.decode()


def test_rejecting_needs_a_note(client, officer, manager):
    finding = make_finding(PointFactory())
    sanction = make_sanction(finding.point, proposed_by=officer, status="PROPOSED", finding=finding)
    client.force_login(manager)
    assert client.post(url("sanction_decide", sanction.pk, "reject"), {"note": ""}).status_code == 400
    assert client.post(url("sanction_decide", sanction.pk, "reject"), {"note": "Too harsh"}).status_code == 302
    sanction.refresh_from_db()
    assert sanction.status == SanctionStatus.REJECTED


def test_an_unknown_decision_is_404(client, officer, manager):
    finding = make_finding(PointFactory())
    sanction = make_sanction(finding.point, proposed_by=officer, status="PROPOSED", finding=finding)
    client.force_login(manager)
    assert client.post(url("sanction_decide", sanction.pk, "shred")).status_code == 404


def test_an_action_with_evidence_through_the_pages_and_its_file(client, officer, auditor):
    # given
    finding = make_finding(PointFactory())
    client.force_login(officer)
    # when
    created = client.post(
        url("action_create", finding.pk),
        {"description": "Post the contract", "owner": "Manager Lan", "due_date": days(10).isoformat()},
    )
    action = finding.corrective_actions.get()
    uploaded = client.post(
        url("action_evidence", action.pk), {"note": "Posted", "file": SimpleUploadedFile("photo.pdf", PDF)}
    )
    # then
    assert created["Location"] == url("action_detail", action.pk)
    assert uploaded["Location"] == url("action_detail", action.pk)
    action.refresh_from_db()
    assert action.status == ActionStatus.EVIDENCE_SUBMITTED
    client.force_login(auditor)
    response = client.get(url("action_evidence_file", action.pk))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == PDF


def test_a_disguised_file_is_refused_on_the_page(client, officer):
    finding = make_finding(PointFactory())
    action = make_action(finding.point, created_by=officer, finding=finding)
    client.force_login(officer)
    response = client.post(
        url("action_evidence", action.pk), {"note": "x", "file": SimpleUploadedFile("fine.pdf", b"#!/bin/sh\necho")}
    )
    assert response.status_code == 400
    assert "file" in response.context["form"].errors


def test_no_evidence_file_is_404(client, officer):
    action = make_action(PointFactory(), created_by=officer)
    client.force_login(officer)
    assert client.get(url("action_evidence_file", action.pk)).status_code == 404


def test_lists_of_findings_sanctions_and_actions_filter_by_status(client, officer):
    point = PointFactory()
    make_finding(point)
    resolved = make_finding(point)
    resolved.status = "RESOLVED"
    resolved.save(update_fields=["status"])
    make_sanction(point, proposed_by=officer, status="PROPOSED")
    make_action(point, created_by=officer, due_date=days(-1))
    client.force_login(officer)
    # the findings list opens on the open ones
    assert resolved.pk not in [f.pk for f in client.get(url("finding_list")).context["page"].items]
    assert [f.pk for f in client.get(url("finding_list"), {"status": "RESOLVED"}).context["page"].items] == [
        resolved.pk
    ]
    assert len(client.get(url("sanction_list"), {"status": "PROPOSED"}).context["page"].items) == 1
    assert len(client.get(url("action_list"), {"overdue": "true"}).context["page"].items) == 1
    assert RegistrationPoint.objects.count() == 1


def test_task_page_query_count_does_not_grow_with_findings(client, officer, inspector, django_assert_max_num_queries):
    # given
    few = submitted_task(inspector=inspector, failing=("camera",))
    many = submitted_task(
        inspector=inspector, failing=("camera", "signboard", "procedure", "software", "staff-trained"), sims=("1", "2")
    )
    client.force_login(officer)
    for task in (few, many):
        client.post(url("task_review", task.pk), {"decision": "accept"})
    for finding in Finding.objects.all():
        make_sanction(finding.point, proposed_by=officer, status="PROPOSED", finding=finding)
        make_action(finding.point, created_by=officer, finding=finding)
    with django_assert_max_num_queries(40) as small:
        client.get(url("task_detail", few.pk))
    # when / then
    with django_assert_max_num_queries(len(small.captured_queries)):
        assert client.get(url("task_detail", many.pk)).status_code == 200
