"""CSV errors in registrations/activations files (issue 11, item 8): each lost line reported and counted,
a file that is not UTF-8 text refused naming its encoding."""

import io

import pytest

from core.imports import ImportFileError
from registrations.imports.rows import REGISTRATION_COLUMNS
from registrations.imports.services import import_file
from registrations.models import Registration
from tests.agents.factories import PointFactory
from tests.registrations.test_importers import csv_file, reasons, reg

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def point(db):
    return PointFactory(code="P1", province_code="079")


def test_an_unclosed_quote_rejects_every_line_it_swallowed_and_the_totals_add_up(point):
    # given line 3 opens a quote in subscriber_name that never closes
    rows = [reg(external_id=f"R{i}", address="12 Le Loi") for i in range(1, 6)]
    lines = csv_file(REGISTRATION_COLUMNS, rows).getvalue().splitlines()
    lines[2] = lines[2].replace(b",NV01,", b',"NV01,', 1)
    job = import_file(io.BytesIO(b"\n".join(lines) + b"\n"), kind="registrations")
    # then lines 3 to 6 are each rejected, the first naming where the quote opened
    got = reasons(job)
    assert sorted(got) == [3, 4, 5, 6]
    assert got[3].startswith("A quote opened on line 3 is not closed: lines 3 to 6")
    assert got[6] == "Swallowed by the unclosed quote opened on line 3."
    assert job.processed_rows == 5 == job.created + job.updated + job.unchanged + job.rejected
    assert list(Registration.objects.values_list("external_id", flat=True)) == ["R1"]


def test_a_quote_closed_by_the_next_rows_quote_rejects_both_lines(point):
    # given line 3 opens a quote that the quoted address of line 4 closes: one record of two lines
    lines = csv_file(REGISTRATION_COLUMNS, [reg(external_id=f"R{i}") for i in range(1, 5)]).getvalue().splitlines()
    lines[2] = lines[2].replace(b",NV01,", b',"NV01,', 1).replace(b'"12 L', b"12 L").replace(b'1",', b"1,", 1)
    job = import_file(io.BytesIO(b"\n".join(lines) + b"\n"), kind="registrations")
    assert sorted(reasons(job)) == [3, 4]
    assert job.processed_rows == 4 == job.created + job.updated + job.unchanged + job.rejected


def test_a_utf16_file_is_refused_as_not_utf8_text(point):
    raw = csv_file(REGISTRATION_COLUMNS, [reg()]).getvalue().decode().encode("utf-16")
    with pytest.raises(ImportFileError, match="its byte order mark says UTF-16"):
        import_file(io.BytesIO(raw), kind="registrations")
    assert not Registration.objects.exists()
