"""Review of a submitted report (services.review): returning it to the inspector, accepting it (findings from
failed items and SIMs found, the point's last inspection date, verification of a follow-up's actions)."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from core.models import AuditEvent
from core.roles import Role
from inspections.models import (
    ActionStatus,
    Finding,
    FindingKind,
    FindingStatus,
    ReviewOutcome,
    TaskKind,
    TaskStatus,
)
from inspections.services import review
from tests.agents.factories import PointFactory
from tests.inspections.factories import (
    ReportFactory,
    TaskFactory,
    answer_all,
    clean_visit,
    make_action,
    submitted_task,
)
from tests.registrations.factories import RegistrationFactory

pytestmark = pytest.mark.django_db

ICCID = "8984049912345678901"


@pytest.fixture
def task(inspector):
    return submitted_task(inspector=inspector, failing=("camera", "folders-missing"), sims=(ICCID,))


# --- return -------------------------------------------------------------------------------------


def test_return_reopens_the_task_for_the_inspector_with_the_reason(officer, task):
    # when
    review.report_return(task=task, actor=officer, reason="The signboard photo is blurred")
    # then
    task.refresh_from_db()
    report = task.report
    assert task.status == TaskStatus.RETURNED
    assert (report.review_outcome, report.return_reason) == (ReviewOutcome.RETURNED, "The signboard photo is blurred")
    assert report.reviewed_by == officer
    assert report.reviewed_at is not None
    assert task.events.first().reason == "The signboard photo is blurred"
    assert not Finding.objects.exists()


def test_return_needs_a_reason(officer, task):
    with pytest.raises(ValidationError) as exc:
        review.report_return(task=task, actor=officer, reason="  ")
    assert "reason" in exc.value.message_dict
    task.refresh_from_db()
    assert task.status == TaskStatus.SUBMITTED


@pytest.mark.parametrize("status", [TaskStatus.IN_PROGRESS, TaskStatus.RETURNED, TaskStatus.CLOSED])
def test_only_a_submitted_report_is_reviewed(officer, inspector, status):
    task = TaskFactory(inspector=inspector, status=status)
    ReportFactory(task=task)
    with pytest.raises(ValidationError):
        review.report_return(task=task, actor=officer, reason="x")
    with pytest.raises(ValidationError):
        review.report_accept(task=task, actor=officer)


@pytest.mark.parametrize("role", [Role.AUDITOR, Role.INSPECTOR])
def test_only_reviewers_review(make_user, task, role):
    user = make_user(role, provinces=["001"])
    with pytest.raises(PermissionDenied):
        review.report_return(task=task, actor=user, reason="x")
    with pytest.raises(PermissionDenied):
        review.report_accept(task=task, actor=user)


def test_an_officer_of_another_province_cannot_review(make_user, task):
    saigon = make_user(Role.OFFICER, provinces=["079"])
    with pytest.raises(PermissionDenied):
        review.report_accept(task=task, actor=saigon)
    task.refresh_from_db()
    assert task.status == TaskStatus.SUBMITTED


# --- accept -------------------------------------------------------------------------------------


def test_accept_closes_the_task_and_turns_failed_items_and_sims_into_findings(officer, task):
    # when
    findings = review.report_accept(task=task, actor=officer, note="Thorough report")
    # then
    task.refresh_from_db()
    assert task.status == TaskStatus.CLOSED
    assert task.report.review_outcome == ReviewOutcome.ACCEPTED
    assert task.report.reviewed_by == officer
    by_kind = {}
    for f in Finding.objects.filter(task=task):
        by_kind.setdefault(f.kind, []).append(f)
    items = {f.answer.item.code: f for f in by_kind[FindingKind.FAILED_ITEM]}
    assert set(items) == {"camera", "folders-missing"}
    camera = items["camera"]
    assert (camera.severity, camera.legal_basis) == (camera.answer.item.severity, camera.answer.item.legal_basis)
    assert camera.point == task.point
    assert camera.status == FindingStatus.OPEN
    [sim] = by_kind[FindingKind.SIM_FOUND]
    assert sim.severity == "critical"
    assert "Decree 49/2017" in sim.legal_basis
    assert ICCID in sim.description
    assert len(findings) == 3
    assert AuditEvent.objects.filter(action="inspection.accept", object_id=str(task.pk)).exists()


def test_accept_of_a_clean_report_records_no_finding(officer, inspector):
    task = submitted_task(inspector=inspector)
    assert review.report_accept(task=task, actor=officer) == []
    assert not Finding.objects.exists()


def test_accept_does_not_duplicate_a_finding_already_made(officer, task):
    # given: a finding already made from the camera answer (a retried accept, say)
    answer = task.report.answers.get(item__code="camera")
    Finding.objects.create(
        task=task, point=task.point, kind=FindingKind.FAILED_ITEM, answer=answer, severity="high", description="x"
    )
    # when
    review.report_accept(task=task, actor=officer)
    # then
    assert Finding.objects.filter(answer=answer).count() == 1
    assert Finding.objects.filter(task=task).count() == 3


def test_accept_sets_the_last_inspection_to_the_local_date_of_the_check_in(officer, inspector):
    # given: 18:30 UTC is already the next day in Vietnam (UTC+7)
    checkin = dt.datetime(2026, 3, 1, 18, 30, tzinfo=dt.UTC)
    task = submitted_task(inspector=inspector, checkin_at=checkin)
    # when (01:30 local is outside the point's hours: a weak visit, accepted with a reason)
    review.report_accept(task=task, actor=officer, note="Night inspection agreed with the agent")
    # then
    task.point.refresh_from_db()
    assert task.point.last_inspection_on == dt.date(2026, 3, 2)


def test_sim_finding_names_the_registration_it_matched(officer, inspector):
    point = PointFactory()
    registration = RegistrationFactory(point=point)
    task = submitted_task(inspector=inspector, point=point)
    task.report.sims.create(iccid=registration.iccid, registration=registration)
    review.report_accept(task=task, actor=officer)
    finding = Finding.objects.get(kind=FindingKind.SIM_FOUND)
    assert registration.external_id in finding.description


# --- a follow-up verifies corrective actions ----------------------------------------------------


@pytest.fixture
def follow_up(officer, inspector):
    """A submitted FOLLOW_UP task checking two actions of one finding and one of another."""
    task = submitted_task(inspector=inspector, kind=TaskKind.FOLLOW_UP)
    point = task.point
    first, second = (make_action(point, created_by=officer, status=ActionStatus.EVIDENCE_SUBMITTED) for _ in range(2))
    second.finding = first.finding
    second.save(update_fields=["finding"])
    third = make_action(point, created_by=officer, status=ActionStatus.EVIDENCE_SUBMITTED)
    for action in (first, second, third):
        action.follow_up_task = task
        action.save(update_fields=["follow_up_task"])
    return task, first, second, third


def test_accepting_a_follow_up_verifies_its_actions_and_resolves_their_findings(officer, follow_up):
    # given
    task, first, second, third = follow_up
    # when
    review.report_accept(task=task, actor=officer)
    # then
    for action in (first, second, third):
        action.refresh_from_db()
        assert (action.status, action.verified_by) == (ActionStatus.VERIFIED, officer)
        assert action.verified_at is not None
        action.finding.refresh_from_db()
        assert action.finding.status == FindingStatus.RESOLVED
        assert action.finding.resolved_at is not None


def test_an_action_marked_not_fixed_is_not_verified_and_keeps_its_finding_open(officer, follow_up):
    # given
    task, first, second, third = follow_up
    # when: the officer ticks only the first and third as fixed
    review.report_accept(task=task, actor=officer, verified_actions=[first, third.pk])
    # then
    statuses = {a.pk: a.status for a in type(first).objects.filter(pk__in=[first.pk, second.pk, third.pk])}
    assert statuses == {
        first.pk: ActionStatus.VERIFIED,
        second.pk: ActionStatus.NOT_VERIFIED,
        third.pk: ActionStatus.VERIFIED,
    }
    first.finding.refresh_from_db()
    third.finding.refresh_from_db()
    assert first.finding.status == FindingStatus.OPEN  # its second action is not fixed
    assert third.finding.status == FindingStatus.RESOLVED


def test_a_finding_with_an_action_still_open_stays_open(officer, follow_up):
    task, first, _second, _third = follow_up
    make_action(task.point, created_by=officer, finding=first.finding)
    review.report_accept(task=task, actor=officer)
    first.finding.refresh_from_db()
    assert first.finding.status == FindingStatus.OPEN


def test_actions_not_checked_by_the_follow_up_are_refused(officer, follow_up):
    task, *_ = follow_up
    stranger = make_action(PointFactory(), created_by=officer)
    with pytest.raises(ValidationError, match="not checked by this follow-up"):
        review.report_accept(task=task, actor=officer, verified_actions=[stranger])
    task.refresh_from_db()
    assert task.status == TaskStatus.SUBMITTED


def test_a_routine_task_with_no_actions_verifies_nothing(officer, inspector):
    task = TaskFactory(inspector=inspector)
    report = ReportFactory(task=task, **clean_visit(task.point))
    answer_all(report)
    task.status = TaskStatus.SUBMITTED
    task.save(update_fields=["status"])
    review.report_accept(task=task, actor=officer)
    assert not AuditEvent.objects.filter(action__startswith="corrective_action.").exists()
