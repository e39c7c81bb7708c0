"""Remediation pages: cases, one case, the step lists (with the list issues and their CSV), the policy and
the outcomes upload. Thin: forms, selectors and services."""

import csv

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from core.decorators import people_only
from core.imports import ImportFileError
from core.pagination import keyset_paginate
from core.web import add_errors

from . import outcomes as reported
from . import selectors, services
from .filters import CaseFilter, StepFilter
from .forms import IssueForm, OutcomesForm, PolicyForm, StepListForm
from .models import LadderPolicy, LadderPolicyVersion, ListIssue, Step
from .services import ISSUE_PERMISSION, OUTCOME_PERMISSION, VIEW_PERMISSION

PAGE_SIZE = 50


def _reader(view):
    return require_safe(login_required(people_only(permission_required(VIEW_PERMISSION, raise_exception=True)(view))))


CASE_PRIMARY_FILTERS = ("status", "step", "rule", "track", "province")


@_reader
def case_list(request):
    queryset = selectors.case_list(user=request.user)
    filterset = CaseFilter(request.GET, queryset=queryset, request=request)
    results = filterset.qs if filterset.is_valid() else queryset.none()
    page = keyset_paginate(
        results, request.GET, size=PAGE_SIZE, sort_options=selectors.LIST_SORTS, default_sort="-opened_at"
    )
    context = {"filter": filterset, "page": page, "counts": selectors.case_counts(results)}
    if request.headers.get("HX-Request"):
        return render(request, "enforcement/remediation/case_rows.html", context)
    # the filters people choose; the monthly report's drill-down ones fold under "More filters" unless used
    context["primary_filters"] = CASE_PRIMARY_FILTERS
    return render(request, "enforcement/remediation/case_list.html", context)


@_reader
def step_list(request):
    """Case steps by due day and how the operator handled them: the rows behind the monthly report's
    on-time and late figures (which count steps: a case may have several in a month)."""
    queryset = selectors.step_rows(user=request.user)
    filterset = StepFilter(request.GET, queryset=queryset, request=request)
    results = filterset.qs if filterset.is_valid() else queryset.none()
    page = keyset_paginate(
        results, request.GET, size=PAGE_SIZE, sort_options=selectors.STEP_SORTS, default_sort="-due_at"
    )
    context = {"filter": filterset, "page": page, "total": results.count()}
    if request.headers.get("HX-Request"):
        return render(request, "enforcement/remediation/step_rows.html", context)
    return render(request, "enforcement/remediation/step_list.html", context)


@_reader
def case_detail(request, pk):
    case = selectors.case_get(user=request.user, pk=pk)
    context = {
        "case": case,
        "registration": case.registration,
        "timeline": selectors.case_timeline(case),
        "flags": selectors.case_flags(case),
        "now": timezone.now(),
    }
    return render(request, "enforcement/remediation/case_detail.html", context)


@_reader
def step_lists(request):
    form = StepListForm(request.GET or None)
    if form.is_bound and form.is_valid():
        step, day = form.cleaned_data["step"], form.cleaned_data["day"]
    else:
        step, day = Step.REMINDER, timezone.localdate()
    page = keyset_paginate(
        selectors.step_list(user=request.user, step=step, day=day),
        request.GET,
        size=PAGE_SIZE,
        sort_options=("pk",),
        default_sort="pk",
    )
    can_issue = request.user.has_perm(ISSUE_PERMISSION)
    context = {
        "form": form if form.is_bound else StepListForm(initial={"step": step, "day": day}),
        "step": Step(step),
        "day": day,
        "day_iso": day.isoformat(),
        "overview": selectors.list_overview(user=request.user, day=day),
        "page": page,
        "last_id": selectors.step_list_last_id(user=request.user, step=step, day=day) if can_issue else None,
        "can_issue": can_issue,
        "issues": selectors.issues_visible(user=request.user)[: selectors.RECENT_ISSUES],
    }
    if request.headers.get("HX-Request") and request.headers.get("HX-Target") == "results":
        return render(request, "enforcement/remediation/list_rows.html", context)
    return render(request, "enforcement/remediation/lists.html", context)


@require_POST
@login_required
@people_only
@permission_required(ISSUE_PERMISSION, raise_exception=True)
def list_issue(request):
    form = IssueForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("That list could not be marked as sent: choose a step and a day again."))
        return redirect("enforcement:remediation_lists")
    data = form.cleaned_data
    target = reverse("enforcement:remediation_lists") + f"?step={data['step']}&day={data['day'].isoformat()}"
    try:
        issue = services.list_issue(
            actor=request.user, step=data["step"], day=data["day"], channel=ListIssue.Channel.PAGE, up_to=data["up_to"]
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(target)
    messages.success(
        request,
        _("List #%(id)s marked as sent: %(count)s cases. Download its CSV below for the operator's systems.")
        % {"id": issue.pk, "count": issue.count},
    )
    return redirect(target)


class _Echo:
    def write(self, value):
        return value


ISSUE_COLUMNS = [
    "issue",
    "step",
    "day",
    "case",
    "external_id",
    "msisdn",
    "iccid",
    "point_code",
    "agent_code",
    "due_at",
]


@require_safe
@login_required
@people_only
@permission_required(ISSUE_PERMISSION, raise_exception=True)
def issue_csv(request, pk):
    """An issued list as CSV, with MSISDNs for the operator's CRM: every download is audited."""
    issue = selectors.issue_get(user=request.user, pk=pk)
    rows = selectors.issue_rows(user=request.user, issue=issue)
    services.list_download_audit(
        actor=request.user, issue=issue, step=issue.step, day=issue.day, count=rows.count(), channel="CSV"
    )
    writer = csv.writer(_Echo())

    def stream():
        yield writer.writerow(ISSUE_COLUMNS)
        for s in rows.iterator(chunk_size=2000):
            reg = s.case.registration
            yield writer.writerow(
                [
                    issue.pk,
                    s.step,
                    issue.day.isoformat(),
                    s.case_id,
                    reg.external_id,
                    reg.msisdn,  # E.164, as stored and as the API gives it
                    reg.iccid,
                    reg.point.code if reg.point else "",
                    reg.agent.code if reg.agent else "",
                    timezone.localtime(s.due_at).isoformat(),
                ]
            )

    response = StreamingHttpResponse(stream(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="remediation-{issue.step.lower()}-{issue.day}-{issue.pk}.csv"'
    )
    return response


@require_http_methods(["GET", "POST"])
@login_required
@people_only
@permission_required(VIEW_PERMISSION, raise_exception=True)
def policy(request):
    current = LadderPolicy.current()
    can_change = services.may_change_policy(request.user)
    form, status = None, 200
    if request.method == "POST":
        if not can_change:
            raise PermissionDenied
        form = PolicyForm(request.POST)
        status = 400
        if form.is_valid():
            try:
                current = services.policy_update(
                    actor=request.user, values=form.values(), reason=form.cleaned_data["reason"]
                )
            except ValidationError as exc:
                add_errors(form, exc)
            else:
                messages.success(request, _("Ladder version %(version)d saved.") % {"version": current.version})
                return redirect("enforcement:remediation_policy")
    elif can_change:
        form = PolicyForm(initial=services.policy_values(current))
    context = {
        "policy": current,
        "form": form,
        "can_change": can_change,
        "versions": LadderPolicyVersion.objects.select_related("changed_by")[:50],
        "offsets": _offset_days(current),
    }
    return render(request, "enforcement/remediation/policy.html", context, status=status)


def _offset_days(policy):
    from .ladder import offsets

    return dict(offsets(policy).items())


@require_http_methods(["GET", "POST"])
@login_required
@people_only
@permission_required(OUTCOME_PERMISSION, raise_exception=True)
def outcomes(request):
    form = OutcomesForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            try:
                job = reported.outcomes_submit(actor=request.user, upload=form.cleaned_data["file"])
            except ImportFileError as exc:
                form.add_error("file", str(exc))
            else:
                messages.success(request, _("File received: its outcomes are being recorded."))
                return redirect("enforcement:remediation_outcome_job", pk=job.pk)
    context = {
        "form": form,
        "jobs": selectors.outcome_jobs(user=request.user)[: selectors.RECENT_JOBS],
        "max_bytes": reported.outcomes_max_bytes(),
    }
    return render(request, "enforcement/remediation/outcomes.html", context, status=status)


@require_safe
@login_required
@people_only
@permission_required(OUTCOME_PERMISSION, raise_exception=True)
def outcome_job(request, pk):
    job = selectors.outcome_job_get(user=request.user, pk=pk)
    context = {"job": job, "rejects": reported.rejects_of(job) if job.is_finished else []}
    if request.headers.get("HX-Request"):
        return render(request, "enforcement/remediation/outcome_job_body.html", context)
    return render(request, "enforcement/remediation/outcome_job.html", context)
