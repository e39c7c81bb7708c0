"""Whole numbers grouped by thousands in the reader's language: Vietnamese 4.827, English 4,827 (issue 13).

One function for every page: the `count` template filter (core.templatetags.display) and the dashboard's
figures and chart labels (reports.dashboard.formats) both call it, so a number reads the same everywhere.
Grouping is forced here rather than by USE_THOUSAND_SEPARATOR, so ids in links are never grouped.
"""

from django.utils import formats


def grouped(value) -> str:
    return formats.number_format(value, use_l10n=True, force_grouping=True)
