"""Writes of the checks: reviewing flags (confirm or dismiss, with a reason, in bulk or one at a time),
managing the rules (parameters and switch, versioned and audited; a backtest that writes nothing) and
queueing a check run from a page.

A review is one transaction: the flags are locked, every transition is checked before anything is
written, then each flag gets a FlagEvent (its history) and an AuditEvent (the regulator's trail; one per
flag, so each carries the flag's province and an auditor limited to some provinces sees exactly the
reviews of flags in them).

The rule functions and their parameters' schema and validation live in `rules/` (one module per rule
family); running the rules is `runner.py`. `flags_judge_written` judges BLACKLISTED_AGENT for agents and points
just saved, or carrying a key of a blacklist entry just listed or lifted (issue 16), through the runner's own
recording.
"""

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import RegistrationPoint
from core.audit import audit_record
from core.registry import AGENTS_SAVED, BLACKLIST_CHANGED
from core.runs import send_task

from ..models import CheckRun, Flag, FlagEvent, FlagStatus, Rule, RuleVersion, SubjectType
from ..records import selectors
from . import rules
from .recording import announce_critical, record
from .runner import CHECK_RUNS, ensure_rules
from .tasks import run_checks_task

REVIEW_PERMISSION = "registrations.review_flag"
REVIEW_STATUSES = (FlagStatus.CONFIRMED, FlagStatus.DISMISSED)
# A resolved flag's condition no longer holds: there is nothing to confirm or dismiss. A reviewed flag may
# be reviewed again the other way (a second look), with its own reason; the history keeps both.
ALLOWED_FROM = {
    FlagStatus.CONFIRMED: {FlagStatus.OPEN, FlagStatus.DISMISSED},
    FlagStatus.DISMISSED: {FlagStatus.OPEN, FlagStatus.CONFIRMED},
}
MAX_BULK = 500
REASON_MAX_LENGTH = 2000


def _ids(flags: Iterable) -> list[int]:
    ids = []
    for flag in flags:
        pk = flag.pk if isinstance(flag, Flag) else flag
        try:
            ids.append(int(pk))
        except (TypeError, ValueError) as exc:
            raise ValidationError({"ids": _("Not a flag id: %(value)s.") % {"value": pk}}) from exc
    return list(dict.fromkeys(ids))


@transaction.atomic
def flags_review(*, flags: Iterable, to_status: str, reason: str, actor) -> list[Flag]:
    """Confirm or dismiss `flags` (Flag objects or ids) with a reason; all or nothing.

    Only flags the actor may see can be reviewed: an id outside its provinces is refused exactly like an
    id that does not exist. Raises PermissionDenied without the review permission (auditors), and
    ValidationError for a missing reason, an unknown id or a transition that is not allowed.
    """
    if not actor.has_perm(REVIEW_PERMISSION):
        raise PermissionDenied
    if to_status not in REVIEW_STATUSES:
        raise ValidationError({"status": _("A flag can be confirmed or dismissed, nothing else.")})
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError({"reason": _("Give the reason for this decision.")})
    if len(reason) > REASON_MAX_LENGTH:
        raise ValidationError({"reason": _("At most %(n)d characters.") % {"n": REASON_MAX_LENGTH}})
    ids = _ids(flags)
    if not ids:
        raise ValidationError({"ids": _("Select at least one flag.")})
    if len(ids) > MAX_BULK:
        raise ValidationError({"ids": _("At most %(n)d flags at a time.") % {"n": MAX_BULK}})

    locked = list(
        Flag.objects.for_user(actor)
        .filter(pk__in=ids)
        .select_related("rule", "point")
        .select_for_update(of=("self",))
        .order_by("pk")
    )
    missing = sorted(set(ids) - {flag.pk for flag in locked})
    if missing:
        raise ValidationError(
            {"ids": _("No such flag in your provinces: %(ids)s.") % {"ids": ", ".join(map(str, missing))}}
        )
    refused = [flag for flag in locked if flag.status not in ALLOWED_FROM[to_status]]
    if refused:
        label = FlagStatus(to_status).label.lower()
        raise ValidationError(
            {
                "status": _("These flags cannot be %(action)s: %(flags)s.")
                % {
                    "action": label,
                    "flags": ", ".join(f"#{f.pk} ({FlagStatus(f.status).label.lower()})" for f in refused),
                }
            }
        )

    now = timezone.now()
    FlagEvent.objects.bulk_create(
        FlagEvent(flag=flag, at=now, actor=actor, from_status=flag.status, to_status=to_status, reason=reason)
        for flag in locked
    )
    Flag.objects.filter(pk__in=[flag.pk for flag in locked]).update(
        status=to_status, reviewer=actor, reviewed_at=now, reason=reason
    )
    action = "flag.confirm" if to_status == FlagStatus.CONFIRMED else "flag.dismiss"
    for flag in locked:
        audit_record(
            action=action,
            actor=actor,
            obj=flag,
            reason=reason,
            fields={
                "rule": flag.rule.code,
                "subject_type": flag.subject_type,
                "subject_id": flag.subject_id,
                "status": [flag.status, to_status],
                "bulk": len(locked),
            },
        )
        flag.status, flag.reviewer, flag.reviewed_at, flag.reason = to_status, actor, now, reason
    return locked


# --- managing the rules ---

CHANGE_RULE_PERMISSION = "registrations.change_rule"
RUN_CHECKS_PERMISSION = "registrations.run_checks"
BACKTEST_SAMPLE = 20


@dataclass(frozen=True)
class ParameterField:
    """What the edit form needs to know of one parameter."""

    name: str
    label: str
    value: int
    minimum: int
    maximum: int


def parameter_fields(rule: Rule) -> list[ParameterField]:
    """The rule's parameters (whole numbers) with their current values, from the rules package's schema."""
    current = rule.parameters or {}
    defaults = rules.default_parameters(rule.code) if rule.code in rules.RULES else {}
    schema = rules.parameter_schema(rule.code) if rule.code in rules.RULES else ()
    return [
        ParameterField(p.name, str(p.label), current.get(p.name, defaults.get(p.name)), p.minimum, p.maximum)
        for p in schema
    ]


RULE_REASON_MIN_LENGTH = 10


def _clean_reason(reason: str) -> str:
    reason = " ".join((reason or "").split())
    if len(reason) < RULE_REASON_MIN_LENGTH:
        raise ValidationError(
            {
                "reason": _("Give the reason for this change (at least %(n)d characters).")
                % {"n": RULE_REASON_MIN_LENGTH}
            }
        )
    return reason


@transaction.atomic
def rule_update(
    *, rule: Rule, actor, enabled: bool, parameters: dict, reason: str, rolled_back_from: int | None = None
) -> Rule:
    """Switch a rule on or off and set its parameters; a change is a new version with its reason (required,
    issue 13), kept on the RuleVersion and the audit row with the values before and after. Flags keep the
    version and parameters that raised them. Nothing changed: nothing is written (ValidationError, so the
    reason typed is not silently dropped)."""
    if not actor.has_perm(CHANGE_RULE_PERMISSION):
        raise PermissionDenied
    parameters = rules.validate_parameters(rule.code, parameters)
    reason = _clean_reason(reason)
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    before = {"enabled": rule.enabled, "parameters": dict(rule.parameters or {}), "version": rule.version}
    if before["enabled"] == enabled and before["parameters"] == parameters:
        raise ValidationError(_("Nothing changed: the rule already has these values, so no version was saved."))
    _record_version(rule)  # a rule created before versions were recorded: its current state first
    rule.enabled = enabled
    rule.parameters = parameters
    rule.version = before["version"] + 1
    rule.updated_by = actor
    rule.full_clean()
    rule.save(update_fields=["enabled", "parameters", "version", "updated_by", "updated_at"])
    _record_version(rule, reason=reason, rolled_back_from=rolled_back_from)
    after = {"enabled": rule.enabled, "parameters": rule.parameters, "version": rule.version}
    fields = {"before": before, "after": after}
    if rolled_back_from is not None:
        fields["restores_version"] = rolled_back_from
    audit_record(action="rule.update", actor=actor, obj=rule, reason=reason, fields=fields)
    return rule


def _record_version(rule: Rule, *, reason: str = "", rolled_back_from: int | None = None) -> RuleVersion:
    version, _created = RuleVersion.objects.get_or_create(
        rule=rule,
        version=rule.version,
        defaults={
            "enabled": rule.enabled,
            "parameters": dict(rule.parameters or {}),
            "reason": reason,
            "changed_by": rule.updated_by,
            "changed_at": rule.updated_at or timezone.now(),
            "rolled_back_from": rolled_back_from,
        },
    )
    return version


def rule_rollback(*, rule: Rule, version: int, actor, reason: str) -> Rule:
    """Restore an earlier version's switch and parameters, as a new version (the history only grows)."""
    earlier = RuleVersion.objects.filter(rule=rule, version=version).first()
    if earlier is None or version >= rule.version:
        raise ValidationError(_("There is no earlier version %(version)s of this rule.") % {"version": version})
    return rule_update(
        rule=rule,
        actor=actor,
        enabled=earlier.enabled,
        parameters=earlier.parameters,
        reason=reason,
        rolled_back_from=earlier.version,
    )


# --- backtest ---


class BacktestUnavailable(Exception):
    """The rules engine has no function for this rule code (a Rule row added before its module)."""


@dataclass
class BacktestResult:
    total: int  # subjects the proposed parameters would flag, in the user's provinces
    sample: list  # at most BACKTEST_SAMPLE of them (Registration or Activation rows), newest first
    subject_type: str
    open_now: int  # the rule's open flags now, in the user's provinces
    parameters: dict


def rule_backtest(*, rule: Rule, parameters: dict, user, sample: int = BACKTEST_SAMPLE) -> BacktestResult:
    """How many subjects the rule would flag with `parameters`, and a sample, without writing anything.

    The rule function only builds a SELECT of the flagged subject ids; the count and the sample are read
    through it in the user's provinces, in a transaction that is always rolled back, so even a rule that
    wrote by mistake would leave no trace.
    """
    if rule.code not in rules.RULES or rule.subject_type not in (SubjectType.REGISTRATION, SubjectType.ACTIVATION):
        raise BacktestUnavailable(rule.code)  # a backtest samples registrations or activations
    parameters = rules.validate_parameters(rule.code, parameters)
    with transaction.atomic():
        try:
            query = rules.RULES[rule.code].build(parameters, timezone.now())
            # the rule's SELECT as a subquery: the ids never travel to Python (the SQL is the rule module's
            # own, with the values as parameters; nothing from the request is spliced in)
            subjects = RawSQL(f"SELECT q.subject_id FROM ({query.sql}) q", tuple(query.params))  # noqa: S608, S611
            if rule.subject_type == SubjectType.ACTIVATION:
                scoped = selectors.activation_list(user=user).order_by("-activated_at", "-id")
            else:
                scoped = selectors.registration_list(user=user).order_by("-registered_at", "-id")
            scoped = scoped.filter(pk__in=subjects)
            result = BacktestResult(
                total=scoped.count(),
                sample=list(scoped[:sample]),
                subject_type=rule.subject_type,
                open_now=Flag.objects.for_user(user).filter(rule=rule, status=FlagStatus.OPEN).count(),
                parameters=parameters,
            )
        finally:
            transaction.set_rollback(True)
    return result


# --- running the checks now ---


class ChecksAlreadyRunning(Exception):
    """A check run is in progress (its heartbeat is recent): a second one would only wait for the lock."""

    def __init__(self, run: CheckRun):
        super().__init__(f"check run {run.pk} is running")
        self.run = run


def running_check_run() -> CheckRun | None:
    """The check run in progress, if any. A RUNNING run silent for longer than runner.STALE_AFTER belongs
    to a process that died; the next run marks it FAILED, so it does not block a new one."""
    return (
        CheckRun.objects.filter(CHECK_RUNS.live_filter()).select_related("started_by").order_by("-started_at").first()
    )


def checks_run_now(*, actor) -> None:
    """Queue a run of every enabled rule (trigger PAGE, started by `actor`) once the transaction commits.

    Refuses with ChecksAlreadyRunning while a run is in progress. The task creates the CheckRun (and its
    claim refuses a second one that slipped past this check), so there is nothing to write here. With the
    broker down, core.runs.QueueUnavailable reaches the caller (at once outside a transaction, else at
    commit) within about two seconds: nothing was queued.
    """
    if not actor.has_perm(RUN_CHECKS_PERMISSION):
        raise PermissionDenied
    running = running_check_run()
    if running is not None:
        raise ChecksAlreadyRunning(running)
    user_id = actor.pk
    transaction.on_commit(
        lambda: send_task(run_checks_task, kwargs={"trigger": CheckRun.Trigger.PAGE.value, "user_id": user_id})
    )


# --- judging agents and points as they are saved (issue 16) ---

BLACKLIST_RULE = "BLACKLISTED_AGENT"
# the audit action of a judgement outside a run, by its cause (labels in RegistrationsConfig.ready())
JUDGED_ACTIONS = {AGENTS_SAVED: "checks.on_save", BLACKLIST_CHANGED: "checks.on_blacklist"}
POINT = RegistrationPoint._meta.db_table


def _ids_sql() -> str:
    """The ids of a JSON array given as one parameter, however many (an import's thousands): one statement."""
    if connection.vendor == "postgresql":
        return "SELECT CAST(value AS BIGINT) AS id FROM json_array_elements_text(CAST(%s AS json))"
    return "SELECT CAST(value AS INTEGER) AS id FROM json_each(%s)"


def flags_judge_written(
    *,
    agent_ids: Iterable[int],
    point_ids: Iterable[int],
    actor=None,
    cause: str = AGENTS_SAVED,
    now: datetime | None = None,
) -> dict | None:
    """Judge BLACKLISTED_AGENT at once for agents and points just written (an agent with its points: they match
    through its identities too), or, `cause` BLACKLIST_CHANGED, for those carrying a key of a blacklist entry just
    listed or lifted (agents.blacklist.services.blacklist_judge), as a check run would and through its very
    recording (recording.record with a scope): a match gets its flag now (or its resolved flag reopened) and a
    later run finds that same flag; a subject judged that no longer matches has its flag resolved, as a run
    would. Nothing else is touched.

    Called after the write commits (agents.hooks; registered in RegistrationsConfig.ready()), in one transaction
    of its own; set-based: one scope of every id, one run of the rule's SELECT. The events carry no check run
    and say the save (or the listing) raised them; the audit row is "checks.on_save" (or "checks.on_blacklist");
    critical flags raised are announced (`flags.critical_raised`, `source` "save" or "blacklist", `check_run`
    null) as a run announces its own. A disabled rule judges nothing. The counts, or None.
    """
    agents, points = sorted(set(agent_ids)), sorted(set(point_ids))
    if not (agents or points):
        return None
    rule = ensure_rules()[BLACKLIST_RULE]
    if not rule.enabled:
        return None
    params = rules.validate_parameters(BLACKLIST_RULE, rule.parameters)
    at = now or timezone.now()
    query = rules.RULES[BLACKLIST_RULE].build(params, at)
    ids = _ids_sql()
    scope_sql = f"""SELECT w.id, 'agent' AS subject_type FROM ({ids}) w
        UNION ALL SELECT p.id, 'point' FROM {POINT} p WHERE p.agent_id IN ({ids})
        UNION ALL SELECT w.id, 'point' FROM ({ids}) w"""  # noqa: S608 - a table name; the ids are parameters
    scope = (BLACKLIST_RULE, scope_sql, (json.dumps(agents), json.dumps(agents), json.dumps(points)))
    with transaction.atomic():
        counts = record(None, rule, params, query, scope, at=at, cause=cause)
        if counts["new"] or counts["reopened"] or counts["resolved"]:
            audit_record(
                action=JUDGED_ACTIONS[cause],
                actor=actor,
                object_type="registrations.rule",
                object_id=str(rule.pk),
                object_repr=rule.code,
                fields={
                    "rule": rule.code,
                    "agents": len(agents),
                    "points": len(points),
                    **{key: counts[key] for key in ("judged", "flagged", "new", "reopened", "resolved")},
                },
            )
        announce_critical(
            FlagEvent.objects.filter(flag__rule=rule, check_run=None, actor=None, at=at),
            source=cause,
            check_run=None,
            status=CheckRun.Status.DONE,
        )
    return counts
