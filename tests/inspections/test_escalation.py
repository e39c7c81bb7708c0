"""Escalation (DESIGN section 6): overdue tasks and overdue corrective actions are marked once, and critical
flags nobody has reviewed in time are counted."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from core.models import AuditEvent
from inspections.escalation import escalate, overdue_actions, overdue_tasks
from inspections.models import CorrectiveAction, InspectionTask, TaskStatus
from registrations.models import FlagStatus
from tests.agents.factories import PointFactory
from tests.inspections.factories import TaskFactory, make_action
from tests.registrations.factories import RegistrationFactory
from tests.registrations.flag_factories import make_flag

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 2, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
TODAY = NOW.date()


def yesterday():
    return TODAY - dt.timedelta(days=1)


@pytest.mark.parametrize(
    "status", [TaskStatus.PLANNED, TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS, TaskStatus.RETURNED]
)
def test_a_task_past_its_due_date_and_not_submitted_is_escalated(status, inspector):
    # given
    task = TaskFactory(
        status=status, inspector=inspector if status != TaskStatus.PLANNED else None, due_date=yesterday()
    )
    # when
    summary = escalate(now=NOW)
    # then
    task.refresh_from_db()
    assert task.escalated_at == NOW
    assert summary["tasks_escalated"] == summary["tasks_overdue"] == 1


@pytest.mark.parametrize("status", [TaskStatus.SUBMITTED, TaskStatus.CLOSED, TaskStatus.CANCELLED])
def test_a_submitted_or_finished_task_is_never_escalated(status, inspector):
    task = TaskFactory(status=status, inspector=inspector, due_date=yesterday())
    summary = escalate(now=NOW)
    task.refresh_from_db()
    assert task.escalated_at is None
    assert summary["tasks_overdue"] == 0


def test_a_task_due_today_is_not_overdue_yet():
    task = TaskFactory(due_date=TODAY)
    escalate(now=NOW)
    task.refresh_from_db()
    assert task.escalated_at is None


def test_escalation_keeps_the_first_time_it_found_a_task_overdue():
    # given
    task = TaskFactory(due_date=yesterday())
    escalate(now=NOW)
    # when: the next night
    summary = escalate(now=NOW + dt.timedelta(days=1))
    # then
    task.refresh_from_db()
    assert task.escalated_at == NOW
    assert summary["tasks_escalated"] == 0
    assert summary["tasks_overdue"] == 1


def test_an_open_corrective_action_past_its_due_date_is_escalated(officer):
    point = PointFactory()
    late = make_action(point, created_by=officer, due_date=yesterday())
    on_time = make_action(point, created_by=officer, due_date=TODAY)
    proven = make_action(point, created_by=officer, due_date=yesterday(), status="SUBMITTED")
    summary = escalate(now=NOW)
    escalated = set(CorrectiveAction.objects.filter(escalated_at=NOW))
    assert escalated == {late}
    assert on_time not in escalated
    assert proven not in escalated
    assert summary["actions_escalated"] == summary["actions_overdue"] == 1


def test_critical_flags_left_open_too_long_are_counted_not_changed():
    # given: one critical flag open for 3 days, one for a day, one confirmed long ago
    point = PointFactory()
    old = make_flag("PREACTIVATED", registration=RegistrationFactory(point=point), last_seen=NOW)
    old.first_seen = NOW - dt.timedelta(days=3)
    old.save(update_fields=["first_seen"])
    make_flag("POPULATION_MISMATCH", registration=RegistrationFactory(point=point), last_seen=NOW)  # a day
    reviewed = make_flag(
        "UNAUTHORISED_POINT", registration=RegistrationFactory(point=point), status=FlagStatus.CONFIRMED
    )
    reviewed.first_seen = NOW - dt.timedelta(days=10)
    reviewed.save(update_fields=["first_seen"])
    # when
    summary = escalate(now=NOW)
    # then
    assert summary["critical_flags_unreviewed"] == 1
    old.refresh_from_db()
    assert old.status == FlagStatus.OPEN


def test_escalation_is_audited_with_what_it_marked(officer):
    task = TaskFactory(due_date=yesterday())
    action = make_action(PointFactory(), created_by=officer, due_date=yesterday())
    escalate(now=NOW)
    escalate(now=NOW)
    (event,) = AuditEvent.objects.filter(action="inspection.escalate")
    assert event.fields["tasks"] == [task.pk]
    assert event.fields["actions"] == [action.pk]


def test_the_overdue_lists_of_a_user_stay_in_their_provinces(make_user, officer):
    # given
    hanoi, saigon = PointFactory(province_code="001"), PointFactory(province_code="079")
    TaskFactory(point=hanoi, due_date=yesterday())
    TaskFactory(point=saigon, due_date=yesterday())
    make_action(saigon, created_by=officer, due_date=yesterday())
    limited = make_user("officer", provinces=["001"])
    # then
    assert [t.point for t in overdue_tasks(limited, today=TODAY)] == [hanoi]
    assert list(overdue_actions(limited, today=TODAY)) == []
    assert InspectionTask.objects.overdue(TODAY).count() == 2
