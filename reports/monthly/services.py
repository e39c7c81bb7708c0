"""Writes of reports.monthly: issuing a month's report (frozen) and preparing last month's on the 1st."""

import datetime as dt
import hashlib

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_head, audit_record
from core.models import Province, User
from core.templatetags.display import count

from .figures import Month, compute_figures, compute_trend, normalise_provinces
from .models import ReportIssue
from .render import render_csv, render_pdf

LANGUAGES = ("vi", "en")
ISSUED_ACTION = "monthly_report.issued"
PREPARED_ACTION = "monthly_report.prepared"


def validate_scope(provinces) -> list[str]:
    """Sorted province codes; ValidationError naming any unknown code."""
    codes = list(normalise_provinces(provinces))
    known = set(Province.objects.filter(code__in=codes).values_list("code", flat=True))
    unknown = [code for code in codes if code not in known]
    if unknown:
        raise ValidationError(_("Unknown province code(s): %(codes)s.") % {"codes": ", ".join(unknown)})
    return codes


def _scope_key(month: Month, provinces: list[str], language: str):
    return ReportIssue.objects.filter(month=month.first_day, provinces=provinces, language=language)


def report_issue(*, month: Month, provinces: list[str], language: str, actor: User) -> ReportIssue:
    """Compute the month's figures now and freeze them with their PDF and CSV as the next version.

    The earlier versions stay as they are. A report the nightly chain prepared for this month, scope and
    language becomes this issue (same row), so the page does not keep offering it.
    """
    if language not in LANGUAGES:
        raise ValidationError(_("Unknown language %(lang)s: use vi or en.") % {"lang": language})
    provinces = validate_scope(provinces)
    with transaction.atomic():
        # One issuer at a time per month: the version numbers stay gapless and unique.
        list(ReportIssue.objects.select_for_update().filter(month=month.first_day).values_list("pk", flat=True))
        rows = _scope_key(month, provinces, language)
        version = (rows.filter(status=ReportIssue.Status.ISSUED).aggregate(v=Max("version"))["v"] or 0) + 1
        issue = rows.filter(status=ReportIssue.Status.PREPARED).first() or ReportIssue(
            month=month.first_day, provinces=provinces, language=language
        )
        now = timezone.now()
        figures = compute_figures(month, provinces)
        head = audit_head()
        issue.status = ReportIssue.Status.ISSUED
        issue.version = version
        issue.figures = figures
        issue.computed_at = now
        issue.issued_by = actor
        issue.issued_at = now
        issue.audit_head = head
        pdf = render_pdf(
            month=month,
            provinces=provinces,
            figures=figures,
            language=language,
            computed_at=now,
            issued={"version": version, "by": actor.get_username(), "at": now, "audit_head": head},
            trend=compute_trend(month, provinces),
        )
        csv = render_csv(figures)
        stem = f"monthly-{month}-{'-'.join(provinces) or 'all'}-{language}-v{version}"
        issue.pdf_sha256 = hashlib.sha256(pdf).hexdigest()
        issue.csv_sha256 = hashlib.sha256(csv).hexdigest()
        issue.pdf.save(f"{stem}.pdf", ContentFile(pdf), save=False)
        issue.csv.save(f"{stem}.csv", ContentFile(csv), save=False)
        issue.full_clean()
        issue.save()
        audit_record(
            action=ISSUED_ACTION,
            actor=actor,
            obj=issue,
            province_code=provinces[0] if len(provinces) == 1 else "",
            fields={
                "month": str(month),
                "provinces": provinces,
                "language": language,
                "version": version,
                "pdf_sha256": issue.pdf_sha256,
                "csv_sha256": issue.csv_sha256,
                "audit_head": head,
            },
        )
    return issue


def report_prepare(*, month: Month, now: dt.datetime) -> ReportIssue | None:
    """Last month's all-provinces Vietnamese report, PREPARED for a manager to issue; None when this
    month already has one (prepared or issued), so a re-run of the night changes nothing."""
    with transaction.atomic():
        list(ReportIssue.objects.select_for_update().filter(month=month.first_day).values_list("pk", flat=True))
        if _scope_key(month, [], "vi").exists():
            return None
        issue = ReportIssue(
            month=month.first_day,
            provinces=[],
            language="vi",
            status=ReportIssue.Status.PREPARED,
            version=0,
            figures=compute_figures(month, []),
            computed_at=now,
        )
        issue.full_clean()
        issue.save()
        audit_record(action=PREPARED_ACTION, obj=issue, actor_label="nightly", fields={"month": str(month)})
    return issue


def step_lines(summary: dict) -> list[tuple[str, str]]:
    """The step's summary on the nightly run page, in the reader's words."""
    if summary.get("skipped"):
        return [(_("report"), _("nothing to prepare: not the first day of the month"))]
    lines = []
    if summary.get("month"):
        try:
            month = Month.parse(summary["month"])
            lines.append((_("month"), f"{month.month:02d}/{month.year}"))
        except ValueError:
            lines.append((_("month"), summary["month"]))
    lines.append((_("reports prepared"), count(summary.get("prepared", 0))))
    return lines


def nightly_prepare(*, now: dt.datetime, actor=None) -> dict:
    """The nightly step: on the 1st of a local month, prepare the month before; other days, nothing."""
    today = timezone.localdate(now)
    if today.day != 1:
        return {"prepared": 0, "skipped": "not the first day of the month"}
    month = Month.of(today).previous
    issue = report_prepare(month=month, now=now)
    return {"prepared": 1 if issue else 0, "month": str(month), "issue": issue.pk if issue else None}
