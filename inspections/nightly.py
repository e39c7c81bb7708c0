"""The nightly chain (DESIGN section 6): checks -> risk -> schedule -> escalate -> digest, one NightlyRun per night.

Each step runs in its own try/except (and, when it writes, its own transaction): a failed step is
recorded with its error and time, and the later steps still run on what is there; the run ends FAILED
if any step failed, DONE otherwise. The row's `steps` is saved after each step, so a page shows the
progress. Every step is idempotent, so running the same night again (a retry from the page or the
command) reuses its row, counts the attempt and runs every step again; the digest then mails only the
people the earlier attempts did not reach.

Two nightly runs never overlap: `NIGHTLY_RUNS`, a kind of the long-job engine (core.runs), keeps them
apart by a lease. NightlyRun has no heartbeat column: its steps carry the time of the last progress
(`last_progress`), and on PostgreSQL a thread of the run's own renews it every STALE_AFTER / 4 (`_touch`,
a `lease` entry beside the steps) while a step works. A row without a sign of life for STALE_AFTER (a
minute) belongs to a process that died: its page says so and the next run takes it over.
"""

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from django.db import connection, transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from core.audit import audit_head, audit_record
from core.models import User
from core.registry import NIGHTLY_STEPS
from core.runs import RunBusy, RunKind
from core.templatetags.display import day, when
from registrations.models import CheckRun

from .models import NightlyRun

logger = logging.getLogger(__name__)

BASE_STEPS = ("checks", "risk", "schedule", "escalate")


def all_steps() -> tuple[str, ...]:
    """The chain's steps in order: this app's, then those higher apps register (core.registry.NIGHTLY_STEPS:
    last month's report, retention), then the digest, which tells people about all of them."""
    return (*BASE_STEPS, *(step.name for step in NIGHTLY_STEPS), "digest")


def step_label(name: str):
    labels = {step.name: step.label for step in NIGHTLY_STEPS}
    return labels.get(name, name)


def step_describer(name: str):
    """The registered step's `describe` (its summary in words), or None."""
    return next((step.describe for step in NIGHTLY_STEPS if step.name == name), None)


PENDING, RUNNING, DONE, FAILED = "pending", "running", "done", "failed"


class NightlyRunBusy(RunBusy):
    """Another nightly run is in progress."""


class StepFailed(Exception):
    """A step that ran but did not succeed; keeps what it did (`summary`)."""

    def __init__(self, message: str, summary: dict | None = None):
        super().__init__(message)
        self.summary = summary or {}


@dataclass
class Context:
    run: NightlyRun
    now: datetime
    trigger: str
    actor: User | None
    previous: dict  # the steps as the previous attempt of this night left them

    def beat(self, step: str) -> None:
        """Record progress within a long step (the checks call it after each rule)."""
        self.run.steps[step]["heartbeat_at"] = timezone.now().isoformat()
        NightlyRun.objects.filter(pk=self.run.pk).update(steps=self.run.steps)


# --- the steps ------------------------------------------------------------------------------------


def _checks(ctx: Context) -> dict:
    from registrations.checks.runner import CheckRunBusy, run_checks

    try:
        check_run = run_checks(
            trigger=ctx.trigger,
            actor=ctx.actor,
            now=ctx.now,
            progress=lambda _run: ctx.beat("checks"),
            # what changed since the last run, each rule in full once a week (CHECKS_FULL_EVERY_DAYS); the run's
            # watermark waits for the imports in flight (registrations.checks.incremental.watermark)
            incremental=True,
        )
    except CheckRunBusy as exc:
        raise StepFailed(str(exc)) from exc
    results = (check_run.results or {}).values()
    summary = {
        "check_run": check_run.pk,
        "status": check_run.status,
        "rules": len(check_run.rule_codes or []),
        **{key: sum(r.get(key) or 0 for r in results) for key in ("flagged", "new", "reopened", "resolved")},
    }
    if check_run.status != CheckRun.Status.DONE:
        raise StepFailed(check_run.error or _("The check run failed."), summary)
    return summary


def _risk(ctx: Context) -> dict:
    from .risk import rescore

    with transaction.atomic():
        return rescore(now=ctx.now, actor=ctx.actor)


def _schedule(ctx: Context) -> dict:
    from .scheduling import schedule_inspections

    with transaction.atomic():
        return schedule_inspections(today=timezone.localdate(ctx.now))


def _escalate(ctx: Context) -> dict:
    from .escalation import escalate

    with transaction.atomic():
        return escalate(now=ctx.now)


def _digest(ctx: Context) -> dict:
    # No transaction around it: it only reads, and mailing is not undone by a rollback.
    from .digest import send_digest

    already = list(((ctx.previous.get("digest") or {}).get("summary") or {}).get("sent_to") or [])
    summary = send_digest(now=ctx.now, exclude_user_ids=already)
    summary["sent_to"] = already + summary["sent_to"]
    summary["already_sent"] = len(already)
    if summary["failed"]:
        raise StepFailed(
            _("The digest could not be sent to %(n)d user(s).") % {"n": summary["failed"]},
            summary,
        )
    return summary


def _registered(name: str) -> Callable[[Context], dict]:
    def run(ctx: Context) -> dict:
        step = next(s for s in NIGHTLY_STEPS if s.name == name)
        return step.run(now=ctx.now, actor=ctx.actor)

    return run


STEP_FUNCTIONS: dict[str, Callable[[Context], dict]] = {
    "checks": _checks,
    "risk": _risk,
    "schedule": _schedule,
    "escalate": _escalate,
    "digest": _digest,
}


# --- the run --------------------------------------------------------------------------------------


def run_nightly(
    *,
    night: date | None = None,
    trigger: str = CheckRun.Trigger.SCHEDULE,
    actor: User | None = None,
    now: datetime | None = None,
    progress: Callable[[NightlyRun], None] | None = None,
) -> NightlyRun:
    """Run the chain for `night` (default: today's local date); the finished NightlyRun.

    `trigger` and `actor` are recorded on the check run (and the audit trail); `now` is the instant the
    steps judge against (default: when the run starts). Raises NightlyRunBusy when another nightly run
    is in progress (nothing is written then). `progress(run)` is called after each step.
    """
    now = now or timezone.now()
    night = night or timezone.localdate(now)
    with NIGHTLY_RUNS.exclusive() as claim:
        run, previous = claim(lambda now: _start(night, now), abandon=lambda runs, now: _abandon(runs, night))
        ctx = Context(run=run, now=now, trigger=trigger, actor=actor, previous=previous)
        try:
            for step in all_steps():
                _run_step(ctx, step)
                if progress is not None:
                    progress(run)
        except BaseException as exc:  # KeyboardInterrupt too: do not leave it RUNNING until it goes stale
            _finish(run, actor, error=f"{type(exc).__name__}: {exc}")
            raise
        _finish(run, actor)
    return run


def _run_step(ctx: Context, step: str) -> None:
    run = ctx.run
    started = time.monotonic()
    run.steps[step] = {"status": RUNNING, "started_at": timezone.now().isoformat()}
    _save(run)
    try:
        summary = STEP_FUNCTIONS.get(step, _registered(step))(ctx)
        outcome = {"status": DONE, "summary": summary}
    except Exception as exc:
        logger.exception("Nightly run %s: step %s failed", run.night, step)
        outcome = {
            "status": FAILED,
            "summary": getattr(exc, "summary", {}),
            "error": (str(exc) if isinstance(exc, StepFailed) else f"{type(exc).__name__}: {exc}")[:2000],
        }
    run.steps[step] = {
        **outcome,
        "started_at": run.steps[step]["started_at"],
        "finished_at": timezone.now().isoformat(),
        "seconds": round(time.monotonic() - started, 3),
    }
    _save(run)


def _save(run: NightlyRun) -> None:
    run.save(update_fields=["steps"])


def _finish(run: NightlyRun, actor: User | None, error: str = "") -> None:
    failed = [step for step in all_steps() if (run.steps.get(step) or {}).get("status") != DONE]
    run.status = NightlyRun.Status.FAILED if failed or error else NightlyRun.Status.DONE
    run.finished_at = timezone.now()
    for step in all_steps():  # interrupted: whatever had not finished did not run
        if (run.steps.get(step) or {}).get("status") in (PENDING, RUNNING):
            run.steps[step] = {**run.steps[step], "status": FAILED, "error": error or _("Not run.")}
    try:
        # the audit chain's head as the night ends, kept on this record too (verify_audit checks it)
        run.audit_head = audit_head()
        run.save(update_fields=["status", "finished_at", "steps", "audit_head"])
        audit_record(
            action="nightly.run",
            actor=actor,
            obj=run,
            fields={
                "night": run.night,
                "attempt": run.attempts,
                "status": run.status,
                "steps": {step: (run.steps.get(step) or {}).get("status") for step in all_steps()},
            },
            reason=error,
        )
    except Exception:  # the database itself may be what failed; the row then goes stale and is taken over
        logger.exception("Could not record the end of nightly run %s", run.night)


def last_progress(run: NightlyRun) -> datetime:
    """When the run last showed a sign of life: its start, or any step's start, end or heartbeat, or its lease."""
    moments = [run.started_at]
    for outcome in (run.steps or {}).values():
        for key in ("started_at", "finished_at", "heartbeat_at"):
            value = parse_datetime(outcome.get(key) or "") if isinstance(outcome, dict) else None
            if value is not None:
                moments.append(value)
    return max(moments)


def is_stale(run: NightlyRun) -> bool:
    return NIGHTLY_RUNS.is_stale(run)


# --- one run at a time ----------------------------------------------------------------------------


def _busy_message(running: NightlyRun | None) -> str:
    if running is None:
        return _("Another nightly run is in progress.")
    return _("The nightly run of %(night)s (started %(at)s) is in progress.") % {
        "night": day(running.night),
        "at": when(running.started_at, "s"),
    }


def _touch(pk, now: datetime) -> None:
    """Renew a RUNNING run's lease: one `lease` entry in its steps (PostgreSQL only: core.runs keeps leases
    by thread there), written in place so the steps the run itself saves are never overwritten with old ones."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {NightlyRun._meta.db_table} SET steps = jsonb_set(COALESCE(steps, '{{}}'::jsonb), '{{lease}}', "  # noqa: S608
            "jsonb_build_object('heartbeat_at', %s::text)) WHERE id = %s AND status = %s",
            [now.isoformat(), pk, NightlyRun.Status.RUNNING],
        )


NIGHTLY_RUNS = RunKind(
    model=NightlyRun,
    lock_key=0x53_41_57_4E,  # "SAWN": serialises claims (a transaction-level lock), not runs
    heartbeat_field=None,
    last_alive=last_progress,
    touch=_touch,
    busy_error=NightlyRunBusy,
    busy_message=_busy_message,
)
STALE_AFTER = NIGHTLY_RUNS.stale_after
LOCK_KEY = NIGHTLY_RUNS.lock_key


def _abandon(runs: list[NightlyRun], night: date) -> None:
    """Close the abandoned runs of other nights; this night's row is taken over by `_start`."""
    for other in runs:
        if other.night != night:
            _finish(other, None, error=_("Abandoned: the process running it stopped."))


def _start(night: date, now: datetime) -> tuple[NightlyRun, dict]:
    """This night's row, RUNNING with fresh steps (a new one, or the earlier attempt's); its previous steps."""
    run = NightlyRun.objects.select_for_update().filter(night=night).first()
    previous = dict(run.steps or {}) if run is not None else {}
    fresh_steps = {step: {"status": PENDING} for step in all_steps()}
    if run is None:
        run = NightlyRun.objects.create(
            night=night, started_at=now, status=NightlyRun.Status.RUNNING, steps=fresh_steps, attempts=1
        )
    else:
        run.attempts += 1
        run.started_at, run.finished_at = now, None
        run.status, run.steps = NightlyRun.Status.RUNNING, fresh_steps
        run.save(update_fields=["attempts", "started_at", "finished_at", "status", "steps"])
    return run, previous
