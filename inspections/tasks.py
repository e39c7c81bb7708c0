"""Celery tasks of the inspections app: they take ids, call services and are safe to run twice."""

import logging

from celery import shared_task
from django.utils.dateparse import parse_date

logger = logging.getLogger(__name__)


@shared_task(name="inspections.nightly_chain_task", acks_late=True)
def nightly_chain_task(night: str | None = None, trigger: str = "SCHEDULE", user_id: int | None = None) -> dict:
    """The nightly chain (checks -> risk -> schedule -> escalate -> digest) for `night` (YYYY-MM-DD; default
    today's local date); the run's night, status and each step's status.

    Safe to run twice: a second delivery while the first runs is refused by the nightly lock (reported as
    "busy", not raised, so the broker does not retry it in a loop); a delivery after a worker died takes
    the abandoned run over and runs every step again (each is idempotent).
    """
    from django.contrib.auth import get_user_model

    from .nightly import NightlyRunBusy, run_nightly

    actor = get_user_model().objects.filter(pk=user_id).first() if user_id else None
    try:
        run = run_nightly(night=parse_date(night) if night else None, trigger=trigger, actor=actor)
    except NightlyRunBusy as exc:
        logger.warning("Nightly run not started: %s", exc)
        return {"status": "busy", "error": str(exc)}
    return {
        "run": run.pk,
        "night": run.night.isoformat(),
        "status": run.status,
        "attempts": run.attempts,
        "steps": {name: step.get("status") for name, step in run.steps.items()},
    }


@shared_task(name="inspections.schedule_inspections_task", acks_late=True)
def schedule_inspections_task() -> dict:
    """Plan inspections now (the scheduler alone, outside the nightly chain); what it created."""
    from .scheduling import schedule_inspections

    return schedule_inspections()
