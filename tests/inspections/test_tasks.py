"""The task state machine (services.tasks): every legal and illegal move, one open task per point (service and
database), assignment only to inspectors covering the point's province, cancelling needs a reason."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from agents.models import Status
from core.models import AuditEvent
from core.roles import Role
from inspections.models import TASK_TRANSITIONS, InspectionTask, TaskEvent, TaskKind, TaskStatus
from inspections.services import tasks as services
from tests.agents.factories import PointFactory
from tests.inspections.factories import TaskFactory
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag

pytestmark = pytest.mark.django_db

DUE = dt.date(2030, 1, 15)
LEGAL = sorted((a, b) for a, targets in TASK_TRANSITIONS.items() for b in targets)
ILLEGAL = sorted((a, b) for a in TaskStatus.values for b in TaskStatus.values if b not in TASK_TRANSITIONS[a])


@pytest.fixture
def saigon_inspector(make_user):
    return make_user(Role.INSPECTOR, provinces=["079"], username="saigon-inspector")


def task_in(status, **kwargs):
    return TaskFactory(status=status, **kwargs)


# --- the transition table -----------------------------------------------------------------------


def test_the_table_covers_every_status():
    assert set(TASK_TRANSITIONS) == set(TaskStatus.values)
    assert TASK_TRANSITIONS[TaskStatus.CLOSED] == set()
    assert TASK_TRANSITIONS[TaskStatus.CANCELLED] == set()


@pytest.mark.parametrize(("from_status", "to_status"), LEGAL)
def test_every_legal_move_is_made_with_an_event_and_an_audit_record(officer, from_status, to_status):
    # given
    task = task_in(from_status)
    audits = AuditEvent.objects.count()
    # when
    event = services.task_transition(task=task, to_status=to_status, actor=officer, reason="why")
    # then
    task.refresh_from_db()
    assert task.status == to_status
    assert (event.from_status, event.to_status, event.actor, event.reason) == (from_status, to_status, officer, "why")
    assert AuditEvent.objects.count() == audits + 1
    assert AuditEvent.objects.latest("id").action == f"inspection.{to_status.lower()}"
    assert (task.closed_at is not None) == (to_status in (TaskStatus.CLOSED, TaskStatus.CANCELLED))


@pytest.mark.parametrize(("from_status", "to_status"), ILLEGAL)
def test_every_illegal_move_is_refused_and_changes_nothing(officer, from_status, to_status):
    # given
    task = task_in(from_status)
    # when
    with pytest.raises(ValidationError) as exc:
        services.task_transition(task=task, to_status=to_status, actor=officer)
    # then
    assert exc.value.code == "illegal_transition"
    task.refresh_from_db()
    assert task.status == from_status
    assert not TaskEvent.objects.filter(task=task).exists()


# --- one open task per point --------------------------------------------------------------------


def test_a_second_open_task_for_a_point_is_refused_by_the_service(officer):
    # given
    first = services.task_create(point=PointFactory(), kind=TaskKind.ROUTINE, due_date=DUE, actor=officer)
    # when
    with pytest.raises(services.OpenTaskExists) as exc:
        services.task_create(point=first.point, kind=TaskKind.COMPLAINT, due_date=DUE, actor=officer, reason="x")
    # then
    assert exc.value.task == first
    assert InspectionTask.objects.filter(point=first.point).count() == 1


@pytest.mark.parametrize("open_status", [TaskStatus.PLANNED, TaskStatus.IN_PROGRESS, TaskStatus.RETURNED])
def test_the_database_refuses_a_second_open_task_for_a_point(open_status):
    # given
    first = task_in(open_status)
    # when / then
    with pytest.raises(IntegrityError), transaction.atomic():
        InspectionTask.objects.create(point=first.point, kind=TaskKind.ROUTINE, due_date=DUE)


@pytest.mark.parametrize("closed_status", [TaskStatus.CLOSED, TaskStatus.CANCELLED])
def test_a_point_gets_a_new_task_once_the_last_one_is_over(officer, closed_status):
    # given
    old = task_in(closed_status)
    # when
    new = services.task_create(point=old.point, kind=TaskKind.ROUTINE, due_date=DUE, actor=officer)
    # then
    assert new.status == TaskStatus.PLANNED
    assert InspectionTask.objects.filter(point=old.point).count() == 2


# --- creating -----------------------------------------------------------------------------------


def test_create_records_the_first_event_and_an_audit_record(officer):
    task = services.task_create(
        point=PointFactory(), kind=TaskKind.COMPLAINT, due_date=DUE, actor=officer, reason="A customer complained"
    )
    assert (task.status, task.created_by, task.reason) == (TaskStatus.PLANNED, officer, "A customer complained")
    assert list(task.events.values_list("from_status", "to_status")) == [("", TaskStatus.PLANNED)]
    assert AuditEvent.objects.filter(action="inspection.create", object_id=str(task.pk)).exists()


def test_create_with_an_inspector_assigns_at_once(officer, inspector):
    task = services.task_create(
        point=PointFactory(), kind=TaskKind.ROUTINE, due_date=DUE, actor=officer, inspector=inspector
    )
    assert (task.status, task.inspector) == (TaskStatus.ASSIGNED, inspector)


def test_terminated_points_are_not_inspected(officer):
    with pytest.raises(ValidationError, match="terminated"):
        services.task_create(
            point=PointFactory(status=Status.TERMINATED), kind=TaskKind.ROUTINE, due_date=DUE, actor=officer
        )


def test_unknown_kind_is_refused(officer):
    with pytest.raises(ValidationError):
        services.task_create(point=PointFactory(), kind="PARTY", due_date=DUE, actor=officer)


@pytest.mark.parametrize("reason", ["", "   "])
def test_a_complaint_needs_a_reason_from_the_service_itself(officer, reason):
    # given: a caller that skips the form (an import, a script, the API)
    point = PointFactory()
    # when
    with pytest.raises(ValidationError) as exc:
        services.task_create(point=point, kind=TaskKind.COMPLAINT, due_date=DUE, actor=officer, reason=reason)
    # then
    assert "reason" in exc.value.message_dict
    assert not InspectionTask.objects.filter(point=point).exists()


def test_a_complaint_with_a_reason_is_planned(officer):
    task = services.task_create(
        point=PointFactory(), kind=TaskKind.COMPLAINT, due_date=DUE, actor=officer, reason="Pre-activated SIMs sold"
    )
    assert (task.kind, task.reason) == (TaskKind.COMPLAINT, "Pre-activated SIMs sold")


def test_an_officer_cannot_create_a_task_in_another_province(hanoi_officer):
    with pytest.raises(PermissionDenied):
        services.task_create(
            point=PointFactory(province_code="079"), kind=TaskKind.ROUTINE, due_date=DUE, actor=hanoi_officer
        )


def test_from_a_flag_makes_a_risk_task_linked_to_the_flag(officer):
    # given
    flag = make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=PointFactory()))
    # when
    task = services.task_create_from_flag(flag=flag, due_date=DUE, actor=officer)
    # then
    assert (task.kind, task.point) == (TaskKind.RISK, flag.point)
    assert list(task.flags.all()) == [flag]
    assert "MISSING_PHOTOS" in task.reason


def test_from_a_flag_at_a_point_with_an_open_task_links_the_flag_to_it(officer):
    # given
    point = PointFactory()
    existing = task_in(TaskStatus.ASSIGNED, point=point, inspector=None)
    flag = make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=point))
    # when
    with pytest.raises(services.OpenTaskExists) as exc:
        services.task_create_from_flag(flag=flag, due_date=DUE, actor=officer)
    # then
    assert exc.value.task == existing
    assert list(existing.flags.all()) == [flag]
    assert AuditEvent.objects.filter(action="inspection.link_flag", object_id=str(existing.pk)).count() == 1
    assert InspectionTask.objects.filter(point=point).count() == 1


def test_from_a_flag_in_another_province_is_refused(hanoi_officer):
    flag = make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=PointFactory(province_code="079")))
    with pytest.raises(PermissionDenied):
        services.task_create_from_flag(flag=flag, due_date=DUE, actor=hanoi_officer)


def test_bulk_creates_one_task_per_point_and_reports_the_ones_skipped(officer):
    # given
    fresh = [PointFactory(code=f"BULK{i}") for i in range(3)]
    busy = PointFactory(code="BULK-BUSY")
    task_in(TaskStatus.PLANNED, point=busy)
    gone = PointFactory(code="BULK-GONE", status=Status.TERMINATED)
    points = type(busy).objects.filter(code__startswith="BULK")
    # when
    result = services.tasks_create_bulk(points=points, kind=TaskKind.ROUTINE, due_date=DUE, actor=officer)
    # then
    assert sorted(t.point.code for t in result["created"]) == sorted(p.code for p in fresh)
    assert sorted(p.code for p, _why in result["skipped"]) == [busy.code, gone.code]


def test_bulk_complaints_without_a_reason_are_refused_before_any_write(officer):
    # given
    points = [PointFactory(code=f"BULK{i}") for i in range(2)]
    # when
    with pytest.raises(ValidationError) as exc:
        services.tasks_create_bulk(
            points=type(points[0]).objects.filter(code__startswith="BULK"),
            kind=TaskKind.COMPLAINT,
            due_date=DUE,
            actor=officer,
        )
    # then
    assert "reason" in exc.value.message_dict
    assert not InspectionTask.objects.exists()


def test_bulk_over_the_limit_is_refused_before_any_write(officer, monkeypatch):
    # given
    monkeypatch.setattr(services, "BULK_LIMIT", 2)
    for i in range(3):
        PointFactory(code=f"BULK{i}")
    points = type(PointFactory()).objects.filter(code__startswith="BULK")
    # when
    with pytest.raises(ValidationError, match="3 points match"):
        services.tasks_create_bulk(points=points, kind=TaskKind.ROUTINE, due_date=DUE, actor=officer)
    # then
    assert not InspectionTask.objects.exists()


# --- assigning ----------------------------------------------------------------------------------


def test_assign_to_an_inspector_covering_the_province(officer, inspector):
    # given
    task = task_in(TaskStatus.PLANNED)
    # when
    services.task_assign(task=task, inspector=inspector, actor=officer)
    # then
    task.refresh_from_db()
    assert (task.status, task.inspector, task.assigned_at is not None) == (TaskStatus.ASSIGNED, inspector, True)


def test_assign_to_an_inspector_of_another_province_is_refused(officer, saigon_inspector):
    task = task_in(TaskStatus.PLANNED)
    with pytest.raises(ValidationError) as exc:
        services.task_assign(task=task, inspector=saigon_inspector, actor=officer)
    assert "inspector" in exc.value.message_dict
    task.refresh_from_db()
    assert (task.status, task.inspector) == (TaskStatus.PLANNED, None)


@pytest.mark.parametrize("role", [Role.OFFICER, Role.MANAGER, Role.AUDITOR])
def test_only_field_inspectors_take_tasks(officer, make_user, role):
    task = task_in(TaskStatus.PLANNED)
    with pytest.raises(ValidationError):
        services.task_assign(task=task, inspector=make_user(role), actor=officer)


def test_an_inactive_inspector_takes_no_task(officer, make_user):
    gone = make_user(Role.INSPECTOR, provinces=["001"], is_active=False)
    with pytest.raises(ValidationError):
        services.task_assign(task=task_in(TaskStatus.PLANNED), inspector=gone, actor=officer)


def test_reassign_records_both_inspectors(officer, inspector, make_user):
    # given
    other = make_user(Role.INSPECTOR, provinces=["001"], username="other-inspector")
    task = TaskFactory(inspector=inspector)
    # when
    services.task_assign(task=task, inspector=other, actor=officer)
    # then
    task.refresh_from_db()
    assert task.inspector == other
    assert task.events.first().reason == "Reassigned from inspector to other-inspector"


def test_a_task_under_way_does_not_change_hands(officer, inspector, make_user):
    task = task_in(TaskStatus.IN_PROGRESS, inspector=inspector)
    with pytest.raises(ValidationError, match="under way"):
        services.task_assign(task=task, inspector=make_user(Role.INSPECTOR), actor=officer)


def test_an_officer_cannot_assign_a_task_of_another_province(hanoi_officer, make_user):
    task = task_in(TaskStatus.PLANNED, point=PointFactory(province_code="079"))
    with pytest.raises(PermissionDenied):
        services.task_assign(task=task, inspector=make_user(Role.INSPECTOR), actor=hanoi_officer)


def test_bulk_assign_assigns_what_it_can_and_reports_the_rest(officer, inspector):
    # given
    hanoi = [task_in(TaskStatus.PLANNED) for _ in range(2)]
    saigon = task_in(TaskStatus.PLANNED, point=PointFactory(province_code="079"))
    # when
    result = services.tasks_assign_bulk(tasks=[*hanoi, saigon], inspector=inspector, actor=officer)
    # then
    assert [t.pk for t in result["assigned"]] == [t.pk for t in hanoi]
    assert [t.pk for t, _why in result["skipped"]] == [saigon.pk]


def test_unassign_puts_the_task_back_to_planned(officer, inspector):
    task = TaskFactory(inspector=inspector)
    services.task_unassign(task=task, actor=officer)
    task.refresh_from_db()
    assert (task.status, task.inspector, task.assigned_at) == (TaskStatus.PLANNED, None, None)


# --- cancelling ---------------------------------------------------------------------------------


@pytest.mark.parametrize("reason", ["", "   "])
def test_cancel_needs_a_reason(officer, reason):
    task = task_in(TaskStatus.PLANNED)
    with pytest.raises(ValidationError) as exc:
        services.task_cancel(task=task, actor=officer, reason=reason)
    assert "reason" in exc.value.message_dict
    task.refresh_from_db()
    assert task.status == TaskStatus.PLANNED


def test_cancel_with_a_reason_keeps_it_in_the_history(officer):
    task = task_in(TaskStatus.ASSIGNED)
    services.task_cancel(task=task, actor=officer, reason="The point closed for good")
    task.refresh_from_db()
    assert task.status == TaskStatus.CANCELLED
    assert task.closed_at <= timezone.now()
    assert task.events.first().reason == "The point closed for good"


def test_a_submitted_task_cannot_be_cancelled(officer):
    task = task_in(TaskStatus.SUBMITTED)
    with pytest.raises(ValidationError):
        services.task_cancel(task=task, actor=officer, reason="too late")
