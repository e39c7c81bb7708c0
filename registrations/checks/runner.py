"""Running the rules and recording their flags (DESIGN sections 3, 5 and 6).

`run_checks` runs the enabled rules (or the given codes) as one `CheckRun`. Per rule, in one
transaction and entirely inside the database (memory stays flat whatever the table size):

1. the rule's SELECT (registrations.checks.rules) fills a temporary table `rule_hits` (subject, point, agent);
2. flags of the rule whose subject is no longer a hit and that are OPEN or CONFIRMED become RESOLVED;
3. hits whose flag is RESOLVED, or DISMISSED under another version of the rule, are reopened (OPEN);
4. hits without a flag get a new OPEN flag;
5. flags still hit keep their status and get `last_seen` (and the rule's current version and parameters);
   a DISMISSED flag under the current version stays dismissed.

An anonymised registration (its subscriber's data erased, DESIGN section 3) takes no further part in any
rule: it is dropped from the hits of step 1, its flags are left out of step 2 (never resolved), and the
group rules do not count it (rules.sql.counted). Its flags stay exactly as they were.

Each status change writes one FlagEvent, linked to the run. Each step is one set-based statement over
`rule_hits` (INSERT ... SELECT, UPDATE ... WHERE [NOT] EXISTS). On PostgreSQL a step and its events are
one statement (a data-modifying WITH: the events are made from the UPDATE's or INSERT's RETURNING), so a
reviewer's concurrent change cannot be recorded wrongly; on SQLite the events are written just before
their UPDATE, under the write lock the transaction holds. A re-run on unchanged data inserts no Flag or
FlagEvent row: it only moves `last_seen`.

Two runs never overlap: `CHECK_RUNS`, a kind of the long-job engine (core.runs), keeps them apart by a
lease: the RUNNING CheckRun's heartbeat, moved after each rule and, on PostgreSQL, every STALE_AFTER / 4
by a thread of the run's own while a rule works. One silent for longer than STALE_AFTER (a minute)
belongs to a process that died: the next run marks it FAILED and does the whole work again (every step
is idempotent). No lock outlives the claim's transaction, so a killed `run_checks` blocks nothing beyond
its lease; and its backend, should it still be working on a statement, notices the dead client within
seconds (`client_connection_check_interval`) and rolls back.
"""

import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from core.audit import audit_record
from core.runs import RunBusy, RunKind
from core.templatetags.display import when

from ..models import (
    Activation,
    CheckRun,
    FlagEvent,
    FlagStatus,
    KeyChange,
    Registration,
    Rule,
)
from . import incremental as inc
from . import rules
from .recording import FLAG, announce_critical, record
from .rules import catalogue

logger = logging.getLogger(__name__)


OPEN, CONFIRMED, DISMISSED, RESOLVED = FlagStatus.OPEN, FlagStatus.CONFIRMED, FlagStatus.DISMISSED, FlagStatus.RESOLVED


class CheckRunBusy(RunBusy):
    """Another check run holds the lock."""


def _busy_message(running: CheckRun | None) -> str:
    if running is None:
        return _("Another check run is in progress.")
    return _("Another check run (#%(id)s, started %(at)s) is in progress.") % {
        "id": running.pk,
        "at": when(running.started_at, "s"),
    }


CHECK_RUNS = RunKind(
    model=CheckRun,
    lock_key=0x53_41_57_43,  # "SAWC": serialises claims (a transaction-level lock), not runs
    busy_error=CheckRunBusy,
    busy_message=_busy_message,
    abandoned_reason=gettext_lazy("Abandoned: the process running it stopped; the next run did its work again."),
)
STALE_AFTER = CHECK_RUNS.stale_after
LOCK_KEY = CHECK_RUNS.lock_key


class UnknownRule(ValueError):
    """A rule code that is not one of DESIGN section 5."""


# --- rules ----------------------------------------------------------------------------------------


def ensure_rules() -> dict[str, Rule]:
    """The Rule rows by code, creating any that is missing from the shipped catalogue (defaults, version 1)."""
    existing = {rule.code: rule for rule in Rule.objects.all()}
    for entry in catalogue.RULES:
        if entry["code"] not in existing:
            existing[entry["code"]] = Rule.objects.create(**entry)
    return existing


def resolve_codes(codes: Iterable[str] | None) -> list[str] | None:
    """The given codes, validated and without repeats, in the order given; None stays None (all enabled)."""
    if codes is None:
        return None
    wanted = list(dict.fromkeys(code.strip() for code in codes))
    unknown = [code for code in wanted if code not in rules.RULES]
    if unknown:
        raise UnknownRule(
            _("Unknown rule code(s): %(codes)s. Known codes: %(known)s.")
            % {"codes": ", ".join(unknown), "known": ", ".join(rules.CODES)}
        )
    return wanted


# --- the run --------------------------------------------------------------------------------------


def run_checks(
    *,
    codes: Iterable[str] | None = None,
    trigger: str,
    actor=None,
    progress: Callable[[CheckRun], None] | None = None,
    now: datetime | None = None,
    incremental: bool = False,
) -> CheckRun:
    """Run the enabled rules (or exactly `codes`, enabled or not) now; the finished CheckRun.

    Raises UnknownRule for an unknown code and CheckRunBusy when another run is in progress (nothing
    is written then). A rule that fails is recorded as failed in the run's results, the others still
    run, and the run ends FAILED. `now` is the instant the rules judge against ("older than N hours":
    before now - N hours); it defaults to the run's start. `progress(run)` is called after each rule.

    `incremental`: each rule judges only what changed since the last DONE run that judged it with its
    current version and parameters, and what time alone changed since (registrations.checks.incremental);
    a rule without such a run, or whose last full run is older than CHECKS_FULL_EVERY_DAYS (7), and every
    rule on SQLite, is judged in full. Flags of subjects outside what a rule judged stay untouched.
    """
    wanted = resolve_codes(codes)
    with CHECK_RUNS.exclusive() as claim:
        run = claim(
            lambda now: CheckRun.objects.create(
                trigger=trigger, started_by=actor, started_at=now, heartbeat_at=now, status=CheckRun.Status.RUNNING
            )
        )
        try:
            ruleset = ensure_rules()
            run_codes = wanted if wanted is not None else [c for c in rules.CODES if ruleset[c].enabled]
            as_of = now or run.started_at
            run.rule_codes = run_codes
            postgres = connection.vendor == "postgresql"
            if postgres:
                with connection.cursor() as cursor:
                    run.watermark = {**inc.watermark(cursor), "as_of": as_of.isoformat()}
            plans = _plans(run, ruleset, run_codes, as_of) if incremental and postgres else {}
            if plans:
                with connection.cursor() as cursor:
                    sizes = inc.prepare(cursor, _earliest(plans.values()), plans)
                    changed = sizes["inc_reg"] + sizes["inc_act"]
                    if _too_many_changes(cursor, changed):
                        # judging so much of the table row by row costs more than judging all of it
                        run.watermark["full_because_changed"] = changed
                        plans = {}
                        inc.drop(cursor)
            run.watermark["mode"] = "incremental" if plans else "full"
            if plans:
                run.rows_scanned = changed
            else:
                run.rows_scanned = Registration.objects.count() + Activation.objects.count()
            run.results = {code: {"status": "pending"} for code in run_codes}
            _save_progress(run, progress)
            for code in run_codes:
                run.results[code] = {"status": "running"}
                _save_progress(run, None)
                run.results[code] = _run_rule(run, ruleset[code], as_of, plans.get(code))
                _save_progress(run, progress)
        except BaseException as exc:  # KeyboardInterrupt too: do not leave it RUNNING for STALE_AFTER
            _finish(run, actor, CheckRun.Status.FAILED, f"{type(exc).__name__}: {exc}")
            raise
        finally:
            if connection.vendor == "postgresql" and connection.connection is not None:
                try:
                    with connection.cursor() as cursor:
                        inc.drop(cursor)
                except Exception:  # a broken connection drops its temporary tables itself
                    logger.exception("Could not drop the incremental run's tables")
        _analyze_flags()
        failed = [code for code, result in run.results.items() if result.get("status") != "done"]
        if not failed:
            _prune_key_changes(run)
        if failed:
            _finish(run, actor, CheckRun.Status.FAILED, _("Failed: %(codes)s") % {"codes": ", ".join(failed)})
        else:
            _finish(run, actor, CheckRun.Status.DONE, "")
        _announce_critical(run)
    if progress is not None:
        progress(run)
    return run


def _too_many_changes(cursor, changed: int) -> bool:
    """An incremental run goes full when the rows that changed are more than CHECKS_INCREMENTAL_MAX_SHARE (5%)
    of the registrations and activations, and more than CHECKS_INCREMENTAL_MIN_ROWS (100,000): measured at 1M
    rows with a delta of 200,000 (392,000 rows changed), the incremental run took 159% of a full one."""
    floor = int(getattr(settings, "CHECKS_INCREMENTAL_MIN_ROWS", 100_000))
    if changed <= floor:
        return False
    cursor.execute(
        "SELECT COALESCE(SUM(GREATEST(reltuples, 0)), 0) FROM pg_class WHERE oid IN (%s::regclass, %s::regclass)",
        [Registration._meta.db_table, Activation._meta.db_table],
    )
    rows = float(cursor.fetchone()[0])  # the planner's estimate: no count of 10 million rows for this
    return changed > float(getattr(settings, "CHECKS_INCREMENTAL_MAX_SHARE", 0.05)) * rows


@dataclass(frozen=True)
class _Plan:
    """An incremental rule: what changed since `since`; `before` the instant that run judged against."""

    since: inc.Since
    before: datetime


def _plans(run: CheckRun, ruleset: dict[str, Rule], codes: list[str], as_of: datetime) -> dict[str, "_Plan"]:
    """Per rule to judge incrementally, where it starts: the latest DONE run that judged it with its current
    version and parameters, provided a full run of it (same version and parameters) is recent enough."""
    full_every = timedelta(days=getattr(settings, "CHECKS_FULL_EVERY_DAYS", 7))
    earlier = list(
        CheckRun.objects.filter(status=CheckRun.Status.DONE)
        .exclude(pk=run.pk)
        .exclude(watermark={})
        .order_by("-started_at", "-id")
        .values("started_at", "results", "watermark")[:200]
    )
    plans = {}
    for code in codes:
        if code in rules.TYPED:  # agents and points: few, judged in full every time
            continue
        rule = ruleset[code]
        try:
            params = rules.validate_parameters(code, rule.parameters)
        except Exception:  # noqa: S112 - judged (and failed, recorded) in full by _run_rule
            continue

        def judged(past: dict, code=code, rule=rule, params=params) -> dict | None:
            result = (past["results"] or {}).get(code) or {}
            how = (past["watermark"].get("rules") or {}).get(code) or {}
            same = how.get("version") == rule.version and how.get("parameters") == params
            settled = "seq" in past["watermark"]  # not a run whose wait for writers timed out
            return how if result.get("status") == "done" and same and settled else None

        last = next((past for past in earlier if judged(past)), None)
        full = next((past for past in earlier if (judged(past) or {}).get("mode") == "full"), None)
        if last is None or full is None or full["started_at"] < run.started_at - full_every:
            continue
        mark = last["watermark"]
        plans[code] = _Plan(
            inc.Since(int(mark["seq"]), int(mark["status_change"]), last["started_at"]),
            datetime.fromisoformat(mark["as_of"]),
        )
    return plans


def _prune_key_changes(run: CheckRun) -> None:
    """PostgreSQL: forget the former keys no incremental run will read again: those at or below, for every
    rule that has a DONE run, the watermark of its latest (a rule's next incremental run starts there)."""
    if connection.vendor != "postgresql":
        return
    latest: dict[str, int] = {}
    done = CheckRun.objects.filter(status=CheckRun.Status.DONE).exclude(watermark={}).order_by("-started_at", "-id")
    for past in [run, *done.only("results", "watermark")[:200]]:
        for code, result in (past.results or {}).items():
            if result.get("status") == "done" and "seq" in past.watermark:
                latest.setdefault(code, int(past.watermark["seq"]))
    if set(latest) >= set(rules.CODES):
        try:
            KeyChange.objects.filter(seq__lte=min(latest.values())).delete()
        except Exception:  # housekeeping; never fail a run for it
            logger.exception("Could not prune the former keys")


def _earliest(plans: Iterable[_Plan]) -> inc.Since:
    plans = list(plans)
    return inc.Since(
        min(p.since.seq for p in plans),
        min(p.since.status_change for p in plans),
        min(p.since.started_at for p in plans),
    )


def _run_rule(run: CheckRun, rule: Rule, as_of: datetime, plan: _Plan | None = None) -> dict:
    started = time.monotonic()
    try:
        params = rules.validate_parameters(rule.code, rule.parameters)
        query = rules.RULES[rule.code].build(params, as_of)
        scope = None
        if plan is not None:
            scope = (rule.code, *inc.scope_sql(rule.code, params, as_of, plan.before))
            query = inc.scoped_query(rule.code, query, params, as_of)
        with transaction.atomic():
            if plan is not None:
                with connection.cursor() as cursor:
                    inc.stage(cursor, rule.code, params)
            counts = record(run, rule, params, query, scope)
    except Exception as exc:
        logger.exception("Rule %s failed in check run %s", rule.code, run.pk)
        return {"status": "failed", "error": f"{type(exc).__name__}: {exc}"[:1000], "seconds": _since(started)}
    # what the next incremental run compares with (the results keep their documented keys)
    run.watermark.setdefault("rules", {})[rule.code] = {
        "mode": "full" if plan is None else "incremental",
        "version": rule.version,
        "parameters": params,
    }
    return {"status": "done", **counts, "seconds": _since(started)}


def _analyze_flags() -> None:
    """PostgreSQL: fresh statistics after a run that may have written many flags (the next run's plans and
    the flag queue's rely on them; autovacuum may come much later)."""
    if connection.vendor != "postgresql":
        return
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {FLAG}")
    except Exception:  # statistics are an optimisation; never fail a run for them
        logger.exception("ANALYZE of the flags failed")


def _since(started: float) -> float:
    return round(time.monotonic() - started, 3)


def _save_progress(run: CheckRun, progress) -> None:
    CHECK_RUNS.heartbeat(run, fields=["rule_codes", "results", "rows_scanned"])
    if progress is not None:
        progress(run)


def _finish(run: CheckRun, actor, status: str, error: str) -> None:
    run.status, run.error = status, error
    run.finished_at = run.heartbeat_at = timezone.now()
    try:
        run.save(update_fields=["status", "error", "finished_at", "heartbeat_at", "results", "watermark"])
        totals = {
            key: sum(result.get(key, 0) for result in run.results.values())
            for key in ("flagged", "new", "reopened", "still_open", "dismissed", "resolved")
        }
        audit_record(
            action="checks.run",
            actor=actor,
            obj=run,
            fields={"trigger": run.trigger, "status": status, "rules": run.rule_codes, **totals},
            reason=error,
        )
    except Exception:  # the database itself may be what failed; the heartbeat then goes stale
        logger.exception("Could not record the end of check run %s", run.pk)


CRITICAL_IDS_MAX = 1000  # ids in one "flags.critical_raised" event; the counts are always complete


def _announce_critical(run: CheckRun) -> None:
    """Tell the operator's systems (core.events -> webhooks) of the critical flags this run raised or reopened
    (recording.announce_critical: counts per rule and the first flag ids, nothing about the subjects)."""
    announce_critical(
        FlagEvent.objects.filter(check_run=run), limit=CRITICAL_IDS_MAX, check_run=run.pk, status=run.status
    )
