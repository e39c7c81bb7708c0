"""Celery tasks and nightly hooks of reports.subjects: retention, and the digest's overdue requests."""

from celery import shared_task
from django.utils import timezone
from django.utils.translation import gettext as _

from core.registry import DigestSection

from . import selectors, services

DIGEST_LIMIT = 20


def retention_step(*, now, actor=None) -> dict:
    """The nightly chain's "retention" step: anonymise what is due; the counts for the night's record."""
    return services.retention_apply(actor=actor, now=now)


def retention_step_lines(summary: dict) -> list[tuple[str, str]]:
    """The step's summary on the nightly run page, in the reader's words."""
    from django.utils import formats
    from django.utils.dateparse import parse_date

    from core.templatetags.display import count

    lines = []
    if "years" in summary:
        lines.append((_("kept for"), _("%(n)s years after cancellation") % {"n": count(summary["years"])}))
    cutoff = parse_date(str(summary.get("cutoff", ""))[:10]) if summary.get("cutoff") else None
    if cutoff:
        lines.append((_("cancelled before"), formats.date_format(cutoff, "SHORT_DATE_FORMAT")))
    for key, label in (("due", _("registrations due")), ("anonymised", _("registrations anonymised"))):
        if key in summary:
            lines.append((label, count(summary[key])))
    if summary.get("dry_run"):
        lines.append((_("dry run"), _("yes: nothing was changed")))
    return lines


@shared_task(name="reports.subjects.apply_retention_task")
def apply_retention_task() -> dict:
    return services.retention_apply(now=timezone.now())


def overdue_digest_section(*, user, now) -> DigestSection | None:
    """Overdue subscriber requests within the user's provinces (officers and managers), no personal data."""
    if not user.has_perm(services.HANDLE_PERMISSION):
        return None
    today = timezone.localdate(now)
    late = selectors.overdue(selectors.subject_request_list(user=user), today).order_by("due", "id")
    count = late.count()
    if not count:
        return None
    items = tuple(
        _("#%(id)s %(kind)s: acknowledge by %(ack)s, complete by %(due)s")
        % {"id": r.pk, "kind": r.get_kind_display(), "ack": r.ack_due.isoformat(), "due": r.due.isoformat()}
        for r in late[:DIGEST_LIMIT]
    )
    return DigestSection(
        title=_("Overdue subscriber requests"), count=count, items=items, url_name="reports:subject_request_list"
    )
