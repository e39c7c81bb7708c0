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
