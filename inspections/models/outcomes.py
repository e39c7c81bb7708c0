"""What accepted reports lead to: findings, sanctions (with their types) and corrective actions."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import Agent, RegistrationPoint, StatusChange
from core.scoping import ScopedQuerySet
from registrations.models import Severity

from .reports import Answer, SimFound, upload_path
from .tasks import InspectionTask


class FindingKind(models.TextChoices):
    FAILED_ITEM = "FAILED_ITEM", _("Failed checklist item")
    SIM_FOUND = "SIM_FOUND", _("Pre-activated SIM found")


class FindingStatus(models.TextChoices):
    OPEN = "OPEN", _("Open")
    RESOLVED = "RESOLVED", _("Resolved")


class Finding(models.Model):
    """A failed item or a SIM found, made when an officer accepts the report."""

    task = models.ForeignKey(InspectionTask, on_delete=models.PROTECT, related_name="findings")
    point = models.ForeignKey(RegistrationPoint, on_delete=models.PROTECT, related_name="findings")
    kind = models.CharField(_("kind"), max_length=12, choices=FindingKind.choices)
    answer = models.OneToOneField(Answer, null=True, blank=True, on_delete=models.PROTECT, related_name="finding")
    sim = models.OneToOneField(SimFound, null=True, blank=True, on_delete=models.PROTECT, related_name="finding")
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices)
    description = models.TextField(_("description"))
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=FindingStatus.choices, default=FindingStatus.OPEN)
    created_at = models.DateTimeField(_("found"), default=timezone.now)
    resolved_at = models.DateTimeField(_("resolved"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_province_field = "point__province"

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("finding")
        verbose_name_plural = _("findings")
        indexes = [models.Index(fields=["point", "status"], name="finding_point_idx")]

    def __str__(self):
        return f"{self.get_kind_display()}: {self.description[:60]}"


class SanctionKind(models.TextChoices):
    WARNING = "WARNING", _("Warning")
    FINE = "FINE", _("Fine")
    SUSPENSION = "SUSPENSION", _("Suspension")
    TERMINATION = "TERMINATION", _("Termination")


class SanctionTarget(models.TextChoices):
    POINT = "POINT", _("Registration point")
    AGENT = "AGENT", _("Agent")


class SanctionType(models.Model):
    """The catalogue: what may be imposed, on what legal basis, within what range of VND."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_vi = models.CharField(_("name (Vietnamese)"), max_length=200)
    kind = models.CharField(_("kind"), max_length=12, choices=SanctionKind.choices)
    target = models.CharField(_("applies to"), max_length=6, choices=SanctionTarget.choices)
    legal_basis = models.CharField(_("legal basis"), max_length=300)
    fine_min_vnd = models.PositiveBigIntegerField(_("fine from (VND)"), null=True, blank=True)
    fine_max_vnd = models.PositiveBigIntegerField(_("fine up to (VND)"), null=True, blank=True)
    risk_weight = models.DecimalField(_("risk weight"), max_digits=6, decimal_places=2, default=5)
    active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["kind", "code"]
        verbose_name = _("sanction type")
        verbose_name_plural = _("sanction types")

    def __str__(self):
        return self.name()

    def name(self, language: str | None = None) -> str:
        from django.utils.translation import get_language

        return self.name_vi if (language or get_language() or "vi").startswith("vi") else self.name_en


class SanctionStatus(models.TextChoices):
    PROPOSED = "PROPOSED", _("Proposed")
    APPROVED = "APPROVED", _("Approved and applied")
    REJECTED = "REJECTED", _("Rejected")


class Sanction(models.Model):
    """A sanction proposed by an officer on a finding; a manager (not the proposer) approves or rejects it.

    Approving applies it: a suspension or termination goes through the agents' services (status change
    with history, source SANCTION).
    """

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="sanctions")
    sanction_type = models.ForeignKey(SanctionType, verbose_name=_("sanction"), on_delete=models.PROTECT)
    point = models.ForeignKey(RegistrationPoint, on_delete=models.PROTECT, related_name="sanctions")
    agent = models.ForeignKey(Agent, on_delete=models.PROTECT, related_name="sanctions")
    amount_vnd = models.PositiveBigIntegerField(_("amount (VND)"), null=True, blank=True)
    status = models.CharField(
        _("status"), max_length=8, choices=SanctionStatus.choices, default=SanctionStatus.PROPOSED
    )
    proposal_note = models.TextField(_("grounds"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("proposed by"), on_delete=models.PROTECT, related_name="+"
    )
    proposed_at = models.DateTimeField(_("proposed"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.TextField(_("decision note"), blank=True)
    status_change = models.ForeignKey(
        StatusChange,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("The status change the sanction made, if any."),
    )

    objects = ScopedQuerySet.as_manager()
    scope_province_field = "point__province"

    class Meta:
        ordering = ["-proposed_at", "-id"]
        verbose_name = _("sanction")
        verbose_name_plural = _("sanctions")
        permissions = [
            ("propose_sanction", _("Can propose sanctions")),
            ("approve_sanction", _("Can approve or reject sanctions")),
        ]
        indexes = [
            models.Index(fields=["status", "proposed_at"], name="sanction_status_idx"),
            models.Index(fields=["point", "status"], name="sanction_point_idx"),
            models.Index(fields=["agent", "status"], name="sanction_agent_idx"),
        ]

    def __str__(self):
        return f"{self.sanction_type} ({self.get_status_display()})"


class ActionStatus(models.TextChoices):
    OPEN = "OPEN", _("Open")
    EVIDENCE_SUBMITTED = "SUBMITTED", _("Evidence submitted")
    VERIFIED = "VERIFIED", _("Verified")
    NOT_VERIFIED = "FAILED", _("Not verified")


class CorrectiveAction(models.Model):
    """What the point must fix, by when, and the proof; verified by a follow-up inspection."""

    finding = models.ForeignKey(Finding, on_delete=models.PROTECT, related_name="corrective_actions")
    point = models.ForeignKey(RegistrationPoint, on_delete=models.PROTECT, related_name="corrective_actions")
    description = models.TextField(_("what must be done"))
    owner = models.CharField(_("owner"), max_length=200, help_text=_("Who at the point or agent is responsible."))
    due_date = models.DateField(_("due date"))
    status = models.CharField(_("status"), max_length=9, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("created by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    evidence_note = models.TextField(_("evidence"), blank=True)
    evidence_file = models.FileField(_("evidence file"), upload_to=upload_path, max_length=200, blank=True)
    evidence_at = models.DateTimeField(_("evidence received"), null=True, blank=True)
    follow_up_task = models.ForeignKey(
        InspectionTask, null=True, blank=True, on_delete=models.SET_NULL, related_name="verifies"
    )
    verified_at = models.DateTimeField(_("verified"), null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("verified by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    escalated_at = models.DateTimeField(_("escalated"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()
    scope_province_field = "point__province"

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("corrective action")
        verbose_name_plural = _("corrective actions")
        indexes = [
            models.Index(fields=["status", "due_date"], name="action_status_due_idx"),
            models.Index(fields=["point", "status"], name="action_point_idx"),
        ]

    def __str__(self):
        return self.description[:80]

    def is_overdue(self, today=None) -> bool:
        return self.status == ActionStatus.OPEN and self.due_date < (today or timezone.localdate())
