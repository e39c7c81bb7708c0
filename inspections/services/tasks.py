"""Inspection tasks: creation, assignment, cancellation and the one state machine every move goes through."""

from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from agents.models import RegistrationPoint, Status
from core.audit import audit_record
from core.models import User
from core.scoping import user_can_see_province
from core.templatetags.display import day
from core.texts import system_text
from registrations.models import Flag

from .. import texts
from ..models import OPEN_TASK_STATUSES, TASK_TRANSITIONS, InspectionTask, TaskEvent, TaskKind, TaskStatus

# Tasks in bulk: each point is its own transaction with its audit event; beyond this, narrow the filter.
BULK_LIMIT = 500


class OpenTaskExists(ValidationError):
    """The point already has an open task (one open task per point)."""

    def __init__(self, task: InspectionTask):
        self.task = task
        super().__init__(
            _("Point %(point)s already has an open task (#%(id)s, %(kind)s, due %(due)s).")
            % {"point": task.point.code, "id": task.pk, "kind": task.get_kind_display(), "due": day(task.due_date)},
            code="open_task_exists",
        )


def task_transition(
    *, task: InspectionTask, to_status: str, actor: User | None, reason: str = "", fields=()
) -> TaskEvent:
    """Move a task to `to_status` if TASK_TRANSITIONS allows it; one TaskEvent and one AuditEvent.

    `fields`: other fields of the task the caller changed and that are saved with the status.
    Raises ValidationError for an illegal move. Call it inside the caller's transaction, on a row
    the caller locked (select_for_update) when a concurrent move is possible.
    """
    from_status = task.status
    if to_status not in TASK_TRANSITIONS.get(from_status, set()):
        raise ValidationError(
            _("A task that is %(from)s cannot become %(to)s.")
            % {"from": TaskStatus(from_status).label.lower(), "to": TaskStatus(to_status).label.lower()},
            code="illegal_transition",
        )
    now = timezone.now()
    task.status = to_status
    update = {"status", "updated_at", *fields}
    if to_status in (TaskStatus.CLOSED, TaskStatus.CANCELLED):
        task.closed_at = now
        update.add("closed_at")
    task.save(update_fields=sorted(update))
    event = TaskEvent.objects.create(
        task=task, at=now, actor=actor, from_status=from_status, to_status=to_status, reason=reason
    )
    audit_record(
        action=f"inspection.{to_status.lower()}",
        actor=actor,
        obj=task,
        fields={"from": from_status, "to": to_status},
        reason=reason,
    )
    return event


def _check_kind_and_reason(kind: str, reason: str) -> None:
    if kind not in TaskKind.values:
        raise ValidationError({"kind": _("Unknown task kind %(kind)s.") % {"kind": kind}})
    # a complaint is planned because someone complained: without what about, the inspector goes in blind
    if kind == TaskKind.COMPLAINT and not (reason or "").strip():
        raise ValidationError({"reason": _("Say what the complaint is about.")})


def open_task_for(point: RegistrationPoint) -> InspectionTask | None:
    return InspectionTask.objects.filter(point=point, status__in=OPEN_TASK_STATUSES).first()


@transaction.atomic
def task_create(
    *,
    point: RegistrationPoint,
    kind: str,
    due_date: date,
    actor: User | None = None,
    reason: str = "",
    flags=(),
    inspector: User | None = None,
) -> InspectionTask:
    """A new PLANNED task (ASSIGNED when `inspector` is given). `actor` None: the scheduler.

    Raises OpenTaskExists when the point has an open task (DESIGN section 6: one open task per point),
    ValidationError for a terminated point, an unknown kind, or a user out of the point's provinces.
    """
    _check_kind_and_reason(kind, reason)
    if point.status == Status.TERMINATED:
        raise ValidationError(_("Point %(point)s is terminated: it is not inspected any more.") % {"point": point.code})
    if actor is not None and not user_can_see_province(actor, point.province_id):
        raise PermissionDenied
    existing = open_task_for(point)
    if existing is not None:
        raise OpenTaskExists(existing)
    task = InspectionTask(point=point, kind=kind, due_date=due_date, reason=reason, created_by=actor)
    try:
        with transaction.atomic():
            task.save()
    except IntegrityError:  # a concurrent create won the race for the point's one open task
        raise OpenTaskExists(open_task_for(point)) from None
    if flags:
        task.flags.add(*flags)
    TaskEvent.objects.create(task=task, at=task.created_at, actor=actor, to_status=TaskStatus.PLANNED, reason=reason)
    audit_record(
        action="inspection.create",
        actor=actor,
        obj=task,
        fields={"kind": kind, "due_date": due_date, "flags": [f.pk for f in flags]},
        reason=reason,
    )
    if inspector is not None:
        task = task_assign(task=task, inspector=inspector, actor=actor)
    return task


def task_create_from_flag(
    *, flag: Flag, due_date: date, actor: User | None, reason: str = "", inspector: User | None = None
) -> InspectionTask:
    """A RISK task (COMPLAINT kinds come by hand) at the flag's point, linked to the flag.

    When the point already has an open task, the flag is linked to it instead and OpenTaskExists is raised
    (the caller shows the existing task).
    """
    if flag.point_id is None:
        raise ValidationError(_("This flag is not tied to a registration point."))
    point = flag.point
    if actor is not None and not user_can_see_province(actor, point.province_id):
        raise PermissionDenied
    existing = open_task_for(point)
    if existing is not None:
        if not existing.flags.filter(pk=flag.pk).exists():
            existing.flags.add(flag)
            audit_record(
                action="inspection.link_flag",
                actor=actor,
                obj=existing,
                fields={"flag": flag.pk, "rule": flag.rule.code},
                reason=reason,
            )
        raise OpenTaskExists(existing)
    return task_create(
        point=point,
        kind=TaskKind.RISK,
        due_date=due_date,
        actor=actor,
        reason=reason or _("Flag %(rule)s on %(subject)s") % {"rule": flag.rule.code, "subject": flag.subject_id},
        flags=[flag],
        inspector=inspector,
    )


def tasks_create_bulk(*, points, kind: str, due_date: date, actor: User, reason: str = "") -> dict:
    """One task per point of `points` (a queryset the caller scoped); points with an open task are skipped.

    Returns {"created": [tasks], "skipped": [(point, reason)]}; each point is its own transaction, so
    one refusal does not undo the others. Raises ValidationError, before writing anything, for more than
    BULK_LIMIT points or a kind and reason no task could have.
    """
    # checked once here rather than refused point by point below
    _check_kind_and_reason(kind, reason)
    count = points.count()
    if count > BULK_LIMIT:
        raise ValidationError(
            _("%(n)d points match: narrow the filter to at most %(max)d.") % {"n": count, "max": BULK_LIMIT}
        )
    created, skipped = [], []
    for point in points.select_related("province"):
        try:
            created.append(task_create(point=point, kind=kind, due_date=due_date, actor=actor, reason=reason))
        except (ValidationError, PermissionDenied) as exc:
            skipped.append(
                (point, exc.messages[0] if isinstance(exc, ValidationError) else _("Not in your provinces."))
            )
    return {"created": created, "skipped": skipped}


def inspector_can_take(inspector: User, point: RegistrationPoint) -> bool:
    """A field inspector covering the point's province."""
    return (
        inspector.is_active
        and inspector.has_perm("inspections.perform_inspection")
        and user_can_see_province(inspector, point.province_id)
    )


@transaction.atomic
def task_assign(*, task: InspectionTask, inspector: User, actor: User | None) -> InspectionTask:
    """Assign (or reassign) a task to an inspector who covers the point's province."""
    task = InspectionTask.objects.select_for_update().select_related("point").get(pk=task.pk)
    if actor is not None and not user_can_see_province(actor, task.point.province_id):
        raise PermissionDenied
    if task.status == TaskStatus.IN_PROGRESS:
        raise ValidationError(_("The inspection is under way: it cannot change hands now."))
    if not inspector_can_take(inspector, task.point):
        raise ValidationError(
            {
                "inspector": _("%(user)s is not a field inspector covering %(province)s.")
                % {"user": inspector.get_username(), "province": task.point.province_id}
            }
        )
    previous = task.inspector
    task.inspector = inspector
    task.assigned_at = timezone.now()
    reason = system_text(texts.ASSIGNED, user=inspector.get_username())
    if previous is not None and previous != inspector:
        reason = system_text(texts.REASSIGNED, old=previous.get_username(), new=inspector.get_username())
    task_transition(
        task=task, to_status=TaskStatus.ASSIGNED, actor=actor, reason=reason, fields=("inspector", "assigned_at")
    )
    return task


def tasks_assign_bulk(*, tasks, inspector: User, actor: User) -> dict:
    """Assign each of `tasks` (the caller scoped them) to one inspector; each task is its own transaction.

    Returns {"assigned": [tasks], "skipped": [(task, reason)]}.
    """
    assigned, skipped = [], []
    for task in tasks:
        try:
            assigned.append(task_assign(task=task, inspector=inspector, actor=actor))
        except ValidationError as exc:
            skipped.append((task, " ".join(exc.messages)))
        except PermissionDenied:
            skipped.append((task, _("Not in your provinces.")))
    return {"assigned": assigned, "skipped": skipped}


@transaction.atomic
def task_unassign(*, task: InspectionTask, actor: User, reason: str = "") -> InspectionTask:
    """Back to PLANNED without an inspector (only an ASSIGNED task: one under way stays with its inspector)."""
    task = InspectionTask.objects.select_for_update().get(pk=task.pk)
    task.inspector = None
    task.assigned_at = None
    task_transition(
        task=task, to_status=TaskStatus.PLANNED, actor=actor, reason=reason, fields=("inspector", "assigned_at")
    )
    return task


@transaction.atomic
def task_cancel(*, task: InspectionTask, actor: User, reason: str) -> InspectionTask:
    """Cancel an open task that has not been submitted; the reason is required and kept in its history."""
    if not (reason or "").strip():
        raise ValidationError({"reason": _("Give a reason for cancelling the task.")})
    task = InspectionTask.objects.select_for_update().get(pk=task.pk)
    task_transition(task=task, to_status=TaskStatus.CANCELLED, actor=actor, reason=reason.strip())
    return task
