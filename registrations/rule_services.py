"""Managing the rules: change a rule's parameters or switch it off (versioned, audited), and backtest
proposed parameters without writing anything.

The rule functions and their parameters' schema and validation live in `registrations.rules` (one
module per rule family); this module only calls them. Running the checks is `registrations.checks`.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models.expressions import RawSQL
from django.utils import timezone

from core.audit import audit_record

from . import rules, selectors
from .checks import STALE_AFTER
from .models import CheckRun, Flag, FlagStatus, Rule, SubjectType
from .tasks import run_checks_task

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


@transaction.atomic
def rule_update(*, rule: Rule, actor, enabled: bool, parameters: dict, reason: str = "") -> Rule:
    """Switch a rule on or off and set its parameters; a change bumps its version and is audited (before and
    after). Flags keep the version and parameters that raised them. Nothing changes: nothing is written."""
    if not actor.has_perm(CHANGE_RULE_PERMISSION):
        raise PermissionDenied
    parameters = rules.validate_parameters(rule.code, parameters)
    rule = Rule.objects.select_for_update().get(pk=rule.pk)
    before = {"enabled": rule.enabled, "parameters": dict(rule.parameters or {}), "version": rule.version}
    if before["enabled"] == enabled and before["parameters"] == parameters:
        return rule
    rule.enabled = enabled
    rule.parameters = parameters
    rule.version = before["version"] + 1
    rule.updated_by = actor
    rule.full_clean()
    rule.save(update_fields=["enabled", "parameters", "version", "updated_by", "updated_at"])
    after = {"enabled": rule.enabled, "parameters": rule.parameters, "version": rule.version}
    audit_record(
        action="rule.update",
        actor=actor,
        obj=rule,
        reason=" ".join((reason or "").split()),
        fields={"before": before, "after": after},
    )
    return rule


# --- backtest ---


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
    """The check run in progress, if any. A RUNNING run silent for longer than checks.STALE_AFTER belongs
    to a process that died; the next run marks it FAILED, so it does not block a new one."""
    fresh = timezone.now() - STALE_AFTER
    return (
        CheckRun.objects.filter(status=CheckRun.Status.RUNNING, heartbeat_at__gte=fresh)
        .select_related("started_by")
        .order_by("-started_at")
        .first()
    )


def checks_run_now(*, actor) -> None:
    """Queue a run of every enabled rule (trigger PAGE, started by `actor`) once the transaction commits.

    Refuses with ChecksAlreadyRunning while a run is in progress. The task creates the CheckRun (and its
    lock refuses a second one that slipped past this check), so there is nothing to write here.
    """
    if not actor.has_perm(RUN_CHECKS_PERMISSION):
        raise PermissionDenied
    running = running_check_run()
    if running is not None:
        raise ChecksAlreadyRunning(running)
    user_id = actor.pk
    transaction.on_commit(lambda: run_checks_task.delay(trigger=CheckRun.Trigger.PAGE.value, user_id=user_id))
