"""Celery tasks of reports.evidence: they take ids, call services and are safe to run twice."""

from celery import shared_task

from . import services


@shared_task(name=services.PACK_TASK, acks_late=True)
def make_pack_task(pack_id: int) -> str:
    """Make one evidence pack; its outcome is on the pack.

    Delivered twice: the pack is claimed by one run only (`evidence_pack_claim`), the other skips it; a pack
    whose worker died is taken over. A failure marks the pack FAILED and is not raised, so an in-process
    (eager) run from a page is never a server error.
    """
    pack = services.evidence_pack_claim(pack_id)
    if pack is None:
        return "skipped"
    return services.evidence_pack_run(pack=pack).status.lower()
