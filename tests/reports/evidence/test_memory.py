"""A pack's memory stays bounded: rows are streamed in chunks into the ZIP, never gathered in a list."""

import io
import tracemalloc
import zipfile

import pytest
from django.utils import timezone

from registrations.models import Flag, SubjectType
from reports.evidence import packing
from tests.agents.factories import PointFactory
from tests.registrations.flag_factories import rule

pytestmark = pytest.mark.django_db


def add_flags(point, start: int, count: int) -> None:
    the_rule, now = rule("OUTSIDE_HOURS"), timezone.now()
    Flag.objects.bulk_create(
        Flag(
            rule=the_rule,
            subject_type=SubjectType.POINT,
            subject_id=start + i,
            point=point,
            agent=point.agent,
            severity="medium",
            first_seen=now,
            last_seen=now,
            rule_version=1,
            reason="x" * 200,
        )
        for i in range(count)
    )


def peak_while_packing(point) -> tuple[int, int]:
    """(peak bytes allocated while writing the pack, rows of flags.csv); the ZIP goes to a throwaway file."""
    sink = io.BytesIO()
    tracemalloc.start()
    try:
        result = packing.write_pack(sink, subject=point, generated_by="test")
        _size, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    with zipfile.ZipFile(sink) as zf:
        assert zf.testzip() is None
    return peak - sink.getbuffer().nbytes, result.counts["flags"]


def test_ten_times_the_flags_does_not_take_ten_times_the_memory(monkeypatch):
    monkeypatch.setattr(packing, "CHUNK", 100)
    # given a point with 300 flags, measured, then 3,000
    point = PointFactory()
    add_flags(point, 0, 300)
    small, rows = peak_while_packing(point)
    assert rows == 300
    add_flags(point, 300, 2_700)
    large, rows = peak_while_packing(point)
    assert rows == 3_000
    # then the peak (the ZIP's own buffer aside) grows far less than the rows do
    assert large < small * 3, (small, large)
