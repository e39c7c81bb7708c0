"""run_checks: flags recorded idempotently, resolved and reopened by themselves, one run at a time."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from core.models import AuditEvent
from registrations.checks import runner
from registrations.checks.runner import CheckRunBusy, UnknownRule, ensure_rules, run_checks
from registrations.models import (
    CheckRun,
    Flag,
    FlagEvent,
    FlagStatus,
    PopulationCheck,
    Registration,
    RegistrationStatus,
    Rule,
    SubjectType,
)
from tests.registrations.factories import ActivationFactory, RegistrationFactory

pytestmark = pytest.mark.django_db

COMMAND = CheckRun.Trigger.COMMAND
MISMATCH = "POPULATION_MISMATCH"


def run(*codes, **kwargs) -> CheckRun:
    return run_checks(codes=list(codes) or None, trigger=COMMAND, **kwargs)


def two_days_ago_at_ten() -> dt.datetime:
    """Inside the factory point's opening hours (08:00-21:00), whenever the suite runs."""
    day = timezone.localdate() - dt.timedelta(days=2)
    return dt.datetime.combine(day, dt.time(10, 0), tzinfo=timezone.get_current_timezone())


def mismatch() -> Registration:
    return RegistrationFactory(population_check=PopulationCheck.MISMATCH, registered_at=two_days_ago_at_ten())


def set_check(registration: Registration, value: str) -> None:
    Registration.objects.filter(pk=registration.pk).update(population_check=value)


def flag_of(registration: Registration, code: str = MISMATCH) -> Flag:
    return Flag.objects.get(rule__code=code, subject_id=registration.pk)


def statuses(flag: Flag) -> list[tuple[str, str]]:
    return list(flag.events.order_by("id").values_list("from_status", "to_status"))


# --- recording --------------------------------------------------------------------------------------


def test_a_run_raises_an_open_flag_with_its_rule_version_parameters_point_and_history():
    # given
    r = RegistrationFactory(date_of_birth=dt.date(2015, 1, 1), gender="M", registered_at=two_days_ago_at_ten())

    # when
    checkrun = run("UNDERAGE")

    # then
    flag = flag_of(r, "UNDERAGE")
    assert flag.status == FlagStatus.OPEN
    assert (flag.subject_type, flag.registration_id, flag.activation_id) == (SubjectType.REGISTRATION, r.pk, None)
    assert (flag.point_id, flag.agent_id) == (r.point_id, r.agent_id)
    assert flag.severity == "medium"
    assert (flag.rule_version, flag.parameters) == (1, {"min_age": 14})
    assert flag.first_seen == flag.last_seen == checkrun.started_at
    assert statuses(flag) == [("", FlagStatus.OPEN)]
    assert flag.events.get().check_run_id == checkrun.pk
    assert checkrun.status == CheckRun.Status.DONE
    assert checkrun.results["UNDERAGE"] | {"seconds": 0} == {
        "status": "done",
        "flagged": 1,
        "new": 1,
        "reopened": 0,
        "still_open": 0,
        "dismissed": 0,
        "resolved": 0,
        "seconds": 0,
    }


def test_activation_flags_have_the_activation_as_subject():
    activation = ActivationFactory(activated_at=timezone.now() - dt.timedelta(days=3))
    run("ACTIVATED_UNREGISTERED")
    flag = Flag.objects.get()
    assert (flag.subject_type, flag.subject_id, flag.activation_id) == ("activation", activation.pk, activation.pk)
    assert (flag.registration_id, flag.point_id, flag.agent_id) == (None, None, None)
    assert flag.severity == "critical"


def test_rerun_on_unchanged_data_writes_no_flag_or_event_rows_and_counts_still_open():
    # given
    mismatch()
    mismatch()
    first = run()
    flags, events = Flag.objects.count(), FlagEvent.objects.count()
    ids = set(Flag.objects.values_list("id", flat=True))

    # when
    second = run()

    # then
    assert (Flag.objects.count(), FlagEvent.objects.count()) == (flags, events)
    assert set(Flag.objects.values_list("id", flat=True)) == ids
    assert second.results[MISMATCH]["new"] == 0
    assert second.results[MISMATCH]["still_open"] == 2
    assert first.results[MISMATCH]["new"] == 2
    assert set(Flag.objects.values_list("last_seen", flat=True)) == {second.started_at}


def test_a_flag_that_no_longer_holds_is_resolved_and_reopened_when_it_holds_again():
    # given
    r = mismatch()
    run(MISMATCH)

    # when the record is corrected
    set_check(r, PopulationCheck.MATCH)
    resolving = run(MISMATCH)

    # then
    flag = flag_of(r)
    assert flag.status == FlagStatus.RESOLVED
    assert flag.resolved_at == resolving.started_at
    assert resolving.results[MISMATCH]["resolved"] == 1
    assert statuses(flag) == [("", "OPEN"), ("OPEN", "RESOLVED")]

    # and a further run changes nothing
    run(MISMATCH)
    assert statuses(flag_of(r)) == [("", "OPEN"), ("OPEN", "RESOLVED")]

    # when it breaks again
    set_check(r, PopulationCheck.MISMATCH)
    reopening = run(MISMATCH)

    # then the same flag is open again
    flag = flag_of(r)
    assert flag.status == FlagStatus.OPEN
    assert flag.resolved_at is None
    assert reopening.results[MISMATCH]["reopened"] == 1
    assert reopening.results[MISMATCH]["new"] == 0
    assert statuses(flag) == [("", "OPEN"), ("OPEN", "RESOLVED"), ("RESOLVED", "OPEN")]
    assert Flag.objects.count() == 1


def test_a_confirmed_flag_is_resolved_when_it_no_longer_holds():
    r = mismatch()
    run(MISMATCH)
    Flag.objects.update(status=FlagStatus.CONFIRMED)
    set_check(r, PopulationCheck.MATCH)
    run(MISMATCH)
    assert flag_of(r).status == FlagStatus.RESOLVED
    assert statuses(flag_of(r))[-1] == ("CONFIRMED", "RESOLVED")


def test_a_confirmed_flag_that_still_holds_stays_confirmed():
    r = mismatch()
    run(MISMATCH)
    Flag.objects.update(status=FlagStatus.CONFIRMED)
    again = run(MISMATCH)
    assert flag_of(r).status == FlagStatus.CONFIRMED
    assert again.results[MISMATCH]["still_open"] == 1


def test_a_dismissed_flag_stays_dismissed_while_it_holds_and_when_it_no_longer_does():
    # given
    r = mismatch()
    run(MISMATCH)
    Flag.objects.update(status=FlagStatus.DISMISSED, reason="known test SIM")
    events = FlagEvent.objects.count()

    # when
    again = run(MISMATCH)

    # then
    assert flag_of(r).status == FlagStatus.DISMISSED
    assert again.results[MISMATCH]["dismissed"] == 1
    assert FlagEvent.objects.count() == events

    set_check(r, PopulationCheck.MATCH)
    run(MISMATCH)
    assert flag_of(r).status == FlagStatus.DISMISSED
    assert FlagEvent.objects.count() == events


def test_a_dismissed_flag_reopens_when_the_rule_version_changes():
    # given a flag dismissed under version 1
    r = RegistrationFactory(date_of_birth=dt.date(2015, 1, 1), gender="M", registered_at=two_days_ago_at_ten())
    run("UNDERAGE")
    Flag.objects.update(status=FlagStatus.DISMISSED)

    # when the rule is edited (version 2) and the condition still holds
    Rule.objects.filter(code="UNDERAGE").update(version=2, parameters={"min_age": 16})
    reopening = run("UNDERAGE")

    # then
    flag = flag_of(r, "UNDERAGE")
    assert flag.status == FlagStatus.OPEN
    assert (flag.rule_version, flag.parameters) == (2, {"min_age": 16})
    assert reopening.results["UNDERAGE"]["reopened"] == 1
    assert statuses(flag)[-1] == ("DISMISSED", "OPEN")

    # and dismissed under version 2 it stays dismissed
    Flag.objects.update(status=FlagStatus.DISMISSED)
    run("UNDERAGE")
    assert flag_of(r, "UNDERAGE").status == FlagStatus.DISMISSED


def test_an_open_flag_takes_the_current_rule_version_when_seen_again():
    r = RegistrationFactory(date_of_birth=dt.date(2015, 1, 1), gender="M", registered_at=two_days_ago_at_ten())
    run("UNDERAGE")
    Rule.objects.filter(code="UNDERAGE").update(version=3, parameters={"min_age": 18})
    run("UNDERAGE")
    flag = flag_of(r, "UNDERAGE")
    assert (flag.status, flag.rule_version, flag.parameters) == (FlagStatus.OPEN, 3, {"min_age": 18})
    assert flag.events.count() == 1


def test_a_flag_follows_its_registration_to_another_point():
    r = mismatch()
    run(MISMATCH)
    other = RegistrationFactory().point
    Registration.objects.filter(pk=r.pk).update(point=other, agent=other.agent)
    run(MISMATCH)
    flag = flag_of(r)
    assert (flag.point_id, flag.agent_id) == (other.pk, other.agent_id)


def test_cancelling_a_registration_resolves_its_group_rule_flag():
    face = bytes.fromhex("b" * 64)
    one = RegistrationFactory(portrait_sha256=face, registered_at=two_days_ago_at_ten())
    two = RegistrationFactory(portrait_sha256=face, registered_at=two_days_ago_at_ten())
    run("REUSED_PORTRAIT")
    Registration.objects.filter(pk=two.pk).update(status=RegistrationStatus.CANCELLED)
    again = run("REUSED_PORTRAIT")
    assert again.results["REUSED_PORTRAIT"]["resolved"] == 2
    assert {flag_of(one, "REUSED_PORTRAIT").status, flag_of(two, "REUSED_PORTRAIT").status} == {"RESOLVED"}


# --- which rules ------------------------------------------------------------------------------------


def test_all_enabled_rules_run_by_default_and_a_disabled_one_only_when_named():
    Rule.objects.filter(code=MISMATCH).update(enabled=False)
    mismatch()
    everything = run()
    assert MISMATCH not in everything.rule_codes
    assert len(everything.rule_codes) == 15  # every rule (15 and BLACKLISTED_AGENT) but the disabled one
    assert not Flag.objects.exists()
    named = run(MISMATCH)
    assert named.rule_codes == [MISMATCH]
    assert Flag.objects.count() == 1


def test_an_unknown_code_is_refused_before_anything_runs():
    with pytest.raises(UnknownRule, match="NOPE"):
        run(MISMATCH, "NOPE")
    assert not CheckRun.objects.exists()


def test_missing_rule_rows_are_restored_from_the_catalogue():
    Rule.objects.filter(code="UNDERAGE").delete()
    ensure_rules()
    rule = Rule.objects.get(code="UNDERAGE")
    assert (rule.parameters, rule.severity, rule.subject_type, rule.version) == (
        {"min_age": 14},
        "medium",
        "registration",
        1,
    )


def test_the_migration_seeded_every_rule_with_names_and_legal_basis():
    seeded = {rule.code: rule for rule in Rule.objects.all()}
    assert len(seeded) == 16  # the 15 of DESIGN section 5 and BLACKLISTED_AGENT (issue 16)
    assert seeded["BLACKLISTED_AGENT"].subject_type == "agent"
    assert seeded["REGISTRATION_BURST"].parameters == {"max_in_window": 20, "window_minutes": 10}
    assert seeded["EXCESS_SIMS_PER_ID"].parameters == {"max_without_contract": 3}
    assert seeded["ACTIVATED_UNREGISTERED"].subject_type == "activation"
    assert seeded["PREACTIVATED"].severity == "critical"
    assert all(rule.name_vi and rule.name_en and rule.legal_basis and rule.description_vi for rule in seeded.values())


# --- failures, progress, audit ----------------------------------------------------------------------


def test_a_failing_rule_is_recorded_and_the_others_still_run():
    mismatch()
    Rule.objects.filter(code="UNDERAGE").update(parameters={"min_age": "old"})
    failed = run()
    assert failed.status == CheckRun.Status.FAILED
    assert failed.results["UNDERAGE"]["status"] == "failed"
    assert "min_age" in failed.results["UNDERAGE"]["error"]
    assert failed.results[MISMATCH]["status"] == "done"
    assert "UNDERAGE" in failed.error
    assert flag_of(Registration.objects.get()).status == FlagStatus.OPEN


def test_progress_is_reported_after_each_rule_with_a_heartbeat():
    seen = []
    run(MISMATCH, "UNDERAGE", progress=lambda r: seen.append({c: v["status"] for c, v in r.results.items()}))
    assert {"POPULATION_MISMATCH": "done", "UNDERAGE": "pending"} in seen
    assert seen[-1] == {"POPULATION_MISMATCH": "done", "UNDERAGE": "done"}
    stored = CheckRun.objects.get()
    assert stored.heartbeat_at is not None
    assert stored.finished_at is not None
    assert stored.rows_scanned == 0


def test_one_audit_event_per_run(officer):
    mismatch()
    checkrun = run(actor=officer)
    events = AuditEvent.objects.filter(action="checks.run")
    assert events.count() == 1
    event = events.get()
    assert (event.actor, event.object_id) == (officer, str(checkrun.pk))
    assert event.fields["new"] == 1
    assert event.fields["status"] == "DONE"
    assert checkrun.started_by == officer


# --- one run at a time ------------------------------------------------------------------------------


def test_a_run_started_while_one_runs_is_refused():
    refused = []

    def start_another(checkrun):
        if not refused:
            with pytest.raises(CheckRunBusy) as exc:
                run(MISMATCH)
            refused.append(str(exc.value))

    first = run(MISMATCH, progress=start_another)
    assert refused
    assert "in progress" in refused[0]
    assert first.status == CheckRun.Status.DONE
    assert CheckRun.objects.count() == 1


def test_a_live_running_row_refuses_a_second_run():
    # given another process's run with a fresh lease (heartbeat), on SQLite and PostgreSQL alike
    CheckRun.objects.create(trigger=COMMAND, started_at=timezone.now(), heartbeat_at=timezone.now())
    with pytest.raises(CheckRunBusy):
        run(MISMATCH)
    assert CheckRun.objects.count() == 1


def test_a_run_whose_lease_ran_out_does_not_refuse_the_next_one():
    # given a run whose process was killed: RUNNING, its heartbeat older than the lease
    killed = CheckRun.objects.create(
        trigger=COMMAND,
        started_at=timezone.now() - runner.STALE_AFTER * 2,
        heartbeat_at=timezone.now() - runner.STALE_AFTER - dt.timedelta(seconds=1),
    )
    # when / then: the next run goes ahead (no database session of the dead process can keep it out)
    assert run(MISMATCH).status == CheckRun.Status.DONE
    killed.refresh_from_db()
    assert killed.status == CheckRun.Status.FAILED


def test_the_lease_is_a_minute():
    assert dt.timedelta(seconds=60) == runner.STALE_AFTER


# this database's only: other databases on the same server have runs of their own
ADVISORY_LOCKS_HERE = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def _second_postgres_connection():
    import psycopg

    settings = connection.settings_dict
    return psycopg.connect(
        dbname=settings["NAME"],
        user=settings["USER"],
        host=settings["HOST"],
        port=settings["PORT"] or 5432,
        password=settings["PASSWORD"] or None,
        autocommit=True,
    )


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL advisory lock")
@pytest.mark.django_db(transaction=True)
def test_postgres_a_running_run_holds_no_advisory_lock():
    # given a run in progress, committed as a real run's claim is (issue 11: the session lock it used to
    # hold stayed with a killed process's backend and refused every later run)
    held = []

    def look_from_another_connection(checkrun):
        with _second_postgres_connection() as other:
            held.append(other.execute(ADVISORY_LOCKS_HERE).fetchone()[0])

    # when
    assert run(MISMATCH, progress=look_from_another_connection).status == CheckRun.Status.DONE
    # then nothing was held while it worked: its RUNNING row's lease keeps other runs out
    assert held
    assert set(held) == {0}


def test_a_killed_run_is_marked_failed_and_the_next_run_does_its_work(monkeypatch):
    # given a run killed after its first rule (nothing marks it: it stays RUNNING)
    r = mismatch()
    RegistrationFactory(date_of_birth=dt.date(2015, 1, 1), gender="M", registered_at=two_days_ago_at_ten())

    class Killed(BaseException):
        pass

    def kill(checkrun):
        if checkrun.results.get(MISMATCH, {}).get("status") == "done":
            raise Killed

    monkeypatch.setattr(runner, "_finish", lambda *args: None)
    with pytest.raises(Killed):
        run(MISMATCH, "UNDERAGE", progress=kill)
    monkeypatch.undo()
    killed = CheckRun.objects.get()
    assert killed.status == CheckRun.Status.RUNNING
    assert flag_of(r).status == FlagStatus.OPEN
    assert not Flag.objects.filter(rule__code="UNDERAGE").exists()
    CheckRun.objects.filter(pk=killed.pk).update(heartbeat_at=timezone.now() - runner.STALE_AFTER - dt.timedelta(1))

    # when
    following = run(MISMATCH, "UNDERAGE")

    # then
    killed.refresh_from_db()
    assert killed.status == CheckRun.Status.FAILED
    assert "Abandoned" in killed.error
    assert following.status == CheckRun.Status.DONE
    assert following.results[MISMATCH]["still_open"] == 1
    assert following.results["UNDERAGE"]["new"] == 1
    assert FlagEvent.objects.count() == 2


def test_an_interrupted_run_is_marked_failed_at_once():
    def interrupt(checkrun):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run(MISMATCH, progress=interrupt)
    assert CheckRun.objects.get().status == CheckRun.Status.FAILED
    assert run(MISMATCH).status == CheckRun.Status.DONE
