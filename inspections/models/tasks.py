"""Inspection tasks, their statuses and allowed moves, and the event log of each task."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from agents.models import RegistrationPoint
from core.scoping import ScopedQuerySet, province_scope
from registrations.models import Flag


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
        # no words: this text is stored in audit rows, read later in either language (the kind is on the page)
        return f"#{self.pk} {self.point.code} {self.due_date:%Y-%m-%d}"

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


def task_visible_to(user) -> models.Q:
    """Q over InspectionTask for code that filters related objects (findings, photos) by task visibility."""
    if user.has_perm("inspections.view_inspectiontask"):
        scope = province_scope(user)
        return models.Q() if scope is None else models.Q(point__province__in=scope)
    if user.has_perm("inspections.perform_inspection"):
        return models.Q(inspector=user)
    return models.Q(pk__in=[])
