"""The run_checks and export_flags commands (DESIGN section 7), the nightly task and its beat entry."""

import csv
import datetime as dt
import io

import pytest
from celery.schedules import crontab
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from core.roles import Role
from registrations.checks.tasks import run_checks_task
from registrations.models import CheckRun, Flag, FlagStatus, PopulationCheck, Registration, Rule
from tests.registrations.factories import ActivationFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

HEADER = "rule,severity,status,subject_type,subject_key,point_code,agent_code"


def at_ten() -> dt.datetime:
    day = timezone.localdate() - dt.timedelta(days=2)
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=timezone.get_current_timezone())


def command(name: str, *args) -> str:
    out = io.StringIO()
    call_command(name, *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


@pytest.fixture
def scene():
    mismatch = RegistrationFactory(population_check=PopulationCheck.MISMATCH, registered_at=at_ten())
    young = RegistrationFactory(date_of_birth=dt.date(2015, 1, 1), gender="M", registered_at=at_ten())
    orphan = ActivationFactory(activated_at=timezone.now() - dt.timedelta(days=3))
    return mismatch, young, orphan


# --- run_checks -------------------------------------------------------------------------------------


def test_run_checks_prints_counts_per_rule(scene):
    output = command("run_checks")
    lines = {line.split()[0]: line.split()[1:] for line in output.splitlines() if line.strip()}
    assert lines["POPULATION_MISMATCH"][:4] == ["1", "0", "0", "0"]  # new, reopened, still open, resolved
    assert lines["UNDERAGE"][:4] == ["1", "0", "0", "0"]
    assert lines["ACTIVATED_UNREGISTERED"][:4] == ["1", "0", "0", "0"]
    assert lines["PREACTIVATED"][:4] == ["0", "0", "0", "0"]
    assert "new" in output
    assert "still open" in output
    assert "resolved" in output
    assert "Status: DONE" in output

    again = command("run_checks")
    lines = {line.split()[0]: line.split()[1:] for line in again.splitlines() if line.strip()}
    assert lines["POPULATION_MISMATCH"][:4] == ["0", "0", "1", "0"]
    assert CheckRun.objects.filter(trigger=CheckRun.Trigger.COMMAND, status=CheckRun.Status.DONE).count() == 2


def test_run_checks_only_the_named_rules_repeated_or_listed(scene):
    output = command("run_checks", "--rule", "UNDERAGE", "--rule", "POPULATION_MISMATCH")
    assert "UNDERAGE" in output
    assert "POPULATION_MISMATCH" in output
    assert "PREACTIVATED" not in output
    assert set(Flag.objects.values_list("rule__code", flat=True)) == {"UNDERAGE", "POPULATION_MISMATCH"}
    command("run_checks", "--rule", "PREACTIVATED", "ACTIVATED_UNREGISTERED")
    assert CheckRun.objects.order_by("-id").first().rule_codes == ["PREACTIVATED", "ACTIVATED_UNREGISTERED"]


def test_run_checks_unknown_code_fails_and_runs_nothing():
    with pytest.raises(CommandError, match="NOPE"):
        command("run_checks", "--rule", "NOPE")
    assert not CheckRun.objects.exists()


def test_run_checks_fails_when_another_run_holds_the_lock(monkeypatch):
    from registrations.checks import runner

    def busy(**kwargs):
        raise runner.CheckRunBusy("Another check run is in progress.")

    monkeypatch.setattr("registrations.management.commands.run_checks.run_checks", busy)
    with pytest.raises(CommandError, match="in progress"):
        command("run_checks")


def test_run_checks_fails_when_a_rule_fails(scene):
    Rule.objects.filter(code="UNDERAGE").update(parameters={"min_age": -3})
    with pytest.raises(CommandError, match="failed"):
        command("run_checks")
    assert CheckRun.objects.get().status == CheckRun.Status.FAILED


def test_run_checks_exits_non_zero_through_manage_py(scene):
    # CommandError is what makes manage.py exit with status 1
    from django.core.management import ManagementUtility

    with pytest.raises(SystemExit) as exc:
        ManagementUtility(["manage.py", "run_checks", "--rule", "NOPE"]).execute()
    assert exc.value.code == 1


# --- export_flags -----------------------------------------------------------------------------------


def rows(*args) -> list[dict]:
    text = command("export_flags", *args)
    assert text.splitlines()[0] == HEADER
    return list(csv.DictReader(io.StringIO(text)))


def test_export_flags_header_and_subject_keys(scene):
    mismatch, young, orphan = scene
    command("run_checks")
    exported = rows()
    assert {(r["rule"], r["subject_key"]) for r in exported} == {
        ("POPULATION_MISMATCH", mismatch.external_id),
        ("UNDERAGE", young.external_id),
        ("ACTIVATED_UNREGISTERED", orphan.iccid),
    }
    by_rule = {r["rule"]: r for r in exported}
    assert by_rule["POPULATION_MISMATCH"] == {
        "rule": "POPULATION_MISMATCH",
        "severity": "critical",
        "status": "OPEN",
        "subject_type": "registration",
        "subject_key": mismatch.external_id,
        "point_code": mismatch.point.code,
        "agent_code": mismatch.agent.code,
    }
    assert by_rule["ACTIVATED_UNREGISTERED"]["subject_type"] == "activation"
    assert (by_rule["ACTIVATED_UNREGISTERED"]["point_code"], by_rule["ACTIVATED_UNREGISTERED"]["agent_code"]) == (
        "",
        "",
    )
    assert by_rule["UNDERAGE"]["severity"] == "medium"


def test_export_flags_filters_by_rule_and_status(scene):
    mismatch, _young, _orphan = scene
    command("run_checks")
    assert [r["rule"] for r in rows("--rule", "UNDERAGE")] == ["UNDERAGE"]
    Registration.objects.filter(pk=mismatch.pk).update(population_check=PopulationCheck.MATCH)
    command("run_checks")
    resolved = rows("--status", "RESOLVED")
    assert [(r["rule"], r["status"]) for r in resolved] == [("POPULATION_MISMATCH", "RESOLVED")]
    assert len(rows("--status", "open")) == 2
    assert rows("--rule", "PREACTIVATED") == []


def test_export_flags_with_no_flags_prints_the_header_only():
    assert command("export_flags") == HEADER + "\n"


@pytest.mark.parametrize("args", [("--rule", "NOPE"), ("--status", "CLOSED")])
def test_export_flags_bad_arguments_fail(args):
    with pytest.raises(CommandError):
        command("export_flags", *args)


def test_export_flags_quotes_values_as_csv(scene):
    mismatch, _young, _orphan = scene
    Registration.objects.filter(pk=mismatch.pk).update(external_id='R,"1"')
    command("run_checks", "--rule", "POPULATION_MISMATCH")
    assert rows()[0]["subject_key"] == 'R,"1"'


# --- the nightly task -------------------------------------------------------------------------------


def test_the_beat_schedule_runs_the_checks_at_two_every_night_as_the_first_step_of_the_nightly_chain():
    # the chain (inspections.nightly) runs the checks first; they have no beat entry of their own
    assert not [e for e in settings.CELERY_BEAT_SCHEDULE.values() if e["task"] == "registrations.run_checks_task"]
    entry = settings.CELERY_BEAT_SCHEDULE["nightly-chain"]
    assert entry["task"] == "inspections.nightly_chain_task"
    assert entry["schedule"] == crontab(hour=2, minute=0)
    assert settings.CELERY_TIMEZONE == "Asia/Ho_Chi_Minh"


def test_the_task_runs_the_checks_and_reports(scene, officer):
    result = run_checks_task.delay(trigger="PAGE", user_id=officer.pk, codes=["POPULATION_MISMATCH"]).get()
    checkrun = CheckRun.objects.get()
    assert result == {"run": checkrun.pk, "status": "DONE", "new": 1, "resolved": 0, "still_open": 0}
    assert (checkrun.trigger, checkrun.started_by) == ("PAGE", officer)
    assert Flag.objects.get().status == FlagStatus.OPEN


def test_the_task_on_schedule_runs_every_enabled_rule(scene):
    result = run_checks_task()
    assert result["status"] == "DONE"
    assert result["new"] == 3
    assert CheckRun.objects.get().trigger == "SCHEDULE"


def test_the_task_reports_busy_instead_of_raising(monkeypatch):
    from registrations.checks import runner

    def busy(**kwargs):
        raise runner.CheckRunBusy("Another check run is in progress.")

    monkeypatch.setattr(runner, "run_checks", busy)
    assert run_checks_task()["status"] == "busy"


# --- permissions ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (
            Role.OFFICER,
            ["run_checks", "review_flag", "view_flag", "view_checkrun", "view_rule"],
            ["change_rule"],
        ),
        (
            Role.MANAGER,
            ["run_checks", "review_flag", "view_flag", "view_checkrun", "view_rule", "change_rule"],
            [],
        ),
        (Role.AUDITOR, ["view_flag", "view_rule", "view_checkrun"], ["run_checks", "review_flag", "change_rule"]),
        (Role.INSPECTOR, [], ["run_checks", "view_flag", "view_rule"]),
        (Role.INTEGRATION, [], ["run_checks", "view_flag"]),
    ],
)
def test_rule_and_flag_permissions_by_role(make_user, role, allowed, refused):
    user = make_user(role)
    assert all(user.has_perm(f"registrations.{p}") for p in allowed)
    assert not any(user.has_perm(f"registrations.{p}") for p in refused)
