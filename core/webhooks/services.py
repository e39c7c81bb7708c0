"""Webhooks: endpoints, and deliveries sent by a worker with retries (issue 16).

Who: endpoints are operator-wide, so only managers with every province make and change them (a manager
limited to some provinces reads them, as auditors do). Every change is audited; the secret never is.

Sending: a business event (core.events.publish, after its transaction commits) becomes one delivery per
enabled endpoint that listens to it; the rows are written, and once they commit their task is queued.
A request never sends anything itself. A worker takes a delivery (a conditional UPDATE: a second message
for it finds it taken and does nothing), POSTs the signed body and records the attempt:

- a 2xx answer: delivered;
- no answer in time, a network error, 408, 429 or 5xx: tried again after RETRY_DELAYS (1 min, 5 min,
  30 min, 2 h, 8 h), so at most MAX_ATTEMPTS (6) tries; then it gives up;
- any other answer (other 4xx, a redirect): the endpoint refuses the message; trying again would not help.

A beat task (`deliveries_send_due`, every minute) queues the retries that have come due; the queue sweep
(core.runs.requeue_waiting) sends again a delivery whose message the broker lost, or whose worker died
while sending (its lease, CLAIM_LEASE, ran out).
"""

import logging
import time
import urllib.error
import urllib.request
import uuid
from datetime import datetime, timedelta
from functools import partial
from http.client import HTTPException
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from .. import events
from ..audit import audit_record
from ..runs import QueueUnavailable, send_task
from ..scoping import province_scope
from . import signing
from .models import TEST_EVENT, WebhookAttempt, WebhookDelivery, WebhookEndpoint

logger = logging.getLogger(__name__)

VIEW_PERMISSION = "core.view_webhookendpoint"
MANAGE_PERMISSION = "core.change_webhookendpoint"
DELIVER_TASK = "core.webhook_deliver_task"

RETRY_DELAYS = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=8),
)
MAX_ATTEMPTS = 1 + len(RETRY_DELAYS)
# a worker that took a delivery this long ago and recorded nothing has died: another may take it over
CLAIM_LEASE = timedelta(minutes=1)
SWEEP_BATCH = 500  # deliveries queued per sweep; the next sweep takes the rest

Status, Outcome, Error = WebhookDelivery.Status, WebhookAttempt.Outcome, WebhookAttempt.Error


# --- who may do what --------------------------------------------------------------------------------


def may_read(user) -> bool:
    return user.has_perm(VIEW_PERMISSION)


def may_manage(user) -> bool:
    """Managers with every province: an endpoint hears of every province's events."""
    return user.has_perm(MANAGE_PERMISSION) and province_scope(user) is None


def _check_manage(actor) -> None:
    if not may_manage(actor):
        raise PermissionDenied


# --- endpoints ---------------------------------------------------------------------------------------


def _clean(*, name: str, url: str, event_types: list[str]) -> tuple[str, str, list[str]]:
    name, url = (name or "").strip(), (url or "").strip()
    errors = {}
    if not name:
        errors["name"] = _("Give the endpoint a name.")
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        errors["url"] = _("Give a full address starting with https:// (or http://).")
    elif parts.username is not None or parts.password is not None:
        errors["url"] = _("The address may not contain a user name or password: the signature proves the sender.")
    elif any(c.isspace() for c in url):
        errors["url"] = _("The address may not contain spaces.")
    unknown = [code for code in event_types if code not in events.EVENT_TYPES]
    if unknown or not event_types:
        errors["event_types"] = _("Choose at least one of the events listed.")
    if errors:
        raise ValidationError(errors)
    return name, url, sorted(set(event_types))


def _settings_of(endpoint: WebhookEndpoint) -> dict:
    """What an audit row records of an endpoint: never its secret."""
    return {
        "name": endpoint.name,
        "url": endpoint.url,
        "event_types": endpoint.event_types,
        "enabled": endpoint.enabled,
    }


@transaction.atomic
def endpoint_create(
    *, actor, name: str, url: str, event_types: list[str], enabled: bool = True
) -> tuple[WebhookEndpoint, str]:
    """A new endpoint and its signing secret (returned to be shown once; stored encrypted)."""
    _check_manage(actor)
    name, url, event_types = _clean(name=name, url=url, event_types=event_types)
    secret = signing.secret_generate()
    endpoint = WebhookEndpoint(
        name=name, url=url, event_types=event_types, enabled=enabled, secret=secret, created_by=actor
    )
    endpoint.full_clean(exclude=["secret"])
    endpoint.save()
    audit_record(action="webhook.create", actor=actor, obj=endpoint, fields=_settings_of(endpoint))
    return endpoint, secret


@transaction.atomic
def endpoint_update(
    *, actor, endpoint: WebhookEndpoint, name: str, url: str, event_types: list[str], enabled: bool
) -> WebhookEndpoint:
    """Change an endpoint's name, URL, events, or switch it off (its waiting deliveries are then not sent)."""
    _check_manage(actor)
    name, url, event_types = _clean(name=name, url=url, event_types=event_types)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    before = _settings_of(endpoint)
    endpoint.name, endpoint.url, endpoint.event_types, endpoint.enabled = name, url, event_types, enabled
    after = _settings_of(endpoint)
    changed = sorted(key for key in after if after[key] != before[key])
    if not changed:
        return endpoint
    endpoint.updated_at = timezone.now()
    endpoint.full_clean(exclude=["secret"])
    endpoint.save(update_fields=["name", "url", "event_types", "enabled", "updated_at"])
    audit_record(
        action="webhook.update",
        actor=actor,
        obj=endpoint,
        fields={
            "changed": changed,
            "before": {k: before[k] for k in changed},
            "after": {k: after[k] for k in changed},
        },
    )
    return endpoint


@transaction.atomic
def endpoint_rotate_secret(*, actor, endpoint: WebhookEndpoint) -> str:
    """A new signing secret (the old one stops at once); returned to be shown once."""
    _check_manage(actor)
    endpoint = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    secret = signing.secret_generate()
    endpoint.secret, endpoint.secret_set_at = secret, timezone.now()
    endpoint.updated_at = endpoint.secret_set_at
    endpoint.save(update_fields=["secret", "secret_set_at", "updated_at"])
    audit_record(action="webhook.rotate_secret", actor=actor, obj=endpoint)
    return secret


@transaction.atomic
def endpoint_test(*, actor, endpoint: WebhookEndpoint) -> WebhookDelivery:
    """Queue a `webhook.test` message to the endpoint (enabled or not), to check its URL and signature."""
    _check_manage(actor)
    data = {"endpoint": endpoint.pk, "message": "This is a test of the SIM Agent Watch webhook."}
    (delivery,) = _deliveries_create([endpoint], TEST_EVENT, data)
    audit_record(action="webhook.test", actor=actor, obj=endpoint, fields={"message_id": delivery.message_id})
    return delivery


# --- deliveries --------------------------------------------------------------------------------------


def _deliveries_create(endpoints, event_type: str, data: dict) -> list[WebhookDelivery]:
    """One delivery per endpoint; their tasks are queued once the rows commit."""
    now = timezone.now()
    rows = WebhookDelivery.objects.bulk_create(
        WebhookDelivery(
            endpoint=endpoint,
            message_id=f"msg_{uuid.uuid4().hex}",
            event_type=event_type,
            data=data,
            created_at=now,
            next_attempt_at=now,
            queued_at=now,
        )
        for endpoint in endpoints
    )
    ids = [row.pk for row in rows]
    transaction.on_commit(partial(_queue, ids))
    return rows


def _queue(ids: list[int]) -> None:
    for pk in ids:
        try:
            send_task(DELIVER_TASK, args=(pk,))
        except QueueUnavailable:
            # the rows are there: the queue sweep sends them once the broker is back
            logger.warning("Queue unreachable: %s webhook deliveries wait for the sweep", len(ids))
            return


def deliveries_for_event(event_type: str, data: dict) -> None:
    """core.events subscriber: one delivery per enabled endpoint listening to `event_type`.

    It runs after the publishing transaction committed, so a failure here must not reach the work that
    published (a sanction already approved): it is logged instead.
    """
    try:
        with transaction.atomic():
            endpoints = [e for e in WebhookEndpoint.objects.filter(enabled=True) if event_type in e.event_types]
            if endpoints:
                _deliveries_create(endpoints, event_type, data)
    except Exception:
        logger.exception("Could not record the webhook deliveries of %s", event_type)


def _classify(status_code: int | None, number: int) -> str:
    if status_code is not None and 200 <= status_code < 300:
        return Outcome.DELIVERED
    retryable = status_code is None or status_code in (408, 429) or status_code >= 500
    return Outcome.RETRY if retryable and number < MAX_ATTEMPTS else Outcome.GAVE_UP


def retry_delay(number: int) -> timedelta:
    """How long after failed attempt `number` (1, 2, ...) the next one is made."""
    return RETRY_DELAYS[number - 1]


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer like any other: the message is not sent on to another address."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def timeout_seconds() -> float:
    """How long an endpoint may take to answer (settings.WEBHOOK_TIMEOUT_SECONDS, 10 s by default)."""
    return float(getattr(settings, "WEBHOOK_TIMEOUT_SECONDS", 10))


def _post(url: str, body: bytes, headers: dict) -> tuple[int | None, str, str]:
    """POST `body`; (status code or None, error kind, error detail). The answer's body is not kept."""
    request = urllib.request.Request(  # noqa: S310 - the scheme is http(s), checked when the URL was saved
        url,
        data=body,
        method="POST",
        headers={**headers, "Content-Type": "application/json", "User-Agent": "SIM-Agent-Watch-Webhooks/1"},
    )
    opener = urllib.request.build_opener(_NoRedirect)
    try:
        with opener.open(request, timeout=timeout_seconds()) as response:
            response.read(1024)
            return response.status, Error.NONE, ""
    except urllib.error.HTTPError as exc:
        exc.close()
        return exc.code, Error.HTTP, ""
    except urllib.error.URLError as exc:
        if isinstance(exc.reason, TimeoutError):
            return None, Error.TIMEOUT, ""
        return None, Error.NETWORK, str(getattr(exc.reason, "strerror", None) or exc.reason)[:200]
    except TimeoutError:
        return None, Error.TIMEOUT, ""
    except (OSError, HTTPException) as exc:
        return None, Error.NETWORK, (getattr(exc, "strerror", None) or type(exc).__name__)[:200]


def _claim(delivery_id: int, now: datetime) -> bool:
    due = models.Q(status=Status.PENDING, next_attempt_at__lte=now)
    abandoned = models.Q(status=Status.SENDING, claimed_at__lt=now - CLAIM_LEASE)
    return bool(
        WebhookDelivery.objects.filter(due | abandoned, pk=delivery_id).update(status=Status.SENDING, claimed_at=now)
    )


def delivery_send(*, delivery_id: int, now: datetime | None = None) -> WebhookDelivery | None:
    """One attempt of a due delivery; None when it is not due or another worker has it (nothing done).

    `now` is when the attempt is made (tests give it to walk the retry schedule)."""
    now = now or timezone.now()
    if not _claim(delivery_id, now):
        return None
    delivery = WebhookDelivery.objects.select_related("endpoint").get(pk=delivery_id)
    endpoint = delivery.endpoint
    if not endpoint.enabled and delivery.event_type != TEST_EVENT:
        delivery.status, delivery.finished_at, delivery.next_attempt_at = Status.CANCELLED, now, None
        delivery.save(update_fields=["status", "finished_at", "next_attempt_at"])
        return delivery
    body = delivery.body()
    headers = signing.headers(
        secret=endpoint.secret, message_id=delivery.message_id, timestamp=int(now.timestamp()), body=body
    )
    started = time.monotonic()
    status_code, error, detail = _post(endpoint.url, body, headers)
    duration_ms = int((time.monotonic() - started) * 1000)
    number = delivery.attempts + 1
    outcome = _classify(status_code, number)
    with transaction.atomic():
        WebhookAttempt.objects.create(
            delivery=delivery,
            number=number,
            started_at=now,
            duration_ms=duration_ms,
            status_code=status_code,
            outcome=outcome,
            error=error if outcome != Outcome.DELIVERED else Error.NONE,
            error_detail=detail,
        )
        delivery.attempts = number
        if outcome == Outcome.RETRY:
            delivery.status, delivery.next_attempt_at = Status.PENDING, now + retry_delay(number)
        else:
            delivery.status = Status.DELIVERED if outcome == Outcome.DELIVERED else Status.FAILED
            delivery.next_attempt_at, delivery.finished_at = None, timezone.now()
        delivery.save(update_fields=["attempts", "status", "next_attempt_at", "finished_at"])
    return delivery


def deliveries_send_due(*, now: datetime | None = None) -> int:
    """Beat, every minute: queue the retries that have come due (each once: `queued_at` moves past its
    time); how many were queued."""
    now = now or timezone.now()
    due = WebhookDelivery.objects.filter(status=Status.PENDING, next_attempt_at__lte=now).filter(
        models.Q(queued_at__isnull=True) | models.Q(queued_at__lt=models.F("next_attempt_at"))
    )
    ids = list(due.order_by("next_attempt_at").values_list("pk", flat=True)[:SWEEP_BATCH])
    if ids:
        WebhookDelivery.objects.filter(pk__in=ids).update(queued_at=now)
        _queue(ids)
    return len(ids)


def waiting_deliveries(*, waiting_since: datetime) -> list:
    """The queue sweep's source (core.registry.register_queue_sweep): deliveries queued before
    `waiting_since` that no worker has taken, and those whose worker died while sending."""
    lost = models.Q(status=Status.PENDING, queued_at__lt=waiting_since, next_attempt_at__lte=models.F("queued_at"))
    dead = models.Q(status=Status.SENDING, claimed_at__lt=waiting_since)
    ids = WebhookDelivery.objects.filter(lost | dead).values_list("pk", flat=True)[:SWEEP_BATCH]
    return [(pk, partial(send_task, DELIVER_TASK, args=(pk,))) for pk in ids]
