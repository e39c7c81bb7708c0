"""Template filters of the inspections pages."""

from django import template
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

from core.templatetags.display import day
from core.templatetags.rows import display, pk_url

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


@register.simple_tag
def task_row(task, can_assign, tick_label, today=None):
    """One row of the planning page (issue 15: a page of tasks spent most of its time resolving template
    variables cell by cell). Writes what task_list_rows.html's row wrote, byte for byte (a test compares them)."""
    pk = task.pk
    tick = "\n    "
    if can_assign:
        box = ""
        if task.status in ("PLANNED", "ASSIGNED"):
            box = format_html(
                '<input type="checkbox" name="ids" value="{}" form="bulk-review" aria-label="{}">',
                pk,
                tick_label % {"id": pk},
            )
        tick = format_html('\n    <td class="tick">{}</td>', box)
    if task.inspector_id:
        inspector = task.inspector.get_full_name() or task.inspector.get_username()
    else:
        inspector = format_html('<em class="muted">{}</em>', _("unassigned"))
    url = pk_url(pk, "inspections:task_detail")
    point = task.point
    return format_html(
        '<tr data-testid="task-row"{}>{}\n'
        '    <td><a href="{}">{}</a></td>\n'
        '    <td class="nowrap">{}</td>\n'
        '    <td class="nowrap"><a href="{}">{}</a> <small class="muted">{}</small></td>\n'
        "    <td>{}</td>\n"
        "    <td>{}</td>\n"
        "    <td>{}</td>\n"
        "    <td>{}</td>\n"
        "  </tr>",
        "" if task.inspector_id else mark_safe(' class="unassigned"'),  # noqa: S308 - a constant
        tick,
        url,
        pk,
        day(task.due_date),
        url,
        point.code,
        point.name,
        point.province.name,
        display(task, "kind"),
        task_status(task, today),
        inspector,
    )
