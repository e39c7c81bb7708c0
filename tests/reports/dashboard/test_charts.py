"""The SVG charts' geometry: scales, coordinates that every language reads, weeks."""

import datetime as dt

import pytest
from django.utils import translation

from reports.dashboard.charts import HEIGHT, bar_chart, nice_ceiling, num
from reports.dashboard.selectors import WEEKS, Bar, week_starts


@pytest.mark.parametrize(("value", "expected"), [(0, 1), (1, 1), (2, 2), (3, 5), (7, 10), (11, 20), (1234, 2000)])
def test_the_scale_rounds_up_to_a_round_number(value, expected):
    assert nice_ceiling(value) == expected


def test_coordinates_keep_a_dot_in_vietnamese():
    with translation.override("vi"):
        assert num(84.0) == "84"
        assert num(10.75) == "10.8"


def test_weeks_start_on_monday_and_end_with_this_one():
    today = dt.date(2026, 12, 9)  # a Wednesday
    starts = week_starts(today)
    assert len(starts) == WEEKS
    assert starts[-1] == dt.date(2026, 12, 7)
    assert all(s.weekday() == 0 for s in starts)
    assert starts[0] == dt.date(2026, 12, 7) - dt.timedelta(weeks=WEEKS - 1)


def test_bars_scale_to_the_highest_and_small_ones_stay_visible():
    day = dt.date(2026, 12, 7)
    bars = [Bar(day, day, v, None) for v in (0, 1, 1000)]
    chart = bar_chart({"key": "k", "title": "t", "bars": bars})
    assert chart["top"] == 1000
    heights = [float(d.height) for d in chart["drawn"]]
    assert heights[0] == 0
    assert 0 < heights[1] < 2
    assert heights[2] == pytest.approx(HEIGHT - 18 - 20)
    assert chart["peak"].value == 1000
    assert chart["total"] == 1001


def test_whole_numbers_are_grouped_in_the_readers_language():
    from reports.dashboard.formats import grouped

    with translation.override("vi"):
        assert grouped(35000000) == "35.000.000"
        assert grouped(4827) == "4.827"
    with translation.override("en"):
        assert grouped(4827) == "4,827"
    assert grouped(12) == "12"
