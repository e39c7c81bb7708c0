"""Risk scores and tiers of registration points and agents (DESIGN section 5, last paragraph), and the policy
that holds their numbers.

A point's score is the sum of four parts, each kept with its inputs in `risk_factors` so a page can
explain it:

- flags: the severity weights of its OPEN and CONFIRMED flags last seen within the flag window, per
  1,000 registrations at the point in that window (never per fewer than `min_registrations`), capped;
- findings: its failed checklist items and SIMs found in the findings window, each its severity's
  weight times `weight_failed_item`;
- sanctions: the risk weight of each sanction approved on it in the sanctions window;
- uninspected: `weight_per_month_uninspected` per whole month (30 days) since its last inspection (never
  inspected: since it was created), counted up to `uninspected_cap_months`. Whole months, so a score moves
  once a month for this part, not every night.

An agent's score is the same over all of its points' data (flags and registrations carrying its id,
findings at its points, sanctions on it or its points; the last inspection of any of its points).

`rescore` is set-based: a handful of GROUP BY queries, a pass in Python over the points and agents,
then a bulk UPDATE of the rows whose score, tier or factors changed (on PostgreSQL one UPDATE ... FROM
VALUES per 2,000 rows). Memory: a few hundred bytes per point and agent; 100,000 points is a few tens of MB.
Measured on PostgreSQL with 100,000 points and 10 million registrations: about 4 s of queries, 5 s in
Python, and the UPDATE of every row (first night, or after a policy change) a few seconds more.
"""

import json
import logging
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Count, F, Max, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import Agent, RegistrationPoint, RiskTier
from core.audit import audit_record
from core.models import User
from registrations.models import Flag, FlagStatus, Registration, Severity

from .models import Finding, FindingKind, RiskPolicy, Sanction, SanctionStatus

logger = logging.getLogger(__name__)

CHANGE_POLICY_PERMISSION = "inspections.change_riskpolicy"
CENT = Decimal("0.01")
# risk_score is DecimalField(max_digits=8, decimal_places=2)
MAX_SCORE = Decimal("999999.99")
DAYS_PER_MONTH = 30
SEVERITIES = [s.value for s in Severity]
PG_BATCH = 2000


def tier_for(score: Decimal, policy: RiskPolicy) -> str:
    """HIGH from `high_from`, MEDIUM from `medium_from`, LOW below (both bounds inclusive)."""
    if score >= policy.high_from:
        return RiskTier.HIGH
    if score >= policy.medium_from:
        return RiskTier.MEDIUM
    return RiskTier.LOW


def _q(value) -> Decimal:
    return Decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def _num(value: Decimal) -> float | int:
    """A JSON number that reads back equal (so unchanged factors compare equal)."""
    value = _q(value)
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass
class Inputs:
    """What one point's (or agent's) score is made of, gathered by the GROUP BY queries."""

    flags: dict[str, int] = field(default_factory=dict)  # severity -> count
    registrations: int = 0
    findings: dict[str, int] = field(default_factory=dict)  # severity -> count
    failed_items: int = 0
    sims_found: int = 0
    sanctions: int = 0
    sanction_weight: Decimal = Decimal(0)
    since: date | None = None  # last inspection, or creation when never inspected
    never_inspected: bool = True


def score(inputs: Inputs, policy: RiskPolicy, today: date) -> tuple[Decimal, str, dict]:
    """(score, tier, factors) of one point or agent."""
    weighted = sum((policy.severity_weight(sev) * n for sev, n in inputs.flags.items()), Decimal(0))
    per = max(inputs.registrations, policy.min_registrations, 1)
    flags_raw = weighted * 1000 / per
    flags_part = min(flags_raw, policy.flag_cap)
    findings_part = sum(
        (policy.severity_weight(sev) * policy.weight_failed_item * n for sev, n in inputs.findings.items()), Decimal(0)
    )
    sanctions_part = Decimal(inputs.sanction_weight)
    days = max((today - inputs.since).days, 0) if inputs.since else 0
    months = min(days // DAYS_PER_MONTH, policy.uninspected_cap_months)
    uninspected_part = policy.weight_per_month_uninspected * months
    parts = [_q(p) for p in (flags_part, findings_part, sanctions_part, uninspected_part)]
    total = min(sum(parts, Decimal(0)), MAX_SCORE)
    tier = tier_for(total, policy)
    factors = {
        "total": _num(total),
        "tier": tier,
        "policy_version": policy.version,
        "flags": {
            "score": _num(parts[0]),
            "by_severity": {sev: inputs.flags[sev] for sev in SEVERITIES if inputs.flags.get(sev)},
            "weighted": _num(weighted),
            "registrations": inputs.registrations,
            "per": per,
            "window_days": policy.flag_window_days,
            "capped": flags_raw > policy.flag_cap,
        },
        "findings": {
            "score": _num(parts[1]),
            "failed_items": inputs.failed_items,
            "sims_found": inputs.sims_found,
            "by_severity": {sev: inputs.findings[sev] for sev in SEVERITIES if inputs.findings.get(sev)},
            "window_days": policy.findings_window_days,
        },
        "sanctions": {
            "score": _num(parts[2]),
            "count": inputs.sanctions,
            "window_days": policy.sanctions_window_days,
        },
        "uninspected": {
            "score": _num(parts[3]),
            "months": months,
            "since": inputs.since.isoformat() if inputs.since else None,
            "never": inputs.never_inspected,
            "cap_months": policy.uninspected_cap_months,
        },
    }
    return total, tier, factors


# --- gathering the inputs -------------------------------------------------------------------------


def _gather(policy: RiskPolicy, now: datetime) -> tuple[dict[int, Inputs], dict[int, Inputs]]:
    """Inputs per point id and per agent id, from one GROUP BY query per source."""
    today = timezone.localdate(now)
    points: dict[int, Inputs] = {}
    agents: dict[int, Inputs] = {}
    if connection.vendor == "postgresql":
        # these statements run once: compiling them (JIT) costs more than it saves; reset at commit
        with connection.cursor() as cursor:
            cursor.execute("SELECT set_config('jit', 'off', true)")

    point_agent: dict[int, int] = {}
    for pk, agent_id, created_at, last in RegistrationPoint.objects.values_list(
        "pk", "agent_id", "created_at", "last_inspection_on"
    ).order_by():
        point_agent[pk] = agent_id
        points[pk] = Inputs(since=last or _local_date(created_at, today), never_inspected=last is None)
    last_by_agent = dict(
        RegistrationPoint.objects.filter(last_inspection_on__isnull=False)
        .values("agent_id")
        .annotate(last=Max("last_inspection_on"))
        .values_list("agent_id", "last")
        .order_by()
    )
    for pk, created_at in Agent.objects.values_list("pk", "created_at").order_by():
        last = last_by_agent.get(pk)
        agents[pk] = Inputs(since=last or _local_date(created_at, today), never_inspected=last is None)

    _add_flags_and_registrations(points, agents, since=now - timedelta(days=policy.flag_window_days))
    _add_findings(points, agents, point_agent, since=now - timedelta(days=policy.findings_window_days))
    _add_sanctions(points, agents, since=now - timedelta(days=policy.sanctions_window_days))
    return points, agents


def _add_flags_and_registrations(points: dict, agents: dict, *, since: datetime) -> None:
    """Open and confirmed flags by severity, and registrations, of the window, per point and per agent."""
    flag_since = since
    live_flags = Flag.objects.filter(status__in=(FlagStatus.OPEN, FlagStatus.CONFIRMED), last_seen__gte=flag_since)
    for key, target in (("point_id", points), ("agent_id", agents)):
        rows = live_flags.filter(**{f"{key}__isnull": False}).values(key, "severity").annotate(n=Count("id"))
        for row in rows.order_by():
            if row[key] in target:
                target[row[key]].flags[row["severity"]] = row["n"]
        # the (point, registered_at) and (agent, registered_at) indexes answer these
        counts = (
            Registration.objects.filter(**{f"{key}__isnull": False}, registered_at__gte=flag_since)
            .values(key)
            .annotate(n=Count("id"))
            .values_list(key, "n")
            .order_by()
        )
        for pk, n in counts:
            if pk in target:
                target[pk].registrations = n


def _add_findings(points: dict, agents: dict, point_agent: dict[int, int], *, since: datetime) -> None:
    """Findings of the window by severity, failed items and SIMs found, on the point and on its agent."""
    findings_since = since
    findings = (
        Finding.objects.filter(created_at__gte=findings_since)
        .values("point_id", "kind", "severity")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in findings:
        for inputs in (points.get(row["point_id"]), agents.get(point_agent.get(row["point_id"]))):
            if inputs is None:
                continue
            inputs.findings[row["severity"]] = inputs.findings.get(row["severity"], 0) + row["n"]
            if row["kind"] == FindingKind.SIM_FOUND:
                inputs.sims_found += row["n"]
            else:
                inputs.failed_items += row["n"]


def _add_sanctions(points: dict, agents: dict, *, since: datetime) -> None:
    """Approved sanctions of the window and their risk weight."""
    sanctions_since = since
    sanctions = (
        Sanction.objects.annotate(at=Coalesce("decided_at", "proposed_at"))
        .filter(status=SanctionStatus.APPROVED, at__gte=sanctions_since)
        .values("point_id", "agent_id", point_agent_id=F("point__agent_id"))
        .annotate(n=Count("id"), weight=Sum("sanction_type__risk_weight"))
        .order_by()
    )
    for row in sanctions:
        # a sanction counts once on the point and once on each agent it touches (its own, the point's)
        touched = [points.get(row["point_id"])]
        touched += [agents.get(pk) for pk in {row["agent_id"], row["point_agent_id"]}]
        for inputs in touched:
            if inputs is not None:
                inputs.sanctions += row["n"]
                inputs.sanction_weight += row["weight"] or 0


def _local_date(value: datetime | None, default: date) -> date:
    return timezone.localdate(value) if value is not None else default


# --- writing the scores ---------------------------------------------------------------------------


def _apply(model, inputs_by_pk: dict[int, Inputs], policy: RiskPolicy, now: datetime) -> dict:
    """Score every row of `model`; bulk-update the ones whose score, tier or factors changed."""
    today = timezone.localdate(now)
    tiers = dict.fromkeys(RiskTier.values, 0)
    changed = []
    current = model.objects.values_list("pk", "risk_score", "risk_tier", "risk_factors").order_by()
    for pk, old_score, old_tier, old_factors in current.iterator(chunk_size=5000):
        inputs = inputs_by_pk.get(pk)
        if inputs is None:  # created since the inputs were gathered; the next run scores it
            continue
        new_score, new_tier, factors = score(inputs, policy, today)
        tiers[new_tier] += 1
        if new_score != old_score or new_tier != old_tier or factors != old_factors:
            changed.append(
                model(pk=pk, risk_score=new_score, risk_tier=new_tier, risk_factors=factors, risk_scored_at=now)
            )
    _write(model, changed)
    return {"scored": sum(tiers.values()), "changed": len(changed), "tiers": tiers}


def _write(model, rows: list) -> None:
    """Save the risk fields of `rows` (unsaved instances carrying pk and the new values)."""
    fields = ["risk_score", "risk_tier", "risk_factors", "risk_scored_at"]
    if connection.vendor != "postgresql":
        # Django's bulk_update is a CASE per field: quadratic in the batch, so small batches
        model.objects.bulk_update(rows, fields, batch_size=100)
        return
    table = connection.ops.quote_name(model._meta.db_table)
    for start in range(0, len(rows), PG_BATCH):
        batch = rows[start : start + PG_BATCH]
        values = ", ".join(["(%s::bigint, %s::numeric, %s::varchar, %s::jsonb, %s::timestamptz)"] * len(batch))
        params = []
        for row in batch:
            params += [row.pk, row.risk_score, row.risk_tier, json.dumps(row.risk_factors), row.risk_scored_at]
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} AS t SET risk_score = v.score, risk_tier = v.tier, risk_factors = v.factors, "  # noqa: S608 - names only
                f"risk_scored_at = v.at FROM (VALUES {values}) AS v(id, score, tier, factors, at) WHERE t.id = v.id",
                params,
            )


@transaction.atomic
def rescore(*, now: datetime | None = None, actor: User | None = None) -> dict:
    """Score every point and agent now; the counts per tier and of rows changed. Safe to run twice."""
    now = now or timezone.now()
    policy = RiskPolicy.current()
    points, agents = _gather(policy, now)
    summary = {
        "points": _apply(RegistrationPoint, points, policy, now),
        "agents": _apply(Agent, agents, policy, now),
        "policy_version": policy.version,
    }
    audit_record(action="risk.rescore", actor=actor, object_type="inspections.riskpolicy", fields=summary)
    return summary


# --- the policy -----------------------------------------------------------------------------------


def policy_validate(values: dict) -> None:
    """The policy's numbers must make sense together (ValidationError per field)."""
    errors = {}
    if values["medium_from"] >= values["high_from"]:
        errors["medium_from"] = _("The MEDIUM tier must start below the HIGH tier.")
    weights = [values[f"weight_{sev}"] for sev in ("critical", "high", "medium", "low")]
    if any(a < b for a, b in zip(weights, weights[1:], strict=False)):
        errors["weight_low"] = _("Weights must not grow as severity falls (critical ≥ high ≥ medium ≥ low).")
    if not values["cadence_high_days"] <= values["cadence_medium_days"] <= values["cadence_low_days"]:
        errors["cadence_medium_days"] = _("Higher tiers are inspected at least as often: HIGH ≤ MEDIUM ≤ LOW days.")
    at_least_one = ("flag_window_days", "findings_window_days", "sanctions_window_days", "min_registrations")
    # a visit needs room for a photo, and a speed of 0 would call every journey impossible
    at_least_one += ("integrity_max_speed_kmh", "max_photos_per_visit")
    for name in at_least_one:
        if name in values and values[name] < 1:
            errors[name] = _("Must be at least 1.")
    for name, value in values.items():
        if isinstance(value, Decimal) and value < 0:
            errors[name] = _("Must not be negative.")
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def policy_update(*, actor: User, values: dict, reason: str = "") -> RiskPolicy:
    """Change the policy's numbers; a change bumps its version and is audited with each field's before and
    after. Nothing changed: nothing is written. Scores follow at the next rescore (nightly or "rescore now")."""
    if not actor.has_perm(CHANGE_POLICY_PERMISSION):
        raise PermissionDenied
    policy = RiskPolicy.current()
    policy = RiskPolicy.objects.select_for_update().get(pk=policy.pk)
    editable = [f.name for f in editable_fields()]
    unknown = set(values) - set(editable)
    if unknown:
        raise ValidationError(_("Unknown policy fields: %(names)s.") % {"names": ", ".join(sorted(unknown))})
    merged = {name: values.get(name, getattr(policy, name)) for name in editable}
    policy_validate(merged)
    changes = {
        name: {"from": getattr(policy, name), "to": value}
        for name, value in merged.items()
        if getattr(policy, name) != value
    }
    if not changes:
        return policy
    for name, value in merged.items():
        setattr(policy, name, value)
    policy.version += 1
    policy.updated_by = actor
    policy.full_clean()
    policy.save()
    audit_record(
        action="risk.policy_update",
        actor=actor,
        obj=policy,
        fields={"version": policy.version, "changes": changes},
        reason=" ".join((reason or "").split()),
    )
    return policy


def editable_fields():
    """The policy's numbers, in model order (everything but the bookkeeping)."""
    skip = {"id", "version", "updated_at", "updated_by"}
    return [f for f in RiskPolicy._meta.concrete_fields if f.name not in skip]


def rescore_now(*, actor: User) -> dict:
    """Rescore now, from the policy page (managers)."""
    if not actor.has_perm(CHANGE_POLICY_PERMISSION):
        raise PermissionDenied
    return rescore(actor=actor)
