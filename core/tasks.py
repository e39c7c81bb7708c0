from celery import shared_task


@shared_task(name="core.ping_task")
def ping_task(value: str) -> str:
    """A task with no side effect: proves that a worker receives and answers."""
    return f"pong:{value}"


@shared_task(name="core.verify_audit_task")
def verify_audit_task(verification_id: int) -> str:
    """Check the whole audit trail for a verification asked on the audit page (core.audit)."""
    from .audit import audit_verification_run

    run = audit_verification_run(verification_id=verification_id)
    return "" if run is None else run.status


@shared_task(name="core.requeue_waiting_task")
def requeue_waiting_task() -> dict:
    """Every few minutes (beat): jobs whose queue message was lost are sent again (core.runs)."""
    from .runs import requeue_waiting

    return requeue_waiting()
