"""The month's figures of the compliance report (DESIGN section 7, `monthly_report`): one definition each.

The month is a local calendar month (Asia/Ho_Chi_Minh): it starts at local midnight of its first day
(inclusive) and ends at local midnight of the next month's first day (exclusive); both are instants, so
`2026-03-31T23:59:59.999999+07:00` is in March and `2026-03-31T17:00:00Z` (= 1 April 00:00 local) is in
April. A date field (a due date) is in the month when that local date is.

Scope: `provinces` empty = all provinces. With provinces (a regional report):
- registrations count by their point's province; `APP` registrations have no point and count only in the
  all-provinces report;
- activations carry no province: an activation counts when a registration of its ICCID (any status)
  was made at a point in those provinces (the SIM's point of sale is where it belongs); an activation
  with no such registration (e.g. one flagged ACTIVATED_UNREGISTERED whose SIM nobody registered)
  belongs to no province and counts only in the all-provinces report, like APP registrations;
- points, inspections, findings, sanctions and corrective actions by their point's province; agents by
  their own province; subscriber requests whose provinces (those of the subscriber's points) include one
  of them (a request with none counts only in the all-provinces report).

Codes (in this order; `METRIC_CODES`):
- `registrations`: registrations whose `registered_at` is in the month, any status;
- `registrations_cancelled`: of those, status `CANCELLED`;
- `activations`: activations (one per ICCID, the earliest `activated_at`) whose `activated_at` is in the month;
- `flagged.<RULE>` (every rule code): subjects of the month (registrations by `registered_at`,
  activations by `activated_at`, agents and points by the flag's `first_seen`) with a flag of that rule
  whose status is `OPEN` or `CONFIRMED` when the report is computed;
- `flagged_any`: registrations of the month with at least one such flag, of any rule;
- `points_active`, `agents_active`: points (agents) whose status at the month's end was `ACTIVE`. The status
  at the end is the `to_status` of the latest status change before the end (ties: the later id); for one
  whose recorded history starts after the end, the status it had before that first change (its
  `from_status`, or, when that change is its creation, the status it was created with); for one with no
  history at all, its current status;
- `inspections_due`: inspection tasks whose due date is in the month, except cancelled ones;
- `inspections_done`: inspection tasks closed (report accepted, status `CLOSED`) in the month;
- `findings`: findings recorded in the month (`created_at`);
- `sanctions_approved`: sanctions approved (status `APPROVED`) with their decision in the month;
- `fines_vnd`: the sum of those sanctions' amounts in VND (blank amounts count 0);
- `corrective_actions_due`: corrective actions whose due date is in the month;
- `corrective_actions_done_on_time`: of those, `VERIFIED` ones whose evidence was received before the end
  of their due date (local);
- `subject_requests_received`: subscriber requests received (`received_at`) in the month;
- `subject_requests_on_time`: of those, completed (`completed_at` set) before the end of their `due` date (local);
- `remediation_cases_opened`: subscriber remediation cases (enforcement.remediation, issue 16) opened in the
  month, by their registration's point's province (APP registrations' cases only in the all-provinces report);
- `remediation_cases.<STEP>` (REMINDER, SUSPEND_OUTGOING, ONE_WAY_BLOCK, TWO_WAY_BLOCK, TERMINATION): cases
  whose step came due in the month (the ladder reached it; a case closed before a step's due time never does);
- `remediation_steps_on_time`: of those steps, the ones the operator reported DONE by their due time (instants);
- `remediation_steps_late`: of those steps, the ones reported DONE after their due time;
- `campaigns_open`: re-verification campaigns (enforcement.campaigns, issue 16) open at the month's end, by
  their point's or agent's province;
- `campaign_cases.<PROGRESS>` (REVERIFIED, CORRECTED, TERMINATED, PENDING): the cases of the campaigns open at
  some time in the month, by how they stand when the report is computed (enforcement/campaigns/progress.py).

Every figure is one aggregate query (or part of one); nothing loops over rows in Python.
"""

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django.db.models import Count, Exists, F, IntegerField, OuterRef, Q, Subquery, Sum, Value
from django.db.models.functions import Coalesce, NullIf, TruncDate, TruncMonth

from agents.models import Agent, RegistrationPoint, Status, StatusChange
from enforcement.campaigns.progress import Progress
from enforcement.campaigns.selectors import month_figures as campaign_month_figures
from enforcement.remediation.models import STEP_POSITION
from enforcement.remediation.selectors import month_figures as remediation_month_figures
from inspections.models import ActionStatus, CorrectiveAction, Finding, InspectionTask, Sanction, TaskStatus
from inspections.models.outcomes import SanctionStatus
from registrations.checks.rules import CODES as RULE_CODES
from registrations.models import Activation, Flag, FlagStatus, Registration, RegistrationStatus, SubjectType
from reports.subjects.models import SubjectRequest

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
LIVE_FLAG_STATUSES = (FlagStatus.OPEN, FlagStatus.CONFIRMED)

METRIC_CODES: tuple[str, ...] = (
    "registrations",
    "registrations_cancelled",
    "activations",
    *(f"flagged.{code}" for code in RULE_CODES),
    "flagged_any",
    "points_active",
    "agents_active",
    "inspections_due",
    "inspections_done",
    "findings",
    "sanctions_approved",
    "fines_vnd",
    "corrective_actions_due",
    "corrective_actions_done_on_time",
    "subject_requests_received",
    "subject_requests_on_time",
    "remediation_cases_opened",
    *(f"remediation_cases.{step}" for step in sorted(STEP_POSITION, key=STEP_POSITION.get)),
    "remediation_steps_on_time",
    "remediation_steps_late",
    "campaigns_open",
    *(f"campaign_cases.{bucket}" for bucket in Progress.values),
)

# The two series of the page's 12-month trend (DESIGN section 1: pre-activated SIMs, unverified records).
TREND_CODES = ("flagged.PREACTIVATED", "flagged.UNVERIFIED_IDENTITY")


@dataclass(frozen=True)
class Month:
    """A local calendar month: [start, end) as instants, and its first and last local dates."""

    year: int
    month: int

    @classmethod
    def parse(cls, text: str) -> "Month":
        """`YYYY-MM` -> Month; ValueError with a readable message otherwise."""
        text = (text or "").strip()
        try:
            if len(text) != 7 or text[4] != "-":
                raise ValueError
            year, month = int(text[:4]), int(text[5:])
            if not (1 <= month <= 12 and 1900 <= year <= 9998):
                raise ValueError
        except ValueError:
            raise ValueError(f"{text!r} is not a month: give it as YYYY-MM, e.g. 2026-03.") from None
        return cls(year, month)

    @classmethod
    def of(cls, day: dt.date) -> "Month":
        return cls(day.year, day.month)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    @property
    def first_day(self) -> dt.date:
        return dt.date(self.year, self.month, 1)

    @property
    def next(self) -> "Month":
        return Month(self.year + self.month // 12, self.month % 12 + 1)

    @property
    def previous(self) -> "Month":
        return Month(self.year - (self.month == 1), (self.month - 2) % 12 + 1)

    @property
    def last_day(self) -> dt.date:
        return self.next.first_day - dt.timedelta(days=1)

    @property
    def start(self) -> dt.datetime:
        return local_midnight(self.first_day)

    @property
    def end(self) -> dt.datetime:
        return local_midnight(self.next.first_day)


def local_midnight(day: dt.date) -> dt.datetime:
    return dt.datetime.combine(day, dt.time.min, tzinfo=LOCAL_TZ)


def _in(field: str, month: Month) -> Q:
    return Q(**{f"{field}__gte": month.start, f"{field}__lt": month.end})


def _dates_in(field: str, month: Month) -> Q:
    return Q(**{f"{field}__gte": month.first_day, f"{field}__lte": month.last_day})


def _scoped(provinces: tuple[str, ...], path: str) -> Q:
    return Q(**{f"{path}__in": provinces}) if provinces else Q()


def _activation_scope(provinces: tuple[str, ...], iccid_ref: str = "iccid") -> Q:
    if not provinces:
        return Q()
    sold_here = Registration.objects.filter(iccid=OuterRef(iccid_ref), point__province__in=provinces)
    return Q(Exists(sold_here))


def _on_time(done_field: str, due_field: str) -> Q:
    """`done_field` (an instant) set and on or before the local date `due_field` (the whole due day counts)."""
    return Q(**{f"{done_field}__isnull": False}) & Q(
        **{f"{done_field}_local__lte": F(due_field)},
    )


def _local_dates(*fields: str) -> dict:
    """Annotations `<field>_local`: the local (Asia/Ho_Chi_Minh) date of each instant, computed in SQL."""
    return {f"{field}_local": TruncDate(field, tzinfo=LOCAL_TZ) for field in fields}


def _status_at(model, subject: str, end: dt.datetime):
    """Each row's status at `end` by its status history (see the module docstring)."""
    before = (
        StatusChange.objects.filter(**{subject: OuterRef("pk")}, changed_at__lt=end)
        .order_by("-changed_at", "-id")
        .values("to_status")[:1]
    )
    first_after = (
        StatusChange.objects.filter(**{subject: OuterRef("pk")}, changed_at__gte=end)
        .order_by("changed_at", "id")
        .annotate(prior=Coalesce(NullIf("from_status", Value("")), "to_status"))
        .values("prior")[:1]
    )
    return Coalesce(Subquery(before), Subquery(first_after), F("status"))


def normalise_provinces(provinces: Iterable[str] | None) -> tuple[str, ...]:
    return tuple(sorted({p.strip() for p in provinces or () if p and p.strip()}))


def compute_figures(month: Month, provinces: Iterable[str] | None = None) -> dict[str, int]:
    """{metric code: value} in METRIC_CODES order, for all provinces (empty) or those given."""
    provinces = normalise_provinces(provinces)
    figures: dict[str, int] = {}

    regs = Registration.objects.filter(_in("registered_at", month), _scoped(provinces, "point__province"))
    figures.update(
        regs.aggregate(
            registrations=Count("pk"),
            registrations_cancelled=Count("pk", filter=Q(status=RegistrationStatus.CANCELLED)),
        )
    )
    figures["activations"] = Activation.objects.filter(_in("activated_at", month), _activation_scope(provinces)).count()

    # One query for all the rules: a flag is unique per (rule, subject), so counting flags counts subjects.
    # An agent or a point (BLACKLISTED_AGENT) is a subject of the month its flag was first raised in.
    of_month = (
        (Q(subject_type=SubjectType.REGISTRATION) & _in("registration__registered_at", month))
        | (Q(subject_type=SubjectType.ACTIVATION) & _in("activation__activated_at", month))
        | (Q(subject_type__in=(SubjectType.AGENT, SubjectType.POINT)) & _in("first_seen", month))
    )
    scope = Q()
    if provinces:
        scope = (
            (Q(subject_type=SubjectType.REGISTRATION) & Q(registration__point__province__in=provinces))
            | (Q(subject_type=SubjectType.ACTIVATION) & _activation_scope(provinces, "activation__iccid"))
            | (Q(subject_type=SubjectType.POINT) & Q(point__province__in=provinces))
            | (Q(subject_type=SubjectType.AGENT) & Q(agent__province__in=provinces))
        )
    flagged = Flag.objects.filter(of_month, scope, status__in=LIVE_FLAG_STATUSES).aggregate(
        **{f"r{i}": Count("pk", filter=Q(rule__code=code)) for i, code in enumerate(RULE_CODES)}
    )
    for i, code in enumerate(RULE_CODES):
        figures[f"flagged.{code}"] = flagged[f"r{i}"]
    live = Flag.objects.filter(registration=OuterRef("pk"), status__in=LIVE_FLAG_STATUSES)
    figures["flagged_any"] = regs.filter(Exists(live)).count()

    figures["points_active"] = (
        RegistrationPoint.objects.filter(_scoped(provinces, "province"))
        .annotate(status_at_end=_status_at(RegistrationPoint, "point", month.end))
        .filter(status_at_end=Status.ACTIVE)
        .count()
    )
    figures["agents_active"] = (
        Agent.objects.filter(_scoped(provinces, "province"))
        .annotate(status_at_end=_status_at(Agent, "agent", month.end))
        .filter(status_at_end=Status.ACTIVE)
        .count()
    )

    tasks = InspectionTask.objects.filter(_scoped(provinces, "point__province"))
    figures.update(
        tasks.aggregate(
            inspections_due=Count("pk", filter=_dates_in("due_date", month) & ~Q(status=TaskStatus.CANCELLED)),
            inspections_done=Count("pk", filter=_in("closed_at", month) & Q(status=TaskStatus.CLOSED)),
        )
    )
    figures["findings"] = Finding.objects.filter(
        _in("created_at", month), _scoped(provinces, "point__province")
    ).count()
    sanctions = Sanction.objects.filter(
        _in("decided_at", month), _scoped(provinces, "point__province"), status=SanctionStatus.APPROVED
    ).aggregate(n=Count("pk"), fines=Coalesce(Sum("amount_vnd"), Value(0), output_field=IntegerField()))
    figures["sanctions_approved"] = sanctions["n"]
    figures["fines_vnd"] = int(sanctions["fines"] or 0)

    actions = CorrectiveAction.objects.filter(
        _dates_in("due_date", month), _scoped(provinces, "point__province")
    ).annotate(**_local_dates("evidence_at"))
    figures.update(
        actions.aggregate(
            corrective_actions_due=Count("pk"),
            corrective_actions_done_on_time=Count(
                "pk", filter=Q(status=ActionStatus.VERIFIED) & _on_time("evidence_at", "due_date")
            ),
        )
    )

    requests = SubjectRequest.objects.filter(_in("received_at", month)).annotate(**_local_dates("completed_at"))
    if provinces:
        requests = requests.filter(
            Exists(
                SubjectRequest.provinces.through.objects.filter(
                    subjectrequest_id=OuterRef("pk"), province_id__in=provinces
                )
            )
        )
    figures.update(
        requests.aggregate(
            subject_requests_received=Count("pk"),
            subject_requests_on_time=Count("pk", filter=_on_time("completed_at", "due")),
        )
    )
    remediation = remediation_month_figures(provinces=provinces or None, first=month.first_day, last=month.last_day)
    figures["remediation_cases_opened"] = remediation["opened"]
    for step, n in remediation["by_step"].items():
        figures[f"remediation_cases.{step}"] = n
    figures["remediation_steps_on_time"] = remediation["on_time"]
    figures["remediation_steps_late"] = remediation["late"]
    campaigns = campaign_month_figures(provinces=provinces or None, first=month.first_day, last=month.last_day)
    figures["campaigns_open"] = campaigns["open"]
    for bucket, n in campaigns["by_progress"].items():
        figures[f"campaign_cases.{bucket}"] = n
    return {code: int(figures[code]) for code in METRIC_CODES}


def compute_trend(month: Month, provinces: Iterable[str] | None = None, months: int = 12) -> list[dict]:
    """The TREND_CODES per month for the `months` months ending with `month` (oldest first), as
    `flagged.<RULE>` defines them: one grouped query."""
    provinces = normalise_provinces(provinces)
    first = month
    for _ in range(months - 1):
        first = first.previous
    rules = [code.split(".", 1)[1] for code in TREND_CODES]
    rows = (
        Flag.objects.filter(
            subject_type=SubjectType.REGISTRATION,
            status__in=LIVE_FLAG_STATUSES,
            rule__code__in=rules,
            registration__registered_at__gte=first.start,
            registration__registered_at__lt=month.end,
            **({"registration__point__province__in": provinces} if provinces else {}),
        )
        .annotate(m=TruncMonth("registration__registered_at", tzinfo=LOCAL_TZ))
        .values("m", "rule__code")
        .annotate(n=Count("pk"))
    )
    counts = {
        (row["m"].date() if isinstance(row["m"], dt.datetime) else row["m"], row["rule__code"]): row["n"]
        for row in rows
    }
    series, current = [], first
    for _ in range(months):
        series.append(
            {
                "month": current,
                **{code: counts.get((current.first_day, code.split(".", 1)[1]), 0) for code in TREND_CODES},
            }
        )
        current = current.next
    return series
