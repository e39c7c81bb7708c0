"""Celery tasks of the checks: they take ids, call services and are safe to run twice."""

import logging

from celery import shared_task

logger = logging.getLogger(__name__)


@shared_task(name="registrations.run_checks_task", acks_late=True)
def run_checks_task(trigger: str = "SCHEDULE", user_id: int | None = None, codes: list[str] | None = None) -> dict:
    """Run the enabled rules (or `codes`) as one CheckRun; the run's id, status and totals.

    Safe to run twice: a second delivery while the first runs is refused by the run lock (and reported
    as "busy", not raised, so the broker does not retry it in a loop); a delivery after a worker died
    marks the abandoned run FAILED and does the work again. A failing rule is recorded on the run.
    """
    from django.contrib.auth import get_user_model

    from .runner import CheckRunBusy, run_checks

    actor = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        run = run_checks(codes=codes, trigger=trigger, actor=actor)
    except CheckRunBusy as exc:
        logger.warning("Check run not started: %s", exc)
        return {"status": "busy", "error": str(exc)}
    totals = {
        key: sum(result.get(key, 0) for result in run.results.values()) for key in ("new", "resolved", "still_open")
    }
    return {"run": run.pk, "status": run.status, **totals}
