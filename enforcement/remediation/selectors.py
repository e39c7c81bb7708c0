"""Reads of the remediation pages and API, always scoped by the user's provinces (a case's province is its
registration's point's; an APP registration's case only for users with every province)."""

from datetime import date

from django.db.models import Count, Exists, Max, OuterRef, Q
from django.http import Http404

from core.models import ImportJob
from core.scoping import access_object, province_scope
from registrations.models import Flag

from . import ladder
from .models import LADDER_RULES, STEP_POSITION, CaseStep, LadderPolicy, ListIssue, RemediationCase, Step
from .outcomes import OUTCOMES_KIND
from .services import LIVE_FLAGS, scoped_steps, unsent_steps

LIST_SORTS = ("-opened_at", "opened_at")
STEP_SORTS = ("-due_at", "due_at")
RECENT_ISSUES = 20
RECENT_JOBS = 10


def case_list(*, user):
    return RemediationCase.objects.for_user(user).select_related(
        "registration", "registration__point", "registration__point__province"
    )


def step_rows(*, user):
    """Case steps in the user's provinces, for the case step list (the report's on-time and late figures)."""
    return scoped_steps(user).select_related(
        "case", "case__registration", "case__registration__point", "case__registration__point__province", "issue"
    )


def rule_filter(queryset, code: str):
    """Cases whose registration has a live (open or confirmed) flag of the rule `code`."""
    live = Flag.objects.filter(registration_id=OuterRef("registration_id"), rule__code=code, status__in=LIVE_FLAGS)
    return queryset.filter(Exists(live))


def case_counts(queryset) -> dict:
    """The filtered list's cases per current step (one GROUP BY): they add up to the list's total."""
    rows = queryset.order_by().values("current_step").annotate(n=Count("id"))
    by_step = {row["current_step"]: row["n"] for row in rows}
    steps = [(step, by_step.get(step.value, 0)) for step in Step]
    waiting = by_step.get("", 0)  # opened, its first step not yet due (a reminder delay above 0)
    return {"steps": steps, "waiting": waiting, "total": sum(by_step.values())}


def case_get(*, user, pk) -> RemediationCase:
    return access_object(
        RemediationCase.objects.select_related("registration", "registration__point", "registration__agent"),
        user,
        pk=pk,
    )


def case_timeline(case: RemediationCase) -> list[dict]:
    """Every step of the case's ladder: reached ones with their due time, list issue and outcome; those to
    come with the due time the policy gives now."""
    reached = {s.step: s for s in case.steps.select_related("issue", "issue__issued_by")}
    policy = LadderPolicy.current()
    rows = []
    for step in ladder.steps_of(case.track):
        row = reached.get(step)
        due = row.due_at if row else ladder.due_at(policy, step, opened_at=case.opened_at, mismatch_at=case.mismatch_at)
        rows.append({"step": Step(step), "row": row, "due": due, "to_come": row is None})
    return rows


def case_flags(case: RemediationCase):
    return (
        Flag.objects.filter(registration_id=case.registration_id, rule__code__in=LADDER_RULES)
        .select_related("rule")
        .order_by("rule__code")
    )


def list_overview(*, user, day: date) -> list[tuple[Step, int]]:
    """Per step, how many case steps the day's list holds (one GROUP BY)."""
    rows = (
        scoped_steps(user)
        .filter(issue__isnull=True, case__status=RemediationCase.Status.OPEN, due_at__lt=_day_end(day))
        .order_by()
        .values("step")
        .annotate(n=Count("id"))
    )
    counts = {row["step"]: row["n"] for row in rows}
    return [(step, counts.get(step.value, 0)) for step in sorted(Step, key=lambda s: STEP_POSITION[s])]


def _day_end(day: date):
    from .services import day_end

    return day_end(day)


def step_list(*, user, step: str, day: date):
    return unsent_steps(user=user, step=step, day=day).select_related(
        "case", "case__registration", "case__registration__point", "case__registration__agent"
    )


def step_list_last_id(*, user, step: str, day: date) -> int | None:
    return unsent_steps(user=user, step=step, day=day).aggregate(m=Max("pk"))["m"]


def issues_visible(*, user):
    """List issues holding at least one case step of the user's provinces."""
    scope = province_scope(user)
    issues = ListIssue.objects.select_related("issued_by")
    if scope is None:
        return issues
    inside = CaseStep.objects.filter(issue_id=OuterRef("pk"), case__registration__point__province__in=scope)
    return issues.filter(Exists(inside))


def issue_get(*, user, pk) -> ListIssue:
    issue = issues_visible(user=user).filter(pk=pk).first()
    if issue is None:
        raise Http404
    return issue


def issue_rows(*, user, issue: ListIssue):
    """The issue's case steps within the user's provinces, for its CSV (MSISDNs: audited by the caller)."""
    return (
        scoped_steps(user)
        .filter(issue=issue)
        .select_related("case__registration", "case__registration__point", "case__registration__agent")
        .order_by("pk")
    )


def outcome_jobs(*, user):
    return ImportJob.objects.for_user(user).filter(kind=OUTCOMES_KIND).select_related("created_by")


def outcome_job_get(*, user, pk) -> ImportJob:
    job = outcome_jobs(user=user).filter(pk=pk).first()
    if job is None:
        raise Http404
    return job


def on_time_counts(steps) -> dict:
    """Of the given case steps with a DONE outcome: how many were done by their due time, how many late."""
    from django.db.models import F

    done = steps.filter(outcome=CaseStep.Outcome.DONE, done_at__isnull=False)
    return done.aggregate(
        on_time=Count("id", filter=Q(done_at__lte=F("due_at"))),
        late=Count("id", filter=Q(done_at__gt=F("due_at"))),
    )


# --- figures for the dashboard and the monthly report (reports imports these) -------------------------------


def open_cases_by_step(*, user) -> list[tuple[Step, int]]:
    """Open cases in the user's provinces per current step, in ladder order (one GROUP BY); the counts are
    those of the case list filtered by status OPEN and that step."""
    rows = (
        RemediationCase.objects.for_user(user)
        .filter(status=RemediationCase.Status.OPEN)
        .order_by()
        .values("current_step")
        .annotate(n=Count("id"))
    )
    counts = {row["current_step"]: row["n"] for row in rows}
    return [(step, counts.get(step.value, 0)) for step in sorted(Step, key=lambda s: STEP_POSITION[s])]


def steps_to_send(*, user, day: date) -> int:
    return (
        scoped_steps(user)
        .filter(issue__isnull=True, case__status=RemediationCase.Status.OPEN, due_at__lt=_day_end(day))
        .count()
    )


def month_figures(*, provinces, first: date, last: date) -> dict:
    """The monthly report's remediation figures for the local days first..last, for every province (None) or
    the given codes (APP registrations' cases only in a report for every province):

    - `opened`: cases opened in the month;
    - `by_step`: per step, the cases whose step came due in the month (reached by the ladder: a case closed
      before a step's due time never reaches it);
    - `on_time` / `late`: of those steps, the ones the operator reported DONE by their due time / after it.
    """
    from datetime import timedelta

    from .services import day_end

    start, end = day_end(first - timedelta(days=1)), day_end(last)
    cases = RemediationCase.objects.all()
    steps = CaseStep.objects.all()
    if provinces is not None:
        cases = cases.filter(registration__point__province__in=provinces)
        steps = steps.filter(case__registration__point__province__in=provinces)
    opened = cases.filter(opened_at__gte=start, opened_at__lt=end)
    due = steps.filter(due_at__gte=start, due_at__lt=end)
    by_step = dict(due.order_by().values("step").annotate(n=Count("id")).values_list("step", "n"))
    done = on_time_counts(due)
    return {
        "opened": opened.count(),
        "by_step": {step.value: by_step.get(step.value, 0) for step in sorted(Step, key=lambda s: STEP_POSITION[s])},
        "on_time": done["on_time"],
        "late": done["late"],
    }
