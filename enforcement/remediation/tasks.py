"""Celery tasks of the remediation ladder: they take ids, call services and are safe to run twice."""

import logging

from celery import shared_task
from celery.signals import task_postrun

from core.runs import QueueUnavailable, send_task

logger = logging.getLogger(__name__)

ADVANCE_TASK = "enforcement.remediation_advance_task"
CHECKS_TASK = "registrations.run_checks_task"


@shared_task(name=ADVANCE_TASK)
def remediation_advance_task() -> dict:
    """Every quarter hour (beat), and after each check run: open, move and close cases, so a 2-hour step is
    on its list in time. Safe to run twice: the second finds nothing left to do."""
    from .services import ladder_advance

    return ladder_advance()


@shared_task(name="enforcement.remediation_outcomes_task", acks_late=True)
def remediation_outcomes_task(job_id: int) -> str:
    """Apply an uploaded outcomes file (a second delivery finds the job taken and does nothing)."""
    from .outcomes import outcomes_run

    job = outcomes_run(job_id=job_id)
    return "skipped" if job is None else job.status


@task_postrun.connect(dispatch_uid="enforcement.remediation.after_checks")
def after_check_run(sender=None, retval=None, state=None, **kwargs) -> None:
    """Right after a check run (started from a page, the API or a schedule) the clock moves: a case whose
    flags the run resolved closes at once, and new flags open their cases without waiting for the quarter hour.
    The registrations app knows nothing of this (it sits below enforcement): the hook is Celery's."""
    if getattr(sender, "name", "") != CHECKS_TASK or state != "SUCCESS":
        return
    if not isinstance(retval, dict) or retval.get("status") == "busy":
        return
    try:
        send_task(ADVANCE_TASK)
    except QueueUnavailable:
        logger.warning("Queue unreachable: the remediation ladder moves at its next quarter hour")


def lists_digest_section(*, user, now):
    """The daily digest's remediation lines (core.registry.register_digest_section): the steps on today's
    lists not sent yet, per step, in the user's provinces (staff only; counts, no personal data)."""
    from django.utils import timezone
    from django.utils.translation import gettext as _

    from core.registry import DigestSection
    from core.templatetags.display import count

    from . import selectors, services

    if not services.may_issue(user) or not user.has_perm(services.VIEW_PERMISSION):
        return None
    today = timezone.localdate(now)
    steps = [(step, n) for step, n in selectors.list_overview(user=user, day=today) if n]
    total = sum(n for _step, n in steps)
    if not total:
        return None
    return DigestSection(
        title=_("Remediation steps to send today"),
        count=total,
        items=tuple(f"{step.label}: {count(n)}" for step, n in steps),
        url_name="enforcement:remediation_lists",
    )
