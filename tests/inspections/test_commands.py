"""The commands: schedule_inspections (DESIGN section 7), rescore_risk and run_nightly; each prints a summary
and exits non-zero on failure."""

import datetime as dt
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from inspections import nightly, risk, scheduling
from inspections.models import InspectionTask, NightlyRun, TaskKind
from registrations.models import CheckRun
from tests.agents.factories import PointFactory

pytestmark = pytest.mark.django_db


def command(*args) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_schedule_inspections_plans_tasks_and_prints_the_counts():
    # given: a HIGH point last inspected 40 days ago (every 30 days)
    point = PointFactory(risk_tier="HIGH", last_inspection_on=timezone.localdate() - dt.timedelta(days=40))
    # when
    output = command("schedule_inspections")
    # then
    task = InspectionTask.objects.get()
    assert (task.point, task.kind, task.due_date) == (point, TaskKind.ROUTINE, timezone.localdate())
    assert "ROUTINE tasks created" in output
    assert output.splitlines()[7].split()[-1] == "1"


def test_schedule_inspections_twice_creates_nothing_the_second_time():
    PointFactory(risk_tier="HIGH", last_inspection_on=timezone.localdate() - dt.timedelta(days=40))
    command("schedule_inspections")
    output = command("schedule_inspections")
    assert InspectionTask.objects.count() == 1
    assert all(line.split()[-1] == "0" for line in output.splitlines())


def test_schedule_inspections_exits_non_zero_on_failure(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("database gone")

    monkeypatch.setattr("inspections.management.commands.schedule_inspections.schedule_inspections", broken)
    with pytest.raises(CommandError, match="database gone"):
        command("schedule_inspections")


def test_rescore_risk_prints_the_tiers():
    PointFactory(risk_tier="")
    output = command("rescore_risk")
    assert "Risk policy version 1" in output
    lines = {line.split()[0]: line.split()[1:] for line in output.splitlines()[2:]}
    assert lines["points"] == ["0", "0", "1", "1"]
    assert lines["agents"] == ["0", "0", "1", "1"]


def test_rescore_risk_exits_non_zero_on_failure(monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(risk, "_gather", broken)
    with pytest.raises(CommandError, match="boom"):
        command("rescore_risk")


def test_run_nightly_runs_the_chain_for_the_named_night_and_prints_each_step():
    output = command("run_nightly", "--night", "2026-03-01")
    run = NightlyRun.objects.get()
    assert run.night == dt.date(2026, 3, 1)
    assert run.status == NightlyRun.Status.DONE
    assert CheckRun.objects.get().trigger == CheckRun.Trigger.COMMAND
    for step in nightly.all_steps():
        assert any(line.startswith(step) and "DONE" in line for line in output.splitlines())
    assert output.rstrip().endswith("Status: DONE")


def test_run_nightly_exits_non_zero_when_a_step_failed_after_running_the_others(monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("scheduler exploded")

    monkeypatch.setattr(scheduling, "schedule_inspections", broken)
    with pytest.raises(CommandError, match="failed: schedule"):
        command("run_nightly")
    run = NightlyRun.objects.get()
    assert run.steps["digest"]["status"] == "done"
    assert run.status == NightlyRun.Status.FAILED


def test_run_nightly_exits_non_zero_when_another_run_is_in_progress(monkeypatch):
    def busy(**kwargs):
        raise nightly.NightlyRunBusy("The nightly run of 2026-03-01 is in progress.")

    monkeypatch.setattr("inspections.management.commands.run_nightly.run_nightly", busy)
    with pytest.raises(CommandError, match="in progress"):
        command("run_nightly")


def test_run_nightly_refuses_a_night_that_is_not_a_date():
    with pytest.raises(CommandError):
        command("run_nightly", "--night", "yesterday")
