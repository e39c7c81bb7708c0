"""Celery tasks of the imports: they take ids, call services and are safe to run twice."""

import logging

from celery import shared_task

from core.imports import ImportFileError
from core.models import ImportJob

from .services import STALE_AFTER, BatchError, import_job_claim, import_job_run

logger = logging.getLogger(__name__)


@shared_task(bind=True, name="registrations.run_import_task", acks_late=True, max_retries=6)
def run_import_task(self, job_id: int, pending_only: bool = False) -> str:
    """Run (or resume) an uploaded registrations/activations import; the job records progress and outcome.

    Delivered twice, or after the worker died: `import_job_claim` lets one run at a time have the job,
    and a run carries on after the last committed batch. A failure marks the job FAILED with the error
    and keeps the committed batches; it is not raised again, so an in-process (eager) run from a page
    does not turn into a server error: the job page shows it.
    """
    job = import_job_claim(job_id, pending_only=pending_only)
    if job is None:
        running = ImportJob.objects.filter(pk=job_id, status=ImportJob.Status.RUNNING).exists()
        if running and not self.request.is_eager:
            # Another run has it (a duplicate delivery), or had it and died (redelivered after a worker
            # crash): look again once its heartbeat would be stale, and take over if it is.
            raise self.retry(countdown=STALE_AFTER.total_seconds() + 30)
        return "skipped"
    try:
        import_job_run(job=job)
    except (ImportFileError, BatchError) as exc:
        logger.warning("Import job %s failed: %s", job_id, exc)
        return "failed"
    except Exception:
        # import_job_run logged it and marked the job FAILED
        return "failed"
    return "done"
