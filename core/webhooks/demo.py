"""Demo data: one disabled endpoint with a few delivered, retried and abandoned messages, so the webhook
pages show what they hold. Idempotent: found by its name, its log made once."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from . import signing
from .models import TEST_EVENT, WebhookAttempt, WebhookDelivery, WebhookEndpoint

NAME = "Demo: hệ thống SOC của nhà mạng (đang tắt)"
URL = "http://127.0.0.1:9/demo-webhooks"  # the discard port: nothing listens there

Status, Outcome, Error = WebhookDelivery.Status, WebhookAttempt.Outcome, WebhookAttempt.Error


@transaction.atomic
def seed_webhooks() -> str:
    endpoint, created = WebhookEndpoint.objects.get_or_create(
        name=NAME,
        defaults={
            "url": URL,
            "enabled": False,
            "event_types": ["flags.critical_raised", "sanction.approved"],
            "secret": signing.secret_generate(),
        },
    )
    if endpoint.deliveries.exists():
        return "exists"
    now = timezone.now()
    # (event, data, hours ago, attempts as (status code, error, detail), final status)
    log = [
        (TEST_EVENT, {"endpoint": endpoint.pk}, 50, [(200, "", "")], Status.DELIVERED),
        (
            "flags.critical_raised",
            {"check_run": 1, "counts": {"PREACTIVATED": 2}, "total": 2, "flag_ids": [1, 2], "more": False},
            26,
            [(503, Error.HTTP, ""), (None, Error.TIMEOUT, ""), (204, "", "")],
            Status.DELIVERED,
        ),
        (
            "sanction.approved",
            {"sanction": 1, "kind": "WARNING", "type": "warning", "point": "DEMO", "agent": "DEMO"},
            3,
            [(404, Error.HTTP, "")],
            Status.FAILED,
        ),
        (TEST_EVENT, {"endpoint": endpoint.pk}, 1, [(None, Error.NETWORK, "Connection refused")], Status.PENDING),
    ]
    for number, (event, data, hours, attempts, status) in enumerate(log, start=1):
        at = now - timedelta(hours=hours)
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            message_id=f"msg_demo{endpoint.pk}x{number}",
            event_type=event,
            data=data,
            created_at=at,
            status=status,
            attempts=len(attempts),
            # the waiting one is due in the future; the endpoint is disabled, so it is never sent
            next_attempt_at=now + timedelta(hours=8) if status == Status.PENDING else None,
            queued_at=at,
            finished_at=None if status == Status.PENDING else at + timedelta(minutes=40),
        )
        for n, (code, error, detail) in enumerate(attempts, start=1):
            last = n == len(attempts)
            outcome = {Status.DELIVERED: Outcome.DELIVERED, Status.FAILED: Outcome.GAVE_UP}.get(status, Outcome.RETRY)
            WebhookAttempt.objects.create(
                delivery=delivery,
                number=n,
                started_at=at + timedelta(minutes=(0, 1, 6)[n - 1]),
                duration_ms=(120, 10_000, 85)[n - 1],
                status_code=code,
                outcome=outcome if last else Outcome.RETRY,
                error=error,
                error_detail=detail,
            )
    return "created" if created else "log added"
