"""Numbers, money and times as the reader's language writes them (issue 13).

`{{ n|count }}` 4.827 / 4,827 · `{{ amount|vnd }}` 35.000.000 ₫ · `{{ moment|when }}` local time, short
(07/12/2026 14:05 / 2026-12-07 14:05) · `{% zone_note %}` names the zone once per page.
"""

import datetime as dt
import re
from datetime import date

from django import template
from django.conf import settings
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from core import numbers
from core.numbers import grouped

register = template.Library()


@register.filter
def count(value) -> str:
    if value in (None, ""):
        return "—"
    return grouped(value)


@register.filter
def vnd(value) -> str:
    return numbers.vnd(value)


@register.filter
def when(value, seconds: str = "") -> str:
    """A moment in local time (settings.TIME_ZONE), short; `zone_note` says which zone. `|when:"s"` adds the
    seconds (evidence: a registration and the network's first use of its SIM)."""
    if not value:
        return "—"
    moment = timezone.localtime(value) if timezone.is_aware(value) else value
    shown = formats.date_format(moment, "SHORT_DATETIME_FORMAT")
    return f"{shown}:{moment:%S}" if seconds else shown


@register.filter
def day(value, empty: str = "—") -> str:
    """A date, short, in the reader's language (07/12/2026, 2026-12-07); `empty` when there is none. An
    instant is shown by its local day (18:30 UTC on the 6th is the 7th in Hà Nội), not the UTC one."""
    if not value:
        return empty
    if isinstance(value, dt.datetime) and timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "SHORT_DATE_FORMAT")


_ISO_DATE = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")


@register.filter
def local_dates(text: str) -> str:
    """Dates written into a stored text as `2026-12-07` (an audit row's object as it was named then), shown
    as the reader's language writes dates; the rest of the text as stored."""

    def shown(match: re.Match) -> str:
        try:
            return day(date(*(int(part) for part in match.groups())))
        except ValueError:  # not a date after all (an id shaped like one)
            return match.group(0)

    return _ISO_DATE.sub(shown, text or "")


@register.simple_tag
def zone_note() -> str:
    offset = timezone.localtime().strftime("%z")
    offset = f"{offset[:3]}:{offset[3:]}"
    if settings.TIME_ZONE == "Asia/Ho_Chi_Minh":
        return _("Times in Vietnam time (UTC%(offset)s).") % {"offset": offset}
    return _("Times in %(zone)s (UTC%(offset)s).") % {"zone": settings.TIME_ZONE, "offset": offset}


@register.filter
def audit_action(code: str) -> str:
    """An audit action in words, in the reader's language (core.registry.AUDIT_ACTION_LABELS)."""
    from core.audit import action_label

    return str(action_label(code))


@register.filter
def duration(start, end=None) -> str:
    """How long from `start` to `end` in words of the reader's language ("12 s", "3 min 5 s", "1 h 2 min");
    Django's timesince says "0 minutes" for a run of seconds, and in English where its catalogue lacks them."""
    if not start or not end:
        return "—"
    seconds = max(int((end - start).total_seconds()), 0)
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
    if minutes:
        return _("%(m)d min %(s)d s") % {"m": minutes, "s": secs}
    return _("%(s)d s") % {"s": secs}


@register.filter
def system_text(text: str) -> str:
    """A reason the system wrote (core.texts), in the reader's language; a person's words as typed."""
    from core.texts import show_system_text

    return show_system_text(text)
