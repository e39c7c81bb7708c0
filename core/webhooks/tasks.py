from celery import shared_task


@shared_task(name="core.webhook_deliver_task")
def webhook_deliver_task(delivery_id: int) -> str:
    """One attempt of a webhook delivery (safe to receive twice: the second finds it taken or done)."""
    from .services import delivery_send

    delivery = delivery_send(delivery_id=delivery_id)
    return "" if delivery is None else delivery.status


@shared_task(name="core.webhook_send_due_task")
def webhook_send_due_task() -> int:
    """Every minute (beat): queue the webhook retries that have come due."""
    from .services import deliveries_send_due

    return deliveries_send_due()
