"""Pages of reports.monthly: the month's figures, downloads, issuing (managers) and the issued reports."""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from core.decorators import people_only

from . import selectors, services
from .figures import TREND_CODES, Month
from .forms import IssueForm, ReportForm, default_month
from .links import drill_links
from .models import ReportIssue
from .render import (
    LEGAL_BASIS,
    campaign_summary,
    format_number,
    format_value,
    metric_label,
    ordered,
    render_csv,
    render_pdf,
    scope_text,
)
from .trend import trend_chart

VIEW = "reports.view_reportissue"
ISSUE = "reports.add_reportissue"


def _rows(figures: dict, links: dict | None = None) -> list[dict]:
    """The figures in the report's order (a stored issue's JSON may come back in another order)."""
    links = links or {}
    return [
        {
            "code": code,
            "label": metric_label(code),
            "value": value,
            "text": format_value(code, value),
            "url": links.get(code),
        }
        for code, value in ordered(figures).items()
    ]


def _parse(request, form_class=ReportForm, data=None):
    form = form_class(data if data is not None else request.GET, user=request.user)
    if not form.is_valid():
        return form, None, None
    try:
        provinces = selectors.report_scope(request.user, form.cleaned_data["province"])
    except ValidationError as exc:
        form.add_error("province", exc.messages)
        return form, None, None
    return form, form.cleaned_data["month"], provinces


@require_safe
@login_required
@people_only
@permission_required(VIEW, raise_exception=True)
def monthly(request):
    form, month, provinces = _parse(request)
    context = {"form": form, "legal_basis": LEGAL_BASIS, "operator_name": settings.OPERATOR_NAME}
    if month is None:
        context["month"] = default_month()
        return render(request, "reports/monthly/monthly.html", context, status=400)
    figures = selectors.compute_figures(month, provinces)
    trend = selectors.compute_trend(month, provinces)
    issues = list(selectors.issues_for(request.user, month))
    context.update(
        month=month,
        provinces=provinces,
        scope_text=scope_text(provinces),
        rows=_rows(figures, drill_links(month, provinces)),
        campaign_summary=campaign_summary(figures),
        trend_rows=[{"month": row["month"], "values": [format_number(row[c]) for c in TREND_CODES]} for row in trend],
        trend_labels=[metric_label(code) for code in TREND_CODES],
        chart=trend_chart(trend),
        issues=issues,
        prepared=[i for i in issues if i.status == ReportIssue.Status.PREPARED],
        can_issue=request.user.has_perm(ISSUE),
        query=request.GET.urlencode(),
        issue_form=IssueForm(
            initial={
                "month": str(month),
                "province": provinces if request.GET.getlist("province") else [],
                "lang": form.cleaned_data["lang"],
            },
            user=request.user,
        ),
    )
    return render(request, "reports/monthly/monthly.html", context)


def _download(data: bytes, content_type: str, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def _stem(month, provinces) -> str:
    return f"monthly-{month}-{'-'.join(provinces) or 'all'}"


@require_safe
@login_required
@people_only
@permission_required(VIEW, raise_exception=True)
def monthly_csv(request):
    form, month, provinces = _parse(request)
    if month is None:
        return HttpResponse(
            " ".join(e for errs in form.errors.values() for e in errs),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    data = render_csv(selectors.compute_figures(month, provinces))
    return _download(data, "text/csv; charset=utf-8", f"{_stem(month, provinces)}.csv")


@require_safe
@login_required
@people_only
@permission_required(VIEW, raise_exception=True)
def monthly_pdf(request):
    form, month, provinces = _parse(request)
    if month is None:
        return HttpResponse(
            " ".join(e for errs in form.errors.values() for e in errs),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    language = form.cleaned_data["lang"]
    data = render_pdf(
        month=month,
        provinces=provinces,
        figures=selectors.compute_figures(month, provinces),
        language=language,
        computed_at=timezone.now(),
        trend=selectors.compute_trend(month, provinces),
    )
    return _download(data, "application/pdf", f"{_stem(month, provinces)}-{language}.pdf")


@require_POST
@login_required
@people_only
@permission_required(VIEW, raise_exception=True)
@permission_required(ISSUE, raise_exception=True)
def monthly_issue(request):
    form, month, provinces = _parse(request, IssueForm, request.POST)
    if month is None:
        messages.error(request, " ".join(e for errs in form.errors.values() for e in errs))
        return redirect("reports:monthly")
    try:
        issue = services.report_issue(
            month=month, provinces=provinces, language=form.cleaned_data["lang"], actor=request.user
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("reports:monthly")
    messages.success(request, _("Version %(version)d of the report is issued.") % {"version": issue.version})
    return redirect("reports:monthly_issue_detail", pk=issue.pk)


@require_safe
@login_required
@people_only
@permission_required(VIEW, raise_exception=True)
def monthly_issue_detail(request, pk):
    issue = selectors.access_issue(request.user, pk)
    previous = selectors.previous_issue(issue)
    changes = selectors.figure_changes(previous.figures, issue.figures) if previous else []
    for change in changes:
        change["label"] = metric_label(change["code"])
        for key in ("before", "after"):
            change[f"{key}_text"] = "—" if change[key] is None else format_value(change["code"], change[key])
        change["delta_text"] = ("+" if change["delta"] > 0 else "") + format_value(change["code"], change["delta"])
    month = issue.month
    context = {
        "issue": issue,
        "month": Month.of(month),
        "scope_text": scope_text(issue.provinces),
        "rows": _rows(issue.figures),
        "campaign_summary": campaign_summary(issue.figures),
        "previous": previous,
        "changes": changes,
        "versions": selectors.issues_for(request.user, Month.of(month)).filter(
            provinces=issue.provinces, language=issue.language
        ),
        "language_name": dict(settings.LANGUAGES).get(issue.language, issue.language),
        "can_issue": request.user.has_perm(ISSUE),
        "operator_name": settings.OPERATOR_NAME,
    }
    return render(request, "reports/monthly/issue_detail.html", context)


@require_safe
@login_required
@people_only
@permission_required(VIEW, raise_exception=True)
def monthly_issue_file(request, pk, kind):
    """The issued file's stored bytes, exactly as issued (its SHA-256 is on the page)."""
    issue = selectors.access_issue(request.user, pk)
    field = {"pdf": issue.pdf, "csv": issue.csv}.get(kind)
    if issue.status != ReportIssue.Status.ISSUED or not field:
        raise Http404
    with field.open("rb") as fh:
        data = fh.read()
    content_type = "application/pdf" if kind == "pdf" else "text/csv; charset=utf-8"
    return _download(data, content_type, field.name.rsplit("/", 1)[-1])
