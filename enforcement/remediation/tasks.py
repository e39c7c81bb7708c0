"""Celery tasks of the remediation ladder: they take ids, call services and are safe to run twice."""

from celery import shared_task


@shared_task(name="enforcement.remediation_advance_task")
def remediation_advance_task() -> dict:
    """Every quarter hour (beat): open, move and close cases, so a 2-hour step is on its list in time."""
    from .services import ladder_advance

    return ladder_advance()


@shared_task(name="enforcement.remediation_outcomes_task", acks_late=True)
def remediation_outcomes_task(job_id: int) -> str:
    """Apply an uploaded outcomes file (a second delivery finds the job taken and does nothing)."""
    from .services import outcomes_run

    job = outcomes_run(job_id=job_id)
    return "skipped" if job is None else job.status
