"""Badges and labels a list page shows once per row, written in Python (issue 15).

`{% include %}` of a small template per cell costs a template render (a context push, a lookup, a node
walk) each time: a list of 50 rows paid about 100 of them, plus one per sort option. These tags write the
same markup as includes/status_badge.html and includes/risk_badge.html (which now call them, so the markup
lives here once) and the sort options' labels.

{% load badges %}
{% status_badge obj.status obj.get_status_display %}   <span class="status status-active">Active</span>
{% risk_badge obj %}                                   tier and score, the factors in its title
{{ sort|sort_label }}                                  "Code A→Z", "Highest risk first"…
"""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django import template
from django.utils.formats import get_format
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .rows import display

register = template.Library()

SORT_LABELS = {
    "code": gettext_lazy("Code A→Z"),
    "-code": gettext_lazy("Code Z→A"),
    "name": gettext_lazy("Name A→Z"),
    "-name": gettext_lazy("Name Z→A"),
    "-risk_score": gettext_lazy("Highest risk first"),
    "risk_score": gettext_lazy("Lowest risk first"),
    "-updated_at": gettext_lazy("Recently changed"),
    "-listed_at": gettext_lazy("Newest first"),
    "listed_at": gettext_lazy("Oldest first"),
    "expires_at": gettext_lazy("Expiring first"),
}


@register.simple_tag
def status_badge(status, label):
    return format_html('<span class="status status-{}">{}</span>', str(status or "").lower(), label)


def _score(factors: dict, name: str, separator: str) -> str:
    """{{ score|floatformat:"-2" }} without its cost per call (issue 15: 200 calls a page): two decimals,
    none for a whole number, the language's decimal separator, no grouping."""
    return _number((factors.get(name) or {}).get("score"), separator)


def _number(value, separator: str) -> str:
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
    except (InvalidOperation, ValueError, TypeError):
        return ""
    if number == number.to_integral_value():
        return str(int(number))
    return str(number).replace(".", separator)


@register.simple_tag
def risk_badge(obj):
    """The risk tier and score of an agent or point, or "not scored" (the nightly scoring has not reached it)."""
    if not obj.risk_tier:
        return format_html('<span class="muted">{}</span>', _("not scored"))
    factors = obj.risk_factors or {}
    title = ""
    if factors.get("flags"):
        separator = get_format("DECIMAL_SEPARATOR")
        title = format_html(
            ' title="{} {} · {} {} · {} {} · {} {}"',
            _("Flags"),
            _score(factors, "flags", separator),
            _("Findings"),
            _score(factors, "findings", separator),
            _("Sanctions"),
            _score(factors, "sanctions", separator),
            _("Without inspection"),
            _score(factors, "uninspected", separator),
        )
    return format_html(
        '<span class="risk risk-{}"{}>{} · {}</span>',
        obj.risk_tier.lower(),
        title,
        display(obj, "risk_tier"),
        # as the factors are written: 31 rather than 31,00 (issue 13: "60,00" read as a different number)
        _number(obj.risk_score, get_format("DECIMAL_SEPARATOR")),
    )


@register.filter
def sort_label(sort) -> str:
    return SORT_LABELS.get(sort, sort)
