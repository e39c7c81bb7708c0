"""core.runs, the engine of long jobs: one run at a time (busy refused, abandoned runs taken over and marked
FAILED with a reason), one run per row, and a heartbeat that moves. On a real run model (CheckRun,
ImportJob), on SQLite and PostgreSQL."""

import datetime as dt

import pytest
from django.db import connection
from django.utils import timezone

from core.models import ImportJob
from core.runs import RunBusy, RunKind
from registrations.models import CheckRun

pytestmark = pytest.mark.django_db

POSTGRES = connection.vendor == "postgresql"
STALE_AFTER = dt.timedelta(minutes=10)


class Busy(RunBusy):
    """The busy error of the kind under test."""


# A key of its own ("SAWT"), so these tests never meet a real check run's lock.
RUNS = RunKind(
    model=CheckRun,
    stale_after=STALE_AFTER,
    lock_key=0x53_41_57_54,
    busy_error=Busy,
    busy_message=lambda running: f"run {running.pk if running else '-'} is in progress",
    abandoned_reason="Abandoned in a test.",
)
JOBS = RunKind(model=ImportJob, stale_after=STALE_AFTER)


def start(now: dt.datetime) -> CheckRun:
    return CheckRun.objects.create(trigger=CheckRun.Trigger.COMMAND, started_at=now, heartbeat_at=now)


def running_row(*, silent_for: dt.timedelta = dt.timedelta(0)) -> CheckRun:
    """A RUNNING row whose last heartbeat was `silent_for` ago (as another process leaves it)."""
    return start(timezone.now() - silent_for)


def other_connection():
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


# --- one run at a time ------------------------------------------------------------------------------


def test_a_run_is_claimed_when_none_is_in_progress():
    # when
    with RUNS.exclusive() as claim:
        run = claim(start)
    # then
    assert run.status == CheckRun.Status.RUNNING
    assert run.heartbeat_at is not None
    assert CheckRun.objects.count() == 1


def test_a_second_run_in_the_same_thread_is_refused_with_the_kinds_error():
    # given a run in progress in this thread
    with RUNS.exclusive() as claim:
        run = claim(start)
        # when / then
        with pytest.raises(Busy, match=f"run {run.pk} is in progress"), RUNS.exclusive():
            pass
    # and the lock is free again once the block ends
    with RUNS.exclusive():
        pass


def test_the_busy_error_is_a_runtime_error_for_existing_except_clauses():
    assert issubclass(Busy, RunBusy)
    assert issubclass(RunBusy, RuntimeError)


def test_kinds_do_not_block_each_other():
    # given a run of one kind in progress
    other_kind = RunKind(model=CheckRun, stale_after=STALE_AFTER, lock_key=0x53_41_57_55, busy_message=str)
    # when / then: a run of another kind inside it (the nightly chain runs the checks) is not refused
    with RUNS.exclusive(), other_kind.exclusive():
        pass


def test_a_running_row_with_a_recent_heartbeat_refuses_a_claim():
    # given another process's run, alive: its lease (the heartbeat) is recent
    alive = running_row(silent_for=dt.timedelta(minutes=1))
    # when / then
    with pytest.raises(Busy, match=f"run {alive.pk}"), RUNS.exclusive() as claim:
        claim(start)
    alive.refresh_from_db()
    assert alive.status == CheckRun.Status.RUNNING
    assert CheckRun.objects.count() == 1


# this database's only: other databases on the same server have runs of their own
ADVISORY_LOCKS_HERE = (
    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
    "AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
)


def _advisory_locks(other) -> int:
    return other.execute(ADVISORY_LOCKS_HERE).fetchone()[0]


@pytest.mark.skipif(not POSTGRES, reason="PostgreSQL advisory lock")
@pytest.mark.django_db(transaction=True)
def test_postgres_claims_wait_for_each_other_and_the_lock_ends_with_the_transaction():
    import threading
    import time

    # given another connection in the middle of a claim: its transaction holds the kind's lock
    with other_connection() as other:
        other.autocommit = False
        other.execute("SELECT pg_advisory_xact_lock(%s)", [RUNS.lock_key])
        threading.Timer(1.0, other.commit).start()
        started = time.monotonic()
        # when
        with RUNS.exclusive() as claim:
            run = claim(start)
            waited = time.monotonic() - started
            # then this claim waited for that one, and once committed holds no advisory lock at all
            other.autocommit = True
            assert _advisory_locks(other) == 0
    assert waited >= 0.8
    assert run.status == CheckRun.Status.RUNNING


@pytest.mark.skipif(not POSTGRES, reason="the lease thread runs on PostgreSQL")
@pytest.mark.django_db(transaction=True)
def test_postgres_a_thread_renews_the_lease_while_the_run_works_and_stops_with_it():
    import threading
    import time

    kind = RunKind(model=CheckRun, stale_after=dt.timedelta(seconds=2), lock_key=0x53_41_57_56, busy_message=str)
    # given a run whose own code is busy in one long statement (no heartbeat of its own)
    with kind.exclusive() as claim:
        run = claim(start)
        first = run.heartbeat_at
        time.sleep(1.6)
        # then its lease moved all the same, and it is never judged abandoned
        run.refresh_from_db()
        assert run.heartbeat_at > first
        assert not kind.is_stale(run)
    # and the thread ended with the run
    assert not [t for t in threading.enumerate() if t.name == f"keep-alive CheckRun {run.pk}"]


# --- abandoned runs -----------------------------------------------------------------------------------


def test_a_stale_run_is_taken_over_and_marked_failed_with_the_reason():
    # given a run whose process died: RUNNING, silent for longer than stale_after
    dead = running_row(silent_for=STALE_AFTER + dt.timedelta(minutes=1))
    # when
    with RUNS.exclusive() as claim:
        run = claim(start)
    # then
    dead.refresh_from_db()
    assert dead.status == CheckRun.Status.FAILED
    assert dead.error == "Abandoned in a test."
    assert dead.finished_at is not None
    assert run.pk != dead.pk
    assert run.status == CheckRun.Status.RUNNING


def test_a_run_is_abandoned_once_silent_past_the_lease_not_before():
    # given one run silent just inside its lease and, after it, one just past it
    inside = running_row(silent_for=STALE_AFTER - dt.timedelta(seconds=5))
    # when / then: inside the lease it refuses (on PostgreSQL too: no lock decides, the lease does)
    with pytest.raises(Busy), RUNS.exclusive() as claim:
        claim(start)
    CheckRun.objects.filter(pk=inside.pk).update(heartbeat_at=timezone.now() - STALE_AFTER - dt.timedelta(seconds=5))
    with RUNS.exclusive() as claim:
        claim(start)
    inside.refresh_from_db()
    assert inside.status == CheckRun.Status.FAILED
    assert inside.error == "Abandoned in a test."


def test_the_caller_may_handle_the_abandoned_rows_itself():
    # given
    dead = running_row(silent_for=STALE_AFTER * 2)
    handed = []
    # when
    with RUNS.exclusive() as claim:
        claim(start, abandon=lambda rows, now: handed.extend(rows))
    # then: handed over, not marked by the engine
    assert [row.pk for row in handed] == [dead.pk]
    dead.refresh_from_db()
    assert dead.status == CheckRun.Status.RUNNING


def test_stale_and_live_agree_in_python_and_in_the_database():
    # given
    now = timezone.now()
    live = running_row(silent_for=dt.timedelta(minutes=1))
    stale = running_row(silent_for=STALE_AFTER + dt.timedelta(minutes=1))
    never = CheckRun.objects.create(trigger=CheckRun.Trigger.COMMAND, started_at=now, heartbeat_at=None)
    done = CheckRun.objects.create(
        trigger=CheckRun.Trigger.COMMAND,
        started_at=now,
        heartbeat_at=now - STALE_AFTER * 2,
        status=CheckRun.Status.DONE,
    )
    # then
    assert [run.pk for run in (live, stale, never, done) if RUNS.is_stale(run)] == [stale.pk]
    assert set(CheckRun.objects.filter(RUNS.stale_filter()).values_list("pk", flat=True)) == {stale.pk}
    assert set(CheckRun.objects.filter(RUNS.live_filter()).values_list("pk", flat=True)) == {live.pk}


def test_a_kind_without_a_heartbeat_column_judges_by_its_last_sign_of_life():
    # given a kind whose sign of life is computed (as the nightly chain's steps)
    kind = RunKind(model=CheckRun, stale_after=STALE_AFTER, heartbeat_field=None, last_alive=lambda run: run.started_at)
    old = CheckRun.objects.create(trigger=CheckRun.Trigger.COMMAND, started_at=timezone.now() - STALE_AFTER * 2)
    # then
    assert kind.is_stale(old)
    with pytest.raises(TypeError):
        kind.stale_filter()


# --- heartbeat and progress ---------------------------------------------------------------------------


def test_a_heartbeat_moves_and_saves_the_progress_with_it():
    # given a run silent for a minute, with progress in memory
    run = running_row(silent_for=dt.timedelta(minutes=1))
    before = run.heartbeat_at
    run.rows_scanned = 42
    # when
    RUNS.heartbeat(run, fields=["rows_scanned"])
    # then
    run.refresh_from_db()
    assert run.heartbeat_at > before
    assert run.rows_scanned == 42


def test_a_heartbeat_by_values_writes_the_row_and_leaves_the_object_to_the_caller():
    # given
    job = ImportJob.objects.create(kind="registrations", file_name="r.csv", status=ImportJob.Status.RUNNING)
    # when
    written = JOBS.heartbeat(job, values={"processed_rows": 10})
    # then
    assert job.processed_rows == 0
    assert job.heartbeat_at is None
    job.refresh_from_db()
    assert job.processed_rows == 10
    assert job.heartbeat_at == written["heartbeat_at"]


# --- one run per row ----------------------------------------------------------------------------------


def test_a_row_is_taken_once_until_its_heartbeat_goes_stale():
    # given a pending job
    job = ImportJob.objects.create(kind="registrations", file_name="r.csv")
    pending = [ImportJob.Status.PENDING, ImportJob.Status.FAILED]
    # when / then: the first take has it, a second (a task delivered twice) does not
    assert JOBS.take(job.pk, from_statuses=pending, error="")
    assert not JOBS.take(job.pk, from_statuses=pending)
    job.refresh_from_db()
    assert job.status == ImportJob.Status.RUNNING
    assert job.heartbeat_at is not None
    # when its worker died (no heartbeat for longer than stale_after), then it is taken over
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=job.heartbeat_at - STALE_AFTER * 2)
    assert JOBS.take(job.pk, from_statuses=pending)
    job.refresh_from_db()
    assert timezone.now() - job.heartbeat_at < STALE_AFTER


def test_a_row_in_another_status_is_not_taken():
    job = ImportJob.objects.create(kind="registrations", file_name="r.csv", status=ImportJob.Status.DONE)
    assert not JOBS.take(job.pk, from_statuses=[ImportJob.Status.PENDING, ImportJob.Status.FAILED])
