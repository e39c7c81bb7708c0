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

How two runs are kept apart is decided here and nowhere else (`_serialise`, `_KeepAlive`): by a **lease**.
The RUNNING row's heartbeat is the lease; nothing is held by a database session between statements, so
a killed process leaves nothing behind but a row whose heartbeat stops moving (a session advisory lock,
the earlier design, stayed held by the killed process's backend while its last statement ran on, and
refused every later run until someone terminated that backend by hand).

- Claims are serialised by a lock that ends with the claim's transaction: on PostgreSQL
  `pg_advisory_xact_lock(kind.lock_key)`, on SQLite the database's write lock, which an IMMEDIATE
  transaction (`transaction_mode`) takes at BEGIN. Inside it, a RUNNING row with a recent heartbeat
  refuses the claim; one silent for longer than `kind.stale_after` (its process died) is abandoned.
- While a run works, a small thread of its own (`_KeepAlive`, with its own database connection) moves
  the heartbeat every `stale_after / 4`, so a live run is never judged dead even when one statement
  runs for many minutes; the run's own heartbeats between steps carry its progress. On SQLite (one
  writer, development only) the thread would only queue behind the run's own write lock: there the
  heartbeats between steps are the lease.

`stale_after` defaults to settings.RUNS_STALE_AFTER_SECONDS (60): a page says a run stopped within a
minute of its process dying, and the next run may take over then.
"""

import logging
import threading
from collections.abc import Callable, Iterable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection, models, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

logger = logging.getLogger(__name__)

RUNNING, FAILED = "RUNNING", "FAILED"


def default_stale_after() -> timedelta:
    """How long a RUNNING row may stay silent before its run counts as abandoned (the lease)."""
    return timedelta(seconds=getattr(settings, "RUNS_STALE_AFTER_SECONDS", 60))


class RunBusy(RuntimeError):
    """Another run of the same kind is in progress; nothing was written."""


@dataclass(frozen=True)
class RunKind:
    """A run model and how its runs behave: status values, lock key, when a silent run is abandoned."""

    model: type[models.Model]
    stale_after: timedelta = field(default_factory=default_stale_after)
    # pg_advisory_xact_lock key serialising claims; None for kinds that are only taken row by row (`take`)
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
    # renew the lease of row `pk` (its process is alive); default: its heartbeat column, while RUNNING
    touch: Callable[[Any, datetime], None] | None = None

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
        """Yield `claim(start, abandon=None)` (see `_Claim`); keep the claimed run's lease until the block ends.

        Raises busy_error when another run is alive, including a run of this kind started from inside a
        run in the same thread.
        """
        held = _held()
        if self.lock_key in held:
            raise self.busy()
        held.add(self.lock_key)
        claim = _Claim(self)
        try:
            yield claim
        finally:
            held.discard(self.lock_key)
            claim.release()

    @contextmanager
    def keep_alive(self, pk):
        """Renew row `pk`'s lease from a thread of its own while the block runs (PostgreSQL; see the module
        docstring for SQLite)."""
        if connection.vendor != "postgresql":
            yield
            return
        beat = _KeepAlive(self, pk)
        beat.start()
        try:
            yield
        finally:
            beat.stop()

    def renew(self, pk, now: datetime | None = None) -> None:
        """Move row `pk`'s heartbeat while it is RUNNING (never a finished row's)."""
        now = now or timezone.now()
        if self.touch is not None:
            self.touch(pk, now)
        else:
            self.model.objects.filter(pk=pk, status=self.running).update(**{self._heartbeat(): now})

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
    """`claim(start, abandon=None)`: what `exclusive` yields. In one transaction serialised with every other
    claim of the kind: refuse while another run is alive (a recent heartbeat), hand the abandoned RUNNING
    rows to `abandon(rows, now)` (default: marked FAILED with the kind's reason), then return `start(now)`,
    which creates (or reuses) the caller's RUNNING row (or a tuple whose first item is that row). The row's
    lease is then kept alive until `exclusive`'s block ends."""

    def __init__(self, kind: RunKind):
        self.kind = kind
        self._keep_alive = None

    def __call__(self, start: Callable[[datetime], Any], abandon: Callable[[list, datetime], None] | None = None):
        kind = self.kind
        with transaction.atomic():
            _serialise(kind)
            now = timezone.now()
            running = list(kind.model.objects.select_for_update().filter(status=kind.running))
            if any(not kind.is_stale(run, now=now) for run in running):
                raise kind.busy()
            if running:
                if abandon is not None:
                    abandon(running, now)
                else:
                    kind.mark_failed(running, now=now)
            result = start(now)
        run = result[0] if isinstance(result, tuple) else result
        self._keep_alive = kind.keep_alive(run.pk)
        self._keep_alive.__enter__()
        return result

    def release(self) -> None:
        if self._keep_alive is not None:
            self._keep_alive.__exit__(None, None, None)
            self._keep_alive = None


def _serialise(kind: RunKind) -> None:
    """Within the caller's transaction, wait for any other claim of this kind to commit; released at its end.

    PostgreSQL: a transaction-level advisory lock (it dies with the transaction, and so with its session).
    SQLite: nothing to do, an IMMEDIATE transaction holds the database's write lock from BEGIN.
    """
    if connection.vendor == "postgresql" and kind.lock_key is not None:
        with connection.cursor() as cursor:
            # another claim holds it for milliseconds; never wait on it (or a row lock) for long
            cursor.execute("SELECT set_config('lock_timeout', '10s', true)")
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [kind.lock_key])


class _KeepAlive(threading.Thread):
    """Renews one run's lease every `stale_after / 4` on a connection of its own, until stopped.

    The process being alive is what it proves; a killed process stops it with everything else. A failed
    renewal (the database away for a moment) is logged and tried again at the next tick.
    """

    def __init__(self, kind: RunKind, pk):
        super().__init__(name=f"keep-alive {kind.model.__name__} {pk}", daemon=True)
        self.kind, self.pk = kind, pk
        self.interval = max(kind.stale_after.total_seconds() / 4, 0.5)
        self._stopped = threading.Event()

    def run(self) -> None:
        from django.db import connection as own  # this thread's connection, not the run's

        try:
            while not self._stopped.wait(self.interval):
                try:
                    self.kind.renew(self.pk)
                except Exception:
                    name = self.kind.model.__name__
                    logger.warning("Could not renew the lease of %s %s", name, self.pk, exc_info=True)
                    own.close()
        finally:
            own.close()

    def stop(self) -> None:
        self._stopped.set()
        self.join(timeout=10)


_local = threading.local()


def _held() -> set:
    """The lock keys this thread holds."""
    if not hasattr(_local, "keys"):
        _local.keys = set()
    return _local.keys


# --- queueing a run ---------------------------------------------------------------------------------


class QueueUnavailable(RuntimeError):
    """The task queue (the broker) could not take the task: nothing was queued. Pages say so in words."""


def send_task(task, *, args: tuple = (), kwargs: dict | None = None):
    """`task.apply_async(args, kwargs)`, raising QueueUnavailable when the broker cannot be reached.

    `task` may be the registered task's name: a service then queues its task without importing the task
    module, which imports the service (no import cycle).

    The broker's connect timeouts and publish retries are short (settings: CELERY_BROKER_*), so with the
    broker down this answers within about two seconds rather than hanging a request.
    """
    from celery import current_app
    from kombu.exceptions import OperationalError

    if isinstance(task, str):
        if task not in current_app.tasks:  # a web process imports the apps' task modules on first need
            current_app.loader.import_default_modules()
        task = current_app.tasks[task]
    try:
        return task.apply_async(args=args, kwargs=kwargs or {})
    except (OperationalError, ConnectionError, TimeoutError, OSError) as exc:
        logger.warning("Could not queue %s: %s", task.name, exc)
        raise QueueUnavailable(str(exc)) from exc
    except Exception as exc:
        # redis-py's ConnectionError (the Redis result backend) is not an OSError, and the result backend
        # gives up with a RuntimeError caused by one
        cause = exc.__cause__ or exc.__context__
        if any(type(e).__module__.startswith(("redis", "kombu", "amqp")) for e in (exc, cause) if e is not None):
            logger.warning("Could not queue %s: %s", task.name, exc)
            raise QueueUnavailable(str(exc)) from exc
        raise


def queue_unavailable_message() -> str:
    """What a page says when the broker is down (translated)."""
    from django.utils.translation import gettext

    return gettext(
        "The job queue is not reachable right now, so nothing was started. Try again in a minute; "
        "if it lasts, ask the administrator to check Redis and the worker."
    )


def queue_lost_after() -> timedelta:
    """How long a job may wait for a worker before its message counts as lost and is sent again."""
    return timedelta(seconds=getattr(settings, "RUNS_QUEUE_LOST_AFTER_SECONDS", 300))


def requeue_key(source: str, key) -> str:
    """The cache key that marks a job as sent again within the current period."""
    return f"requeued:{source.replace(' ', '-')}:{key}"


def requeue_waiting(*, now: datetime | None = None) -> dict[str, int]:
    """Send again the task of every job that has waited longer than `queue_lost_after()` (the registered
    sources, core.registry.QUEUE_SWEEPS); {source: jobs sent again}.

    A job is sent again at most once per `queue_lost_after()` (a cache key per job), so a worker that is
    only busy, not gone, finds one extra message per job, which its claim turns into nothing.
    """
    from django.core.cache import cache

    from .registry import QUEUE_SWEEPS

    now = now or timezone.now()
    lost_after = queue_lost_after()
    sent: dict[str, int] = {}
    for name, source in QUEUE_SWEEPS.items():
        sent[name] = 0
        for key, send in source(waiting_since=now - lost_after):
            if not cache.add(requeue_key(name, key), 1, timeout=lost_after.total_seconds()):
                continue
            try:
                send()
            except QueueUnavailable:
                cache.delete(requeue_key(name, key))
                logger.warning("The queue is still unreachable: %s jobs not sent again", name)
                break
            sent[name] += 1
    if any(sent.values()):
        logger.warning("Jobs waiting longer than %s sent again: %s", lost_after, sent)
    return sent
