"""The demo inspections: a task in every state the inspector and the officers meet, made through the services,
then the nightly steps; a second seeding adds nothing."""

from collections import Counter

import pytest
from django.db import transaction

from agents.demo import seed_agents
from core.demo import ensure_demo_users
from inspections.demo import seed_inspections
from inspections.models import (
    ActionStatus,
    CorrectiveAction,
    Finding,
    InspectionTask,
    Photo,
    Sanction,
    SanctionStatus,
    TaskKind,
    TaskStatus,
)
from registrations.demo import seed_registrations


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock(), transaction.atomic():
        ensure_demo_users()
        seed_agents()
        seed_registrations()
        summary = seed_inspections()
        yield summary
        transaction.set_rollback(True)


@pytest.fixture
def tasks(demo, db):
    return InspectionTask.objects.all()


def test_the_inspector_has_work_in_every_state(tasks):
    # the scenario's tasks, made by the officer (the scheduler's own come on top: see below)
    mine = Counter(
        tasks.filter(inspector__username="inspector", created_by__isnull=False).values_list("status", flat=True)
    )

    assert mine[TaskStatus.ASSIGNED] == 3
    assert mine[TaskStatus.SUBMITTED] == 1
    assert mine[TaskStatus.RETURNED] == 1
    assert mine[TaskStatus.CLOSED] == 1
    assert tasks.overdue().filter(inspector__username="inspector").exists()
    assert tasks.filter(kind=TaskKind.COMPLAINT).exists()


def test_the_closed_inspection_left_findings_sanctions_and_actions(tasks):
    closed = tasks.get(status=TaskStatus.CLOSED)

    assert Finding.objects.filter(task=closed).count() >= 3
    assert Photo.objects.filter(report__task=closed).exists()
    statuses = set(Sanction.objects.values_list("status", flat=True))
    assert statuses == {SanctionStatus.PROPOSED, SanctionStatus.APPROVED}
    assert any(action.is_overdue() for action in CorrectiveAction.objects.all())
    assert CorrectiveAction.objects.filter(status=ActionStatus.EVIDENCE_SUBMITTED).exists()


def test_the_nightly_steps_scheduled_follow_up_risk_and_routine_tasks(tasks):
    kinds = set(tasks.filter(created_by__isnull=True).values_list("kind", flat=True))

    assert {TaskKind.FOLLOW_UP, TaskKind.ROUTINE} <= kinds
    assert tasks.filter(point__risk_tier="").count() == 0


def test_every_scheduled_demo_task_went_to_an_inspector_covering_its_province(tasks):
    # issue 13: 60 demo tasks sat unassigned, mostly where no inspector worked
    scheduled = tasks.filter(created_by__isnull=True).select_related("inspector", "point")
    assert scheduled.count() > 20
    for task in scheduled:
        assert task.status == TaskStatus.ASSIGNED, task
        assert task.inspector.provinces.filter(code=task.point.province_id).exists(), task
    per_person = Counter(scheduled.values_list("inspector__username", flat=True))
    assert set(per_person) == {"inspector", "inspector_bac", "inspector_nam"}


def test_a_second_seeding_adds_nothing(demo, tasks):
    before = (tasks.count(), Finding.objects.count(), Sanction.objects.count())

    summary = seed_inspections()

    assert "already there" in summary
    assert (tasks.count(), Finding.objects.count(), Sanction.objects.count()) == before
