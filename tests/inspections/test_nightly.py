"""The nightly chain (DESIGN section 6): checks -> risk -> schedule -> escalate -> digest, one record per night
with each step's outcome; a failed step does not hide the others; a re-run is safe; runs never overlap."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from celery.schedules import crontab
from django.conf import settings as django_settings
from django.core import mail
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from core.models import AuditEvent
from core.roles import Role
from inspections import risk, scheduling
from inspections.models import InspectionTask, NightlyRun, TaskKind
from inspections.nightly import NightlyRunBusy, all_steps, run_nightly
from inspections.selectors import nightly_audit_anchors
from inspections.tasks import nightly_chain_task, schedule_inspections_task
from registrations.models import CheckRun, Flag, PopulationCheck
from tests.agents.factories import PointFactory
from tests.inspections.factories import TaskFactory
from tests.registrations.factories import RegistrationFactory

pytestmark = pytest.mark.django_db

NOW = dt.datetime(2026, 3, 10, 2, 0, tzinfo=ZoneInfo("Asia/Ho_Chi_Minh"))
NIGHT = NOW.date()


@pytest.fixture
def scene(make_user):
    """A point with a population mismatch (a critical flag once the checks run), a late task elsewhere and
    an officer who reads the digest."""
    point = PointFactory(province_code="001", code="HN-01", last_inspection_on=NIGHT - dt.timedelta(days=10))
    RegistrationFactory(
        point=point, population_check=PopulationCheck.MISMATCH, registered_at=NOW - dt.timedelta(days=1)
    )
    late = TaskFactory(due_date=NIGHT - dt.timedelta(days=2))
    officer = make_user(Role.OFFICER, username="hn", email="hn@example.vn")
    return {"point": point, "late": late, "officer": officer}


def statuses(run: NightlyRun) -> dict:
    return {step: run.steps[step]["status"] for step in all_steps()}


def test_the_chain_runs_every_step_in_order_and_records_each_outcome(scene):
    # when
    run = run_nightly(now=NOW)
    # then
    assert run.night == NIGHT
    assert run.status == NightlyRun.Status.DONE
    assert run.attempts == 1
    assert list(run.steps) == list(all_steps())
    assert statuses(run) == dict.fromkeys(all_steps(), "done")
    for step in all_steps():
        assert run.steps[step]["seconds"] >= 0
        assert run.steps[step]["finished_at"] >= run.steps[step]["started_at"]
    # checks -> a critical flag; risk scored it; the scheduler gave the point a RISK task; the late task escalated
    check_run = CheckRun.objects.get()
    assert run.steps["checks"]["summary"]["check_run"] == check_run.pk
    assert check_run.trigger == CheckRun.Trigger.SCHEDULE
    scene["point"].refresh_from_db()
    assert scene["point"].risk_tier == "HIGH"
    assert run.steps["risk"]["summary"]["points"]["tiers"]["HIGH"] == 1
    risk_task = InspectionTask.objects.get(point=scene["point"])
    assert risk_task.kind == TaskKind.RISK
    assert list(risk_task.flags.all()) == list(Flag.objects.filter(severity="critical"))
    assert run.steps["schedule"]["summary"]["risk_tasks_created"] == 1
    assert run.steps["escalate"]["summary"]["tasks_escalated"] == 1
    assert run.steps["digest"]["summary"]["sent_to"] == [scene["officer"].pk]
    assert [m.to for m in mail.outbox] == [["hn@example.vn"]]
    assert run.finished_at is not None
    assert NightlyRun.objects.get() == run


def test_progress_is_saved_after_each_step(scene):
    # given
    seen = []
    # when
    run_nightly(now=NOW, progress=lambda run: seen.append(statuses(NightlyRun.objects.get(pk=run.pk))))
    # then: what the database held after each step
    # (the base steps, then those higher apps register, e.g. the dashboard's counts, then the digest)
    n = len(all_steps())
    assert n >= 5
    assert [list(s.values()) for s in seen] == [["done"] * (i + 1) + ["pending"] * (n - i - 1) for i in range(n)]


def test_a_failed_step_is_recorded_and_the_later_steps_still_run(scene, monkeypatch):
    # given: the scheduler breaks
    def broken(**kwargs):
        raise RuntimeError("scheduler exploded")

    monkeypatch.setattr(scheduling, "schedule_inspections", broken)
    # when
    run = run_nightly(now=NOW)
    # then
    assert run.status == NightlyRun.Status.FAILED
    # every other step, the ones higher apps register included, still ran
    assert statuses(run) == dict.fromkeys(all_steps(), "done") | {"schedule": "failed"}
    assert run.steps["schedule"]["error"] == "RuntimeError: scheduler exploded"
    assert "seconds" in run.steps["schedule"]
    scene["late"].refresh_from_db()
    assert scene["late"].escalated_at == NOW
    assert len(mail.outbox) == 1


def test_a_failed_step_leaves_nothing_half_written(scene, monkeypatch):
    # given: rescoring fails after the points were scored, before the agents
    real = risk._apply

    def fail_on_agents(model, *args):
        if model.__name__ == "Agent":
            raise RuntimeError("agents unreadable")
        return real(model, *args)

    monkeypatch.setattr(risk, "_apply", fail_on_agents)
    # when
    run = run_nightly(now=NOW)
    # then: the points keep their old (empty) score; the scheduler still ran, on that
    assert run.steps["risk"]["status"] == "failed"
    scene["point"].refresh_from_db()
    assert scene["point"].risk_tier == ""
    assert scene["point"].risk_factors == {}
    assert run.steps["schedule"]["status"] == "done"


def test_checks_that_cannot_start_fail_the_step_not_the_chain(scene, monkeypatch):
    from registrations.checks import runner

    def busy(**kwargs):
        raise runner.CheckRunBusy("Another check run is in progress.")

    monkeypatch.setattr(runner, "run_checks", busy)
    run = run_nightly(now=NOW)
    assert run.steps["checks"] == {
        **run.steps["checks"],
        "status": "failed",
        "error": "Another check run is in progress.",
    }
    assert statuses(run)["digest"] == "done"
    assert run.status == NightlyRun.Status.FAILED


def test_a_failed_check_run_fails_the_step_and_keeps_its_id(scene, monkeypatch):
    from registrations.checks import runner

    def failing(**kwargs):
        return CheckRun.objects.create(
            trigger=kwargs["trigger"], started_at=NOW, status=CheckRun.Status.FAILED, error="Failed: PREACTIVATED"
        )

    monkeypatch.setattr(runner, "run_checks", failing)
    run = run_nightly(now=NOW)
    assert run.steps["checks"]["status"] == "failed"
    assert run.steps["checks"]["error"] == "Failed: PREACTIVATED"
    assert run.steps["checks"]["summary"]["check_run"] == CheckRun.objects.get().pk


def test_running_the_same_night_again_reuses_its_record_and_changes_nothing_twice(scene):
    # given
    first = run_nightly(now=NOW)
    tasks = InspectionTask.objects.count()
    # when
    again = run_nightly(now=NOW + dt.timedelta(hours=3))
    # then
    assert again.pk == first.pk
    assert again.attempts == 2
    assert again.status == NightlyRun.Status.DONE
    assert NightlyRun.objects.count() == 1
    assert InspectionTask.objects.count() == tasks
    assert again.steps["schedule"]["summary"]["risk_tasks_created"] == 0
    assert again.steps["escalate"]["summary"]["tasks_escalated"] == 0
    # the digest is not mailed twice
    assert len(mail.outbox) == 1
    assert again.steps["digest"]["summary"]["already_sent"] == 1
    assert again.steps["digest"]["summary"]["sent_to"] == [scene["officer"].pk]


def test_a_retry_mails_only_those_the_failed_attempt_missed(scene, make_user, monkeypatch):
    # given: the first attempt could not mail the officer
    from inspections import digest

    boss = make_user(Role.MANAGER, username="boss", email="boss@example.vn")
    real = digest.send_mail

    def refuse_hn(subject, body, sender, to):
        if to == ["hn@example.vn"]:
            raise OSError("mailbox full")
        return real(subject, body, sender, to)

    monkeypatch.setattr(digest, "send_mail", refuse_hn)
    first = run_nightly(now=NOW)
    assert first.steps["digest"]["status"] == "failed"
    assert first.status == NightlyRun.Status.FAILED
    # when
    monkeypatch.setattr(digest, "send_mail", real)
    again = run_nightly(now=NOW)
    # then
    assert [m.to for m in mail.outbox] == [["boss@example.vn"], ["hn@example.vn"]]
    assert sorted(again.steps["digest"]["summary"]["sent_to"]) == sorted([boss.pk, scene["officer"].pk])
    assert again.status == NightlyRun.Status.DONE


def test_a_new_night_gets_a_new_record(scene):
    run_nightly(now=NOW)
    run_nightly(now=NOW + dt.timedelta(days=1))
    assert list(NightlyRun.objects.values_list("night", flat=True)) == [NIGHT + dt.timedelta(days=1), NIGHT]


def test_the_night_can_be_named(scene):
    run = run_nightly(night=dt.date(2026, 3, 1), now=NOW)
    assert run.night == dt.date(2026, 3, 1)


@pytest.fixture
def another_run_in_progress(db):
    """Another process is running the chain: its RUNNING row shows recent progress (its lease), which is
    what keeps a second run out on SQLite and PostgreSQL alike (core.runs)."""
    NightlyRun.objects.create(night=NIGHT - dt.timedelta(days=1), started_at=timezone.now(), steps={})


def test_a_run_is_refused_while_another_is_in_progress(another_run_in_progress):
    with pytest.raises(NightlyRunBusy):
        run_nightly(now=NOW)
    assert not NightlyRun.objects.filter(night=NIGHT).exists()
    assert CheckRun.objects.count() == 0


def test_a_run_abandoned_by_a_dead_process_is_taken_over(scene):
    # given: a run of this night that stopped making progress an hour ago, and one of the night before
    long_ago = timezone.now() - dt.timedelta(hours=1)
    stuck = NightlyRun.objects.create(
        night=NIGHT, started_at=long_ago, steps={"checks": {"status": "running", "started_at": long_ago.isoformat()}}
    )
    older = NightlyRun.objects.create(night=NIGHT - dt.timedelta(days=1), started_at=long_ago, steps={})
    # when
    run = run_nightly(now=NOW)
    # then
    assert run.pk == stuck.pk
    assert run.attempts == 2
    assert run.status == NightlyRun.Status.DONE
    older.refresh_from_db()
    assert older.status == NightlyRun.Status.FAILED
    assert older.finished_at is not None


def test_each_run_is_audited(scene):
    run = run_nightly(now=NOW)
    event = AuditEvent.objects.get(action="nightly.run")
    assert event.object_id == str(run.pk)
    assert event.fields["status"] == "DONE"
    assert event.fields["steps"] == dict.fromkeys(all_steps(), "done")


# --- Celery -----------------------------------------------------------------------------------------------


def test_the_beat_runs_the_chain_at_two_every_night():
    entry = django_settings.CELERY_BEAT_SCHEDULE["nightly-chain"]
    assert entry["task"] == "inspections.nightly_chain_task" == nightly_chain_task.name
    assert entry["schedule"] == crontab(hour=2, minute=0)
    assert "nightly-checks" not in django_settings.CELERY_BEAT_SCHEDULE


def test_the_task_runs_the_chain_and_reports(scene, manager):
    result = nightly_chain_task.delay(night="2026-03-01", trigger="PAGE", user_id=manager.pk).get()
    run = NightlyRun.objects.get()
    assert result == {
        "run": run.pk,
        "night": "2026-03-01",
        "status": "DONE",
        "attempts": 1,
        "steps": dict.fromkeys(all_steps(), "done"),
    }
    assert (CheckRun.objects.get().trigger, CheckRun.objects.get().started_by) == ("PAGE", manager)


def test_the_task_reports_busy_instead_of_raising(another_run_in_progress):
    assert nightly_chain_task()["status"] == "busy"


def test_the_scheduler_task_plans_inspections():
    point = PointFactory(risk_tier="HIGH", last_inspection_on=timezone.localdate() - dt.timedelta(days=40))
    result = schedule_inspections_task.delay().get()
    assert result["routine_tasks_created"] == 1
    assert InspectionTask.objects.get().point == point


def test_each_night_keeps_the_audit_chains_head_and_verify_audit_checks_it(scene):
    # given a finished night
    run = run_nightly(now=timezone.now())
    head = run.audit_head
    anchored = AuditEvent.objects.get(pk=head["id"])
    # then its record holds the head as the night ended, and verify_audit counts it
    assert head["hash"] == anchored.hash
    assert nightly_audit_anchors()[anchored.pk] == anchored.hash
    call_command("verify_audit")


def test_verify_audit_finds_a_removed_event_a_night_had_anchored(scene):
    # given a night whose anchored head is then removed with every event after it, behind the triggers' back
    run = run_nightly(now=timezone.now())
    head_id = run.audit_head["id"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET session_replication_role = replica")
            cursor.execute("DELETE FROM core_auditevent WHERE id >= %s", [head_id])
            cursor.execute("SET session_replication_role = origin")
        else:
            cursor.execute("DELETE FROM core_auditevent WHERE id >= %s", [head_id])  # SQLite guards updates only
    # then the chain left is still linked, but the night's anchor shows what was cut
    with pytest.raises(CommandError, match="newest events were removed"):
        call_command("verify_audit")
