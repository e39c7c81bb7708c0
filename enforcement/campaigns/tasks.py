"""Celery tasks of the re-verification campaigns: they call services and are safe to run twice."""

from celery import shared_task

TERMINATIONS_TASK = "enforcement.campaigns_for_terminations_task"


@shared_task(name=TERMINATIONS_TASK)
def campaigns_for_terminations_task() -> int:
    """Hourly (beat): a campaign for each recent termination without one, so it does not wait for the night.
    Safe to run twice: a termination is a campaign's one-to-one key."""
    from .services import campaigns_for_terminations

    return len(campaigns_for_terminations())
