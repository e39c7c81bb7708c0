"""Incremental checks (issue 15): an incremental run judges what changed, and leaves the same flags a full run would.

Each test first runs every rule in full (the baseline an incremental run starts from), then changes the
data and runs the rules incrementally. PostgreSQL only: the change marks are a sequence and triggers
(migration 0013_incremental_checks); on SQLite an incremental run is a full run.
"""

import datetime as dt
import hashlib
import random

import pytest
from django.db import connection, transaction

from agents.models import PointKind, Status, StatusChange
from registrations.checks import rules
from registrations.checks.runner import ensure_rules, run_checks
from registrations.models import (
    Activation,
    CheckRun,
    Flag,
    FlagEvent,
    FlagStatus,
    KeyChange,
    PopulationCheck,
    Registration,
    RegistrationStatus,
    Rule,
)
from registrations.records.services import registration_anonymise
from tests.agents.factories import PointFactory
from tests.registrations.factories import ActivationFactory, RegistrationFactory, cccd_for, iccid_for

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the change marks are PostgreSQL triggers"),
]

COMMAND = CheckRun.Trigger.COMMAND
TZ = dt.timezone(dt.timedelta(hours=7))
T0 = dt.datetime(2026, 11, 20, 12, 0, tzinfo=dt.UTC)  # the baseline run judges as of this instant


def full(now=T0, codes=None) -> CheckRun:
    return run_checks(codes=codes, trigger=COMMAND, now=now)


def incremental(now=T0, codes=None) -> CheckRun:
    return run_checks(codes=codes, trigger=COMMAND, now=now, incremental=True)


def modes(run: CheckRun) -> set[str]:
    """How the run judged the registration and activation rules (BLACKLISTED_AGENT, rules.TYPED, judges its
    few agents and points in full every time)."""
    return {how["mode"] for code, how in run.watermark["rules"].items() if code not in rules.TYPED}


def flags() -> set[tuple[str, int, str]]:
    return set(Flag.objects.values_list("rule__code", "subject_id", "status"))


def open_subjects(code: str) -> set[int]:
    return set(Flag.objects.filter(rule__code=code, status=FlagStatus.OPEN).values_list("subject_id", flat=True))


def local(day: int, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime(2026, 11, day, hour, minute, tzinfo=TZ)


def set_parameters(code: str, **params) -> None:
    ensure_rules()
    Rule.objects.filter(code=code).update(parameters=params)


def assert_full_run_agrees(now=T0) -> None:
    """A full run on the state the incremental run left changes nothing: the same flags."""
    before = flags()
    run = full(now)
    assert {(k, sum(r[k] for r in run.results.values())) for k in ("new", "reopened", "resolved")} == {
        ("new", 0),
        ("reopened", 0),
        ("resolved", 0),
    }
    assert flags() == before


# --- every rule fires and stays quiet through the incremental path ----------------------------------


def _point(**kwargs):
    return PointFactory(**kwargs)


def case_preactivated():
    early, late = RegistrationFactory(registered_at=local(19, 10)), RegistrationFactory(registered_at=local(19, 10))
    full()
    ActivationFactory(iccid=early.iccid, activated_at=local(19, 9))  # before registered_at: fires
    ActivationFactory(iccid=late.iccid, activated_at=local(19, 11))
    return {early.pk}, {late.pk}


def case_activated_unregistered():
    gone = RegistrationFactory(registered_at=local(18, 10))
    kept = RegistrationFactory(registered_at=local(18, 10))
    a_gone = ActivationFactory(iccid=gone.iccid, activated_at=local(18, 11))
    a_kept = ActivationFactory(iccid=kept.iccid, activated_at=local(18, 11))
    ripening = ActivationFactory(activated_at=T0 - dt.timedelta(hours=23))  # 25 hours old at the next run
    young = ActivationFactory(activated_at=T0 - dt.timedelta(hours=1))
    full()
    Registration.objects.filter(pk=gone.pk).update(status=RegistrationStatus.CANCELLED)
    return {a_gone.pk, ripening.pk}, {a_kept.pk, young.pk}


def case_incomplete_record():
    full()
    return {RegistrationFactory(subscriber_name="").pk}, {RegistrationFactory().pk}


def case_missing_photos():
    full()
    return {RegistrationFactory(has_portrait=False).pk}, {RegistrationFactory().pk}


def case_invalid_id_number():
    full()
    return {RegistrationFactory(id_doc_number="12345").pk}, {RegistrationFactory().pk}


def case_id_dob_mismatch():
    full()
    wrong = RegistrationFactory(gender="M", id_doc_number=cccd_for(dt.date(1990, 5, 17), "F", 4242))
    return {wrong.pk}, {RegistrationFactory().pk}


def case_underage():
    old = RegistrationFactory(date_of_birth=dt.date(1990, 1, 1), gender="M")
    full()
    Registration.objects.filter(pk=old.pk).update(date_of_birth=dt.date(2015, 1, 1))
    return {old.pk, RegistrationFactory(date_of_birth=dt.date(2016, 1, 1)).pk}, {RegistrationFactory().pk}


def case_population_mismatch():
    full()
    return {RegistrationFactory(population_check=PopulationCheck.MISMATCH).pk}, {RegistrationFactory().pk}


def case_unverified_identity():
    ripening = RegistrationFactory(population_check=PopulationCheck.PENDING, registered_at=T0 - dt.timedelta(hours=23))
    young = RegistrationFactory(population_check=PopulationCheck.PENDING, registered_at=T0 + dt.timedelta(hours=1))
    full()
    return {ripening.pk}, {young.pk}


def case_excess_sims_per_id():
    point = _point()
    number = cccd_for(dt.date(1990, 5, 17), "M", 777)
    same = [
        RegistrationFactory(point=point, id_doc_number=number, registered_at=local(19, 10, m)) for m in (10, 20, 30)
    ]
    full()
    RegistrationFactory(point=point, id_doc_number=number, registered_at=local(19, 10, 0))  # earlier than all
    return {same[2].pk}, {same[0].pk, same[1].pk}


def case_unauthorised_point():
    point, other = _point(), _point()
    inside = RegistrationFactory(point=point, registered_at=local(19, 10))
    fine = RegistrationFactory(point=other, registered_at=local(19, 10))
    full()
    point.authorised_until = dt.date(2026, 11, 1)
    point.save()
    StatusChange.objects.create(
        point=other, changed_at=local(1, 0), from_status=Status.ACTIVE, to_status=Status.ACTIVE, reason="-"
    )
    return {inside.pk}, {fine.pk}


def case_outside_hours():
    point = _point()
    late = RegistrationFactory(point=point, registered_at=local(19, 20, 30))
    early = RegistrationFactory(point=point, registered_at=local(19, 9))
    full()
    point.closes_at = dt.time(20, 0)
    point.save()
    return {late.pk}, {early.pk}


def case_reused_portrait():
    portrait = hashlib.sha256(b"shared").digest()
    first = RegistrationFactory(portrait_sha256=portrait)
    alone = RegistrationFactory()
    full()
    second = RegistrationFactory(portrait_sha256=portrait)
    return {first.pk, second.pk}, {alone.pk}


def case_conflicting_identity():
    number = cccd_for(dt.date(1990, 5, 17), "M", 888)
    first = RegistrationFactory(id_doc_number=number, subscriber_name="Nguyễn Văn An")
    alone = RegistrationFactory()
    full()
    second = RegistrationFactory(id_doc_number=number, subscriber_name="Trần Văn Bình")
    return {first.pk, second.pk}, {alone.pk}


def case_registration_burst():
    set_parameters("REGISTRATION_BURST", max_in_window=3, window_minutes=10)
    point = _point()
    rows = [RegistrationFactory(point=point, registered_at=local(19, 10, m)) for m in (1, 2, 3)]
    later = RegistrationFactory(point=point, registered_at=local(19, 10, 30))
    full()
    RegistrationFactory(point=point, registered_at=local(19, 10, 0))  # the 4th within 10 minutes of rows[2]
    return {rows[2].pk}, {rows[0].pk, rows[1].pk, later.pk}


CASES = {
    "PREACTIVATED": case_preactivated,
    "ACTIVATED_UNREGISTERED": case_activated_unregistered,
    "INCOMPLETE_RECORD": case_incomplete_record,
    "MISSING_PHOTOS": case_missing_photos,
    "INVALID_ID_NUMBER": case_invalid_id_number,
    "ID_DOB_MISMATCH": case_id_dob_mismatch,
    "UNDERAGE": case_underage,
    "POPULATION_MISMATCH": case_population_mismatch,
    "UNVERIFIED_IDENTITY": case_unverified_identity,
    "EXCESS_SIMS_PER_ID": case_excess_sims_per_id,
    "UNAUTHORISED_POINT": case_unauthorised_point,
    "OUTSIDE_HOURS": case_outside_hours,
    "REUSED_PORTRAIT": case_reused_portrait,
    "CONFLICTING_IDENTITY": case_conflicting_identity,
    "REGISTRATION_BURST": case_registration_burst,
}


@pytest.mark.parametrize("code", list(CASES))
def test_each_rule_fires_and_stays_quiet_through_an_incremental_run(code):
    # given: a baseline full run, then changes (the case)
    fires, quiet = CASES[code]()
    assert not open_subjects(code) & fires  # none of them was flagged by the baseline

    # when: two hours later, incrementally
    run = incremental(T0 + dt.timedelta(hours=2), codes=[code])

    # then
    assert run.status == CheckRun.Status.DONE
    assert modes(run) == {"incremental"}
    assert fires <= open_subjects(code)
    assert not quiet & open_subjects(code)
    assert_full_run_agrees(T0 + dt.timedelta(hours=2))


def test_a_flag_resolves_through_an_incremental_run_when_its_subject_changes():
    r = RegistrationFactory(population_check=PopulationCheck.MISMATCH)
    full(codes=["POPULATION_MISMATCH"])
    Registration.objects.filter(pk=r.pk).update(population_check=PopulationCheck.MATCH)
    run = incremental(codes=["POPULATION_MISMATCH"])
    assert run.results["POPULATION_MISMATCH"]["resolved"] == 1
    assert Flag.objects.get().status == FlagStatus.RESOLVED


def test_a_subject_outside_the_affected_set_keeps_its_flag_untouched():
    # given: two flagged registrations, and one of them changed without leaving a change mark (the
    # trigger off for this session), so a full run would resolve its flag but an incremental one must not
    # judge it at all
    unseen, seen = (RegistrationFactory(population_check=PopulationCheck.MISMATCH) for _ in range(2))
    full(codes=["POPULATION_MISMATCH"])
    flag = Flag.objects.get(subject_id=unseen.pk)
    events = FlagEvent.objects.count()
    with connection.cursor() as cursor:
        cursor.execute("SET session_replication_role = replica")
        Registration.objects.filter(pk=unseen.pk).update(population_check=PopulationCheck.MATCH)
        cursor.execute("SET session_replication_role = DEFAULT")
    Registration.objects.filter(pk=seen.pk).update(population_check=PopulationCheck.MATCH)

    # when
    run = incremental(T0 + dt.timedelta(minutes=5), codes=["POPULATION_MISMATCH"])

    # then: the changed one is resolved; the other's flag and history are as they were, and it counts as still
    # open (what the run did not judge holds as before: the counts read as a full run's)
    assert run.results["POPULATION_MISMATCH"] | {"seconds": 0} == {
        "status": "done",
        "judged": 1,
        "flagged": 0,
        "new": 0,
        "reopened": 0,
        "still_open": 1,
        "dismissed": 0,
        "resolved": 1,
        "seconds": 0,
    }
    assert Flag.objects.get(subject_id=seen.pk).status == FlagStatus.RESOLVED
    untouched = Flag.objects.get(pk=flag.pk)
    assert (untouched.status, untouched.last_seen) == (FlagStatus.OPEN, flag.last_seen)
    assert FlagEvent.objects.count() == events + 1
    assert not FlagEvent.objects.filter(flag=flag, check_run=run).exists()
    # and a full run does judge it (the test above could fail)
    full(T0 + dt.timedelta(minutes=10), codes=["POPULATION_MISMATCH"])
    assert Flag.objects.get(pk=flag.pk).status == FlagStatus.RESOLVED


def test_an_incremental_run_on_unchanged_data_judges_nothing_and_writes_no_event():
    RegistrationFactory(population_check=PopulationCheck.MISMATCH, subscriber_name="")
    full()
    events = FlagEvent.objects.count()
    run = incremental()
    assert modes(run) == {"incremental"}
    incremental_codes = [code for code in run.rule_codes if code not in rules.TYPED]
    assert {code: run.results[code]["judged"] for code in incremental_codes} == dict.fromkeys(incremental_codes, 0)
    assert FlagEvent.objects.count() == events


ROW_RULES = ["INCOMPLETE_RECORD", "MISSING_PHOTOS", "INVALID_ID_NUMBER", "ID_DOB_MISMATCH", "POPULATION_MISMATCH"]


def _scopes_built(run) -> int:
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        run()
    return sum("CREATE TEMPORARY TABLE rule_scope" in q["sql"] for q in queries.captured_queries)


def _kept_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = pg_my_temp_schema() AND relname LIKE 'kept_scope_%%'"
        )
        return [row[0] for row in cursor.fetchall()]


def test_rules_with_the_same_affected_set_build_it_once_and_the_run_leaves_none_behind():
    # given: changes the record rules judge, and flags they must still raise and resolve
    fixed = RegistrationFactory(population_check=PopulationCheck.MISMATCH)
    full(codes=ROW_RULES)
    RegistrationFactory(population_check=PopulationCheck.MISMATCH, subscriber_name="")
    Registration.objects.filter(pk=fixed.pk).update(population_check=PopulationCheck.MATCH)
    # when
    built = _scopes_built(lambda: incremental(T0 + dt.timedelta(minutes=5), codes=ROW_RULES))
    # then: five rules of one record share one affected set, and judge as a full run would
    assert built == 1
    assert _kept_tables() == []
    judged = flags()
    full(T0 + dt.timedelta(minutes=10), codes=ROW_RULES)
    assert flags() == judged
    assert ("POPULATION_MISMATCH", fixed.pk, FlagStatus.RESOLVED) in judged


def test_a_rule_that_fails_gives_back_no_half_kept_affected_set(monkeypatch):
    # given: two rules of one affected set, the first failing while it records
    RegistrationFactory(subscriber_name="")
    full(codes=["INCOMPLETE_RECORD", "MISSING_PHOTOS"])
    RegistrationFactory(subscriber_name="")
    from registrations.checks import recording

    real = recording._release_scope
    calls = []

    def failing_once(*args):
        calls.append(args)
        real(*args)  # kept: then the rule fails, and its transaction rolls the keeping back
        if len(calls) == 1:
            raise RuntimeError("broken")

    monkeypatch.setattr(recording, "_release_scope", failing_once)
    # when
    run = incremental(T0 + dt.timedelta(minutes=5), codes=["INCOMPLETE_RECORD", "MISSING_PHOTOS"])
    # then: the second rule built the set again and judged; nothing is left
    assert run.results["INCOMPLETE_RECORD"]["status"] == "failed"
    assert run.results["MISSING_PHOTOS"]["status"] == "done"
    assert run.results["MISSING_PHOTOS"]["judged"] == 1
    assert _kept_tables() == []


@pytest.mark.parametrize(("changed", "mode"), [(3, "incremental"), (7, "full")])
def test_an_incremental_run_goes_full_when_much_of_the_table_changed(settings, changed, mode):
    # given: 10 registrations judged, then `changed` of them changed; the bar at half the table
    settings.CHECKS_INCREMENTAL_MIN_ROWS = 0
    settings.CHECKS_INCREMENTAL_MAX_SHARE = 0.5
    made = [RegistrationFactory() for _ in range(10)]
    full()
    Registration.objects.filter(pk__in=[r.pk for r in made[:changed]]).update(subscriber_name="")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registrations_registration")
        cursor.execute("ANALYZE registrations_activation")

    run = incremental()

    assert run.watermark["mode"] == mode
    assert modes(run) == {mode}
    assert ("full_because_changed" in run.watermark) is (mode == "full")
    assert len(open_subjects("INCOMPLETE_RECORD")) == changed  # the same flags either way


def test_a_rule_whose_parameters_changed_is_judged_in_full():
    RegistrationFactory(date_of_birth=dt.date(2010, 1, 1), gender="M")
    full()
    set_parameters("UNDERAGE", min_age=18)
    run = incremental(codes=["UNDERAGE", "MISSING_PHOTOS"])
    assert run.watermark["rules"]["UNDERAGE"]["mode"] == "full"
    assert run.watermark["rules"]["MISSING_PHOTOS"]["mode"] == "incremental"
    assert len(open_subjects("UNDERAGE")) == 1


def test_without_an_earlier_run_an_incremental_run_is_a_full_one():
    RegistrationFactory(population_check=PopulationCheck.MISMATCH)
    run = incremental()
    assert modes(run) == {"full"}
    assert len(open_subjects("POPULATION_MISMATCH")) == 1


def test_a_full_run_is_due_after_checks_full_every_days(settings):
    settings.CHECKS_FULL_EVERY_DAYS = 0
    full()
    assert modes(incremental()) == {"full"}


# --- the property: incremental and full runs give the same flags on random data ----------------------


def _random_state(rng: random.Random, size: int):
    """Registrations and activations with deliberate collisions of documents, portraits, points and
    times, ICCIDs; points of every kind, with hours, authorisation windows and a suspension."""
    points = [PointFactory() for _ in range(6)]
    points[0].kind = PointKind.OPERATOR_FIXED
    points[0].save()
    points[1].authorised_until = dt.date(2026, 11, 18)
    points[1].save()
    points[2].opens_at, points[2].closes_at = dt.time(9, 0), dt.time(17, 0)
    points[2].save()
    StatusChange.objects.create(point=points[3], changed_at=local(17, 0), to_status=Status.SUSPENDED, reason="-")
    StatusChange.objects.create(point=points[3], changed_at=local(17, 12), to_status=Status.ACTIVE, reason="-")
    documents = [(dt.date(1980 + n % 30, 1 + n % 12, 1 + n % 27), "MF"[n % 2], n) for n in range(size // 5)]
    names = ["Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"]
    portraits = [hashlib.sha256(f"p{n}".encode()).digest() for n in range(size // 4)]
    return points, documents, names, portraits


def _registration(rng, points, documents, names, portraits, n):
    dob, gender, doc = rng.choice(documents)
    app = rng.random() < 0.1
    point = None if app else rng.choice(points)
    base = T0 - dt.timedelta(hours=rng.uniform(0, 72))
    at = local(17, 10) + dt.timedelta(minutes=rng.uniform(0, 60)) if rng.random() < 0.2 else base
    return RegistrationFactory.build(
        external_id=f"X{n:07d}",
        iccid=iccid_for(9_000_000 + rng.randrange(int(len(documents) * 4))),
        channel="APP" if app else "POINT",
        point=point,
        agent=point.agent if point else None,
        subscriber_name=rng.choice(names) if rng.random() < 0.97 else "",
        date_of_birth=dob if rng.random() < 0.95 else dt.date(2015, 2, 3),
        gender=gender,
        id_doc_number=cccd_for(dob, gender, doc) if rng.random() < 0.97 else "12",
        registered_at=at,
        has_portrait=rng.random() < 0.97,
        portrait_sha256=rng.choice(portraits),
        population_check=rng.choice(list(PopulationCheck.values)),
        status=RegistrationStatus.CANCELLED if rng.random() < 0.05 else RegistrationStatus.ACTIVE,
    )


def _activation(rng, documents, n):
    return Activation(
        iccid=iccid_for(9_000_000 + rng.randrange(int(len(documents) * 4))),
        msisdn=f"+8490{n:07d}",
        activated_at=T0 - dt.timedelta(hours=rng.uniform(-2, 80)),
    )


def _changes(rng, state, size):
    points, documents, names, portraits = state
    new = [_registration(rng, *state, size + n) for n in range(size // 10)]
    Registration.objects.bulk_create(new)
    ids = list(Registration.objects.values_list("pk", flat=True))
    for pk in rng.sample(ids, size // 10):
        change = rng.randrange(7)
        rows = Registration.objects.filter(pk=pk)
        if change == 0:
            dob, gender, doc = rng.choice(documents)
            r = rows.get()
            r.date_of_birth, r.gender, r.id_doc_number = dob, gender, cccd_for(dob, gender, doc)
            fresh = RegistrationFactory.build(
                date_of_birth=dob, gender=gender, id_doc_number=r.id_doc_number, id_doc_type=r.id_doc_type
            )
            r.id_doc_hash, r.id_number_issue, r.id_dob_issue = (
                fresh.id_doc_hash,
                fresh.id_number_issue,
                fresh.id_dob_issue,
            )
            r.subscriber_name = rng.choice(names)
            r.save()
        elif change == 1:
            rows.update(portrait_sha256=rng.choice(portraits))
        elif change == 2:
            point = rng.choice(points)
            rows.update(channel="POINT", point=point, agent=point.agent)
        elif change == 3:
            rows.update(registered_at=local(17, 10) + dt.timedelta(minutes=rng.uniform(0, 60)))
        elif change == 4:
            rows.update(status=RegistrationStatus.CANCELLED)
        elif change == 5:
            registration_anonymise(registrations=rows, actor=None, reason="test")
        else:
            rows.update(population_check=rng.choice(list(PopulationCheck.values)))
    known = set(Activation.objects.values_list("iccid", flat=True))
    fresh = [a for a in (_activation(rng, documents, size + n) for n in range(size // 10)) if a.iccid not in known]
    Activation.objects.bulk_create({a.iccid: a for a in fresh}.values())
    for pk in rng.sample(list(Activation.objects.values_list("pk", flat=True)), 10):
        Activation.objects.filter(pk=pk).update(activated_at=T0 - dt.timedelta(hours=rng.uniform(0, 80)))
    points[2].closes_at = dt.time(18, 0)
    points[2].save()


@pytest.mark.parametrize("seed", [1, 2, 3, 4])
def test_incremental_and_full_runs_give_the_same_flags_on_random_data(seed):
    # given: random data judged in full, then random changes
    rng = random.Random(seed)
    size = 1500
    set_parameters("REGISTRATION_BURST", max_in_window=4, window_minutes=10)
    state = _random_state(rng, size)
    Registration.objects.bulk_create([_registration(rng, *state, n) for n in range(size)])
    Activation.objects.bulk_create(
        {a.iccid: a for a in (_activation(rng, state[1], n) for n in range(size // 2))}.values()
    )
    full()
    assert len(flags()) > 100
    _changes(rng, state, size)
    later = T0 + dt.timedelta(hours=30)

    # when: the incremental run, and a full run on the same state instead
    point = transaction.savepoint()
    run = incremental(later)
    assert run.status == CheckRun.Status.DONE
    assert modes(run) == {"incremental"}
    after_incremental = flags()
    transaction.savepoint_rollback(point)
    full(later)

    # then
    assert after_incremental == flags()
    assert len({status for _, _, status in after_incremental}) == 2  # some OPEN, some RESOLVED


def test_former_keys_are_forgotten_once_every_rule_has_run_past_them():
    r = RegistrationFactory()
    full()
    Registration.objects.filter(pk=r.pk).update(portrait_sha256=None)
    assert KeyChange.objects.count() == 1
    incremental(codes=["REUSED_PORTRAIT"])
    assert KeyChange.objects.count() == 1  # the other rules still start before it
    incremental()
    assert KeyChange.objects.count() == 0
