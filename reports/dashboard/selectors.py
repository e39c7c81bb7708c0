"""The dashboard's figures, each counted over the same rows as the list its link opens.

Every counter starts from the list's own selector (scoped by `for_user`), applies what the list's FilterSet
applies for the link's parameters, and carries that link. The weekly charts and the 30-day registrations
read the nightly per-province day counts (reports.dashboard.models) and add the rows above the night's
watermark live.
"""

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from django.db import connection
from django.db.models import Count, Q, Sum
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents import selectors as agent_selectors
from agents.filters import NOT_SCORED
from agents.models import RegistrationPoint, RiskTier, Status
from core.scoping import province_scope
from inspections import selectors as inspection_selectors
from inspections.models import (
    NOT_SUBMITTED_STATUSES,
    OPEN_TASK_STATUSES,
    ActionStatus,
    RiskPolicy,
    SanctionStatus,
    TaskStatus,
)
from registrations.models import Flag, FlagStatus, Rule, Severity
from registrations.records.filters import local_day_start

from .formats import grouped
from .models import AggregateMark, DailyCount, FlagTally, Metric
from .services import SOURCES, TALLIED, local_day

WEEKS = 26
RECENT_DAYS = 30
DUE_SOON_DAYS = 7
TOP = 10
TIERS = (RiskTier.HIGH, RiskTier.MEDIUM, RiskTier.LOW)
CASE_RULES = ("PREACTIVATED", "ACTIVATED_UNREGISTERED")
SUBJECT_LIST = "reports:subject_request_list"
REMEDIATION_LIST = "enforcement:remediation_case_list"


def link(url_name: str, **params) -> str | None:
    """The list's address with its filter parameters; None while that list does not exist."""
    try:
        url = reverse(url_name)
    except NoReverseMatch:
        return None
    return f"{url}?{urlencode(params)}" if params else url


@dataclass
class Figure:
    value: int
    url: str | None

    @property
    def text(self) -> str:
        return grouped(self.value)


@dataclass
class Grid:
    """Counts by status (rows) and risk tier (columns), with totals; each cell links to its list."""

    rows: list[dict] = field(default_factory=list)  # {"label", "cells": [Figure], "total": Figure}
    columns: list = field(default_factory=list)  # tier labels
    totals: list[Figure] = field(default_factory=list)
    total: Figure | None = None


def _tier_param(tier: str) -> str:
    return tier or NOT_SCORED


def _grid(queryset, url_name: str) -> Grid:
    counts = {
        (row["status"], row["risk_tier"]): row["n"]
        for row in queryset.order_by().values("status", "risk_tier").annotate(n=Count("id"))
    }
    # a column for the rows the nightly scoring has not reached yet, only when there are some
    unscored = any(tier == "" for _status, tier in counts)
    tiers = [*TIERS, ""] if unscored else list(TIERS)
    grid = Grid(columns=[*(t.label for t in TIERS), *([_("Not scored yet")] if unscored else [])])
    for status in Status:
        cells = [
            Figure(counts.get((status, t), 0), link(url_name, status=status, risk_tier=_tier_param(t))) for t in tiers
        ]
        grid.rows.append(
            {
                "label": status.label,
                "cells": cells,
                "total": Figure(sum(c.value for c in cells), link(url_name, status=status)),
            }
        )
    grid.totals = [
        Figure(sum(counts.get((s, t), 0) for s in Status), link(url_name, risk_tier=_tier_param(t))) for t in tiers
    ]
    grid.total = Figure(sum(counts.values()), link(url_name))
    return grid


# --- day counts: the nightly aggregate plus the live rows above its watermark ---------------------


def day_counts(metric: str, *, user, first: date, last: date) -> dict[date, int]:
    """{local day: rows} of `metric` from `first` to `last` (inclusive) in the user's provinces."""
    source = SOURCES[metric]
    scope = province_scope(user)
    mark = AggregateMark.objects.filter(metric=metric).first()
    counts: dict[date, int] = defaultdict(int)
    live = source.rows()
    if scope is not None:
        live = live.filter(**{f"{source.province_field}__in": scope})
    window = {
        f"{source.time_field}__gte": local_day_start(first),
        f"{source.time_field}__lt": local_day_start(last + timedelta(days=1)),
    }
    live = live.filter(**window)
    parts = [live]
    if mark is not None:
        stored = DailyCount.objects.filter(metric=metric, day__gte=max(first, mark.first_day), day__lte=last)
        if scope is not None:
            stored = stored.filter(province__in=scope)
        for day, n in stored.values("day").annotate(n=Sum("count")).values_list("day", "n"):
            counts[day] += n
        # the rows above the watermark (the primary key's index finds them), and the days older than what the
        # night counted; two queries, as an OR of the two would read the whole window
        parts = [live.filter(id__gt=mark.max_id)]
        if first < mark.first_day:
            parts.append(live.filter(**{f"{source.time_field}__lt": local_day_start(mark.first_day)}))
    for part in parts:
        rows = part.annotate(day=local_day(source.time_field)).values("day").annotate(n=Count("id"))
        for day, n in rows.values_list("day", "n"):
            counts[day] += n
    return counts


# --- the weekly charts -----------------------------------------------------------------------------


@dataclass
class Bar:
    start: date
    end: date
    value: int
    url: str | None

    @property
    def text(self) -> str:
        return grouped(self.value)


def week_starts(today: date) -> list[date]:
    monday = today - timedelta(days=today.weekday())
    return [monday - timedelta(weeks=WEEKS - 1 - i) for i in range(WEEKS)]


def _weekly(days: dict[date, int], starts: list[date], make_url) -> list[Bar]:
    bars = []
    for start in starts:
        end = start + timedelta(days=6)
        value = sum(n for day, n in days.items() if start <= day <= end)
        bars.append(Bar(start, end, value, make_url(start, end)))
    return bars


def _closed_days(user, first: date, last: date) -> dict[date, int]:
    tasks = inspection_selectors.task_list(user=user).filter(
        status=TaskStatus.CLOSED,
        closed_at__gte=local_day_start(first),
        closed_at__lt=local_day_start(last + timedelta(days=1)),
    )
    rows = tasks.order_by().annotate(day=local_day("closed_at")).values("day").annotate(n=Count("id"))
    return {row["day"]: row["n"] for row in rows}


# --- the whole page ------------------------------------------------------------------------------


def dashboard(*, user, today: date | None = None) -> dict:
    """Every figure the user may see (a figure whose list the user may not open is left out)."""
    today = today or timezone.localdate()
    can = user.has_perm
    context: dict = {"today": today}
    starts = week_starts(today)
    week_first, week_last = starts[0], starts[-1] + timedelta(days=6)
    charts = []

    if can("agents.view_agent"):
        agents = agent_selectors.agent_list(user=user)
        context["agents"] = _grid(agents, "agents:agent_list")
        context["riskiest_agents"] = list(
            agents.select_related(None).select_related("province").order_by("-risk_score", "-id")[:TOP]
        )
    if can("agents.view_registrationpoint"):
        points = agent_selectors.point_list(user=user)
        context["points"] = _grid(points, "agents:point_list")
        context["riskiest_points"] = list(
            points.select_related(None).select_related("province").order_by("-risk_score", "-id")[:TOP]
        )
        context["coverage"] = _coverage(points, today)

    if can("registrations.view_registration"):
        first = today - timedelta(days=RECENT_DAYS - 1)
        days = day_counts(Metric.REGISTRATIONS, user=user, first=min(first, week_first), last=max(today, week_last))
        context["registrations_recent"] = Figure(
            sum(n for day, n in days.items() if first <= day <= today),
            link("registrations:registration_list", registered_from=first.isoformat(), registered_to=today.isoformat()),
        )
        charts.append(
            {
                "key": "registrations",
                "title": _("Registrations per week"),
                "bars": _weekly(
                    days,
                    starts,
                    lambda a, b: link(
                        "registrations:registration_list", registered_from=a.isoformat(), registered_to=b.isoformat()
                    ),
                ),
            }
        )

    if can("registrations.view_flag"):
        # the queue's rows (flag_list adds joins for what a row shows, not rows): counted without those joins
        context.update(_flag_figures(flag_groups(user)))
        days = day_counts(Metric.FLAGS_RAISED, user=user, first=week_first, last=week_last)
        charts.append(
            {
                "key": "flags",
                "title": _("Flags raised per week"),
                "bars": _weekly(
                    days,
                    starts,
                    lambda a, b: link(
                        "registrations:flag_list", status="", raised_from=a.isoformat(), raised_to=b.isoformat()
                    ),
                ),
            }
        )

    if can("inspections.view_inspectiontask"):
        tasks = inspection_selectors.task_list(user=user).order_by()
        soon = today + timedelta(days=DUE_SOON_DAYS - 1)
        counts = tasks.aggregate(
            due=Count("id", filter=Q(status__in=OPEN_TASK_STATUSES, due_date__gte=today, due_date__lte=soon)),
            overdue=Count("id", filter=Q(status__in=NOT_SUBMITTED_STATUSES, due_date__lt=today)),
        )
        context["tasks_due"] = Figure(
            counts["due"], link("inspections:task_list", due_from=today.isoformat(), due_to=soon.isoformat())
        )
        context["tasks_overdue"] = Figure(counts["overdue"], link("inspections:task_list", overdue="true"))
        context["tasks_due_until"] = soon
        charts.append(
            {
                "key": "inspections",
                "title": _("Inspections done per week"),
                "bars": _weekly(
                    _closed_days(user, week_first, week_last),
                    starts,
                    lambda a, b: link(
                        "inspections:task_list",
                        status=TaskStatus.CLOSED,
                        closed_from=a.isoformat(),
                        closed_to=b.isoformat(),
                    ),
                ),
            }
        )

    if can("inspections.view_sanction"):
        n = inspection_selectors.sanction_list(user=user).filter(status=SanctionStatus.PROPOSED).order_by().count()
        context["sanctions_proposed"] = Figure(n, link("inspections:sanction_list", status=SanctionStatus.PROPOSED))
    if can("inspections.view_correctiveaction"):
        counts = (
            inspection_selectors.action_list(user=user)
            .order_by()
            .aggregate(
                open=Count("id", filter=Q(status=ActionStatus.OPEN)),
                overdue=Count("id", filter=Q(status=ActionStatus.OPEN, due_date__lt=today)),
            )
        )
        context["actions_open"] = Figure(counts["open"], link("inspections:action_list", status=ActionStatus.OPEN))
        context["actions_overdue"] = Figure(counts["overdue"], link("inspections:action_list", overdue="true"))

    if can("reports.view_subjectrequest"):
        context.update(_subject_figures(user, today))
    if can("enforcement.view_remediationcase"):
        context.update(_remediation_figures(user, today))
    if can("enforcement.view_campaign"):
        context.update(_campaign_figures(user))

    context["charts"] = charts
    return context


def flag_groups(user) -> list[tuple[int, str, str, int]]:
    """(rule id, severity, status, count) of the open and confirmed flags in the user's queue (the queue's rows:
    Flag.objects.for_user). On PostgreSQL from the trigger-kept tally, summed over the user's points; elsewhere
    grouped live."""
    scope = province_scope(user)
    if connection.vendor == "postgresql":
        tally = FlagTally.objects.order_by()
        if scope is not None:
            tally = tally.filter(point_id__in=RegistrationPoint.objects.filter(province__in=scope).values("id"))
        rows = tally.values_list("rule_id", "severity", "status").annotate(total=Sum("n"))
        return [row for row in rows if row[3]]
    flags = Flag.objects.for_user(user).filter(status__in=TALLIED).order_by()
    return list(flags.values_list("rule_id", "severity", "status").annotate(n=Count("id")))


# The flag queue's filters the tally's columns answer (the rule is the facet's own); any other filter in use
# and the queue counts its flags itself.
TALLY_FILTERS = ("status", "severity")


def queue_rule_counts(user, filters: dict) -> dict[int, int] | None:
    """The flag queue's per-rule counts from the tally (registrations.checks.selectors.register_rule_count_source):
    exact, and without reading half a million flags each time the queue opens (14 ms of its SQL at 1M
    registrations, against under 1 ms here). Answers only where the tally holds exactly the queue's flags: on
    PostgreSQL (the triggers), for a user with every province (the tally keys flags by point, and flags without
    one, on APP registrations and activations, have no province), for open or confirmed flags (the statuses it
    keeps), filtered at most by severity. None otherwise: the queue then counts."""
    if connection.vendor != "postgresql" or province_scope(user) is not None:
        return None
    if any(value not in (None, "") for name, value in filters.items() if name not in TALLY_FILTERS):
        return None
    status = filters.get("status")
    if status not in TALLIED:
        return None
    tally = FlagTally.objects.order_by().filter(status=status)
    if filters.get("severity"):
        tally = tally.filter(severity=filters["severity"])
    return {rule_id: n for rule_id, n in tally.values_list("rule_id").annotate(total=Sum("n")) if n}


def _flag_figures(groups) -> dict:
    """Open flags by rule (names, not codes) and by severity; the pre-activated SIM cases, all from the open and
    confirmed flags grouped by rule, severity and status."""
    by_rule: dict[int, int] = defaultdict(int)
    by_severity: dict[str, int] = defaultdict(int)
    by_rule_status: dict[tuple[int, str], int] = defaultdict(int)
    for rule_id, severity, status, n in groups:
        by_rule_status[(rule_id, status)] += n
        if status == FlagStatus.OPEN:
            by_rule[rule_id] += n
            by_severity[severity] += n
    rules = {rule.pk: rule for rule in Rule.objects.filter(Q(pk__in=by_rule) | Q(code__in=CASE_RULES))}
    rule_rows = sorted(
        (
            {
                "rule": rules[pk],
                "figure": Figure(n, link("registrations:flag_list", rule=rules[pk].code, status=FlagStatus.OPEN)),
            }
            for pk, n in by_rule.items()
        ),
        key=lambda row: (-row["figure"].value, row["rule"].code),
    )
    severity_rows = [
        {
            "severity": severity,
            "figure": Figure(
                by_severity.get(severity, 0), link("registrations:flag_list", severity=severity, status=FlagStatus.OPEN)
            ),
        }
        for severity in Severity
    ]
    by_code = {rule.code: rule for rule in rules.values()}
    case_rows = [
        {
            "rule": by_code[code],
            "code": code,
            "cells": [
                {
                    "state": status.lower(),
                    "figure": Figure(
                        by_rule_status.get((by_code[code].pk, status), 0),
                        link("registrations:flag_list", rule=code, status=status),
                    ),
                }
                for status in (FlagStatus.OPEN, FlagStatus.CONFIRMED)
            ],
        }
        for code in CASE_RULES
        if code in by_code
    ]
    return {
        "flags_open": Figure(sum(by_rule.values()), link("registrations:flag_list", status=FlagStatus.OPEN)),
        "flags_by_rule": rule_rows,
        "flags_by_severity": severity_rows,
        "cases": case_rows,
    }


def _coverage(points, today: date) -> dict:
    """Active points inspected within their tier's cadence (the risk policy's days; unscored points: LOW's,
    as the scheduler treats them)."""
    policy = RiskPolicy.current()
    active = points.filter(status=Status.ACTIVE).order_by()
    rows = []
    aggregates = {}
    for tier in (*TIERS, ""):
        cutoff = today - timedelta(days=policy.cadence_days(tier or RiskTier.LOW))
        aggregates[f"all_{tier}"] = Count("id", filter=Q(risk_tier=tier))
        aggregates[f"in_{tier}"] = Count("id", filter=Q(risk_tier=tier, last_inspection_on__gte=cutoff))
    counts = active.aggregate(**aggregates)
    for tier in (*TIERS, ""):
        days = policy.cadence_days(tier or RiskTier.LOW)
        cutoff = today - timedelta(days=days)
        base = {"status": Status.ACTIVE, "risk_tier": _tier_param(tier)}
        total, covered = counts[f"all_{tier}"], counts[f"in_{tier}"]
        if not tier and not total:
            continue  # every point scored: no row for the unscored
        rows.append(
            {
                "label": RiskTier(tier).label if tier else _("Not scored yet"),
                "days": days,
                "total": Figure(total, link("agents:point_list", **base)),
                "covered": Figure(covered, link("agents:point_list", **base, inspected_from=cutoff.isoformat())),
                "late": Figure(total - covered, link("agents:point_list", **base, inspected_before=cutoff.isoformat())),
                "share": covered * 100 / total if total else None,
            }
        )
    total = sum(r["total"].value for r in rows)
    covered = sum(r["covered"].value for r in rows)
    return {
        "rows": rows,
        "total": total,
        "covered": covered,
        "total_text": grouped(total),
        "covered_text": grouped(covered),
        "share": covered * 100 / total if total else None,
        "active": Figure(total, link("agents:point_list", status=Status.ACTIVE)),
    }


def subject_requests_for_user(user):
    """The requests the user may see, scoped exactly as their list is (reports.subjects.selectors), so the
    counters and the list behind their links count the same rows."""
    from ..subjects.selectors import subject_request_list

    return subject_request_list(user=user)


def _subject_figures(user, today: date) -> dict:
    requests = subject_requests_for_user(user).order_by()
    from ..subjects.selectors import CLOSED, overdue_q

    still_open = ~Q(status__in=CLOSED)
    overdue = overdue_q(today)
    counts = requests.aggregate(open=Count("id", filter=still_open), overdue=Count("id", filter=overdue))
    return {
        "subjects_open": Figure(counts["open"], link(SUBJECT_LIST, due="open")),
        "subjects_overdue": Figure(counts["overdue"], link(SUBJECT_LIST, due="overdue")),
    }


def _campaign_figures(user) -> dict:
    """Open re-verification campaigns and their subscriptions still pending, each linking to the list it
    counts (the campaign list filtered OPEN; the remediation case list filtered by progress PENDING)."""
    from enforcement.campaigns.models import Campaign
    from enforcement.campaigns.progress import Progress, progress_q
    from enforcement.remediation.models import RemediationCase

    pending = RemediationCase.objects.for_user(user).filter(campaign__isnull=False).filter(progress_q(Progress.PENDING))
    return {
        "campaigns_open": Figure(
            Campaign.objects.for_user(user).filter(status=Campaign.Status.OPEN).count(),
            link("enforcement:campaign_list", status=Campaign.Status.OPEN),
        ),
        "campaign_cases_pending": Figure(pending.count(), link(REMEDIATION_LIST, progress=Progress.PENDING)),
    }


def _remediation_figures(user, today: date) -> dict:
    """Open remediation cases per step (each links to the case list filtered the same way), the steps on
    today's lists not yet sent, and the steps the operator reported done in the last 30 days, on time or late."""
    from enforcement.remediation import selectors as remediation
    from enforcement.remediation.services import day_end, scoped_steps

    rows = [
        {"step": step, "figure": Figure(n, link(REMEDIATION_LIST, status="OPEN", step=step.value))}
        for step, n in remediation.open_cases_by_step(user=user)
    ]
    first = today - timedelta(days=RECENT_DAYS - 1)
    done = remediation.on_time_counts(
        scoped_steps(user).filter(done_at__gte=day_end(first - timedelta(days=1)), done_at__lt=day_end(today))
    )
    return {
        "remediation_by_step": rows,
        "remediation_open": Figure(sum(row["figure"].value for row in rows), link(REMEDIATION_LIST, status="OPEN")),
        "remediation_to_send": Figure(
            remediation.steps_to_send(user=user, day=today), link("enforcement:remediation_lists")
        ),
        "remediation_on_time": grouped(done["on_time"]),
        "remediation_late": grouped(done["late"]),
    }
