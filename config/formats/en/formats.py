"""English formats: Django's, with ISO-like short dates for tables (no US month/day ambiguity)."""

from django.conf.locale.en.formats import *  # noqa: F403

SHORT_DATE_FORMAT = "Y-m-d"
SHORT_DATETIME_FORMAT = "Y-m-d H:i"
