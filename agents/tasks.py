"""Celery tasks of agents: they take ids, call services and are safe to run twice."""

from celery import shared_task

from . import services


@shared_task(name="agents.run_import_task", acks_late=True)
def run_import_task(job_ids: list[int]) -> list[str]:
    """Run uploaded agents/points imports in the order given (agents first); each job's outcome is on it.

    Delivered twice: a job is claimed by one run only (`import_job_claim`), the other skips it. A failure
    marks its job FAILED and is not raised, so the next file still runs and an in-process (eager) run
    from a page is not a server error.
    """
    outcomes = []
    for job_id in job_ids:
        job = services.import_job_claim(job_id)
        if job is None:
            outcomes.append("skipped")
            continue
        outcomes.append(services.import_job_run(job=job).status.lower())
    return outcomes
