"""Risk-based supervision: risk policy, checklists, inspection tasks and reports, findings, sanctions,
corrective actions and the nightly run record (DESIGN sections 1, 3 and 6).

Writes go through `inspections.services`; every status move of a task goes through
`services.tasks.task_transition`, which enforces `TASK_TRANSITIONS` and writes a `TaskEvent`.
"""

import uuid
from decimal import Decimal
from pathlib import PurePath

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import Agent, RegistrationPoint, StatusChange
from core.scoping import ScopedQuerySet, province_scope
from registrations.models import Activation, Flag, Registration, Severity

# --- risk policy --------------------------------------------------------------------------------


class RiskPolicy(models.Model):
    """The one row of editable numbers behind risk scores, tiers, cadence and escalation (managers edit it).

    Defaults follow DESIGN sections 5 and 6: HIGH every 30 days, MEDIUM 90, LOW 180; a RISK task due
    7 days after a new critical flag; flags of the last 90 days per 1,000 registrations.
    """

    # tiers: score >= high_from is HIGH, >= medium_from is MEDIUM, else LOW
    high_from = models.DecimalField(_("HIGH tier from score"), max_digits=8, decimal_places=2, default=Decimal(40))
    medium_from = models.DecimalField(_("MEDIUM tier from score"), max_digits=8, decimal_places=2, default=Decimal(15))
    # flags: weight per open or confirmed flag, per 1,000 registrations of the window
    flag_window_days = models.PositiveIntegerField(_("flag window (days)"), default=90)
    weight_critical = models.DecimalField(_("weight of a critical flag"), max_digits=6, decimal_places=2, default=10)
    weight_high = models.DecimalField(_("weight of a high flag"), max_digits=6, decimal_places=2, default=4)
    weight_medium = models.DecimalField(_("weight of a medium flag"), max_digits=6, decimal_places=2, default=1)
    weight_low = models.DecimalField(_("weight of a low flag"), max_digits=6, decimal_places=2, default=Decimal("0.5"))
    min_registrations = models.PositiveIntegerField(
        _("registrations floor"),
        default=200,
        help_text=_("Flags are counted per 1,000 registrations, but never per fewer than this many."),
    )
    flag_cap = models.DecimalField(_("cap of the flag part"), max_digits=8, decimal_places=2, default=60)
    # inspections: failed checklist items and findings of accepted reports, by severity weight
    findings_window_days = models.PositiveIntegerField(_("findings window (days)"), default=365)
    weight_failed_item = models.DecimalField(
        _("points per failed item (times its severity weight)"), max_digits=6, decimal_places=2, default=1
    )
    # sanctions: each approved sanction of the window adds its type's risk weight
    sanctions_window_days = models.PositiveIntegerField(_("sanctions window (days)"), default=365)
    # time since the last inspection: points per 30 days, capped
    weight_per_month_uninspected = models.DecimalField(
        _("points per month without inspection"), max_digits=6, decimal_places=2, default=1
    )
    uninspected_cap_months = models.PositiveIntegerField(_("months without inspection counted at most"), default=12)
    # scheduling (DESIGN section 6)
    cadence_high_days = models.PositiveIntegerField(_("HIGH tier: inspect every (days)"), default=30)
    cadence_medium_days = models.PositiveIntegerField(_("MEDIUM tier: inspect every (days)"), default=90)
    cadence_low_days = models.PositiveIntegerField(_("LOW tier: inspect every (days)"), default=180)
    risk_task_due_days = models.PositiveIntegerField(_("RISK task due after a critical flag (days)"), default=7)
    schedule_ahead_days = models.PositiveIntegerField(_("plan routine tasks this many days ahead"), default=14)
    follow_up_due_days = models.PositiveIntegerField(_("FOLLOW_UP task due after evidence (days)"), default=14)
    # escalation
    escalate_flag_after_hours = models.PositiveIntegerField(
        _("escalate a critical flag left open for (hours)"), default=48
    )
    version = models.PositiveIntegerField(_("version"), default=1)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("updated by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )

    class Meta:
        verbose_name = _("risk and scheduling policy")
        verbose_name_plural = _("risk and scheduling policy")
        constraints = [models.CheckConstraint(condition=models.Q(pk=1), name="riskpolicy_single_row")]

    def __str__(self):
        return str(self._meta.verbose_name)

    @classmethod
    def current(cls) -> "RiskPolicy":
        policy, _created = cls.objects.get_or_create(pk=1)
        return policy

    def severity_weight(self, severity: str) -> Decimal:
        return {
            Severity.CRITICAL: self.weight_critical,
            Severity.HIGH: self.weight_high,
            Severity.MEDIUM: self.weight_medium,
            Severity.LOW: self.weight_low,
        }.get(severity, Decimal(0))

    def cadence_days(self, tier: str) -> int:
        return {"HIGH": self.cadence_high_days, "MEDIUM": self.cadence_medium_days}.get(tier, self.cadence_low_days)


# --- checklists ---------------------------------------------------------------------------------


class ChecklistTemplate(models.Model):
    """One version of a checklist. Versions of one checklist share a `family`; a report keeps its version.

    Editing makes a new version (services.checklists); a version that a report used is never changed.
    """

    family = models.SlugField(_("checklist"), max_length=40)
    version = models.PositiveIntegerField(_("version"))
    name = models.CharField(_("name"), max_length=200)
    is_current = models.BooleanField(
        _("in use"), default=False, help_text=_("The version new inspections use; one per checklist.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    change_note = models.TextField(_("what changed"), blank=True)

    class Meta:
        ordering = ["family", "-version"]
        verbose_name = _("checklist template")
        verbose_name_plural = _("checklist templates")
        constraints = [
            models.UniqueConstraint(fields=["family", "version"], name="checklist_family_version_uniq"),
            models.UniqueConstraint(
                fields=["family"], condition=models.Q(is_current=True), name="checklist_one_current_per_family"
            ),
        ]

    def __str__(self):
        return f"{self.name} v{self.version}"


class AnswerKind(models.TextChoices):
    YES_NO_NA = "YES_NO_NA", _("Yes / no / not applicable")
    NUMBER = "NUMBER", _("Number")
    TEXT = "TEXT", _("Text")
    PHOTO = "PHOTO", _("Photo")


class ChecklistItem(models.Model):
    """One question of a checklist version, with what answer fails it.

    `failing_answer`: for YES_NO_NA "YES" or "NO"; for NUMBER a comparison with a whole number such as
    ">0" or "<1"; blank: the answer never fails the item by itself (TEXT, PHOTO).
    """

    template = models.ForeignKey(ChecklistTemplate, on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("position"))
    code = models.SlugField(_("code"), max_length=40, help_text=_("Stable across versions."))
    question_en = models.CharField(_("question (English)"), max_length=300)
    question_vi = models.CharField(_("question (Vietnamese)"), max_length=300)
    answer_kind = models.CharField(_("answer kind"), max_length=10, choices=AnswerKind.choices)
    failing_answer = models.CharField(_("failing answer"), max_length=12, blank=True)
    requires_photo = models.BooleanField(_("photo required"), default=False)
    severity = models.CharField(_("severity"), max_length=8, choices=Severity.choices, default=Severity.MEDIUM)
    legal_basis = models.CharField(_("legal basis"), max_length=300, blank=True)

    class Meta:
        ordering = ["template", "position"]
        verbose_name = _("checklist item")
        verbose_name_plural = _("checklist items")
        constraints = [models.UniqueConstraint(fields=["template", "code"], name="checklist_item_code_uniq")]

    def __str__(self):
        return self.code

    def question(self, language: str | None = None) -> str:
        from django.utils.translation import get_language

        return self.question_vi if (language or get_language() or "vi").startswith("vi") else self.question_en

    def fails(self, value: str) -> bool:
        """Whether this answer fails the item (blank never fails: not answered)."""
        value = (value or "").strip()
        rule = self.failing_answer.strip()
        if not value or not rule:
            return False
        if self.answer_kind == AnswerKind.YES_NO_NA:
            return value.upper() == rule.upper()
        if self.answer_kind == AnswerKind.NUMBER and rule[:1] in "<>" and rule[1:].lstrip("-").isdigit():
            try:
                number = Decimal(value)
            except ArithmeticError:
                return False
            limit = Decimal(rule[1:])
            return number > limit if rule[0] == ">" else number < limit
        return False


# --- tasks --------------------------------------------------------------------------------------


class TaskKind(models.TextChoices):
    ROUTINE = "ROUTINE", _("Routine")
    RISK = "RISK", _("Risk")
    FOLLOW_UP = "FOLLOW_UP", _("Follow-up")
    COMPLAINT = "COMPLAINT", _("Complaint")


class TaskStatus(models.TextChoices):
    PLANNED = "PLANNED", _("Planned")
    ASSIGNED = "ASSIGNED", _("Assigned")
    IN_PROGRESS = "IN_PROGRESS", _("In progress")
    SUBMITTED = "SUBMITTED", _("Submitted")
    RETURNED = "RETURNED", _("Returned")
    CLOSED = "CLOSED", _("Closed")
    CANCELLED = "CANCELLED", _("Cancelled")


OPEN_TASK_STATUSES = (
    TaskStatus.PLANNED,
    TaskStatus.ASSIGNED,
    TaskStatus.IN_PROGRESS,
    TaskStatus.SUBMITTED,
    TaskStatus.RETURNED,
)
# "overdue when past due and not submitted" (DESIGN section 3)
NOT_SUBMITTED_STATUSES = (TaskStatus.PLANNED, TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS, TaskStatus.RETURNED)
# The only moves a task can make (services.tasks.task_transition enforces them).
TASK_TRANSITIONS: dict[str, set[str]] = {
    TaskStatus.PLANNED: {TaskStatus.ASSIGNED, TaskStatus.CANCELLED},
    TaskStatus.ASSIGNED: {TaskStatus.ASSIGNED, TaskStatus.PLANNED, TaskStatus.IN_PROGRESS, TaskStatus.CANCELLED},
    TaskStatus.IN_PROGRESS: {TaskStatus.SUBMITTED, TaskStatus.CANCELLED},
    TaskStatus.SUBMITTED: {TaskStatus.RETURNED, TaskStatus.CLOSED},
    TaskStatus.RETURNED: {TaskStatus.SUBMITTED},
    TaskStatus.CLOSED: set(),
    TaskStatus.CANCELLED: set(),
}


class TaskQuerySet(ScopedQuerySet):
    def for_user(self, user):
        """Staff and auditors: the tasks of their provinces. Field inspectors: only the tasks assigned to them."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.has_perm("inspections.view_inspectiontask"):
            return super().for_user(user)
        if user.has_perm("inspections.perform_inspection"):
            return self.filter(inspector=user)
        return self.none()

    def open(self):
        return self.filter(status__in=OPEN_TASK_STATUSES)

    def overdue(self, today=None):
        today = today or timezone.localdate()
        return self.filter(status__in=NOT_SUBMITTED_STATUSES, due_date__lt=today)


class InspectionTask(models.Model):
    """One inspection of one point. At most one open task per point (database constraint)."""

    point = models.ForeignKey(
        RegistrationPoint, verbose_name=_("point"), on_delete=models.PROTECT, related_name="inspection_tasks"
    )
    kind = models.CharField(_("kind"), max_length=10, choices=TaskKind.choices)
    status = models.CharField(_("status"), max_length=12, choices=TaskStatus.choices, default=TaskStatus.PLANNED)
    due_date = models.DateField(_("due date"))
    reason = models.TextField(_("reason"), blank=True)
    flags = models.ManyToManyField(Flag, verbose_name=_("flags"), blank=True, related_name="inspection_tasks")
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("inspector"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspection_tasks",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("created by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the scheduler."),
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now)
    assigned_at = models.DateTimeField(_("assigned"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed"), null=True, blank=True)
    escalated_at = models.DateTimeField(
        _("escalated"), null=True, blank=True, help_text=_("When the nightly run first found it overdue.")
    )
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    objects = TaskQuerySet.as_manager()
    scope_province_field = "point__province"

    class Meta:
        ordering = ["due_date", "id"]
        verbose_name = _("inspection task")
        verbose_name_plural = _("inspection tasks")
        permissions = [
            ("perform_inspection", _("Can carry out inspection tasks assigned to them")),
            ("review_inspection", _("Can assign, return and accept inspections")),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["point"],
                condition=models.Q(status__in=OPEN_TASK_STATUSES),
                name="inspection_one_open_task_per_point",
            )
        ]
        indexes = [
            models.Index(fields=["status", "due_date"], name="task_status_due_idx"),
            models.Index(fields=["inspector", "status", "due_date"], name="task_inspector_idx"),
            models.Index(fields=["point", "status"], name="task_point_idx"),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.point.code} {self.due_date:%Y-%m-%d}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_TASK_STATUSES

    def is_overdue(self, today=None) -> bool:
        return self.status in NOT_SUBMITTED_STATUSES and self.due_date < (today or timezone.localdate())


class TaskEvent(models.Model):
    """One status move of a task (and who made it, and why): the task's history."""

    task = models.ForeignKey(InspectionTask, on_delete=models.CASCADE, related_name="events")
    at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    from_status = models.CharField(_("from"), max_length=12, choices=TaskStatus.choices, blank=True)
    to_status = models.CharField(_("to"), max_length=12, choices=TaskStatus.choices)
    reason = models.TextField(_("reason"), blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("task event")
        verbose_name_plural = _("task events")

    def __str__(self):
        return f"{self.from_status or '-'} -> {self.to_status}"


# --- the inspector's report ---------------------------------------------------------------------


class ReviewOutcome(models.TextChoices):
    ACCEPTED = "ACCEPTED", _("Accepted")
    RETURNED = "RETURNED", _("Returned")


class InspectionReport(models.Model):
    """What the inspector recorded on site: check-in/out with location, answers, photos, SIMs, remarks."""

    task = models.OneToOneField(InspectionTask, on_delete=models.CASCADE, related_name="report")
    template = models.ForeignKey(
        ChecklistTemplate, verbose_name=_("checklist version"), on_delete=models.PROTECT, related_name="reports"
    )
    inspector = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("inspector"), on_delete=models.PROTECT, related_name="+"
    )
    checkin_at = models.DateTimeField(_("checked in"))
    checkin_latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    checkin_longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    checkin_accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    checkin_distance_m = models.FloatField(_("distance to the point (m)"), null=True, blank=True)
    location_note = models.TextField(
        _("location note"), blank=True, help_text=_("Why the location is missing or far from the point.")
    )
    checkout_at = models.DateTimeField(_("checked out"), null=True, blank=True)
    checkout_latitude = models.DecimalField(_("latitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    checkout_longitude = models.DecimalField(_("longitude"), max_digits=9, decimal_places=6, null=True, blank=True)
    checkout_accuracy_m = models.FloatField(_("accuracy (m)"), null=True, blank=True)
    remarks = models.TextField(_("inspector's remarks"), blank=True)
    submitted_at = models.DateTimeField(_("submitted"), null=True, blank=True)
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

    class Meta:
        ordering = ["uploaded_at", "id"]
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

    class Meta:
        ordering = ["recorded_at", "id"]
        verbose_name = _("SIM found")
        verbose_name_plural = _("SIMs found")
        constraints = [models.UniqueConstraint(fields=["report", "iccid"], name="simfound_report_iccid_uniq")]

    def __str__(self):
        return self.iccid


# --- findings, sanctions, corrective actions ----------------------------------------------------


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


# --- the nightly run ----------------------------------------------------------------------------


class NightlyRun(models.Model):
    """One night's chain (checks -> risk -> schedule -> escalate -> digest) and each step's outcome.

    One row per night: a re-run of the same night runs every step again (each is idempotent) and
    records the new outcomes on the same row.
    """

    class Status(models.TextChoices):
        RUNNING = "RUNNING", _("Running")
        DONE = "DONE", _("Done")
        FAILED = "FAILED", _("Some steps failed")

    night = models.DateField(_("night"), unique=True)
    started_at = models.DateTimeField(_("started"))
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=8, choices=Status.choices, default=Status.RUNNING)
    # {step: {"status": "done"|"failed"|"running"|"pending", "seconds", "summary": {...}, "error"}}
    steps = models.JSONField(_("steps"), default=dict, blank=True)
    attempts = models.PositiveIntegerField(_("attempts"), default=1)

    class Meta:
        ordering = ["-night"]
        verbose_name = _("nightly run")
        verbose_name_plural = _("nightly runs")

    def __str__(self):
        return f"{self.night:%Y-%m-%d} {self.get_status_display()}"


def task_visible_to(user) -> models.Q:
    """Q over InspectionTask for code that filters related objects (findings, photos) by task visibility."""
    if user.has_perm("inspections.view_inspectiontask"):
        scope = province_scope(user)
        return models.Q() if scope is None else models.Q(point__province__in=scope)
    if user.has_perm("inspections.perform_inspection"):
        return models.Q(inspector=user)
    return models.Q(pk__in=[])
