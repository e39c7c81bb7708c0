"""Reads for the compliance staff's pages: every one starts from the user's scope (`for_user`)."""

import datetime as dt
from urllib.parse import parse_qs, urlencode

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db.models import Count, Prefetch, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from agents.models import RegistrationPoint
from core.models import Province
from core.pagination import KeysetPage, keyset_paginate
from core.scoping import access_object, province_scope

from . import nightly
from .models import (
    NOT_SUBMITTED_STATUSES,
    OPEN_TASK_STATUSES,
    ActionStatus,
    Answer,
    ChecklistTemplate,
    CorrectiveAction,
    Finding,
    FindingStatus,
    InspectionReport,
    InspectionTask,
    NightlyRun,
    Photo,
    Sanction,
    SanctionStatus,
    SimFound,
    TaskEvent,
)

SECTION_ROWS = 20
DUE_SOON_DAYS = 7


# --- tasks --------------------------------------------------------------------------------------


def task_list(*, user):
    return InspectionTask.objects.for_user(user).select_related(
        "point", "point__province", "point__agent", "inspector", "report"
    )


TASK_TABLE = InspectionTask._meta.db_table
POINT_TABLE = RegistrationPoint._meta.db_table
PROVINCE_TABLE = Province._meta.db_table
USER_TABLE = get_user_model()._meta.db_table


def _one(column: str, table: str, key: str, join: str = "") -> str:
    """A single-row subquery: `column` of the row of `table` (aliased `x`, `join` after it) whose id is the
    task's `key` column. Names from the models' metadata only."""
    return f'(SELECT {column} FROM "{table}" x{join} WHERE x."id" = "{TASK_TABLE}"."{key}")'  # noqa: S608


# What a row of the planning page shows besides the task's own columns, each as a single-row subquery by the
# task's keys: the point's code and name, its province's name, and the inspector's "first last" (what
# get_full_name strips) and username.
PLANNING_COLUMNS = {
    "point_code": _one('x."code"', POINT_TABLE, "point_id"),
    "point_name": _one('x."name"', POINT_TABLE, "point_id"),
    "province_name": _one(
        'r."name"', POINT_TABLE, "point_id", join=f' JOIN "{PROVINCE_TABLE}" r ON r."code" = x."province_id"'
    ),
    "inspector_full_name": _one('x."first_name" || \' \' || x."last_name"', USER_TABLE, "inspector_id"),
    "inspector_username": _one('x."username"', USER_TABLE, "inspector_id"),
}
PLANNING_FIELDS = ("pk", "kind", "status", "due_date", "inspector_id", *PLANNING_COLUMNS)


def planning_rows(*, user):
    """The planning page's rows (issue 15): named tuples of PLANNING_FIELDS, not model instances. Each row
    was four instances (the task, its point, the point's province, the inspector) built from a four-table join;
    now the task's own columns and, as single-row subqueries written as SQL (cheap to compile, as the flag
    queue's rows), the point's code and name, its province's name and the inspector's names. The page's filters
    and keyset apply to it as to the tasks (it is still a queryset of InspectionTask)."""
    columns = {name: RawSQL(sql, ()) for name, sql in PLANNING_COLUMNS.items()}  # noqa: S611 - no value in the SQL
    return InspectionTask.objects.for_user(user).annotate(**columns).values_list(*PLANNING_FIELDS, named=True)


# `?part=assigned`: the planning page's cursor is in its second part (see planning_page)
ASSIGNED_PART = "assigned"


def planning_page(tasks, params, *, size: int) -> KeysetPage:
    """One keyset page of `tasks` in the planning order: unassigned first, then by due date.

    keyset_paginate sorts by one field, so the order is two runs of it by due date: the unassigned
    tasks, then the assigned ones, which fill the page on which the unassigned ones end.
    """
    by_due = {"sort_options": ("due_date",), "default_sort": "due_date"}
    base = {k: v for k, v in params.items() if k not in ("after", "part", "sort") and v not in ("", None)}
    unassigned, assigned = tasks.filter(inspector__isnull=True), tasks.filter(inspector__isnull=False)
    if params.get("part") == ASSIGNED_PART:
        page = keyset_paginate(assigned, params, size=size, **by_due)
        page.first_query = urlencode(base)
        return page
    page = keyset_paginate(unassigned, params, size=size, **by_due)
    if page.next_query is not None:
        return page
    room = size - len(page.items)
    if room == 0:
        page.next_query = urlencode({**base, "part": ASSIGNED_PART}) if assigned.exists() else None
        return page
    rest = keyset_paginate(assigned, {}, size=room, **by_due)
    page.items += rest.items
    if rest.next_query is not None:
        after = parse_qs(rest.next_query)["after"][0]
        page.next_query = urlencode({**base, "part": ASSIGNED_PART, "after": after})
    return page


def task_get(*, user, pk) -> InspectionTask:
    return access_object(task_list(user=user), user, pk=pk)


def task_events(task):
    return TaskEvent.objects.filter(task=task).select_related("actor").order_by("-at", "-id")


def task_report(task) -> InspectionReport | None:
    """The task's report with its answers (and their items and photos), SIMs and reviewer, in few queries."""
    return (
        InspectionReport.objects.filter(task=task)
        .select_related("template", "inspector", "reviewed_by")
        .prefetch_related(
            Prefetch(
                "answers",
                queryset=Answer.objects.select_related("item", "finding").order_by("item__position"),
            ),
            Prefetch("photos", queryset=Photo.objects.order_by("uploaded_at", "id")),
            Prefetch("sims", queryset=SimFound.objects.select_related("registration", "activation", "finding")),
        )
        .first()
    )


def task_findings(task):
    return (
        Finding.objects.filter(task=task)
        .select_related("answer__item", "sim")
        .prefetch_related("sanctions__sanction_type", "corrective_actions")
        .order_by("id")
    )


# --- inspectors and their workload --------------------------------------------------------------


def _holders_sql() -> str:
    """The ids of the accounts holding `inspections.perform_inspection`, through a group or directly, as SQL:
    the same lookups written with the ORM cost about 2 ms to compile on every planning page (issue 15)."""
    User = get_user_model()
    groups, direct = User.groups.through._meta.db_table, User.user_permissions.through._meta.db_table
    perm = (
        f"SELECT p.id FROM {Permission._meta.db_table} p JOIN django_content_type ct ON ct.id = p.content_type_id "  # noqa: S608
        "WHERE ct.app_label = 'inspections' AND p.codename = 'perform_inspection'"
    )
    return (
        f"SELECT ug.user_id FROM {groups} ug JOIN auth_group_permissions gp ON gp.group_id = ug.group_id "  # noqa: S608
        f"WHERE gp.permission_id IN ({perm}) "
        f"UNION SELECT up.user_id FROM {direct} up WHERE up.permission_id IN ({perm})"
    )


def inspectors(*, user=None, province: str | None = None):
    """Active field inspectors; with `province`, those covering it; with `user`, those covering any of the
    user's provinces (a user limited to some provinces plans only there)."""
    User = get_user_model()
    qs = User.objects.filter(is_active=True, pk__in=RawSQL(_holders_sql(), ()))  # noqa: S611 - no value in it
    covering = User.provinces.through.objects
    if province is not None:
        qs = qs.filter(Q(all_provinces=True) | Q(pk__in=covering.filter(province_id=province).values("user_id")))
    if user is not None:
        scope = province_scope(user)
        if scope is not None:
            qs = qs.filter(Q(all_provinces=True) | Q(pk__in=covering.filter(province_id__in=scope).values("user_id")))
    return qs


def _task_count(condition: str, params: list, scope) -> RawSQL:
    """The number of an inspector's tasks under `condition` (on the task `t`) in `scope` (province codes; None:
    every province), as a single-row subquery by the user's id."""
    join = scoped = ""
    if scope is not None:
        join = f' JOIN "{POINT_TABLE}" p ON p."id" = t."point_id"'
        scoped = f' AND p."province_id" IN ({", ".join(["%s"] * len(scope))})' if scope else " AND 1 = 0"
    sql = (
        f'(SELECT COUNT(*) FROM "{TASK_TABLE}" t{join} '  # noqa: S608 - names from the models' metadata only
        f'WHERE t."inspector_id" = "{USER_TABLE}"."id" AND {condition}{scoped})'
    )
    return RawSQL(sql, (*params, *sorted(scope or ())))  # noqa: S611 - values as parameters


def _in(statuses) -> tuple[str, list]:
    return f't."status" IN ({", ".join(["%s"] * len(statuses))})', [str(status) for status in statuses]


def with_workload(users, *, user, today: dt.date | None = None):
    """Per inspector: open tasks, overdue ones, and ones due in the next 7 days (in the user's provinces).
    Each count a single-row subquery written as SQL: three Count(filter=Q(...)) over a join cost about 1 ms to
    compile on every planning page (issue 15)."""
    today = today or timezone.localdate()
    scope = province_scope(user)
    is_open, open_params = _in(OPEN_TASK_STATUSES)
    # not submitted: waiting for its inspector (every such status is an open one)
    waiting, waiting_params = _in(NOT_SUBMITTED_STATUSES)
    soon = today + dt.timedelta(days=DUE_SOON_DAYS)
    return users.annotate(
        open_tasks=_task_count(is_open, open_params, scope),
        overdue_tasks=_task_count(f'{waiting} AND t."due_date" < %s', [*waiting_params, today], scope),
        due_soon=_task_count(
            f'{waiting} AND t."due_date" >= %s AND t."due_date" <= %s', [*waiting_params, today, soon], scope
        ),
    ).order_by("username")


# --- findings, sanctions, corrective actions ----------------------------------------------------


def finding_list(*, user):
    return Finding.objects.for_user(user).select_related("point", "point__province", "task", "answer__item", "sim")


def finding_get(*, user, pk) -> Finding:
    return access_object(finding_list(user=user).select_related("point__agent"), user, pk=pk)


def sanction_list(*, user):
    return Sanction.objects.for_user(user).select_related(
        "sanction_type", "point", "point__province", "agent", "finding", "proposed_by", "decided_by"
    )


def sanction_get(*, user, pk) -> Sanction:
    return access_object(sanction_list(user=user).select_related("status_change", "finding__task"), user, pk=pk)


def action_list(*, user):
    return CorrectiveAction.objects.for_user(user).select_related(
        "point", "point__province", "finding", "follow_up_task", "created_by", "verified_by"
    )


def action_get(*, user, pk) -> CorrectiveAction:
    return access_object(action_list(user=user), user, pk=pk)


def sanctions_awaiting_approval(*, user):
    return sanction_list(user=user).filter(status=SanctionStatus.PROPOSED).order_by("proposed_at", "id")


# --- checklists ---------------------------------------------------------------------------------


def checklist_versions():
    return ChecklistTemplate.objects.annotate(item_count=Count("items", distinct=True)).select_related("created_by")


# --- sections of point, agent and home pages ----------------------------------------------------


def _section(tasks, findings, sanctions, actions) -> dict:
    """The first rows of each list and how many there are (one count each)."""
    open_findings = findings.filter(status=FindingStatus.OPEN)
    live_actions = actions.exclude(status=ActionStatus.VERIFIED)
    return {
        "tasks": list(tasks.order_by("-due_date", "-id")[:SECTION_ROWS]),
        "task_count": tasks.count(),
        "findings": list(open_findings.order_by("-created_at", "-id")[:SECTION_ROWS]),
        "finding_count": open_findings.count(),
        "sanctions": list(sanctions.order_by("-proposed_at", "-id")[:SECTION_ROWS]),
        "sanction_count": sanctions.count(),
        "actions": list(live_actions.order_by("due_date", "id")[:SECTION_ROWS]),
        "action_count": live_actions.count(),
        "today": timezone.localdate(),
    }


def point_section(*, user, point) -> dict:
    return _section(
        task_list(user=user).filter(point=point),
        finding_list(user=user).filter(point=point),
        sanction_list(user=user).filter(point=point),
        action_list(user=user).filter(point=point),
    )


def agent_section(*, user, agent) -> dict:
    """Across the agent's points that the user may see; sanctions on the agent itself included."""
    return _section(
        task_list(user=user).filter(point__agent=agent),
        finding_list(user=user).filter(point__agent=agent),
        sanction_list(user=user).filter(agent=agent),
        action_list(user=user).filter(point__agent=agent),
    )


# --- the nightly runs -----------------------------------------------------------------------------


def nightly_running() -> NightlyRun | None:
    """The nightly run in progress; one whose process died (stale) is not in progress any more."""
    running = NightlyRun.objects.filter(status=NightlyRun.Status.RUNNING).first()
    return running if running is not None and not nightly.is_stale(running) else None


def nightly_started_since(night, moment) -> NightlyRun | None:
    """The run of `night` if it (re)started at or after `moment`: the one a request just queued."""
    return NightlyRun.objects.filter(night=night, started_at__gte=moment).first()


def nightly_audit_anchors() -> dict[int, str]:
    """{audit event id: hash}: the audit chain's head each night's run recorded as it ended."""
    anchors = {}
    for head in NightlyRun.objects.exclude(audit_head={}).values_list("audit_head", flat=True).iterator():
        head = head or {}
        if isinstance(head.get("id"), int) and head["id"] > 0 and isinstance(head.get("hash"), str):
            anchors[head["id"]] = head["hash"]
    return anchors
