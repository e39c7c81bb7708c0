"""Template filters of the inspections pages."""

from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def answer_label(value: str) -> str:
    """A stored yes/no/n.a. answer as the reader's words; numbers and text as they are."""
    labels = {"YES": _("Yes"), "NO": _("No"), "NA": _("N/A")}
    return labels.get((value or "").upper(), value) if value else "—"
