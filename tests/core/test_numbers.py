"""One way to group numbers (issue 13: `35000000`, `4,827`, `60,00` on different pages): the `count` filter
and the dashboard's figures are the same function, so they cannot drift apart."""

import datetime as dt

import pytest
from django.utils import translation

from core.numbers import grouped
from core.templatetags.display import count, day, vnd
from reports.dashboard import formats as dashboard_formats


def test_the_dashboard_groups_numbers_with_the_function_the_count_filter_uses():
    assert dashboard_formats.grouped is grouped


@pytest.mark.parametrize(
    ("language", "value", "shown"),
    [("vi", 35_000_000, "35.000.000"), ("vi", 4827, "4.827"), ("en", 4827, "4,827"), ("vi", 12, "12"), ("vi", 0, "0")],
)
def test_counts_read_as_the_readers_language_writes_them(language, value, shown):
    with translation.override(language):
        assert grouped(value) == count(value) == dashboard_formats.grouped(value) == shown


def test_money_is_grouped_the_same_way():
    with translation.override("vi"):
        assert vnd(35_000_000) == "35.000.000\u00a0₫"


@pytest.mark.parametrize(
    ("instant", "shown"),
    [
        # 18:30 UTC on the 6th is 01:30 on the 7th in Hà Nội: the reader's day, not the server's
        (dt.datetime(2026, 12, 6, 18, 30, tzinfo=dt.UTC), "07/12/2026"),
        (dt.datetime(2026, 12, 6, 16, 59, tzinfo=dt.UTC), "06/12/2026"),
        (dt.date(2026, 12, 6), "06/12/2026"),
    ],
)
def test_a_day_is_the_local_day_of_an_instant(instant, shown):
    with translation.override("vi"):
        assert day(instant) == shown
