"""core.imports: reading a contract CSV file and parsing its values (DESIGN section 4), one way for
every importer, validator and form."""

import io
import random
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal

import pytest
from stdnum import luhn

from core.imports import (
    LOCAL_TZ,
    CsvStream,
    ImportFileError,
    check_upload_size,
    iccid_is_valid,
    parse_bool01,
    parse_cell,
    parse_date,
    parse_datetime,
    parse_decimal,
    parse_hhmm,
)

# --- reading a file -----------------------------------------------------------------------------


def rows_of(data: bytes, columns=("code", "name")) -> list[tuple[int, dict, str | None]]:
    return list(CsvStream(io.BytesIO(data), list(columns)).rows())


def test_rows_are_the_contract_columns_stripped_with_their_line():
    # given a BOM, extra and reordered columns, a blank line and a quoted field spanning two lines
    data = '\ufeffextra,name,code\nx, Lê Lợi ,A1\n\n"y\nz",B,B2\n'.encode()
    # then
    assert rows_of(data) == [(2, {"code": "A1", "name": "Lê Lợi"}, None), (5, {"code": "B2", "name": "B"}, None)]


def test_a_bad_row_is_a_problem_of_that_row_only():
    data = b"code,name\nA1,\xff\xfe\nA2\nA3,ok\nA4,N\x00L\n"
    assert rows_of(data) == [
        (2, {"code": "A1", "name": "\ufffd\ufffd"}, "Not valid UTF-8 text."),
        (3, {"code": "A2", "name": ""}, "Has 1 columns, expected 2."),
        (4, {"code": "A3", "name": "ok"}, None),
        (5, {"code": "A4", "name": "N\x00L"}, "Contains a NUL character, which cannot be stored."),
    ]


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "The file is empty."),
        (b"code\nA1\n", "Missing columns: name."),
        (b"code,n\xffame\nA1,x\n", "The file is not UTF-8 text: its header row is not valid UTF-8."),
    ],
)
def test_a_file_that_cannot_be_read_fails_as_a_whole(data, message):
    with pytest.raises(ImportFileError, match=message):
        CsvStream(io.BytesIO(data), ["code", "name"])


# --- values -------------------------------------------------------------------------------------


def test_parse_date():
    assert parse_date("2026-03-01") == date(2026, 3, 1)
    assert parse_date(" 2024-02-29 ") == date(2024, 2, 29)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "expected YYYY-MM-DD"),
        (None, "expected YYYY-MM-DD"),
        ("01/03/2026", "expected YYYY-MM-DD"),
        ("20260301", "expected YYYY-MM-DD"),
        ("2026-3-1", "expected YYYY-MM-DD"),
        ("2026-W09-1", "expected YYYY-MM-DD"),
        ("2026-03-01T00:00", "expected YYYY-MM-DD"),
        ("２０２６-０３-０１", "expected YYYY-MM-DD"),
        ("2025-02-29", "not a valid date"),
        ("2026-13-01", "not a valid date"),
        ("0000-01-01", "not a valid date"),
    ],
)
def test_parse_date_refuses_with_a_clear_message(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_date(raw)


def test_parse_datetime_keeps_a_given_offset():
    value = parse_datetime("2026-03-01T09:15:00+07:00")
    assert value == datetime(2026, 3, 1, 2, 15, tzinfo=UTC)
    assert value.utcoffset() == timedelta(hours=7)


def test_parse_datetime_reads_z_as_utc():
    assert parse_datetime("2026-03-01T02:15:00Z") == datetime(2026, 3, 1, 2, 15, tzinfo=UTC)
    assert parse_datetime("2026-03-01T02:15:00.250Z") == datetime(2026, 3, 1, 2, 15, 0, 250000, tzinfo=UTC)


def test_parse_datetime_without_offset_is_vietnam_local_time():
    naive = parse_datetime("2026-03-01T09:15:00")
    assert naive.tzinfo is not None
    assert naive == parse_datetime("2026-03-01T09:15:00+07:00")
    assert naive == datetime(2026, 3, 1, 9, 15, tzinfo=LOCAL_TZ)


def test_parse_datetime_accepts_other_offsets_and_minutes_only():
    assert parse_datetime("2026-03-01T03:15-05:00") == datetime(2026, 3, 1, 8, 15, tzinfo=UTC)
    assert parse_datetime("2026-03-01 09:15:00+0700") == datetime(2026, 3, 1, 2, 15, tzinfo=UTC)


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ("", "is required"),
        ("   ", "is required"),
        (None, "is required"),
        ("2026-03-01", "not an ISO 8601 date and time"),
        ("01/03/2026 09:15", "not an ISO 8601 date and time"),
        ("20260301T091500", "not an ISO 8601 date and time"),
        ("2026-03-01T09:15:00 ICT", "not an ISO 8601 date and time"),
        ("2026-03-01T25:15:00+07:00", "not a valid date and time"),
        ("2026-02-30T09:15:00", "not a valid date and time"),
    ],
)
def test_parse_datetime_refuses_blank_and_unparseable(raw, message):
    with pytest.raises(ValueError, match=message):
        parse_datetime(raw)


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("0", False), ("", False), (None, False), (" 1 ", True)])
def test_parse_bool01(raw, value):
    assert parse_bool01(raw) is value


@pytest.mark.parametrize("raw", ["2", "yes", "true", "True", "01", "-1"])
def test_parse_bool01_refuses_anything_but_0_1_and_blank(raw):
    with pytest.raises(ValueError, match="expected 0, 1 or blank"):
        parse_bool01(raw)


@pytest.mark.parametrize(
    ("raw", "value"),
    [("08:00", time(8, 0)), ("21:30", time(21, 30)), ("00:00", time(0, 0)), ("23:59", time(23, 59)), ("", None)],
)
def test_parse_hhmm(raw, value):
    assert parse_hhmm(raw) == value


@pytest.mark.parametrize("raw", ["8:00", "0800", "08:00:00", "24:00", "12:60", "noon"])
def test_parse_hhmm_refuses_other_shapes(raw):
    with pytest.raises(ValueError):  # noqa: PT011 - the parser's only signal; the reason is the caller's
        parse_hhmm(raw)


@pytest.mark.parametrize(("raw", "value"), [("21.0285", Decimal("21.02850")), ("-1", Decimal("-1.00000")), ("", None)])
def test_parse_decimal_rounds_to_its_places(raw, value):
    assert parse_decimal(raw, places=5) == value


@pytest.mark.parametrize("raw", ["abc", "NaN", "Infinity", "1,5", "1e999999999"])
def test_parse_decimal_refuses_what_is_no_finite_number(raw):
    with pytest.raises(ValueError, match="not a number"):
        parse_decimal(raw, places=5)


def test_a_cell_that_does_not_parse_gives_the_reject_reason():
    assert parse_cell(parse_date, "", "authorised_from", "YYYY-MM-DD") is None
    assert parse_cell(parse_date, "2026-03-01", "authorised_from", "YYYY-MM-DD") == date(2026, 3, 1)
    with pytest.raises(ValueError, match=r"^authorised_from '2026-02-30' is not YYYY-MM-DD\.$"):
        parse_cell(parse_date, "2026-02-30", "authorised_from", "YYYY-MM-DD")


# --- ICCID --------------------------------------------------------------------------------------


def test_the_fast_iccid_check_agrees_with_stdnum_luhn_on_100_000_iccids():
    # given valid ICCIDs of 19 and 20 digits, each also with a wrong check digit, and random digit runs
    rnd = random.Random(20260301)
    samples = []
    for _ in range(40_000):
        body = "89" + "".join(rnd.choice("0123456789") for _ in range(rnd.choice((16, 17))))
        good = body + luhn.calc_check_digit(body)
        samples += [good, good[:-1] + str((int(good[-1]) + rnd.randint(1, 9)) % 10)]
    samples += ["".join(rnd.choice("0123456789") for _ in range(rnd.randint(18, 21))) for _ in range(20_000)]
    assert len(samples) == 100_000
    # then the byte-level check says what stdnum says
    for value in samples:
        expected = 19 <= len(value) <= 20 and luhn.is_valid(value)
        assert iccid_is_valid(value) == expected, value
    assert 40_000 < sum(map(iccid_is_valid, samples)) < 42_000  # the good ones, and a tenth of the random runs


@pytest.mark.parametrize(
    "raw", ["", "8984046700000000051F", " 89840467000000000512", "８９８４０４６７００００００００００５１２"]
)
def test_the_fast_iccid_check_refuses_what_is_not_19_or_20_ascii_digits(raw):
    assert not iccid_is_valid(raw)


# --- not UTF-8 text: refused as a whole, naming the encoding ------------------------------------


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("\ufeffcode,name\nA,B\n".encode("utf-16-le"), "its byte order mark says UTF-16 (little-endian)"),
        ("\ufeffcode,name\nA,B\n".encode("utf-16-be"), "its byte order mark says UTF-16 (big-endian)"),
        ("\ufeffcode,name\nA,B\n".encode("utf-32-le"), "its byte order mark says UTF-32 (little-endian)"),
        ("code,name\nA,B\n".encode("utf-16-le"), "looks like UTF-16 (little-endian) without a byte order mark"),
        ("code,name\nA,B\n".encode("utf-16-be"), "looks like UTF-16 (big-endian) without a byte order mark"),
        (b"\x7fELF\x02\x01\x01" + bytes(64) + b"code,name\n", "it holds binary data"),
    ],
)
def test_utf16_utf32_and_binary_files_are_not_utf8_text(raw, says):
    with pytest.raises(ImportFileError, match="not UTF-8 text") as caught:
        CsvStream(io.BytesIO(raw), ["code", "name"])
    assert says in str(caught.value)


def test_a_stray_nul_in_a_row_does_not_refuse_the_file():
    stream = CsvStream(io.BytesIO(b"code,name\n" + b"A,B\n" * 50 + b"C,N\x00L\n"), ["code", "name"])
    problems = [problem for _line, _row, problem in stream.rows() if problem]
    assert problems == ["Contains a NUL character, which cannot be stored."]


def test_unclosed_quote_rows_count_every_physical_line():
    raw = b'code,name\nA,"open\nB,b\nC,c\nD,d\n'
    rows = list(CsvStream(io.BytesIO(raw), ["code", "name"]).rows())
    assert [line for line, _row, _problem in rows] == [2, 3, 4, 5]
    assert all(problem for _line, _row, problem in rows)
    assert [row["code"] for _line, row, _problem in rows] == ["A", "B", "C", "D"]


def test_upload_size_limit_names_the_limit_in_the_users_language():
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.utils import translation

    upload = SimpleUploadedFile("big.csv", b"x" * 3_500_000)
    with pytest.raises(ImportFileError, match=r"3\.3\sMB; files up to 2\.0\sMB"):
        check_upload_size(upload, 2 * 1024 * 1024)
    with translation.override("vi"), pytest.raises(ImportFileError, match=r"2,0"):
        check_upload_size(upload, 2 * 1024 * 1024)
    check_upload_size(upload, 4 * 1024 * 1024)  # under the limit: nothing raised
