"""Reads of the webhook pages. Endpoints are operator-wide: no province scoping, the pages' permission
(services.may_read) decides who sees them."""

from django.db import models
from django.shortcuts import get_object_or_404

from .. import events
from .models import TEST_EVENT, WebhookAttempt, WebhookDelivery, WebhookEndpoint


def endpoint_list():
    return WebhookEndpoint.objects.annotate(
        waiting=models.Count("deliveries", filter=models.Q(deliveries__status=WebhookDelivery.Status.PENDING)),
        failed=models.Count("deliveries", filter=models.Q(deliveries__status=WebhookDelivery.Status.FAILED)),
    ).order_by("name", "id")


def endpoint_get(pk: int) -> WebhookEndpoint:
    return get_object_or_404(WebhookEndpoint, pk=pk)


def delivery_log(endpoint: WebhookEndpoint):
    """The endpoint's deliveries, newest first, each with its attempts (never its data: the log shows
    event, times, status codes, durations and errors only)."""
    return (
        WebhookDelivery.objects.filter(endpoint=endpoint)
        .defer("data")
        .prefetch_related(models.Prefetch("attempt_rows", queryset=WebhookAttempt.objects.order_by("number")))
    )


def event_label(code: str) -> str:
    """An event in words: the registered label (core.events), the test message's, or the code itself."""
    from django.utils.translation import gettext

    if code == TEST_EVENT:
        return gettext("Test message")
    label = events.EVENT_TYPES.get(code)
    return str(label) if label is not None else code


def event_choices() -> list[tuple[str, str]]:
    """Every event registered at run time, in words (apps register theirs in ready())."""
    return sorted(((code, event_label(code)) for code in events.EVENT_TYPES), key=lambda c: c[1])
