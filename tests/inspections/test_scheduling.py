"""The scheduler (DESIGN section 6): cadence by risk tier, RISK tasks for new critical flags, follow-ups of
corrective actions, one open task per point, and a second run the same day creating nothing."""

import datetime as dt

import pytest
from django.utils import timezone

from agents.models import RegistrationPoint, Status
from core.models import AuditEvent
from core.roles import Role
from core.texts import system_text
from inspections import scheduling, texts
from inspections.models import OPEN_TASK_STATUSES, InspectionTask, TaskEvent, TaskKind, TaskStatus
from inspections.scheduling import schedule_inspections
from registrations.models import FlagStatus
from tests.agents.factories import PointFactory
from tests.factories import UserFactory
from tests.inspections.factories import TaskFactory, make_action
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag

pytestmark = pytest.mark.django_db

TODAY = dt.date(2026, 3, 10)


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


def open_tasks(point):
    return list(InspectionTask.objects.filter(point=point, status__in=OPEN_TASK_STATUSES))


def inspected(days_ago: int, tier: str = "", **kwargs):
    """A point last inspected `days_ago` days before TODAY, in `tier`."""
    return PointFactory(last_inspection_on=days(-days_ago), risk_tier=tier, **kwargs)


def critical_flag(point, **kwargs):
    return make_flag("PREACTIVATED", registration=RegistrationFactory(point=point), **kwargs)


# --- routine cadence ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("tier", "days_ago", "due_in"),
    [
        ("HIGH", 20, 10),  # every 30 days
        ("MEDIUM", 80, 10),  # every 90
        ("LOW", 170, 10),  # every 180
        ("", 170, 10),  # not scored yet: as LOW
        ("HIGH", 16, 14),  # exactly at the planning horizon (14 days)
    ],
)
def test_a_routine_task_is_planned_when_the_tiers_cadence_comes_within_the_horizon(tier, days_ago, due_in):
    # given
    point = inspected(days_ago, tier)
    # when
    summary = schedule_inspections(today=TODAY)
    # then
    (task,) = open_tasks(point)
    assert (task.kind, task.status, task.due_date) == (TaskKind.ROUTINE, TaskStatus.PLANNED, days(due_in))
    assert task.created_by is None
    assert summary["routine_tasks_created"] == 1
    point.refresh_from_db()
    assert point.next_inspection_on == days(due_in)


@pytest.mark.parametrize(("tier", "days_ago"), [("HIGH", 15), ("MEDIUM", 75), ("LOW", 165), ("", 165)])
def test_no_routine_task_while_the_next_inspection_is_beyond_the_horizon(tier, days_ago):
    point = inspected(days_ago, tier)
    schedule_inspections(today=TODAY)
    assert open_tasks(point) == []
    point.refresh_from_db()
    cadence = {"HIGH": 30, "MEDIUM": 90}.get(tier, 180)
    assert point.next_inspection_on == days(cadence - days_ago)


def test_an_overdue_routine_inspection_is_due_today():
    point = inspected(400, "LOW")
    schedule_inspections(today=TODAY)
    (task,) = open_tasks(point)
    assert task.due_date == TODAY


def test_a_cancelled_routine_task_counts_as_the_cycles_visit():
    # given: an overdue point whose routine task an officer cancelled a week ago
    point = inspected(400, "LOW")
    TaskFactory(
        point=point,
        kind=TaskKind.ROUTINE,
        status=TaskStatus.CANCELLED,
        closed_at=timezone.make_aware(dt.datetime.combine(days(-7), dt.time(10))),
    )

    # when
    schedule_inspections(today=TODAY)

    # then: no new routine task until a cadence after the cancellation
    assert open_tasks(point) == []
    point.refresh_from_db()
    assert point.next_inspection_on == days(-7 + 180)


def test_a_never_inspected_point_is_due_a_cadence_after_it_was_created():
    point = PointFactory(risk_tier="HIGH")
    created = timezone.make_aware(dt.datetime.combine(days(-25), dt.time(9)))
    RegistrationPoint.objects.filter(pk=point.pk).update(created_at=created)
    schedule_inspections(today=TODAY)
    (task,) = open_tasks(point)
    assert task.due_date == days(5)


@pytest.mark.parametrize("status", [Status.SUSPENDED, Status.TERMINATED])
def test_points_that_are_not_active_get_no_routine_task(status):
    point = inspected(400, "HIGH", status=status)
    schedule_inspections(today=TODAY)
    assert open_tasks(point) == []
    point.refresh_from_db()
    assert point.next_inspection_on is None


def test_a_point_with_an_open_task_gets_no_routine_task_and_shows_that_tasks_due_date():
    point = inspected(400, "HIGH")
    task = TaskFactory(point=point, kind=TaskKind.COMPLAINT, due_date=days(3))
    summary = schedule_inspections(today=TODAY)
    assert open_tasks(point) == [task]
    assert summary["routine_tasks_created"] == 0
    point.refresh_from_db()
    assert point.next_inspection_on == days(3)


# --- new critical flags ---------------------------------------------------------------------------------


def test_a_new_critical_flag_schedules_a_risk_task_due_in_seven_days_linked_to_it():
    # given: a point otherwise not due for months
    point = inspected(1, "LOW")
    flag = critical_flag(point)
    # when
    summary = schedule_inspections(today=TODAY)
    # then
    (task,) = open_tasks(point)
    assert (task.kind, task.due_date) == (TaskKind.RISK, days(7))
    assert list(task.flags.all()) == [flag]
    assert "PREACTIVATED" in task.reason
    assert summary["risk_tasks_created"] == 1
    assert summary["risk_flags_linked"] == 1


def test_several_critical_flags_at_one_point_make_one_risk_task():
    point = inspected(1, "LOW")
    flags = [critical_flag(point) for _ in range(3)]
    schedule_inspections(today=TODAY)
    (task,) = open_tasks(point)
    assert set(task.flags.all()) == set(flags)


def test_a_confirmed_critical_flag_schedules_too():
    point = inspected(1, "LOW")
    critical_flag(point, status=FlagStatus.CONFIRMED)
    schedule_inspections(today=TODAY)
    assert [t.kind for t in open_tasks(point)] == [TaskKind.RISK]


@pytest.mark.parametrize("status", [FlagStatus.DISMISSED, FlagStatus.RESOLVED])
def test_a_reviewed_away_critical_flag_schedules_nothing(status):
    point = inspected(1, "LOW")
    critical_flag(point, status=status)
    schedule_inspections(today=TODAY)
    assert open_tasks(point) == []


def test_a_high_flag_schedules_nothing_by_itself():
    point = inspected(1, "LOW")
    make_flag("MISSING_PHOTOS", registration=RegistrationFactory(point=point))
    schedule_inspections(today=TODAY)
    assert open_tasks(point) == []


def test_a_critical_flag_already_linked_to_a_task_schedules_nothing():
    point = inspected(1, "LOW")
    flag = critical_flag(point)
    TaskFactory(point=point, status=TaskStatus.CLOSED, closed_at=timezone.now()).flags.add(flag)
    schedule_inspections(today=TODAY)
    assert open_tasks(point) == []


def test_a_critical_flag_at_a_point_with_an_open_task_is_linked_to_it_and_brings_it_forward():
    # given: a routine task due in 30 days
    point = inspected(1, "LOW")
    task = TaskFactory(point=point, due_date=days(30))
    flag = critical_flag(point)
    # when
    summary = schedule_inspections(today=TODAY)
    # then: still one open task, now due in 7 days and linked to the flag
    assert open_tasks(point) == [task]
    task.refresh_from_db()
    assert task.due_date == days(7)
    assert list(task.flags.all()) == [flag]
    assert summary["risk_tasks_brought_forward"] == 1
    assert summary["risk_tasks_created"] == 0
    event = AuditEvent.objects.get(action="inspection.due_date")
    assert (event.object_id, event.fields) == (str(task.pk), {"from": "2026-04-09", "to": "2026-03-17"})
    assert "PREACTIVATED" in event.reason


def test_an_open_task_due_sooner_keeps_its_due_date():
    point = inspected(1, "LOW")
    task = TaskFactory(point=point, due_date=days(2))
    critical_flag(point)
    summary = schedule_inspections(today=TODAY)
    task.refresh_from_db()
    assert task.due_date == days(2)
    assert task.flags.count() == 1
    assert summary["risk_tasks_brought_forward"] == 0


@pytest.mark.parametrize("status", [TaskStatus.SUBMITTED, TaskStatus.RETURNED])
def test_a_critical_flag_waits_while_the_points_task_has_been_visited(status, inspector):
    # given: the visit has happened; the flag must not be attached to it
    point = inspected(1, "LOW")
    task = TaskFactory(point=point, inspector=inspector, status=status)
    flag = critical_flag(point)
    # when
    summary = schedule_inspections(today=TODAY)
    # then: nothing linked; once that task is closed, the flag gets a RISK task of its own
    assert open_tasks(point) == [task]
    assert task.flags.count() == 0
    assert summary["risk_flags_waiting"] == 1
    InspectionTask.objects.filter(pk=task.pk).update(status=TaskStatus.CLOSED)
    schedule_inspections(today=TODAY)
    (risk,) = open_tasks(point)
    assert risk.kind == TaskKind.RISK
    assert list(risk.flags.all()) == [flag]


def test_a_critical_flag_at_a_terminated_point_schedules_nothing():
    point = inspected(1, "LOW", status=Status.TERMINATED)
    critical_flag(point)
    schedule_inspections(today=TODAY)
    assert open_tasks(point) == []


# --- follow-ups of corrective actions ------------------------------------------------------------------


def test_evidence_for_a_corrective_action_schedules_a_follow_up_task(officer):
    # given
    point = inspected(1, "LOW")
    action = make_action(point, created_by=officer, status="SUBMITTED")
    make_action(point, created_by=officer, status="OPEN")  # no evidence yet: nothing to verify
    # when
    summary = schedule_inspections(today=TODAY)
    # then
    (task,) = open_tasks(point)
    assert (task.kind, task.due_date) == (TaskKind.FOLLOW_UP, days(14))
    assert list(task.verifies.all()) == [action]
    assert summary["follow_up_tasks_created"] == 1
    assert summary["follow_up_actions_attached"] == 1


def test_evidence_at_a_point_with_an_open_task_is_attached_to_that_task(officer):
    point = inspected(1, "LOW")
    task = TaskFactory(point=point, due_date=days(40))
    action = make_action(point, created_by=officer, status="SUBMITTED")
    schedule_inspections(today=TODAY)
    assert open_tasks(point) == [task]
    action.refresh_from_db()
    assert action.follow_up_task == task


def test_an_action_already_followed_up_schedules_nothing(officer):
    point = inspected(1, "LOW")
    done = TaskFactory(point=point, kind=TaskKind.FOLLOW_UP, status=TaskStatus.CLOSED)
    action = make_action(point, created_by=officer, status="SUBMITTED")
    action.follow_up_task = done
    action.save(update_fields=["follow_up_task"])
    schedule_inspections(today=TODAY)
    assert open_tasks(point) == []


# --- one open task per point, events, audit, idempotence ------------------------------------------------


def test_everything_due_at_one_point_makes_one_open_task(officer):
    # given: routine overdue, a critical flag and evidence to verify, all at one point
    point = inspected(400, "HIGH")
    flag = critical_flag(point)
    action = make_action(point, created_by=officer, status="SUBMITTED")
    # when
    schedule_inspections(today=TODAY)
    # then: the RISK task carries all of it
    (task,) = open_tasks(point)
    assert task.kind == TaskKind.RISK
    assert list(task.flags.all()) == [flag]
    action.refresh_from_db()
    assert action.follow_up_task == task


def test_each_new_task_gets_its_planned_event_and_the_run_one_audit_event(officer):
    points = [inspected(400, "LOW") for _ in range(3)]
    summary = schedule_inspections(today=TODAY)
    tasks = InspectionTask.objects.filter(point__in=points)
    assert tasks.count() == 3
    for task in tasks:
        (event,) = TaskEvent.objects.filter(task=task)
        assert (event.from_status, event.to_status, event.actor) == ("", TaskStatus.PLANNED, None)
        # no inspector in this database: the history says why nobody has it
        assert event.reason == system_text(texts.LEFT_UNASSIGNED, reason=task.reason, province=task.point.province.name)
    (audit,) = AuditEvent.objects.filter(action="inspection.schedule")
    assert audit.fields["routine_tasks_created"] == summary["routine_tasks_created"] == 3
    assert audit.fields["today"] == "2026-03-10"


def test_a_second_run_the_same_day_creates_nothing(officer):
    # given
    busy = inspected(400, "HIGH")
    critical_flag(busy)
    make_action(inspected(1, "LOW"), created_by=officer, status="SUBMITTED")
    inspected(170, "LOW")
    first = schedule_inspections(today=TODAY)
    tasks, events = InspectionTask.objects.count(), TaskEvent.objects.count()
    # when
    second = schedule_inspections(today=TODAY)
    # then
    assert first["risk_tasks_created"] == first["follow_up_tasks_created"] == 1
    assert first["routine_tasks_created"] == 1
    assert (InspectionTask.objects.count(), TaskEvent.objects.count()) == (tasks, events)
    assert all(value == 0 for value in second.values()), second


def test_a_task_opened_meanwhile_by_someone_else_is_left_alone(monkeypatch):
    # given: the scheduler does not see the open task a person has just created at one of two due points
    taken, free = inspected(400, "LOW"), inspected(400, "LOW")
    theirs = TaskFactory(point=taken, kind=TaskKind.COMPLAINT)
    monkeypatch.setattr(scheduling, "_open_tasks", lambda: {})
    # when
    summary = schedule_inspections(today=TODAY)
    # then: the constraint kept one open task per point; the other point got its task
    assert open_tasks(taken) == [theirs]
    assert [t.kind for t in open_tasks(free)] == [TaskKind.ROUTINE]
    assert summary["routine_tasks_created"] == 1


# --- who does it: the least-loaded inspector covering the point's province (issue 13) -------------------


def test_a_new_task_goes_to_the_covering_inspector_with_the_fewest_open_tasks_and_says_why(make_user):
    # given: two inspectors cover Hà Nội; the busier one has two open tasks, the other one
    busy = make_user(Role.INSPECTOR, username="an", provinces=["001"])
    free = make_user(Role.INSPECTOR, username="binh", provinces=["001", "079"])
    for _ in range(2):
        TaskFactory(point=PointFactory(province_code="001"), inspector=busy, status=TaskStatus.ASSIGNED)
    TaskFactory(point=PointFactory(province_code="001"), inspector=free, status=TaskStatus.ASSIGNED)
    point = inspected(400, "LOW", province_code="001")
    # when
    summary = schedule_inspections(today=TODAY)
    # then
    (task,) = open_tasks(point)
    assert (task.status, task.inspector, task.assigned_at) == (TaskStatus.ASSIGNED, free, task.created_at)
    assigned, planned = TaskEvent.objects.filter(task=task)  # newest first
    assert (planned.to_status, planned.reason) == (TaskStatus.PLANNED, task.reason)
    assert (assigned.from_status, assigned.to_status, assigned.actor) == (TaskStatus.PLANNED, TaskStatus.ASSIGNED, None)
    assert assigned.reason == system_text(texts.SCHEDULER_ASSIGNED, user="binh", province=point.province.name, open=1)
    assert (summary["tasks_assigned"], summary["tasks_unassigned"]) == (1, 0)


def test_equal_loads_go_by_name_and_each_new_task_counts_for_the_next():
    # given: two idle inspectors of Hà Nội and three points due
    make_inspector = lambda username, first: UserFactory(  # noqa: E731
        role=Role.INSPECTOR, username=username, first_name=first, provinces=["001"]
    )
    zed, anh = make_inspector("zed", "Zed"), make_inspector("anh", "Anh")
    points = [inspected(400, "LOW", province_code="001") for _ in range(3)]
    # when
    schedule_inspections(today=TODAY)
    # then: Anh first (by name), then Zed (Anh has one now), then Anh again
    got = [open_tasks(p)[0].inspector for p in sorted(points, key=lambda p: p.pk)]
    assert got == [anh, zed, anh]


def test_risk_and_follow_up_tasks_are_assigned_too(make_user, officer):
    inspector = make_user(Role.INSPECTOR, username="insp", provinces=["001"])
    risky = inspected(1, "LOW", province_code="001")
    critical_flag(risky)
    followed = inspected(1, "LOW", province_code="001")
    make_action(followed, created_by=officer, status="SUBMITTED")
    schedule_inspections(today=TODAY)
    assert [(t.kind, t.inspector) for t in open_tasks(risky)] == [(TaskKind.RISK, inspector)]
    assert [(t.kind, t.inspector) for t in open_tasks(followed)] == [(TaskKind.FOLLOW_UP, inspector)]


def test_an_inspector_of_another_province_or_inactive_is_never_chosen_and_the_task_stays_unassigned(make_user):
    # given: Hồ Chí Minh's inspector, an inactive one of Hà Nội, and an officer of Hà Nội (not an inspector)
    make_user(Role.INSPECTOR, username="saigon", provinces=["079"])
    make_user(Role.INSPECTOR, username="gone", provinces=["001"], is_active=False)
    make_user(Role.OFFICER, username="office", provinces=["001"])
    point = inspected(400, "LOW", province_code="001")
    # when
    summary = schedule_inspections(today=TODAY)
    # then
    (task,) = open_tasks(point)
    assert (task.status, task.inspector) == (TaskStatus.PLANNED, None)
    (event,) = TaskEvent.objects.filter(task=task)
    assert event.reason == system_text(texts.LEFT_UNASSIGNED, reason=task.reason, province=point.province.name)
    assert (summary["tasks_assigned"], summary["tasks_unassigned"]) == (0, 1)


def test_an_all_provinces_inspector_covers_every_province(make_user):
    roaming = make_user(Role.INSPECTOR, username="roaming")
    point = inspected(400, "LOW", province_code="079")
    schedule_inspections(today=TODAY)
    assert open_tasks(point)[0].inspector == roaming
