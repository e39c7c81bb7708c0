"""Whole numbers grouped by thousands in the reader's language: Vietnamese 4.827, English 4,827.

Django's Vietnamese formats set a thousands separator but no grouping, so `intcomma` leaves 4827 as it is.
"""

from django.utils import numberformat
from django.utils.formats import get_format


def grouped(value: int) -> str:
    return numberformat.format(
        value,
        get_format("DECIMAL_SEPARATOR"),
        grouping=3,
        thousand_sep=get_format("THOUSAND_SEPARATOR"),
        force_grouping=True,
    )
