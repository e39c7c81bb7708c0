"""Evidence packs (DESIGN section 7, issue 12): one ZIP per agent or point for the regulator or a court.

A pack is a long job (core/runs.py): PENDING when asked for, RUNNING while a worker writes it (with a
heartbeat and progress), DONE with its file, SHA-256 and size, or FAILED with the reason. It keeps the
audit chain's head taken when it was made, so `verify_audit` checks the trail against it and an auditor
can check the pack's events against the trail.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from agents.models import Agent, RegistrationPoint

__all__ = ["EvidencePack"]


class EvidencePackQuerySet(models.QuerySet):
    def for_user(self, user):
        """Packs whose subject the user may see (its province); the pack's own provinces are checked on
        download (`EvidencePack.visible_to`)."""
        from core.scoping import province_scope

        if not getattr(user, "is_authenticated", False):
            return self.none()
        scope = province_scope(user)
        if scope is None:
            return self
        return self.filter(models.Q(agent__province__in=scope) | models.Q(point__province__in=scope))


class EvidencePack(models.Model):
    """A ZIP of everything about one agent (with its own points) or one point, and how it was made."""

    class Subject(models.TextChoices):
        AGENT = "AGENT", _("Agent")
        POINT = "POINT", _("Registration point")

    class Status(models.TextChoices):
        PENDING = "PENDING", _("Waiting")
        RUNNING = "RUNNING", _("Running")
        DONE = "DONE", _("Done")
        FAILED = "FAILED", _("Failed")

    class Step(models.TextChoices):
        RECORD = "RECORD", _("Record and status history")
        FLAGS = "FLAGS", _("Flags")
        INSPECTIONS = "INSPECTIONS", _("Inspections and photos")
        OUTCOMES = "OUTCOMES", _("Findings, sanctions and corrective actions")
        AUDIT = "AUDIT", _("Audit events")
        STORE = "STORE", _("Storing the pack")

    subject_type = models.CharField(_("subject"), max_length=5, choices=Subject.choices)
    agent = models.ForeignKey(
        Agent, verbose_name=_("agent"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    point = models.ForeignKey(
        RegistrationPoint, verbose_name=_("point"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    subject_code = models.CharField(_("code"), max_length=32)
    # Provinces whose data the pack holds (its subject's and its points'): only a user who may see all of
    # them may download it.
    provinces = models.JSONField(_("provinces"), default=list, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.PENDING)
    step = models.CharField(_("step"), max_length=12, choices=Step.choices, blank=True)
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    file = models.FileField(_("file"), upload_to="reports/evidence/", max_length=200, blank=True)
    sha256 = models.CharField(_("SHA-256"), max_length=64, blank=True)
    size_bytes = models.PositiveBigIntegerField(_("bytes"), default=0)
    counts = models.JSONField(_("contents"), default=dict, blank=True)
    audit_chain_head = models.JSONField(_("audit chain head"), default=dict, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("requested by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    heartbeat_at = models.DateTimeField(_("last sign of life"), null=True, blank=True, editable=False)
    error = models.TextField(_("error"), blank=True)

    objects = EvidencePackQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("evidence pack")
        verbose_name_plural = _("evidence packs")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(subject_type="AGENT", agent__isnull=False, point__isnull=True)
                | models.Q(subject_type="POINT", agent__isnull=True, point__isnull=False),
                name="evidencepack_one_subject",
            )
        ]
        indexes = [
            models.Index(fields=["agent", "created_at"], name="evidence_agent_idx"),
            models.Index(fields=["point", "created_at"], name="evidence_point_idx"),
        ]

    def __str__(self):
        return f"{self.get_subject_type_display()} {self.subject_code} #{self.pk}"

    @property
    def subject(self):
        return self.agent if self.subject_type == self.Subject.AGENT else self.point

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    def visible_to(self, user) -> bool:
        """The user may see every province whose data the pack holds."""
        from core.scoping import province_scope

        scope = province_scope(user)
        return scope is None or set(self.provinces) <= scope

    def file_name(self) -> str:
        stamp = (self.finished_at or self.created_at).strftime("%Y%m%d-%H%M%S")
        return f"evidence-{self.subject_type.lower()}-{self.subject_code}-{stamp}.zip"
