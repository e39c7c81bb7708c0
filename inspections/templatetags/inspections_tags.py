"""Template filters of the inspections pages."""

from django import template
from django.utils.html import format_html
from django.utils.translation import gettext as _

from core.templatetags.rows import display

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
