"""Webhook endpoints of the operator's systems and the deliveries made to them (issue 16).

An endpoint is operator-wide (not in a province): a URL, the business events it hears of (core.events) and
its signing secret, encrypted at rest. Each event an endpoint hears of becomes one delivery, sent by a
worker and tried again with backoff (services); each try is one attempt row, which the delivery log shows.
No row here holds a subscriber's personal data: events carry codes, ids and counts only.
"""

import json
from datetime import UTC

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..crypto import EncryptedTextField

TEST_EVENT = "webhook.test"


class WebhookEndpoint(models.Model):
    """A URL of the operator's systems that receives signed business events."""

    name = models.CharField(_("name"), max_length=100)
    url = models.URLField(_("URL"), max_length=500)
    event_types = models.JSONField(_("events"), default=list, blank=True)  # codes of core.events.EVENT_TYPES
    enabled = models.BooleanField(_("enabled"), default=True)
    # whsec_<base64>; shown once, when made, never again (the page shows when it was last set)
    secret = EncryptedTextField(_("signing secret"), editable=False)
    secret_set_at = models.DateTimeField(_("secret set"), default=timezone.now, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("changed"), default=timezone.now, editable=False)

    class Meta:
        ordering = ["name", "id"]
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self):
        return self.name


class WebhookDelivery(models.Model):
    """One event for one endpoint: its message (id and data, the same on every attempt) and where it stands."""

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Waiting")
        SENDING = "SENDING", _("Sending")
        DELIVERED = "DELIVERED", _("Delivered")
        FAILED = "FAILED", _("Gave up")
        CANCELLED = "CANCELLED", _("Not sent: endpoint disabled")

    endpoint = models.ForeignKey(
        WebhookEndpoint, verbose_name=_("endpoint"), on_delete=models.PROTECT, related_name="deliveries"
    )
    message_id = models.CharField(_("message id"), max_length=40, unique=True)
    event_type = models.CharField(_("event"), max_length=64)
    data = models.JSONField(_("data"), default=dict, blank=True)  # codes, ids and counts only
    created_at = models.DateTimeField(_("created"), default=timezone.now, db_index=True)
    status = models.CharField(_("status"), max_length=9, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # when its task was last sent to the queue, and when a worker took it (a lease: see services)
    queued_at = models.DateTimeField(_("queued"), null=True, blank=True, editable=False)
    claimed_at = models.DateTimeField(_("taken by a worker"), null=True, blank=True, editable=False)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due_idx")]

    def __str__(self):
        return f"{self.event_type} {self.message_id}"

    def body(self) -> bytes:
        """The request body, the same bytes on every attempt: the Standard Webhooks envelope."""
        envelope = {
            "type": self.event_type,
            "timestamp": self.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "data": self.data,
        }
        return json.dumps(envelope, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode("utf-8")


class WebhookAttempt(models.Model):
    """One try of a delivery: when, how long, the answer's status code or the network error. Never the
    payload, nor the answer's body."""

    class Outcome(models.TextChoices):
        DELIVERED = "DELIVERED", _("Delivered")
        RETRY = "RETRY", _("Failed, will retry")
        GAVE_UP = "GAVE_UP", _("Failed, gave up")

    class Error(models.TextChoices):
        NONE = "", _("none")
        TIMEOUT = "timeout", _("No answer in time")
        NETWORK = "network", _("Could not connect")
        HTTP = "http", _("Refused by the endpoint")

    delivery = models.ForeignKey(
        WebhookDelivery, verbose_name=_("delivery"), on_delete=models.CASCADE, related_name="attempt_rows"
    )
    number = models.PositiveSmallIntegerField(_("attempt"))
    started_at = models.DateTimeField(_("time"))
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    status_code = models.PositiveSmallIntegerField(_("status code"), null=True, blank=True)
    outcome = models.CharField(_("outcome"), max_length=9, choices=Outcome.choices)
    error = models.CharField(_("error"), max_length=8, choices=Error.choices, blank=True)
    # the network error as the system said it (e.g. "Connection refused"); never the answer's body
    error_detail = models.CharField(_("error detail"), max_length=200, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        constraints = [models.UniqueConstraint(fields=["delivery", "number"], name="webhook_attempt_once")]

    def __str__(self):
        return f"{self.delivery_id} #{self.number}"
