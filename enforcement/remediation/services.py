"""Writes of the remediation ladder (issue 16): the policy, the clock and the step lists (outcomes: outcomes.py).

The product blocks nobody itself. It opens a case per subscription whose record has an open or confirmed
`INCOMPLETE_RECORD`, `UNVERIFIED_IDENTITY` or `POPULATION_MISMATCH` flag, moves each case up the ladder as
its steps come due, hands the operator's network and CRM systems the list of each step (page, CSV, API;
each case step at most once), records what they report back, and closes a case when its flags no longer
hold (a later import completed or verified the record, and a check run resolved the flags).

`ladder_advance` does the clock's work in a few set-based statements (never a loop over cases), in one
transaction serialised by the policy row's lock:

1. open a case for each registration with a ladder flag open or confirmed and no open case (one
   INSERT ... SELECT): the clock starts then (`opened_at = now`), and a population mismatch starts the
   outgoing suspension's clock too (`mismatch_at`); a registration cancelled or anonymised gets none, nor
   one whose subscription the operator reported terminated;
2. a case on the Decree 49 track that has since got a mismatch flag, and has not reached the one-way
   block (which already stops outgoing service), moves to the Circular 08 track from now;
3. close the cases whose registration was anonymised or cancelled, and those whose ladder flags are all
   gone (resolved: RECORD_FIXED; only dismissed: FLAGS_DISMISSED);
4. each step whose due time has come becomes a CaseStep row (INSERT ... SELECT per step), with the due
   time the policy gives now;
5. each open case's current step, next step and its due time are set (two UPDATEs).

It runs every quarter hour (Celery beat), so the 2-hour suspension is on the list well within its time,
right after each check run task (tasks.after_check_run), and in the nightly chain right after the checks.
When steps came due it announces `remediation.lists_ready` (counts per step; no personal data) to the
operator's systems.
"""

import logging
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, models, transaction
from django.db.models import Exists, F, OuterRef, Q, Subquery, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from core import events
from core.audit import audit_record
from core.scoping import province_scope
from registrations.models import Flag, FlagStatus, Registration, RegistrationStatus

from . import ladder
from .models import (
    LADDER_RULES,
    POPULATION_RULE,
    STEP_POSITION,
    CaseStep,
    LadderPolicy,
    LadderPolicyVersion,
    ListIssue,
    RemediationCase,
    Step,
    Track,
)

logger = logging.getLogger(__name__)

VIEW_PERMISSION = "enforcement.view_remediationcase"
POLICY_PERMISSION = "enforcement.change_ladderpolicy"
ISSUE_PERMISSION = "enforcement.issue_steplist"
OUTCOME_PERMISSION = "enforcement.report_outcome"
LISTS_READY_EVENT = "remediation.lists_ready"
REASON_MIN_LENGTH = 10
MAX_API_SEND = 5000


Case = RemediationCase
OPEN, CLOSED = Case.Status.OPEN, Case.Status.CLOSED
LIVE_FLAGS = (FlagStatus.OPEN, FlagStatus.CONFIRMED)


# --- the policy ---------------------------------------------------------------------------------------

POLICY_FIELDS = (
    "reminder_days",
    "one_way_block_days",
    "two_way_block_days",
    "termination_days",
    "suspend_outgoing_hours",
)
POLICY_LIMITS = {
    "reminder_days": (0, 90),
    "one_way_block_days": (1, 365),
    "two_way_block_days": (1, 365),
    "termination_days": (1, 365),
    "suspend_outgoing_hours": (1, 24 * 30),
}


def policy_values(policy: LadderPolicy) -> dict[str, int]:
    return {name: getattr(policy, name) for name in POLICY_FIELDS}


def policy_validate(values: dict) -> dict[str, int]:
    errors, clean = {}, {}
    for name in POLICY_FIELDS:
        low, high = POLICY_LIMITS[name]
        try:
            value = int(values[name])
        except (KeyError, TypeError, ValueError):
            errors[name] = _("Give a whole number.")
            continue
        if not low <= value <= high:
            errors[name] = _("Give a whole number from %(low)d to %(high)d.") % {"low": low, "high": high}
        clean[name] = value
    if not errors:
        hours = clean["suspend_outgoing_hours"]
        if hours < clean["reminder_days"] * 24:
            errors["suspend_outgoing_hours"] = _("The outgoing suspension cannot come before the reminder.")
        elif hours >= (clean["reminder_days"] + clean["one_way_block_days"] + clean["two_way_block_days"]) * 24:
            errors["suspend_outgoing_hours"] = _("The outgoing suspension must come before the two-way block.")
    if errors:
        raise ValidationError(errors)
    return clean


def may_change_policy(user) -> bool:
    """Managers (as for the rules and the risk policy: the ladder is operator-wide, like them)."""
    return user.has_perm(POLICY_PERMISSION)


def _record_version(policy: LadderPolicy, reason: str) -> LadderPolicyVersion:
    version, _created = LadderPolicyVersion.objects.get_or_create(
        version=policy.version,
        defaults={
            "values": policy_values(policy),
            "reason": reason,
            "changed_by": policy.updated_by,
            "changed_at": policy.updated_at,
        },
    )
    return version


@transaction.atomic
def policy_update(*, actor, values: dict, reason: str) -> LadderPolicy:
    """Set the ladder's delays: a new version with its reason (required), audited with before and after.
    Cases keep the due times of the steps they reached; steps still to come follow the new delays (the open
    cases' next due times are set again at once)."""
    if not may_change_policy(actor):
        raise PermissionDenied
    clean = policy_validate(values)
    reason = " ".join((reason or "").split())
    if len(reason) < REASON_MIN_LENGTH:
        raise ValidationError(
            {"reason": _("Give the reason for this change (at least %(n)d characters).") % {"n": REASON_MIN_LENGTH}}
        )
    LadderPolicy.current()
    policy = LadderPolicy.objects.select_for_update().get(pk=1)
    before = policy_values(policy)
    if before == clean:
        raise ValidationError(_("Nothing changed: the ladder already has these values, so no version was saved."))
    _record_version(policy, "")  # the first version, as it was before any change
    for name, value in clean.items():
        setattr(policy, name, value)
    policy.version += 1
    policy.updated_by, policy.updated_at = actor, timezone.now()
    policy.full_clean()
    policy.save()
    _record_version(policy, reason)
    _set_positions(policy)  # the open cases' next due times follow the new delays at once
    changed = {k: {"from": before[k], "to": clean[k]} for k in clean if before[k] != clean[k]}
    audit_record(
        action="remediation.policy_update",
        actor=actor,
        obj=policy,
        reason=reason,
        fields={"version": policy.version, "changes": changed},
    )
    return policy


# --- the clock ----------------------------------------------------------------------------------------


def _ladder_flags(registration_ref, *, codes=LADDER_RULES, statuses=LIVE_FLAGS):
    return Flag.objects.filter(registration_id=registration_ref, rule__code__in=codes, status__in=statuses)


def insert_select(model, columns: list[str], queryset) -> int:
    """INSERT INTO model (columns) SELECT ...: the queryset's annotations, in `columns`' order, compiled by
    the ORM (so the same statement runs on PostgreSQL and SQLite)."""
    sql, params = queryset.order_by().query.sql_with_params()
    quote = connection.ops.quote_name
    names = ", ".join(quote(model._meta.get_field(c).column) for c in columns)
    with connection.cursor() as cursor:
        # table and column names come from the model, the rest is the ORM's parametrised SELECT
        cursor.execute(f"INSERT INTO {quote(model._meta.db_table)} ({names}) {sql}", params)  # noqa: S608
        return cursor.rowcount


def cases_insert(registrations, *, source: str, mismatch, policy: LadderPolicy, now: datetime, campaign=None) -> int:
    """One INSERT ... SELECT: an open case for each of `registrations` (the caller leaves out those with an open
    case), on the Circular 08 track where `mismatch` (a Q or a boolean expression on the registration) holds."""
    annotations = {
        "c_registration": F("pk"),
        "c_source": Value(source),
        "c_track": models.Case(
            models.When(mismatch, then=Value(Track.POPULATION)),
            default=Value(Track.RECORD),
            output_field=models.CharField(),
        ),
        "c_status": Value(OPEN),
        "c_opened": Value(now, output_field=models.DateTimeField()),
        "c_mismatch": models.Case(
            models.When(mismatch, then=Value(now, output_field=models.DateTimeField())),
            default=Value(None),
            output_field=models.DateTimeField(),
        ),
        "c_current": Value(""),
        "c_next": Value(""),
        "c_reason": Value(""),
        "c_version": Value(policy.version),
    }
    columns = [
        "registration",
        "source",
        "track",
        "status",
        "opened_at",
        "mismatch_at",
        "current_step",
        "next_step",
        "close_reason",
        "policy_version",
    ]
    if campaign is not None:
        annotations["c_campaign"] = Value(campaign.pk)
        columns.append("campaign")
    names = [f"c_{name}" for name in ("registration", "source", "track", "status", "opened", "mismatch")]
    names += ["c_current", "c_next", "c_reason", "c_version"] + (["c_campaign"] if campaign is not None else [])
    return insert_select(Case, columns, registrations.annotate(**annotations).values(*names))


def _open_cases(policy: LadderPolicy, now: datetime) -> int:
    live = _ladder_flags(OuterRef("pk"))
    mismatch = _ladder_flags(OuterRef("pk"), codes=[POPULATION_RULE])
    open_case = Case.objects.filter(registration_id=OuterRef("pk"), status=OPEN)
    # a subscription the operator reported terminated is gone: its flags stay until an import cancels it
    terminated = Case.objects.filter(registration_id=OuterRef("pk"), close_reason=Case.CloseReason.TERMINATED)
    rows = (
        Registration.objects.filter(Exists(live), anonymised_at__isnull=True)
        .exclude(status=RegistrationStatus.CANCELLED)
        .exclude(Exists(open_case))
        .exclude(Exists(terminated))
    )
    return cases_insert(rows, source=Case.Source.FLAG, mismatch=Exists(mismatch), policy=policy, now=now)


def _switch_to_population(now: datetime) -> int:
    blocked = CaseStep.objects.filter(
        case_id=OuterRef("pk"), step__in=[Step.ONE_WAY_BLOCK, Step.TWO_WAY_BLOCK, Step.TERMINATION]
    )
    mismatch = _ladder_flags(OuterRef("registration_id"), codes=[POPULATION_RULE])
    return (
        Case.objects.filter(status=OPEN, track=Track.RECORD)
        .filter(Exists(mismatch))
        .exclude(Exists(blocked))
        .update(track=Track.POPULATION, mismatch_at=now)
    )


def cases_close(queryset, reason: str, now: datetime) -> int:
    return queryset.update(status=CLOSED, closed_at=now, close_reason=reason, next_step="", next_due_at=None)


def _close_cases(now: datetime) -> dict[str, int]:
    reasons = Case.CloseReason
    still_open = Case.objects.filter(status=OPEN)
    closed = {
        reasons.ANONYMISED: cases_close(
            still_open.filter(registration__anonymised_at__isnull=False), reasons.ANONYMISED, now
        ),
        reasons.CANCELLED: cases_close(
            still_open.filter(registration__status=RegistrationStatus.CANCELLED), reasons.CANCELLED, now
        ),
    }
    from_flags = still_open.filter(source=Case.Source.FLAG).exclude(Exists(_ladder_flags(OuterRef("registration_id"))))
    resolved = Exists(_ladder_flags(OuterRef("registration_id"), statuses=[FlagStatus.RESOLVED]))
    closed[reasons.RECORD_FIXED] = cases_close(from_flags.filter(resolved), reasons.RECORD_FIXED, now)
    closed[reasons.FLAGS_DISMISSED] = cases_close(from_flags, reasons.FLAGS_DISMISSED, now)
    return {k: v for k, v in closed.items() if v}


def _reach_steps(policy: LadderPolicy, now: datetime) -> dict[str, int]:
    reached = {}
    offsets = ladder.offsets(policy)
    for step, position in sorted(STEP_POSITION.items(), key=lambda item: item[1]):
        tracks = [t for t in Track.values if step in ladder.steps_of(t)]
        clock = ladder.clock_field(step)
        already = CaseStep.objects.filter(case_id=OuterRef("pk"), step=step)
        rows = (
            Case.objects.filter(status=OPEN, track__in=tracks, **{f"{clock}__lte": now - offsets[step]})
            .exclude(Exists(already))
            .annotate(
                s_case=F("pk"),
                s_step=Value(step),
                s_position=Value(position),
                s_due=ladder.due_expression(policy, step),
                s_reached=Value(now, output_field=models.DateTimeField()),
                s_outcome=Value(""),
            )
            .values("s_case", "s_step", "s_position", "s_due", "s_reached", "s_outcome")
        )
        count = insert_select(CaseStep, ["case", "step", "position", "due_at", "reached_at", "outcome"], rows)
        if count:
            reached[step] = count
    return reached


# Rows written by one advance past which the tables' planner statistics are refreshed in the same transaction.
ANALYZE_AFTER = 10_000


def _analyze(*models_) -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for model in models_:
                cursor.execute(f"ANALYZE {connection.ops.quote_name(model._meta.db_table)}")  # noqa: S608 - a model's table


def _set_positions(policy: LadderPolicy, *, cases=None) -> None:
    """Each open case's current step, next step and its due time; `cases`: only these (an advance touches the
    cases it opened, switched or moved), else every open case (a policy change re-dates them all)."""
    latest = CaseStep.objects.filter(case_id=OuterRef("pk")).order_by("-position").values("step")[:1]
    open_cases = Case.objects.filter(status=OPEN) if cases is None else cases.filter(status=OPEN)
    open_cases.update(current_step=models.functions.Coalesce(Subquery(latest), Value("")))
    step_case, due_case = ladder.next_due_expressions(policy)
    open_cases.update(next_step=step_case, next_due_at=due_case)


@transaction.atomic
def ladder_advance(*, now: datetime | None = None, actor=None) -> dict:
    """Open, move and close cases as of `now` (default: now); a summary of what changed (counts)."""
    now = now or timezone.now()
    LadderPolicy.current()
    policy = LadderPolicy.objects.select_for_update().get(pk=1)  # one advance at a time
    summary = {"opened": _open_cases(policy, now), "switched": _switch_to_population(now)}
    summary["closed"] = _close_cases(now)
    summary["reached"] = _reach_steps(policy, now)
    if summary["opened"] > ANALYZE_AFTER or sum(summary["reached"].values()) > ANALYZE_AFTER:
        _analyze(Case, CaseStep)  # a first run opens every case at once: plan the next statements on fresh counts
    touched = Case.objects.filter(
        Q(opened_at=now) | Q(mismatch_at=now) | Exists(CaseStep.objects.filter(case_id=OuterRef("pk"), reached_at=now))
    )
    _set_positions(policy, cases=touched)  # not every open case every 15 minutes: only those that changed
    summary["open"] = Case.objects.filter(status=OPEN).count()
    if summary["opened"] or summary["switched"] or summary["closed"] or summary["reached"]:
        audit_record(
            action="remediation.advance", actor=actor, object_type="enforcement.remediationcase", fields=summary
        )
    if summary["reached"]:
        events.publish(
            LISTS_READY_EVENT,
            {
                "at": now.isoformat(),
                "day": timezone.localdate(now).isoformat(),
                "counts": summary["reached"],
                "total": sum(summary["reached"].values()),
            },
        )
    return summary


def nightly_advance(*, now, actor=None) -> dict:
    """The nightly chain's step (core.registry.register_nightly_step), right after the checks."""
    return ladder_advance(now=now, actor=actor)


# --- the step lists -----------------------------------------------------------------------------------


def day_end(day: date) -> datetime:
    """The first instant after the local day `day` (Asia/Ho_Chi_Minh)."""
    return timezone.make_aware(datetime.combine(day + timedelta(days=1), time.min))


def scoped_steps(user):
    """Case steps of cases in the user's provinces (a case's province is its registration's point's; an APP
    registration's case only for users with every province)."""
    if not getattr(user, "is_authenticated", False):
        return CaseStep.objects.none()
    scope = province_scope(user)
    steps = CaseStep.objects.all()
    if scope is not None:
        steps = steps.filter(case__registration__point__province__in=scope)
    return steps


def unsent_steps(*, user, step: str, day: date):
    """The list of `step` for the local day `day`: steps of open cases due by the day's end (earlier days'
    steps not yet sent included) that no list issue has sent."""
    return scoped_steps(user).filter(step=step, issue__isnull=True, case__status=OPEN, due_at__lt=day_end(day))


def may_issue(user) -> bool:
    return user.has_perm(ISSUE_PERMISSION)


def _clean_step(step: str) -> str:
    if step not in Step.values:
        raise ValidationError({"step": _("Choose one of the ladder's steps.")})
    return step


@transaction.atomic
def list_issue(
    *, actor, step: str, day: date, channel: str, up_to: int | None = None, ids: list[int] | None = None
) -> ListIssue:
    """Mark the step list of `day` as sent: exactly its unsent steps (those with id <= `up_to`, the list as
    the page showed it; or those of `ids`, the API's), recorded on one ListIssue. A step already sent is
    never sent again (the UPDATE takes only unsent ones, so two issues at the same moment share nothing).
    ValidationError when nothing is left to send."""
    if not may_issue(actor):
        raise PermissionDenied
    step = _clean_step(step)
    candidates = unsent_steps(user=actor, step=step, day=day)
    if up_to is not None:
        candidates = candidates.filter(pk__lte=up_to)
    if ids is not None:
        candidates = candidates.filter(pk__in=ids)
    scope = province_scope(actor)
    issue = ListIssue.objects.create(
        step=step, day=day, channel=channel, issued_by=actor, provinces=sorted(scope) if scope is not None else []
    )
    count = CaseStep.objects.filter(pk__in=list(candidates.values_list("pk", flat=True)), issue__isnull=True).update(
        issue=issue
    )
    if not count:
        raise ValidationError(_("Nothing to send: every case of this list has already been sent."))
    issue.count = count
    issue.save(update_fields=["count"])
    audit_record(
        action="remediation.list_issue",
        actor=actor,
        obj=issue,
        fields={"step": step, "day": day.isoformat(), "channel": channel, "count": count},
    )
    return issue


def list_download_audit(*, actor, issue: ListIssue | None, step: str, day: date, count: int, channel: str) -> None:
    """Every download of a list with MSISDNs is audited, as a reveal is (who, which list, how many)."""
    audit_record(
        action="remediation.list_download",
        actor=actor,
        obj=issue,
        object_type="" if issue else "enforcement.listissue",
        fields={"step": step, "day": day.isoformat(), "count": count, "channel": channel},
    )


def step_lines(summary: dict) -> list[tuple[str, str]]:
    """The nightly step's summary in the reader's words (core.registry.NightlyStep.describe)."""
    from core.templatetags.display import count

    summary = summary or {}
    reached = summary.get("reached") or {}
    closed = summary.get("closed") or {}
    lines = [
        (_("Cases opened"), count(summary.get("opened", 0))),
        (_("Cases open"), count(summary.get("open", 0))),
    ]
    for step in Step:
        if reached.get(step.value):
            lines.append((_("Due now: %(step)s") % {"step": step.label}, count(reached[step.value])))
    for reason in Case.CloseReason:
        if reason.value and closed.get(reason.value):
            lines.append((_("Closed: %(reason)s") % {"reason": reason.label}, count(closed[reason.value])))
    return lines
