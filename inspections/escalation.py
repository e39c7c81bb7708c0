"""What is late: overdue tasks and corrective actions, critical flags nobody has reviewed (DESIGN section 6).

The selectors feed the dashboard section, the digest e-mail and the nightly escalation step; each takes
the user whose provinces bound it (None: everything, for the nightly jobs). `escalate` is the nightly
step: it marks what became overdue.
"""

from datetime import date, datetime, timedelta

from django.db import transaction
from django.utils import timezone

from core.audit import audit_record
from registrations.models import Flag, FlagStatus, Severity

from .models import ActionStatus, CorrectiveAction, InspectionTask, RiskPolicy


def overdue_tasks(user=None, *, today: date | None = None):
    """Tasks past their due date and not yet submitted, oldest first."""
    tasks = InspectionTask.objects.all() if user is None else InspectionTask.objects.for_user(user)
    return tasks.overdue(today).select_related("point", "point__province", "inspector").order_by("due_date", "id")


def overdue_actions(user=None, *, today: date | None = None):
    """Open corrective actions past their due date, oldest first."""
    actions = CorrectiveAction.objects.all() if user is None else CorrectiveAction.objects.for_user(user)
    return (
        actions.filter(status=ActionStatus.OPEN, due_date__lt=today or timezone.localdate())
        .select_related("point", "finding")
        .order_by("due_date", "id")
    )


def unreviewed_critical_flags(user=None, *, now: datetime | None = None, policy: RiskPolicy | None = None):
    """Critical flags still OPEN (nobody confirmed or dismissed them) longer than the policy allows."""
    policy = policy or RiskPolicy.current()
    cutoff = (now or timezone.now()) - timedelta(hours=policy.escalate_flag_after_hours)
    flags = Flag.objects.all() if user is None else Flag.objects.for_user(user)
    return (
        flags.filter(status=FlagStatus.OPEN, severity=Severity.CRITICAL, first_seen__lt=cutoff)
        .select_related("rule", "point", "registration", "activation")
        .order_by("first_seen", "id")
    )


def escalate(*, now: datetime | None = None) -> dict:
    """Mark overdue tasks and overdue corrective actions escalated (once: `escalated_at` keeps the first
    time); the counts, with the critical flags nobody has reviewed in time (listed, not changed)."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    policy = RiskPolicy.current()
    with transaction.atomic():
        task_ids = list(
            InspectionTask.objects.overdue(today).filter(escalated_at__isnull=True).values_list("pk", flat=True)
        )
        action_ids = list(
            CorrectiveAction.objects.filter(
                status=ActionStatus.OPEN, due_date__lt=today, escalated_at__isnull=True
            ).values_list("pk", flat=True)
        )
        InspectionTask.objects.filter(pk__in=task_ids).update(escalated_at=now)
        CorrectiveAction.objects.filter(pk__in=action_ids).update(escalated_at=now)
        summary = {
            "tasks_escalated": len(task_ids),
            "tasks_overdue": overdue_tasks(today=today).count(),
            "actions_escalated": len(action_ids),
            "actions_overdue": overdue_actions(today=today).count(),
            "critical_flags_unreviewed": unreviewed_critical_flags(now=now, policy=policy).count(),
        }
        if task_ids or action_ids:
            audit_record(
                action="inspection.escalate",
                object_type="inspections.inspectiontask",
                fields={**summary, "tasks": task_ids, "actions": action_ids},
            )
    return summary
