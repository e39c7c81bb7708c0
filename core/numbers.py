"""Whole numbers grouped by thousands in the reader's language: Vietnamese 4.827, English 4,827 (issue 13), and
money in dong the same way: 35.000.000 ₫ / 35,000,000 ₫.

One function for every page: the `count` and `vnd` template filters (core.templatetags.display), the dashboard's
figures and chart labels (reports.dashboard.formats) and messages that name an amount (a fine's legal range,
inspections.services.sanctions) call them, so a number reads the same everywhere. Both use the language active
when they are called: call them while the reader's language is active (a request), not at import time.
Grouping is forced here rather than by USE_THOUSAND_SEPARATOR, so ids in links are never grouped.
"""

from django.utils import formats


def grouped(value) -> str:
    return formats.number_format(value, use_l10n=True, force_grouping=True)


def vnd(value) -> str:
    """An amount in dong, grouped as the reader's language groups numbers, with the sign; "—" for none."""
    if value in (None, ""):
        return "—"
    return f"{grouped(int(value))}\u00a0₫"
