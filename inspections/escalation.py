"""What is late: overdue tasks and corrective actions, critical flags nobody has reviewed (DESIGN section 6).

The selectors feed the dashboard section, the digest e-mail and the nightly escalation step; each takes
the user whose provinces bound it (None: everything, for the nightly jobs).
"""

from datetime import date, datetime, timedelta

from django.utils import timezone

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
