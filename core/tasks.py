from celery import shared_task


@shared_task(name="core.ping_task")
def ping_task(value: str) -> str:
    """A task with no side effect: proves that a worker receives and answers."""
    return f"pong:{value}"
