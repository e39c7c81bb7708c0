"""The clock's tasks: a finished check run moves the ladder at once; a busy or failed one does not."""

import pytest

from enforcement.remediation import tasks
from registrations.checks.tasks import run_checks_task


@pytest.fixture
def sent(monkeypatch):
    calls = []
    monkeypatch.setattr(tasks, "send_task", lambda name, **kw: calls.append(name))
    return calls


def test_a_finished_check_run_moves_the_ladder(sent):
    tasks.after_check_run(sender=run_checks_task, retval={"run": 1, "status": "DONE"}, state="SUCCESS")
    assert sent == [tasks.ADVANCE_TASK]


@pytest.mark.parametrize(
    ("retval", "state"), [({"status": "busy"}, "SUCCESS"), (None, "FAILURE"), ({"run": 1}, "RETRY")]
)
def test_a_check_run_that_did_not_run_moves_nothing(sent, retval, state):
    tasks.after_check_run(sender=run_checks_task, retval=retval, state=state)
    assert sent == []


def test_other_tasks_move_nothing(sent):
    tasks.after_check_run(sender=tasks.remediation_outcomes_task, retval={"status": "DONE"}, state="SUCCESS")
    assert sent == []


@pytest.mark.django_db
def test_the_digest_counts_todays_unsent_steps_for_staff_only(officer, auditor):
    from django.utils import timezone

    from enforcement.remediation.services import ladder_advance
    from tests.agents.factories import AgentFactory, PointFactory

    from .factories import flagged

    flagged("POPULATION_MISMATCH", point=PointFactory(agent=AgentFactory(province_code="001")))
    now = timezone.now()
    ladder_advance(now=now - timezone.timedelta(hours=3))
    ladder_advance(now=now)  # the suspension came due an hour ago
    section = tasks.lists_digest_section(user=officer, now=now)
    assert (section.count, section.items) == (2, ("Reminder: 1", "Outgoing service suspended: 1"))
    assert tasks.lists_digest_section(user=auditor, now=now) is None
