"""Template filters of the inspections pages."""

from html import escape

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core.templatetags.display import day
from core.templatetags.rows import choice_labels, display, pk_url_parts

from ..models import NOT_SUBMITTED_STATUSES, InspectionTask, TaskStatus

register = template.Library()


@register.filter
def answer_label(value: str) -> str:
    """A stored yes/no/n.a. answer as the reader's words; numbers and text as they are."""
    labels = {"YES": _("Yes"), "NO": _("No"), "NA": _("N/A")}
    return labels.get((value or "").upper(), value) if value else "—"


@register.simple_tag
def task_status(task, today=None):
    """A task's status badge and, when it is late, "overdue": written in Python rather than included once per
    row of the planning page (issue 15); _task_status.html calls it, so the markup lives here once."""
    html = format_html('<span class="status status-{}">{}</span>', task.status.lower(), display(task, "status"))
    if task.is_overdue(today):
        html += format_html(' <span class="overdue" data-testid="overdue">{}</span>', _("overdue"))
    return html


# the statuses in which a task can still be (re)assigned: its row has a tick box for the bulk assignment
_ASSIGNABLE = frozenset({TaskStatus.PLANNED.value, TaskStatus.ASSIGNED.value})
UNASSIGNED_CLASS = ' class="unassigned"'
_WAITING = frozenset(status.value for status in NOT_SUBMITTED_STATUSES)  # not submitted: can be overdue


@register.simple_tag
def task_rows(rows, can_assign, tick_label, today=None):
    """The planning page's rows, all at once (issue 15: a page of tasks spent most of its time resolving template
    variables cell by cell, then calling a tag per row). `rows` are selectors.planning_rows' named tuples. What
    is the same on every row (the detail URL around the id, the labels of kinds and statuses, the "unassigned"
    and "overdue" marks, each due day) is written once per page. Writes, byte for byte, what the template's
    loop of rows wrote (tests/inspections/test_task_row.py compares them): the tick box for a reviewer, #id,
    due day, point, province, kind, status (and overdue), inspector."""
    today = today or timezone.localdate()
    head, tail = pk_url_parts("inspections:task_detail")
    kinds = choice_labels(InspectionTask, "kind")
    statuses = choice_labels(InspectionTask, "status")
    badges = {}  # status -> its badge
    days = {}  # due date -> as the reader writes it
    unassigned = f'<em class="muted">{escape(_("unassigned"))}</em>'
    overdue = f' <span class="overdue" data-testid="overdue">{escape(_("overdue"))}</span>'
    parts = []
    for row in rows:
        pk = int(row.pk)
        status = row.status
        tick = "\n    "
        if can_assign:
            box = ""
            if status in _ASSIGNABLE:
                label = escape(tick_label % {"id": pk})
                box = f'<input type="checkbox" name="ids" value="{pk}" form="bulk-review" aria-label="{label}">'
            tick = f'\n    <td class="tick">{box}</td>'
        badge = badges.get(status)
        if badge is None:
            label = escape(str(statuses.get(status, status)))
            badge = badges[status] = f'<span class="status status-{escape(status.lower())}">{label}</span>'
        if status in _WAITING and row.due_date < today:
            badge += overdue
        due = days.get(row.due_date)
        if due is None:
            due = days[row.due_date] = escape(day(row.due_date))
        if row.inspector_id:
            inspector = escape((row.inspector_full_name or "").strip() or row.inspector_username)
        else:
            inspector = unassigned
        url = f"{head}{pk}{tail}"
        parts.append(
            f'\n  <tr data-testid="task-row"{"" if row.inspector_id else UNASSIGNED_CLASS}>{tick}\n'
            f'    <td><a href="{url}">#{pk}</a></td>\n'
            f'    <td class="nowrap">{due}</td>\n'
            f'    <td class="nowrap"><a href="{url}">{escape(row.point_code)}</a> '
            f'<small class="muted">{escape(row.point_name)}</small></td>\n'
            f"    <td>{escape(row.province_name)}</td>\n"
            f"    <td>{escape(str(kinds.get(row.kind, row.kind)))}</td>\n"
            f"    <td>{badge}</td>\n"
            f"    <td>{inspector}</td>\n"
            "  </tr>\n  "
        )
    return mark_safe("".join(parts))  # noqa: S308 - every value escaped above
