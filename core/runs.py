"""One engine for long jobs (DESIGN sections 6 and 8): check runs, imports and the nightly chain.

A long job is a row of a run model (CheckRun, ImportJob, NightlyRun) whose status is RUNNING while a
process works on it, with a sign of life (a heartbeat) that moves as it makes progress, so a page can
show the progress and the next run can tell a live run from one whose process died (a killed process
marks nothing). A `RunKind` describes one such model; the mechanics are here, once:

- one run of a kind at a time: `with kind.exclusive() as claim: run = claim(start)`. `claim` refuses
  (`kind.busy_error`, a `RunBusy`) while another run is alive, marks the abandoned RUNNING rows FAILED
  with a reason (or hands them to the caller's `abandon`), then calls `start(now)` to create or reuse
  the caller's row: all in one transaction;
- one run per row (an import job: many may run side by side, each at most once):
  `kind.take(pk, from_statuses=...)`, one conditional UPDATE that also takes over an abandoned row, so
  a task delivered twice runs once at a time and a failed job resumes;
- a sign of life with progress: `kind.heartbeat(run, fields=[...])` (or `values={...}` for a row
  written by UPDATE inside a batch's transaction);
- abandoned or alive: `kind.is_stale(run)`, and as querysets `kind.stale_filter()`, `kind.live_filter()`.

A run is abandoned when it is RUNNING and its last sign of life is older than `kind.stale_after`. A
RUNNING row that never had a heartbeat is neither abandoned nor alive to these filters (the models set
it when a run starts).

How two runs are kept apart is decided here and nowhere else (`_database_lock`): on PostgreSQL a
session advisory lock on `kind.lock_key`, held by this connection for the whole run (the database drops
it when the process dies, so any RUNNING row found while holding it was abandoned); on SQLite (one
writer at a time, `transaction_mode` IMMEDIATE) the RUNNING rows themselves, judged by their heartbeat.
Tests hold the PostgreSQL lock from another connection to prove a run is refused. A change of lock
semantics (the planned hardening) is made in `_database_lock` and `_Claim`, not in the apps.
"""

import threading
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

RUNNING, FAILED = "RUNNING", "FAILED"


class RunBusy(RuntimeError):
    """Another run of the same kind is in progress; nothing was written."""


@dataclass(frozen=True)
class RunKind:
    """A run model and how its runs behave: status values, lock key, when a silent run is abandoned."""

    model: type[models.Model]
    stale_after: timedelta
    # pg_try_advisory_lock key; None for kinds that are only taken row by row (`take`)
    lock_key: int | None = None
    running: str = RUNNING
    failed: str = FAILED
    heartbeat_field: str | None = "heartbeat_at"
    # the last sign of life of a model without a heartbeat column (None: the heartbeat column)
    last_alive: Callable[[Any], datetime | None] | None = None
    busy_error: type[RunBusy] = RunBusy
    # the message of busy_error (shown to users: translated), given the newest RUNNING row (or None)
    busy_message: Callable[[Any], str] | None = None
    abandoned_reason: str = _("Abandoned: the process running it stopped.")

    def __post_init__(self):
        if self.lock_key is not None and self.busy_message is None:
            raise TypeError("A kind with a lock says who holds it: give busy_message.")

    # --- alive or abandoned -----------------------------------------------------------------------

    def is_stale(self, run, *, now: datetime | None = None) -> bool:
        """RUNNING without a sign of life for `stale_after`: its process died."""
        if run.status != self.running:
            return False
        alive = self.last_alive(run) if self.last_alive is not None else getattr(run, self.heartbeat_field)
        return alive is not None and alive < (now or timezone.now()) - self.stale_after

    def stale_filter(self, now: datetime | None = None) -> models.Q:
        """`is_stale` as a filter (kinds with a heartbeat column only)."""
        return models.Q(status=self.running, **{f"{self._heartbeat()}__lt": (now or timezone.now()) - self.stale_after})

    def live_filter(self, now: datetime | None = None) -> models.Q:
        """RUNNING with a recent sign of life (kinds with a heartbeat column only)."""
        return models.Q(
            status=self.running, **{f"{self._heartbeat()}__gte": (now or timezone.now()) - self.stale_after}
        )

    def busy(self) -> RunBusy:
        """The exception that refuses a run while another is in progress, naming that one."""
        running = self.model.objects.filter(status=self.running).order_by("-started_at").first()
        return self.busy_error(str(self.busy_message(running)) if self.busy_message is not None else "")

    # --- a sign of life ---------------------------------------------------------------------------

    def heartbeat(self, run, *, fields: Iterable[str] = (), values: dict | None = None) -> dict:
        """Record progress with a fresh heartbeat; the values written, heartbeat included.

        `fields`: attributes already set on `run`, saved with it. `values`: columns written by one UPDATE
        without touching `run`; the caller sets them on `run` once its transaction commits, so the run in
        memory never counts work that rolled back.
        """
        field = self._heartbeat()
        now = timezone.now()
        if values is None:
            setattr(run, field, now)
            run.save(update_fields=[*fields, field])
            return {name: getattr(run, name) for name in (*fields, field)}
        written = {**values, field: now}
        self.model.objects.filter(pk=run.pk).update(**written)
        return written

    # --- one run at a time ------------------------------------------------------------------------

    @contextmanager
    def exclusive(self):
        """Hold this kind's lock for the block; yield `claim(start, abandon=None)`, see `_Claim`.

        Raises busy_error when another run holds it, including a run of this kind started from inside a
        run in the same thread (a PostgreSQL session may take its own advisory lock again).
        """
        held = _held()
        if self.lock_key in held:
            raise self.busy()
        held.add(self.lock_key)
        try:
            with _database_lock(self) as locked:
                yield _Claim(self, locked=locked)
        finally:
            held.discard(self.lock_key)

    def mark_failed(self, runs: Iterable, *, now: datetime, reason: str | None = None) -> int:
        """Mark `runs` (rows or ids) FAILED with `reason`: their process stopped; the count."""
        ids = [getattr(run, "pk", run) for run in runs]
        return self.model.objects.filter(pk__in=ids, status=self.running).update(
            status=self.failed, finished_at=now, error=str(reason or self.abandoned_reason)
        )

    # --- one run per row --------------------------------------------------------------------------

    def take(self, pk, *, from_statuses: Iterable[str], queryset=None, **values) -> bool:
        """Mark row `pk` RUNNING for this process, with a fresh heartbeat and `values`; False if not taken.

        Taken from one of `from_statuses`, or from RUNNING when abandoned (its process died): one
        conditional UPDATE, so of two processes taking the same row only one gets it.
        """
        now = timezone.now()
        claimable = models.Q(status__in=list(from_statuses)) | self.stale_filter(now)
        rows = (queryset if queryset is not None else self.model.objects).filter(claimable, pk=pk)
        return bool(rows.update(status=self.running, **{self._heartbeat(): now}, **values))

    def _heartbeat(self) -> str:
        if self.heartbeat_field is None:
            raise TypeError(f"{self.model.__name__} has no heartbeat column")
        return self.heartbeat_field


class _Claim:
    """`claim(start, abandon=None)`: what `exclusive` yields. In one transaction: refuse while another
    run is alive, hand the abandoned RUNNING rows to `abandon(rows, now)` (default: marked FAILED with the
    kind's reason), then return `start(now)`, which creates (or reuses) the caller's RUNNING row."""

    def __init__(self, kind: RunKind, *, locked: bool):
        self.kind, self.locked = kind, locked

    def __call__(self, start: Callable[[datetime], Any], abandon: Callable[[list, datetime], None] | None = None):
        kind = self.kind
        with transaction.atomic():
            now = timezone.now()
            running = list(kind.model.objects.select_for_update().filter(status=kind.running))
            # Holding the database lock, any RUNNING row is one whose process died; without one (SQLite,
            # whose transaction holds the write lock from BEGIN) only a silent row is.
            if not self.locked and any(not kind.is_stale(run, now=now) for run in running):
                raise kind.busy()
            if running:
                if abandon is not None:
                    abandon(running, now)
                else:
                    kind.mark_failed(running, now=now)
            return start(now)


_local = threading.local()


def _held() -> set:
    """The lock keys this thread holds."""
    if not hasattr(_local, "keys"):
        _local.keys = set()
    return _local.keys


@contextmanager
def _database_lock(kind: RunKind):
    """Yield True while this connection holds the kind's database lock; False where the database has none.

    The one place that decides how runs are kept apart (see the module docstring): a change of lock
    semantics is made here.
    """
    if connection.vendor != "postgresql" or kind.lock_key is None:
        yield False
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_lock(%s)", [kind.lock_key])
        if not cursor.fetchone()[0]:
            raise kind.busy()
    try:
        yield True
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [kind.lock_key])
