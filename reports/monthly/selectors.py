"""Reads of reports.monthly, always scoped from the user: figures, issues, the changes between versions."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _

from core.scoping import access_object, province_scope

from .figures import METRIC_CODES, Month, compute_figures, compute_trend
from .models import ReportIssue
from .services import validate_scope


def report_scope(user, provinces) -> list[str]:
    """The provinces a report for `user` covers: those asked for (empty: all the user may see).

    A user limited to some provinces gets only those, never the all-provinces report; asking for another
    province is refused (ValidationError, naming it)."""
    codes = validate_scope(provinces)
    scope = province_scope(user)
    if scope is None:
        return codes
    if not scope:
        raise PermissionDenied
    outside = [code for code in codes if code not in scope]
    if outside:
        raise ValidationError(_("Province(s) outside your reach: %(codes)s.") % {"codes": ", ".join(outside)})
    return codes or sorted(scope)


def month_figures(user, month: Month, provinces) -> tuple[list[str], dict[str, int]]:
    scope = report_scope(user, provinces)
    return scope, compute_figures(month, scope)


def month_trend(user, month: Month, provinces) -> list[dict]:
    return compute_trend(month, report_scope(user, provinces))


def issues_for(user, month: Month | None = None):
    issues = ReportIssue.objects.for_user(user).select_related("issued_by")
    if month is not None:
        issues = issues.filter(month=month.first_day)
    return issues.order_by("-month", "provinces", "language", "-version", "-pk")


def access_issue(user, pk) -> ReportIssue:
    return access_object(ReportIssue.objects.select_related("issued_by"), user, pk=pk)


def previous_issue(issue: ReportIssue) -> ReportIssue | None:
    """The version issued before this one (same month, scope and language)."""
    if issue.status != ReportIssue.Status.ISSUED:
        return None
    return (
        ReportIssue.objects.filter(
            month=issue.month,
            provinces=issue.provinces,
            language=issue.language,
            status=ReportIssue.Status.ISSUED,
            version__lt=issue.version,
        )
        .order_by("-version")
        .first()
    )


def figure_changes(before: dict, after: dict) -> list[dict]:
    """Figure by figure, what differs between two sets of figures (codes in report order)."""
    codes = [*METRIC_CODES, *sorted((set(before) | set(after)) - set(METRIC_CODES))]
    changes = []
    for code in codes:
        old, new = before.get(code), after.get(code)
        if old != new:
            changes.append({"code": code, "before": old, "after": new, "delta": (new or 0) - (old or 0)})
    return changes


def issue_audit_anchors() -> dict[int, str]:
    """{audit event id: hash}: the audit chain's head each issued report recorded (verify_audit checks them)."""
    anchors = {}
    for head in ReportIssue.objects.exclude(audit_head={}).values_list("audit_head", flat=True).iterator():
        head = head or {}
        if isinstance(head.get("id"), int) and head["id"] > 0 and isinstance(head.get("hash"), str):
            anchors[head["id"]] = head["hash"]
    return anchors
