"""The inspector's report of a task: answers, photos, SIMs found on site."""

import uuid
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from registrations.models import Activation, Registration

from .checklists import ChecklistItem, ChecklistTemplate
from .tasks import InspectionTask


class ReviewOutcome(models.TextChoices):
    ACCEPTED = "ACCEPTED", _("Accepted")
    RETURNED = "RETURNED", _("Returned")


class PhotoSource(models.TextChoices):
    """Where the phone says a photo came from (empty: an older page that did not say)."""

    CAMERA = "camera", _("camera")
    GALLERY = "gallery", _("gallery")


class InspectionReport(models.Model):
    """What the inspector recorded on site: check-in/out with location, answers, photos, SIMs, remarks."""

    task = models.OneToOneField(InspectionTask, on_delete=models.CASCADE, related_name="report")
    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("checklist version"), on_delete=models.PROTECT, related_name="reports"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inspector"), on_delete=models.PROTECT, related_name="+"
    )
    # server times (when a change arrived) and device times (when the inspector did it on the phone,
    # offline perhaps); a device time is empty when an older page did not send it
    checkin_at = models.DateTimeField(_("checked in"))
    checkin_device_at = models.DateTimeField(_("checked in (phone time)"), null=True, blank=True)
    checkin_latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    checkin_longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    checkin_accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    checkin_distance_m = models.FloatField(_("distance to the point (m)"), null=True, blank=True)
    location_note = models.TextField(
        _("location note"), blank=True, help_text=_("Why the location is missing or far from the point.")
    )
    checkout_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    checkout_device_at = models.DateTimeField(_("checked out (phone time)"), null=True, blank=True)
    checkout_latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    checkout_longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    checkout_accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    remarks = models.TextField(_("inspector's remarks"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
    submitted_device_at = models.DateTimeField(_("submitted (phone time)"), null=True, blank=True)
    # server receive time minus the phone's clock (X-Device-Clock) of the request with the largest gap,
    # signed: positive when the phone is behind
    clock_skew_s = models.FloatField(_("largest phone clock gap (s)"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewed by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    review_outcome = models.CharField(_("review"), max_length=8, choices=ReviewOutcome.choices, blank=True)
    return_reason = models.TextField(_("reason for return"), blank=True)
    accept_reason = models.TextField(
        _("reason for accepting"), blank=True, help_text=_("Required when the visit had weak integrity signals.")
    )
    # what the reviewer saw when accepting: {"score", "weak": [codes], "policy_version"}
    integrity = models.JSONField(_("visit integrity when reviewed"), default=dict, blank=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("inspection report")
        verbose_name_plural = _("inspection reports")

    def __str__(self):
        return f"{self.task}"


class Answer(models.Model):
    """The answer to one checklist item; `failed` is computed from the item's failing answer."""

    report = models.ForeignKey(InspectionReport, on_delete=models.CASCADE, related_name="answers")
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="answers")
    value = models.CharField(_("answer"), max_length=500, blank=True)
    note = models.TextField(_("note"), blank=True)
    failed = models.BooleanField(_("failed"), default=False)
    answered_at = models.DateTimeField(_("answered"), default=timezone.now)
    answered_device_at = models.DateTimeField(_("answered (phone time)"), null=True, blank=True)

    class Meta:
        ordering = ["item__position"]
        verbose_name = _("answer")
        verbose_name_plural = _("answers")
        constraints = [models.UniqueConstraint(fields=["report", "item"], name="answer_report_item_uniq")]

    def __str__(self):
        return f"{self.item.code}: {self.value}"


def upload_path(instance, filename: str) -> str:
    """Stored under a random name (the original name may hold personal data); the extension is kept."""
    suffix = PurePath(filename).suffix.lower()[:8]
    folder = type(instance).__name__.lower()
    return f"inspections/{folder}/{timezone.now():%Y/%m}/{uuid.uuid4().hex}{suffix}"


class Photo(models.Model):
    """A photo taken during an inspection (resized on the phone before upload)."""

    report = models.ForeignKey(InspectionReport, on_delete=models.CASCADE, related_name="photos")
    item = models.ForeignKey(ChecklistItem, null=True, blank=True, on_delete=models.PROTECT, related_name="photos")
    file = models.FileField(_("file"), upload_to=upload_path, max_length=200)
    content_type = models.CharField(_("type"), max_length=40)
    size = models.PositiveIntegerField(_("size (bytes)"))
    sha256 = models.CharField(_("SHA-256"), max_length=64)
    # generated on the phone: a retried upload (flaky network) is recognised, not stored twice
    client_id = models.CharField(_("client id"), max_length=64, blank=True)
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    taken_at = models.DateTimeField(_("taken (phone time)"), null=True, blank=True)
    source = models.CharField(_("source"), max_length=8, choices=PhotoSource.choices, blank=True)

    class Meta:
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["sha256"], name="photo_sha256_idx")]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        constraints = [
            models.UniqueConstraint(
                fields=["report", "client_id"], condition=~models.Q(client_id=""), name="photo_client_id_uniq"
            )
        ]

    def __str__(self):
        return self.file.name


class SimFound(models.Model):
    """The ICCID of a pre-activated SIM found on site, matched against registrations and activations."""

    report = models.ForeignKey(InspectionReport, on_delete=models.CASCADE, related_name="sims")
    iccid = models.CharField(_("ICCID"), max_length=20)
    luhn_valid = models.BooleanField(_("check digit correct"), default=True)
    note = models.CharField(_("note"), max_length=300, blank=True)
    registration = models.ForeignKey(Registration, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    activation = models.ForeignKey(Activation, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(_("recorded"), default=timezone.now)
    recorded_device_at = models.DateTimeField(_("recorded (phone time)"), null=True, blank=True)

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("SIM found")
        verbose_name_plural = _("SIMs found")
        constraints = [models.UniqueConstraint(fields=["report", "iccid"], name="simfound_report_iccid_uniq")]

    def __str__(self):
        return self.iccid
