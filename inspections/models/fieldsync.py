"""What the phone's outbox sent: one row per (user, Idempotency-Key), with the answer the server gave, so a
change sent again (the network dropped the answer) gets the same answer without being done twice."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .tasks import InspectionTask


class FieldRequest(models.Model):
    """One change the phone sent with an `Idempotency-Key` header, and the answer it got (HTTP 200 or 400).

    The row is written in the same transaction as the change: a change that failed (5xx, dropped
    connection) leaves no row, so the phone's retry with the same key does the work. The unique
    (user, key) makes a concurrent duplicate wait for the first and then replay its answer. Rows older
    than `KEEP_DAYS` are deleted every night (the phone gives up on a change long before that).
    """

    KEEP_DAYS = 30

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="+"
    )
    key = models.CharField(_("idempotency key"), max_length=64)
    endpoint = models.CharField(_("endpoint"), max_length=40)
    path = models.CharField(_("path"), max_length=200)
    task = models.ForeignKey(InspectionTask, verbose_name=_("task"), on_delete=models.CASCADE, related_name="+")
    status = models.PositiveSmallIntegerField(_("HTTP status"), null=True, blank=True)
    body = models.JSONField(_("answer"), null=True, blank=True)
    # server receive time minus the phone's clock when it sent this request (X-Device-Clock)
    clock_skew_s = models.FloatField(_("phone clock gap (s)"), null=True, blank=True)
    created_at = models.DateTimeField(_("received"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("phone request")
        verbose_name_plural = _("phone requests")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="fieldrequest_user_key_uniq")]

    def __str__(self):
        return f"{self.endpoint} {self.key}"
