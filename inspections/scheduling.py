"""The scheduler (DESIGN section 6): which points get an inspection task, of what kind, due when.

`schedule_inspections` runs three passes, in this order, in one transaction:

1. new critical flags: OPEN or CONFIRMED critical flags at a point and linked to no task. A point with a
   task still to be visited gets the flags linked to it, and its due date brought forward to
   today + `risk_task_due_days` if it was later; any other point gets a RISK task due then.
2. follow-ups: corrective actions whose evidence came in (SUBMITTED) and that no task verifies yet. They
   go to the point's task still to be visited, or to a new FOLLOW_UP task due in `follow_up_due_days`.
3. routine cadence: an ACTIVE point without an open task is due `cadence_days(tier)` after its last
   inspection (never inspected: after it was created); a ROUTINE task is created when that date is within
   `schedule_ahead_days`, due then (today when already past). Every point's `next_inspection_on` is
   written: its open task's due date, else the cadence date (active points only).

"Still to be visited" means PLANNED, ASSIGNED or IN_PROGRESS. A point whose open task is SUBMITTED or
RETURNED has been visited: its new flags and actions wait (counted as `waiting`) until that task is
closed, then get a task of their own, so nothing is attached to a visit that has already happened.

Who does it: each task the scheduler creates goes to an active field inspector covering the point's province
(an all-provinces inspector covers every one), the one with the fewest open tasks, then by name; the task is
ASSIGNED and its history says who was chosen and why. Where nobody covers the province it stays PLANNED,
unassigned, and its history says so, for an officer to assign by hand (issue 13: demo tasks all sat
unassigned, due the same day).

One open task per point is a database constraint; tasks are bulk-created (with their PLANNED events and
one audit event for the run), and if a person opened a task at one of the points meanwhile, the
scheduler creates the others one by one and leaves that point to the next run. Running it twice on the
same day creates nothing the second time.
"""

import logging
from collections import defaultdict
from datetime import date, timedelta

from django.db import IntegrityError, transaction
from django.db.models import Count, Max
from django.utils import timezone, translation

from agents.models import RegistrationPoint, RiskTier, Status
from core.audit import audit_record
from core.texts import system_text
from registrations.models import Flag, FlagStatus, Severity

from . import texts
from .models import (
    OPEN_TASK_STATUSES,
    ActionStatus,
    CorrectiveAction,
    InspectionTask,
    RiskPolicy,
    TaskEvent,
    TaskKind,
    TaskStatus,
)
from .selectors import inspectors

logger = logging.getLogger(__name__)

# an open task whose visit is still to come: new flags and actions can be added to it
NOT_VISITED = (TaskStatus.PLANNED, TaskStatus.ASSIGNED, TaskStatus.IN_PROGRESS)
BATCH = 1000
# ids per `pk IN (...)`: below SQLite's limit of bound parameters
ID_CHUNK = 10_000


def schedule_inspections(*, today: date | None = None) -> dict:
    """Run the three passes of the module docstring; the counts of what was done."""
    today = today or timezone.localdate()
    policy = RiskPolicy.current()
    # texts stored on tasks are English words of core.texts, shown in each reader's language
    with transaction.atomic():
        team = _Inspectors()  # one count of open tasks per inspector for the whole run
        summary = {
            **_risk_tasks(policy, today, team),
            **_follow_ups(policy, today, team),
            **_routine(policy, today, team),
            "tasks_assigned": team.assigned,
            "tasks_unassigned": team.unassigned,
        }
        audit_record(
            action="inspection.schedule",
            object_type="inspections.inspectiontask",
            fields={"today": today.isoformat(), **summary},
        )
    return summary


def _open_tasks() -> dict[int, tuple[int, date, str]]:
    """point id -> (task id, due date, status) of its open task (one row per open task: cheap)."""
    tasks = InspectionTask.objects.filter(status__in=OPEN_TASK_STATUSES).order_by()
    return {
        point: (pk, due, status) for pk, point, due, status in tasks.values_list("pk", "point_id", "due_date", "status")
    }


class _Inspectors:
    """The active field inspectors, the provinces each covers and their open tasks, counted as tasks are given."""

    def __init__(self):
        self.people = list(inspectors().prefetch_related("provinces").order_by("pk"))
        self.covers = {user.pk: {p.code for p in user.provinces.all()} for user in self.people}
        self.assigned = self.unassigned = 0
        self.load = dict(
            InspectionTask.objects.filter(status__in=OPEN_TASK_STATUSES, inspector__in=[u.pk for u in self.people])
            .order_by()
            .values("inspector")
            .annotate(n=Count("pk"))
            .values_list("inspector", "n")
        )

    def choose(self, province: str):
        """The covering inspector with the fewest open tasks, then by name; None when nobody covers it."""
        covering = [u for u in self.people if u.all_provinces or province in self.covers[u.pk]]
        if not covering:
            return None

        def rank(user):
            return (self.load.get(user.pk, 0), (user.get_full_name() or user.get_username()).casefold(), user.username)

        return min(covering, key=rank)


def _choose_inspectors(tasks: list[InspectionTask], team: _Inspectors) -> dict[int, tuple[str, str]]:
    """Give each new task its inspector (ASSIGNED) where someone covers its point's province.

    Returns point id -> the reasons of its history: the PLANNED line (saying nobody covers the province when
    the task stays PLANNED) and the ASSIGNED line (who was chosen and why; "" when nobody was).
    """
    provinces: dict[int, tuple[str, str]] = {}
    point_ids = [task.point_id for task in tasks]
    for start in range(0, len(point_ids), ID_CHUNK):
        rows = RegistrationPoint.objects.filter(pk__in=point_ids[start : start + ID_CHUNK]).values_list(
            "pk", "province_id", "province__name"
        )
        provinces.update({pk: (code, name) for pk, code, name in rows})
    chosen: dict[int, tuple[str, str]] = {}
    for task in tasks:
        code, name = provinces[task.point_id]
        inspector = team.choose(code)
        if inspector is None:
            chosen[task.point_id] = (system_text(texts.LEFT_UNASSIGNED, reason=task.reason, province=name), "")
            continue
        load = team.load.get(inspector.pk, 0)
        team.load[inspector.pk] = load + 1
        task.inspector = inspector
        task.status = TaskStatus.ASSIGNED
        task.assigned_at = task.created_at
        chosen[task.point_id] = (
            task.reason,
            system_text(texts.SCHEDULER_ASSIGNED, user=inspector.get_username(), province=name, open=load),
        )
    return chosen


def _create_tasks(tasks: list[InspectionTask], team: _Inspectors) -> list[InspectionTask]:
    """Insert the tasks, each given to an inspector where one covers it (with their PLANNED and ASSIGNED events);
    a point that got an open task meanwhile is skipped."""
    if not tasks:
        return []
    chosen = _choose_inspectors(tasks, team)
    try:
        with transaction.atomic():
            created = InspectionTask.objects.bulk_create(tasks, batch_size=BATCH)
    except IntegrityError:
        # someone opened a task at one of these points since we looked: one at a time, skipping those
        created = []
        for task in tasks:
            task.pk = None
            try:
                with transaction.atomic():
                    task.save(force_insert=True)
            except IntegrityError:
                logger.info("Point %s got an open task meanwhile; the next run looks again", task.point_id)
                continue
            created.append(task)
    events = []
    for task in created:
        planned, assigned = chosen[task.point_id]
        if assigned:
            team.assigned += 1
        else:
            team.unassigned += 1
        events.append(
            TaskEvent(task=task, at=task.created_at, actor=None, to_status=TaskStatus.PLANNED, reason=planned)
        )
        if assigned:
            events.append(
                TaskEvent(
                    task=task,
                    at=task.created_at,
                    actor=None,
                    from_status=TaskStatus.PLANNED,
                    to_status=TaskStatus.ASSIGNED,
                    reason=assigned,
                )
            )
    TaskEvent.objects.bulk_create(events, batch_size=BATCH)
    return created


def _new_task(point_id: int, kind: str, due: date, reason: str) -> InspectionTask:
    return InspectionTask(
        point_id=point_id, kind=kind, due_date=due, reason=reason, status=TaskStatus.PLANNED, created_at=timezone.now()
    )


# --- 1. new critical flags -------------------------------------------------------------------------


def _risk_tasks(policy: RiskPolicy, today: date, team: _Inspectors) -> dict:
    flags = (
        Flag.objects.filter(
            status__in=(FlagStatus.OPEN, FlagStatus.CONFIRMED),
            severity=Severity.CRITICAL,
            point__isnull=False,
            inspection_tasks__isnull=True,
        )
        .exclude(point__status=Status.TERMINATED)
        .values_list("pk", "point_id", "rule__code")
        .order_by("point_id", "pk")
    )
    by_point: dict[int, list[tuple[int, str]]] = defaultdict(list)
    for pk, point_id, code in flags:
        by_point[point_id].append((pk, code))
    due = today + timedelta(days=policy.risk_task_due_days)
    open_tasks = _open_tasks()
    links: list[tuple[int, int]] = []  # (task id, flag id)
    new_tasks: list[InspectionTask] = []
    brought_forward = waiting = 0
    for point_id, point_flags in by_point.items():
        reason = system_text(texts.CRITICAL_FLAGS, rules=", ".join(sorted({code for _pk, code in point_flags})))
        existing = open_tasks.get(point_id)
        if existing is None:
            new_tasks.append(_new_task(point_id, TaskKind.RISK, due, reason))
            continue
        task_id, task_due, status = existing
        if status not in NOT_VISITED:
            waiting += len(point_flags)
            continue
        links += [(task_id, pk) for pk, _code in point_flags]
        if task_due > due:
            _bring_forward(task_id, due, reason)
            brought_forward += 1
    created = _create_tasks(new_tasks, team)
    flags_of = dict(by_point)
    for task in created:
        links += [(task.pk, pk) for pk, _code in flags_of[task.point_id]]
    through = InspectionTask.flags.through
    through.objects.bulk_create(
        (through(inspectiontask_id=task_id, flag_id=flag_id) for task_id, flag_id in links),
        batch_size=BATCH,
        ignore_conflicts=True,
    )
    return {
        "risk_tasks_created": len(created),
        "risk_flags_linked": len(links),
        "risk_tasks_brought_forward": brought_forward,
        "risk_flags_waiting": waiting,
    }


def _bring_forward(task_id: int, due: date, reason: str) -> None:
    task = InspectionTask.objects.select_for_update().select_related("point").get(pk=task_id)
    before = task.due_date
    task.due_date = due
    task.save(update_fields=["due_date", "updated_at"])
    audit_record(
        action="inspection.due_date",
        obj=task,
        fields={"from": before, "to": due},
        reason=system_text(texts.BROUGHT_FORWARD, reason=reason),
    )


# --- 2. follow-ups of corrective actions ------------------------------------------------------------


def _follow_ups(policy: RiskPolicy, today: date, team: _Inspectors) -> dict:
    actions = (
        CorrectiveAction.objects.filter(status=ActionStatus.EVIDENCE_SUBMITTED, follow_up_task__isnull=True)
        .exclude(point__status=Status.TERMINATED)
        .values_list("pk", "point_id")
        .order_by("point_id", "pk")
    )
    by_point: dict[int, list[int]] = defaultdict(list)
    for pk, point_id in actions:
        by_point[point_id].append(pk)
    due = today + timedelta(days=policy.follow_up_due_days)
    open_tasks = _open_tasks()
    assign: dict[int, list[int]] = {}  # task id -> action ids
    new_tasks: list[InspectionTask] = []
    waiting = 0
    for point_id, action_ids in by_point.items():
        existing = open_tasks.get(point_id)
        if existing is None:
            reason = system_text(texts.VERIFY_ACTIONS, ids=", ".join(f"#{pk}" for pk in action_ids))
            new_tasks.append(_new_task(point_id, TaskKind.FOLLOW_UP, due, reason))
        elif existing[2] in NOT_VISITED:
            assign[existing[0]] = action_ids
        else:
            waiting += len(action_ids)
    created = _create_tasks(new_tasks, team)
    for task in created:
        assign[task.pk] = by_point[task.point_id]
    attached = 0
    for task_id, action_ids in assign.items():
        attached += CorrectiveAction.objects.filter(pk__in=action_ids, follow_up_task__isnull=True).update(
            follow_up_task_id=task_id
        )
    return {"follow_up_tasks_created": len(created), "follow_up_actions_attached": attached, "actions_waiting": waiting}


# --- 3. routine cadence -----------------------------------------------------------------------------


def _routine(policy: RiskPolicy, today: date, team: _Inspectors) -> dict:
    horizon = today + timedelta(days=policy.schedule_ahead_days)
    open_tasks = _open_tasks()
    points = RegistrationPoint.objects.values_list(
        "pk", "status", "created_at", "last_inspection_on", "risk_tier", "next_inspection_on"
    ).order_by()
    # A routine task an officer cancelled (the point closed for works, say) counts as this cycle's visit:
    # the next one is due a cadence after the cancellation, not again the next night.
    cancelled = dict(
        InspectionTask.objects.filter(kind=TaskKind.ROUTINE, status=TaskStatus.CANCELLED, closed_at__isnull=False)
        .order_by()
        .values("point_id")
        .annotate(last=Max("closed_at"))
        .values_list("point_id", "last")
    )
    new_tasks: list[InspectionTask] = []
    next_dates: dict[int, date | None] = {}
    for pk, status, created_at, last, tier, current_next in points.iterator(chunk_size=5000):
        existing = open_tasks.get(pk)
        if existing is not None:
            wanted = existing[1]
        elif status != Status.ACTIVE:
            wanted = None
        else:
            days = policy.cadence_days(tier or RiskTier.LOW)
            since = last or timezone.localdate(created_at)
            if pk in cancelled:
                since = max(since, timezone.localdate(cancelled[pk]))
            wanted = since + timedelta(days=days)
            if wanted <= horizon:
                wanted = max(wanted, today)
                with translation.override("en"):  # the tier's word in English too: shown translated
                    tier_label = str(RiskTier(tier or RiskTier.LOW).label)
                reason = system_text(texts.ROUTINE, days=days, tier=tier_label)
                new_tasks.append(_new_task(pk, TaskKind.ROUTINE, wanted, reason))
        if wanted != current_next:
            next_dates[pk] = wanted
    created = _create_tasks(new_tasks, team)
    created_points = {task.point_id for task in created}
    for task in new_tasks:
        if task.point_id not in created_points:  # someone else's task is there now: the next run writes its date
            next_dates.pop(task.point_id, None)
    # one UPDATE per date (and per ID_CHUNK points): far fewer and cheaper than a CASE per row
    by_date: dict[date | None, list[int]] = defaultdict(list)
    for pk, value in next_dates.items():
        by_date[value].append(pk)
    for value, pks in by_date.items():
        for start in range(0, len(pks), ID_CHUNK):
            RegistrationPoint.objects.filter(pk__in=pks[start : start + ID_CHUNK]).update(next_inspection_on=value)
    return {"routine_tasks_created": len(created), "next_dates_updated": len(next_dates)}
