"""registrations.csv and activations.csv bulk import: each reject reason and its near miss, what is stored,
idempotent re-import, earliest activation, encryption at rest, resume after a failure, commands and task."""

import csv
import io
import random
from datetime import UTC, date, datetime

import pytest
from django.core.files.base import ContentFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Max
from stdnum import luhn

from core import crypto
from core import imports as core_imports
from core.imports import ImportFileError
from core.models import AuditEvent, ImportJob
from registrations import validators
from registrations.imports import rows, writers
from registrations.imports import services as importers
from registrations.imports.rejects import rejects_rows
from registrations.imports.rows import ACTIVATION_COLUMNS, REGISTRATION_COLUMNS
from registrations.imports.services import (
    import_file,
    import_job_claim,
    import_job_create,
    import_job_run,
)
from registrations.imports.tasks import run_import_task
from registrations.models import Activation, Registration
from tests.agents.factories import AgentFactory, PointFactory
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

CCCD = "079190123456"  # Hồ Chí Minh City (079), born in the 1900s, female (1), in 1990


def iccid(n: int, length: int = 20) -> str:
    body = f"8984{n:0{length - 5}d}"
    return body + luhn.calc_check_digit(body)


def bad_luhn(n: int) -> str:
    good = iccid(n)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


def reg(**overrides) -> dict:
    row = {
        "external_id": "R1",
        "msisdn": "0912345678",
        "iccid": iccid(1),
        "channel": "POINT",
        "point_code": "P1",
        "clerk_code": "NV01",
        "subscriber_name": "Nguyễn  Thị Lan ",
        "date_of_birth": "1990-05-01",
        "gender": "F",
        "nationality": "VN",
        "id_doc_type": "CCCD",
        "id_doc_number": CCCD,
        "id_issue_date": "2021-06-01",
        "id_issue_place": "Cục Cảnh sát QLHC về TTXH",
        "address": "12 Lê Lợi, Quận 1",
        "registered_at": "2026-03-01T09:15:00+07:00",
        "has_portrait": "1",
        "has_id_front": "1",
        "has_id_back": "1",
        "portrait_sha256": "ab" * 32,
        "population_check": "MATCH",
        "status": "ACTIVE",
    }
    row.update(overrides)
    return row


def csv_file(columns: list[str], rows: list[dict]) -> io.BytesIO:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return io.BytesIO(buffer.getvalue().encode("utf-8"))


def import_regs(*rows: dict, **kwargs) -> ImportJob:
    return import_file(csv_file(REGISTRATION_COLUMNS, list(rows)), kind="registrations", **kwargs)


def import_acts(*rows: dict, **kwargs) -> ImportJob:
    return import_file(csv_file(ACTIVATION_COLUMNS, list(rows)), kind="activations", **kwargs)


def reasons(job: ImportJob) -> dict[int, str]:
    return {int(r["line"]): r["reason"] for r in rejects_rows(job)}


def counts(job: ImportJob) -> tuple[int, int, int, int]:
    return job.created, job.updated, job.unchanged, job.rejected


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    # uploaded files and rejects files go to a directory of the test's own
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def point(db):
    return PointFactory(code="P1", province_code="079")


# --- what is stored ---


def test_a_valid_row_is_stored_with_what_the_rules_need(point):
    # when
    job = import_regs(reg())
    # then
    assert job.status == ImportJob.Status.DONE
    assert counts(job) == (1, 0, 0, 0)
    assert (job.processed_rows, job.total_rows) == (1, 1)
    r = Registration.objects.get(external_id="R1")
    assert r.msisdn == "+84912345678"
    assert (r.point, r.agent) == (point, point.agent)
    assert r.subscriber_name == "Nguyễn  Thị Lan"  # stored as given (trimmed like every value)
    assert r.name_key == "nguyễn thị lan"
    assert r.id_doc_number == CCCD
    assert r.address == "12 Lê Lợi, Quận 1"
    assert r.id_doc_hash == crypto.pii_digest("CCCD", CCCD)
    assert (r.id_number_issue, r.id_dob_issue) == ("", "")
    assert r.registered_at == datetime(2026, 3, 1, 2, 15, tzinfo=UTC)
    assert (r.date_of_birth, r.id_issue_date) == (date(1990, 5, 1), date(2021, 6, 1))
    assert (r.has_portrait, r.has_id_front, r.has_id_back) == (True, True, True)
    assert (r.population_check, r.status, r.import_job_id) == ("MATCH", "ACTIVE", job.pk)
    assert len(r.row_fingerprint) == 32


def test_the_import_is_audited(point):
    job = import_regs(reg(), reg(external_id="R2", msisdn="123"))
    event = AuditEvent.objects.get(action="registrations.import")
    assert event.object_id == str(job.pk)
    assert event.fields["created"] == 1
    assert event.fields["rejected"] == 1


REJECTS = [
    ("external_id", "", "Missing external_id."),
    ("point_code", "NOPE", "Unknown point code 'NOPE'."),
    ("point_code", "", "Missing point_code: a POINT registration needs its point."),
    ("registered_at", "", "Missing registered_at."),
    ("registered_at", "2026-03-01T25:00:00+07:00", "registered_at '2026-03-01T25:00:00+07:00' is not an ISO 8601"),
    ("registered_at", "01/03/2026 09:15", "registered_at '01/03/2026 09:15' is not an ISO 8601"),
    ("date_of_birth", "1990-02-30", "date_of_birth '1990-02-30' is not a date (YYYY-MM-DD)."),
    ("date_of_birth", "01/05/1990", "date_of_birth '01/05/1990' is not a date"),
    ("id_issue_date", "2021-6-1", "id_issue_date '2021-6-1' is not a date"),
    ("channel", "SHOP", "Unknown channel 'SHOP' (expected POINT or APP)."),
    ("channel", "point", "Unknown channel 'point'"),
    ("channel", "", "Missing channel."),
    ("status", "DELETED", "Unknown status 'DELETED'"),
    ("msisdn", "", "Missing msisdn."),
    ("msisdn", "02438251234", "msisdn '02438251234' is not a Vietnamese mobile number."),  # a Hà Nội landline
    ("msisdn", "0084912345678", "is not a Vietnamese mobile number"),
    ("msisdn", "+14155550123", "is not a Vietnamese mobile number"),
    ("iccid", "", "Missing iccid."),
    ("iccid", bad_luhn(1), "fails its Luhn check."),
    ("iccid", iccid(1, length=18), "is not 19 or 20 digits."),
    ("population_check", "MISMATCHED", "Unknown population_check 'MISMATCHED'"),
    ("has_portrait", "yes", "has_portrait 'yes' is not 0, 1 or blank."),
    ("has_id_back", "2", "has_id_back '2' is not 0, 1 or blank."),
    ("nationality", "VNM", "nationality is too long (3 characters, at most 2)."),
    ("gender", "Nam", "gender is too long"),
    # the portrait's SHA-256: at most 64 characters, as before issue 15 (a digest is stored as its 32 bytes)
    ("portrait_sha256", "a" * 65, "portrait_sha256 is too long (65 characters, at most 64)."),
]


@pytest.mark.parametrize(("column", "value", "reason"), REJECTS, ids=[f"{c}={v!r}" for c, v, _r in REJECTS])
def test_each_reject_reason_names_the_line_and_keeps_the_rest_of_the_file(point, column, value, reason):
    # given a good row, the bad one, another good row
    rows = [reg(external_id="A"), reg(**{"external_id": "B", column: value}), reg(external_id="C")]
    # when
    job = import_regs(*rows)
    # then
    assert counts(job) == (2, 0, 0, 1)
    assert reason in reasons(job)[3]
    assert set(Registration.objects.values_list("external_id", flat=True)) == {"A", "C"}


NEAR_MISSES = [
    ("msisdn", "+84912345678", "msisdn", "+84912345678"),
    ("msisdn", "84912345678", "msisdn", "+84912345678"),
    ("msisdn", "0912 345.678", "msisdn", "+84912345678"),
    ("msisdn", "0321234567", "msisdn", "+84321234567"),
    ("iccid", iccid(7, length=19), "iccid", iccid(7, length=19)),
    ("iccid", iccid(7, length=20), "iccid", iccid(7, length=20)),
    ("registered_at", "2026-03-01T09:15:00", "registered_at", datetime(2026, 3, 1, 2, 15, tzinfo=UTC)),
    ("registered_at", "2026-03-01T02:15:00Z", "registered_at", datetime(2026, 3, 1, 2, 15, tzinfo=UTC)),
    ("registered_at", "2026-03-01 09:15", "registered_at", datetime(2026, 3, 1, 2, 15, tzinfo=UTC)),
    ("status", "", "status", "ACTIVE"),
    ("status", "CANCELLED", "status", "CANCELLED"),
    ("population_check", "", "population_check", "NOT_CHECKED"),
    ("has_portrait", "", "has_portrait", False),
    ("has_id_front", "0", "has_id_front", False),
    ("date_of_birth", "", "date_of_birth", None),
    ("id_issue_date", "", "id_issue_date", None),
    ("nationality", "", "nationality", ""),
    ("gender", "X", "gender", "X"),
    ("portrait_sha256", "ab" * 32, "portrait_sha256", bytes.fromhex("ab" * 32)),
    ("portrait_sha256", "AB" * 32, "portrait_sha256", bytes.fromhex("ab" * 32)),  # one digest, either case
    ("portrait_sha256", "", "portrait_sha256", None),
    # any other text is kept as given (core.crypto.portrait_bytes): the rules compare the values
    ("portrait_sha256", "N/A", "portrait_sha256", b"N/A"),
    ("portrait_sha256", "a" * 63, "portrait_sha256", b"a" * 63),
    ("portrait_sha256", "g" + "a" * 63, "portrait_sha256", b"g" + b"a" * 63),
    ("portrait_sha256", "ab " * 21 + "a", "portrait_sha256", ("ab " * 21 + "a").encode()),  # 64 characters
    ("portrait_sha256", "á" * 64, "portrait_sha256", ("á" * 64).encode()),
    ("portrait_sha256", "p" * 32, "portrait_sha256", b"p" * 32 + b"\x00"),  # 32 bytes of text: never a digest
]


@pytest.mark.parametrize(
    "text", ["ab" * 32, "N/A", "p" * 32, "p" * 31, "á" * 16, "ảnh-chân-dung-01", "AB" * 31 + "ZZ", "ab " * 21 + "a"]
)
def test_a_portrait_value_reads_back_as_the_file_gave_it(text):
    stored = crypto.portrait_bytes(text)
    assert crypto.portrait_text(stored) == text
    # and only a SHA-256 takes the 32 bytes of a digest
    assert (len(stored) == 32) == (text == "ab" * 32)


def test_the_same_portrait_text_matches_and_another_does_not():
    assert crypto.portrait_bytes("photo-1") == crypto.portrait_bytes("photo-1")
    assert crypto.portrait_bytes("photo-1") != crypto.portrait_bytes("photo-2")
    assert crypto.portrait_bytes("AB" * 32) == crypto.portrait_bytes("ab" * 32)  # one digest, either case
    assert crypto.portrait_bytes("") is None


@pytest.mark.parametrize(
    ("column", "value", "field", "stored"), NEAR_MISSES, ids=[f"{c}={v!r}" for c, v, *_ in NEAR_MISSES]
)
def test_near_misses_are_accepted(point, column, value, field, stored):
    job = import_regs(reg(**{column: value}))
    assert counts(job) == (1, 0, 0, 0), reasons(job)
    assert getattr(Registration.objects.get(), field) == stored


@pytest.mark.parametrize(
    ("overrides", "number_issue", "dob_issue"),
    [
        ({"subscriber_name": "", "address": "", "id_issue_date": ""}, "", ""),  # incomplete record
        ({"has_portrait": "0", "has_id_front": "0", "has_id_back": "0"}, "", ""),  # no photos
        ({"id_doc_number": "07919012345"}, "cccd_not_12_digits", ""),
        ({"id_doc_number": "999190123456"}, "cccd_bad_place_code", ""),
        ({"id_doc_type": "DRIVING_LICENCE"}, "unknown_doc_type", ""),
        ({"id_doc_type": "cccd"}, "unknown_doc_type", ""),
        ({"date_of_birth": "1985-05-01"}, "", "dob_year_mismatch"),
        ({"date_of_birth": "2001-05-01"}, "", "dob_century_mismatch"),
        ({"gender": "M"}, "", "gender_mismatch"),
        ({"id_doc_type": "PASSPORT", "id_doc_number": "B1234567"}, "", ""),
        ({"id_doc_type": "PASSPORT", "id_doc_number": "B12345"}, "vn_passport_not_letter_and_7_digits", ""),
        ({"id_doc_type": "CMND", "id_doc_number": "12345"}, "cmnd_not_9_or_12_digits", ""),
        ({"id_doc_type": "", "id_doc_number": ""}, "", ""),
        ({"date_of_birth": "2020-01-01", "id_doc_number": "079320123456"}, "", ""),  # a child: UNDERAGE's business
    ],
)
def test_rows_that_break_compliance_rules_are_stored_as_evidence(point, overrides, number_issue, dob_issue):
    job = import_regs(reg(**overrides))
    assert counts(job) == (1, 0, 0, 0), reasons(job)
    r = Registration.objects.get()
    assert (r.id_number_issue, r.id_dob_issue) == (number_issue, dob_issue)


def test_a_blank_document_has_no_hash(point):
    import_regs(reg(id_doc_type="CCCD", id_doc_number=" - . "), reg(external_id="R2", id_doc_type=""))
    assert set(Registration.objects.values_list("id_doc_hash", flat=True)) == {None}


def test_an_app_row_ignores_its_point_code(point):
    job = import_regs(reg(channel="APP", point_code="NO-SUCH-POINT"), reg(external_id="R2", channel="APP"))
    assert counts(job) == (2, 0, 0, 0)
    assert set(Registration.objects.values_list("point", "agent")) == {(None, None)}


def test_the_agent_is_the_points_agent(point):
    other = PointFactory(code="P2", agent=AgentFactory())
    import_regs(reg(), reg(external_id="R2", point_code="P2"))
    assert Registration.objects.get(external_id="R2").agent == other.agent
    assert Registration.objects.get(external_id="R1").agent == point.agent


def test_document_hash_ignores_spaces_dots_and_dashes(point):
    import_regs(reg(id_doc_number=" 079-123.456 789"), reg(external_id="R2", id_doc_number="079123456789"))
    first, second = Registration.objects.order_by("external_id")
    assert first.id_doc_hash == second.id_doc_hash == crypto.pii_digest("CCCD", "079123456789") is not None
    assert first.id_doc_number == "079-123.456 789"  # the number itself is kept as given


def test_personal_data_is_encrypted_at_rest(point):
    import_regs(reg(id_doc_number="079190654321", address="99 Đồng Khởi"))
    with connection.cursor() as cursor:
        cursor.execute("SELECT id_doc_number, address, id_doc_hash FROM registrations_registration")
        number, address, doc_hash = cursor.fetchone()
    assert "079190654321" not in number
    assert "Đồng Khởi" not in address
    assert crypto.is_token(number)
    assert crypto.is_token(address)
    assert b"079190654321" not in doc_hash
    r = Registration.objects.get()
    assert (r.id_doc_number, r.address) == ("079190654321", "99 Đồng Khởi")


# --- re-import ---


def test_reimporting_the_same_file_changes_nothing(point):
    rows = [reg(external_id=f"R{i}", iccid=iccid(i)) for i in range(5)] + [reg(external_id="BAD", msisdn="1")]
    first = import_regs(*rows, batch_size=2)
    before = _stored_rows()
    # when
    second = import_regs(*rows, batch_size=2)
    # then
    assert counts(first) == (5, 0, 0, 1)
    assert counts(second) == (0, 0, 5, 1)
    assert _stored_rows() == before  # the very same tokens: not even re-encrypted


def test_reimporting_changes_nothing_whatever_the_portrait_and_document(point):
    # given rows with an upper-case portrait hash, none, and no document (NULL digests)
    rows = [
        reg(external_id="U", iccid=iccid(1), portrait_sha256="CD" * 32),
        reg(external_id="N", iccid=iccid(2), portrait_sha256="", has_portrait="0"),
        reg(external_id="D", iccid=iccid(3), id_doc_type="", id_doc_number=""),
    ]
    first = import_regs(*rows)
    before = _stored_rows()
    # when
    second = import_regs(*rows)
    # then
    assert counts(first) == (3, 0, 0, 0)
    assert counts(second) == (0, 0, 3, 0)
    assert _stored_rows() == before
    stored = dict(Registration.objects.values_list("external_id", "portrait_sha256"))
    assert stored == {"U": bytes.fromhex("cd" * 32), "N": None, "D": bytes.fromhex("ab" * 32)}


# Computed by the importer before issue 15, which stored them as these 64 hexadecimal characters (the key is
# a test's own): the digests now stored are their bytes, so a row imported then and converted by migration
# registrations 0015 is unchanged for the importer now (FINGERPRINT_VERSION stays "1").
GOLDEN_KEY = "issue-15-golden-key"
GOLDEN = {
    "row_fingerprint": "c44798a09e6a77256184e8065202d885d0dae3ecdd58ffed85a191b7efb2da19",
    "row_fingerprint with cancelled_at": "758d7669ff7b39be3a3089c8aedac8f6e731d29070337e65b7c5b1ac6e2bf11b",
    "id_doc_hash": "4ea4bf50d2e7769264eddf1d99d0bb01d90dbb57852ac1483f65df9bf5a5c813",
}


def golden_row() -> dict:
    # values as the importer hands them to the parser (stripped), an APP row (no point id in the fingerprint)
    return reg(channel="APP", point_code="", subscriber_name="Nguyễn Thị Lan", portrait_sha256="AB" * 16 + "cd" * 16)


def test_the_digests_are_the_bytes_of_the_hex_stored_before(settings):
    # given
    settings.PII_HMAC_KEY = GOLDEN_KEY
    values = tuple(golden_row()[c] for c in REGISTRATION_COLUMNS)
    fields = rows.REGISTRATION_FIELDS
    # when
    parsed = dict(zip(fields, rows.registration_parser(points={})(values), strict=True))
    cancelled = rows.with_cancelled_at(rows.registration_parser(points={}))((*values, "2026-03-02T10:00:00+07:00"))
    # then
    assert rows.FINGERPRINT_VERSION == "1"
    assert parsed["row_fingerprint"] == bytes.fromhex(GOLDEN["row_fingerprint"])
    assert cancelled[-1] == bytes.fromhex(GOLDEN["row_fingerprint with cancelled_at"])
    assert parsed["id_doc_hash"] == bytes.fromhex(GOLDEN["id_doc_hash"])
    assert parsed["portrait_sha256"] == bytes.fromhex("ab" * 16 + "cd" * 16)


def _stored_rows():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT id, updated_at, import_job_id, row_fingerprint, id_doc_number, address"
            " FROM registrations_registration ORDER BY id"
        )
        return cursor.fetchall()


def test_equivalent_spellings_of_the_same_values_count_as_unchanged(point):
    import_regs(reg(msisdn="0912345678", registered_at="2026-03-01T09:15:00+07:00", status="", population_check=""))
    job = import_regs(
        reg(
            msisdn="+84 912 345 678",
            registered_at="2026-03-01T02:15:00Z",
            status="ACTIVE",
            population_check="NOT_CHECKED",
        )
    )
    assert counts(job) == (0, 0, 1, 0)


def test_a_changed_row_is_updated_and_only_that_one(point):
    import_regs(reg(), reg(external_id="R2"))
    untouched = Registration.objects.get(external_id="R2").updated_at
    # when the address of R1 changes
    job = import_regs(reg(address="1 Nguyễn Huệ"), reg(external_id="R2"))
    # then
    assert counts(job) == (0, 1, 1, 0)
    assert Registration.objects.get(external_id="R1").address == "1 Nguyễn Huệ"
    assert Registration.objects.get(external_id="R1").import_job_id == job.pk
    assert Registration.objects.get(external_id="R2").updated_at == untouched


@pytest.mark.parametrize("batch_size", [10, 1], ids=["same batch", "across batches"])
def test_a_repeated_external_id_the_later_row_wins_with_a_warning(point, batch_size):
    job = import_regs(reg(address="first"), reg(external_id="R2"), reg(address="second"), batch_size=batch_size)
    assert Registration.objects.get(external_id="R1").address == "second"
    assert job.created == 2
    assert job.processed_rows == 3
    assert job.rejected == 0
    assert job.created + job.updated + job.unchanged + job.rejected == 3
    if batch_size == 10:
        assert job.warnings == [[4, "external_id R1 is repeated in the file; the later row wins."]]


# --- activations ---


@pytest.mark.parametrize("earliest_first", [True, False], ids=["earliest first", "earliest last"])
def test_activations_keep_the_earliest_in_one_file(earliest_first):
    early = {"iccid": iccid(1), "msisdn": "0911111111", "activated_at": "2026-03-01T08:00:00+07:00"}
    late = {"iccid": iccid(1), "msisdn": "0922222222", "activated_at": "2026-03-02T08:00:00+07:00"}
    job = import_acts(*([early, late] if earliest_first else [late, early]))
    a = Activation.objects.get()
    assert (a.msisdn, a.activated_at) == ("+84911111111", datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    assert (job.created, job.rejected, job.processed_rows) == (1, 0, 2)


@pytest.mark.parametrize("earliest_first", [True, False], ids=["earliest first", "earliest last"])
def test_activations_keep_the_earliest_across_imports(earliest_first):
    early = {"iccid": iccid(1), "msisdn": "0911111111", "activated_at": "2026-03-01T08:00:00"}
    late = {"iccid": iccid(1), "msisdn": "0922222222", "activated_at": "2026-03-02T08:00:00"}
    first, second = (early, late) if earliest_first else (late, early)
    import_acts(first)
    job = import_acts(second)
    a = Activation.objects.get()
    assert (a.msisdn, a.activated_at) == ("+84911111111", datetime(2026, 3, 1, 1, 0, tzinfo=UTC))
    assert (job.created, job.updated, job.unchanged) == ((0, 0, 1) if earliest_first else (0, 1, 0))


def test_reimporting_activations_changes_nothing():
    rows = [{"iccid": iccid(i), "msisdn": "0912345678", "activated_at": "2026-03-01T08:00:00Z"} for i in range(3)]
    import_acts(*rows)
    before = list(Activation.objects.order_by("pk").values())
    job = import_acts(*rows)
    assert (job.created, job.updated, job.unchanged) == (0, 0, 3)
    assert list(Activation.objects.order_by("pk").values()) == before


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        ({"iccid": ""}, "Missing iccid."),
        ({"iccid": bad_luhn(3)}, "fails its Luhn check."),
        ({"activated_at": ""}, "Missing activated_at."),
        ({"activated_at": "yesterday"}, "activated_at 'yesterday' is not an ISO 8601"),
        ({"msisdn": "02438251234"}, "is not a Vietnamese mobile number."),
    ],
)
def test_activation_rejects(row, reason):
    good = {"iccid": iccid(3), "msisdn": "0912345678", "activated_at": "2026-03-01T08:00:00"}
    job = import_acts({**good, **row}, {**good, "iccid": iccid(4)})
    assert reason in reasons(job)[2]
    assert (job.created, job.rejected) == (1, 1)


# --- the file as read ---


def test_bad_utf8_nul_and_short_rows_are_rejected_and_the_rest_imported(point):
    header, good = csv_file(REGISTRATION_COLUMNS, [reg(external_id="OK")]).getvalue().splitlines()
    latin1 = good.replace(b"OK", b"L1").replace("Lê".encode(), "Lê".encode("latin-1"))
    nul = good.replace(b"OK", b"N1").replace(b"NV01", b"NV\x0001")
    short = b"S1,0912345678"
    data = b"\n".join([header, latin1, nul, short, good]) + b"\n"
    job = import_file(io.BytesIO(data), kind="registrations")
    assert reasons(job) == {
        2: "Not valid UTF-8 text.",
        3: "Contains a NUL character, which cannot be stored.",
        4: "Has 2 columns, expected 22.",
    }
    assert list(Registration.objects.values_list("external_id", flat=True)) == ["OK"]


def test_line_numbers_are_the_files_lines(point):
    # given a row whose quoted address spans two lines, a blank line, a BOM and CRLF line ends
    rows = [reg(external_id="A", address="12 Lê Lợi\nQuận 1"), reg(external_id="B", msisdn="1")]
    data = csv_file(REGISTRATION_COLUMNS, rows).getvalue().replace(b"\n", b"\r\n")
    data = b"\xef\xbb\xbf" + data.replace(b"\r\nB,", b"\r\n\r\nB,")
    job = import_file(io.BytesIO(data), kind="registrations")
    assert reasons(job) == {5: "msisdn '1' is not a Vietnamese mobile number."}
    assert Registration.objects.get().address == "12 Lê Lợi\r\nQuận 1"


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", "The file is empty."),
        (b"external_id,msisdn\nR1,0912345678\n", "Missing columns: iccid, channel"),
    ],
)
def test_a_file_that_cannot_be_read_fails_and_imports_nothing(point, data, error):
    with pytest.raises(ImportFileError, match=error):
        import_file(io.BytesIO(data), kind="registrations")
    job = ImportJob.objects.get()
    assert job.status == ImportJob.Status.FAILED
    assert error in job.error
    assert not Registration.objects.exists()


def test_extra_and_reordered_columns_are_fine(point):
    columns = ["note", *reversed(REGISTRATION_COLUMNS)]
    job = import_file(csv_file(columns, [{**reg(), "note": "x"}]), kind="registrations")
    assert counts(job) == (1, 0, 0, 0)


@pytest.mark.parametrize("read_size", [7, 64, 1000])
def test_small_read_blocks_give_the_same_result(point, monkeypatch, read_size):
    # the reader decodes blocks of whole lines: a tiny block size exercises every boundary
    monkeypatch.setattr(core_imports, "_READ_SIZE", read_size)
    rows = [reg(external_id=f"R{i}", iccid=iccid(i), address=f"{i} Lê\nLợi") for i in range(6)]
    rows[3]["msisdn"] = "1"
    data = csv_file(REGISTRATION_COLUMNS, rows).getvalue().replace(b"R4,", "R4,\xff".encode("latin-1"), 1)
    job = import_file(io.BytesIO(data), kind="registrations", batch_size=2)
    assert reasons(job) == {9: "msisdn '1' is not a Vietnamese mobile number.", 11: "Not valid UTF-8 text."}
    assert counts(job) == (4, 0, 0, 2)
    assert Registration.objects.get(external_id="R5").address == "5 Lê\nLợi"


# --- failure and resume ---


def _fail_on_call(monkeypatch, failing_call: int):
    calls = {"n": 0}
    for writer in (writers.PostgresWriter, writers.SqliteWriter):
        original = writer.write

        def write(self, rows, *args, _original=original, **kwargs):
            calls["n"] += 1
            if calls["n"] == failing_call:
                raise RuntimeError("database went away")
            return _original(self, rows, *args, **kwargs)

        monkeypatch.setattr(writer, "write", write)


def test_a_failed_batch_keeps_the_committed_ones_and_the_job_resumes(point, monkeypatch):
    # given 7 rows in batches of 3, with a reject in the first and the last batch
    rows = [reg(external_id=f"R{i}", iccid=iccid(i)) for i in range(7)]
    rows[1]["msisdn"] = rows[6]["msisdn"] = "1"
    data = csv_file(REGISTRATION_COLUMNS, rows).getvalue()
    _fail_on_call(monkeypatch, 2)
    job = import_job_claim(import_job_create(kind="registrations", actor=None, file_name="r.csv").pk)
    # when the second batch fails
    with pytest.raises(importers.BatchError, match="Lines 5-7: database went away"):
        import_job_run(job=job, binary=io.BytesIO(data), batch_size=3)
    # then the first batch is committed and the job says where it stopped
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "database went away" in job.error
    assert (job.processed_rows, job.created, job.rejected, job.resume_line) == (3, 2, 1, 4)
    assert sorted(Registration.objects.values_list("external_id", flat=True)) == ["R0", "R2"]
    # when it resumes
    monkeypatch.undo()
    job = import_job_claim(job.pk)
    import_job_run(job=job, binary=io.BytesIO(data), batch_size=3)
    # then
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert job.error == ""
    assert (job.processed_rows, job.created, job.updated, job.unchanged, job.rejected) == (7, 5, 0, 0, 2)
    assert Registration.objects.count() == 5
    assert sorted(reasons(job)) == [3, 8]


def test_running_a_finished_job_again_is_harmless(point):
    job = import_regs(reg())
    assert import_job_claim(job.pk) is None  # DONE: nothing to do
    # a re-run of the whole file under a new job writes nothing
    assert counts(import_regs(reg())) == (0, 0, 1, 0)


def test_a_running_job_is_not_taken_twice_unless_its_heartbeat_is_stale(point):
    job = import_job_claim(import_job_create(kind="registrations", actor=None, file_name="r.csv").pk)
    assert job is not None
    assert import_job_claim(job.pk) is None
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=job.heartbeat_at - importers.STALE_AFTER * 2)
    assert import_job_claim(job.pk) is not None


# --- province scope ---


def test_a_limited_user_imports_only_at_points_of_its_provinces(point):
    # given a user limited to 001 and a point there, next to P1 in 079
    PointFactory(code="H1", province_code="001")
    user = UserFactory(provinces=["001"])
    import_regs(reg(external_id="HCM"))  # stored by the system at P1 (079)
    # when
    job = import_regs(
        reg(external_id="HN", point_code="H1"),
        reg(external_id="X", point_code="P1"),
        reg(external_id="HCM", point_code="H1"),
        actor=user,
    )
    # then
    assert reasons(job) == {
        3: "Unknown point code 'P1'.",
        # the reason names no province, point or agent of the record it would have overwritten
        4: "external_id HCM cannot be written from your provinces.",
    }
    assert Registration.objects.get(external_id="HCM").point == point


def test_a_limited_user_cannot_overwrite_an_app_registration_nor_import_one(point):
    # given an APP registration (no point, so no province) stored by the system
    PointFactory(code="H1", province_code="001")
    user = UserFactory(provinces=["001"])
    import_regs(reg(external_id="APP1", channel="APP", point_code="", subscriber_name="Trần Thị B"))
    # when a user limited to 001 sends the same key at its own point, and a new APP row
    job = import_regs(
        reg(external_id="APP1", point_code="H1", subscriber_name="Someone Else"),
        reg(external_id="APP2", channel="APP", point_code=""),
        actor=user,
    )
    # then neither is written: the stored one stays as it was, in no province
    assert reasons(job) == {
        2: "external_id APP1 cannot be written from your provinces.",
        3: "APP registrations belong to no province: only a user of all provinces imports them.",
    }
    stored = Registration.objects.get(external_id="APP1")
    assert stored.point is None
    assert stored.subscriber_name == "Trần Thị B"
    assert not Registration.objects.filter(external_id="APP2").exists()


def test_a_limited_user_sends_activations_only_of_sims_registered_in_its_provinces(point):
    # given a SIM registered at H1 (001) and one at P1 (079), the latter activated on 2 Jan
    PointFactory(code="H1", province_code="001")
    user = UserFactory(provinces=["001"])
    import_regs(reg(external_id="HN", iccid=iccid(11), point_code="H1"), reg(external_id="SG", iccid=iccid(12)))
    import_acts({"iccid": iccid(12), "msisdn": "0912345678", "activated_at": "2026-01-02T10:00:00+07:00"})
    # when the limited user sends an earlier activation of each, and one of a SIM nobody registered
    job = import_acts(
        {"iccid": iccid(11), "msisdn": "0912345678", "activated_at": "2026-01-01T10:00:00+07:00"},
        {"iccid": iccid(12), "msisdn": "0912345678", "activated_at": "2025-01-01T10:00:00+07:00"},
        {"iccid": iccid(13), "msisdn": "0912345678", "activated_at": "2025-01-01T10:00:00+07:00"},
        actor=user,
    )
    # then only its own SIM's is written; the other province's SIM keeps its date (no planted evidence),
    # and "registered elsewhere" reads exactly like "not registered at all"
    assert counts(job)[:1] == (1,)
    assert job.rejected == 2
    assert reasons(job) == {
        3: f"iccid {iccid(12)} is not a SIM registered in your provinces.",
        4: f"iccid {iccid(13)} is not a SIM registered in your provinces.",
    }
    assert Activation.objects.get(iccid=iccid(12)).activated_at.year == 2026


# --- fast paths agree with the definitions ---


def test_the_fast_iccid_check_agrees_with_the_validator():
    rnd = random.Random(3)
    samples = [iccid(i, length) for i in range(200) for length in (19, 20)]
    samples += [bad_luhn(i) for i in range(200)]
    samples += ["".join(rnd.choice("0123456789") for _ in range(rnd.randint(17, 21))) for _ in range(2000)]
    samples += ["", "8984048000000000001a", "８９８４０４８０００００００００００１０", " 89840480000000000010"]
    for value in samples:
        assert core_imports.iccid_is_valid(value) == validators.is_valid_iccid(value), value


def test_the_inlined_document_checks_agree_with_the_validators():
    rnd = random.Random(5)
    places = ["079", "001", "101", "295", "296", "999", "000"]
    for _ in range(5000):
        number = rnd.choice(places) + "".join(rnd.choice("0123456789") for _ in range(rnd.choice([9, 8, 10])))
        number = rnd.choice([number, number[:-1], number + "X", "", "07919012345６"])
        doc_type = rnd.choice(["CCCD", "CCCD", "CMND", "PASSPORT", "cccd", "OTHER", ""])
        dob = rnd.choice([None, date(rnd.randint(1890, 2110), 1, 1)])
        gender = rnd.choice(["M", "F", "", "X"])
        nationality = rnd.choice(["VN", "US", ""])
        normalised = crypto.normalise_id_number(number)
        expected_number = validators.id_number_problem(doc_type, normalised, nationality) or ""
        expected_dob = (validators.cccd_dob_problem(normalised, dob, gender) or "") if doc_type == "CCCD" else ""
        assert rows.document_issues(doc_type, normalised, nationality, dob, gender) == (
            expected_number,
            expected_dob,
        ), (doc_type, number, dob, gender)


# --- the task ---


def _uploaded_job(rows, **kwargs) -> ImportJob:
    upload = ContentFile(csv_file(REGISTRATION_COLUMNS, rows).getvalue(), name="upload.csv")
    return import_job_create(kind="registrations", actor=None, file_name="upload.csv", upload=upload, **kwargs)


def test_the_task_runs_an_uploaded_file_and_is_safe_to_run_twice(point):
    job = _uploaded_job([reg(), reg(external_id="R2", msisdn="1")])
    assert job.source_file.name.startswith("imports/")
    assert run_import_task(job.pk) == "done"
    assert run_import_task(job.pk) == "skipped"
    job.refresh_from_db()
    assert counts(job) == (1, 0, 0, 1)
    assert job.status == ImportJob.Status.DONE
    assert rejects_rows(job)[0]["external_id"] == "R2"


def test_the_task_marks_a_failure_on_the_job_without_raising(point, monkeypatch):
    job = _uploaded_job([reg()])
    _fail_on_call(monkeypatch, 1)
    assert run_import_task(job.pk) == "failed"
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert "database went away" in job.error
    # and a second delivery resumes it
    monkeypatch.undo()
    assert run_import_task(job.pk) == "done"
    assert Registration.objects.count() == 1


def test_progress_figures_of_a_job():
    from datetime import timedelta

    from django.utils import timezone

    now = timezone.now()
    job = ImportJob(
        kind="registrations",
        status=ImportJob.Status.RUNNING,
        total_rows=1000,
        processed_rows=300,
        rows_at_start=100,
        started_at=now - timedelta(seconds=10),
    )
    assert job.percent == 30
    assert 19 <= job.rate <= 20.1  # 200 rows in this run over ~10 s
    assert 34 <= job.eta_seconds <= 36
    job.status, job.finished_at = ImportJob.Status.DONE, now
    assert job.percent == 100
    assert job.eta_seconds is None


# --- the commands ---


def _write(path, columns, rows):
    path.write_bytes(csv_file(columns, rows).getvalue())
    return path


def test_import_registrations_command_prints_counts_and_writes_rejects(point, tmp_path):
    path = _write(tmp_path / "registrations.csv", REGISTRATION_COLUMNS, [reg(), reg(external_id="R2", msisdn="12")])
    out = io.StringIO()
    call_command("import_registrations", str(path), stdout=out)
    text = out.getvalue()
    assert "1 / 2 rows" not in text  # one batch: the only progress line is the final one
    assert "2 / 2 rows (100%)" in text
    assert "registrations: 1 created, 0 updated, 0 unchanged, 1 rejected" in text
    rejects = list(csv.reader((tmp_path / "registrations.csv.rejects.csv").open(encoding="utf-8")))
    assert rejects[0] == ["line", "reason", *REGISTRATION_COLUMNS]
    assert rejects[1][:4] == ["3", "msisdn '12' is not a Vietnamese mobile number.", "R2", "12"]
    # a clean re-run removes the stale rejects file
    _write(path, REGISTRATION_COLUMNS, [reg()])
    call_command("import_registrations", str(path), stdout=io.StringIO())
    assert not (tmp_path / "registrations.csv.rejects.csv").exists()


def test_import_activations_command(tmp_path):
    rows = [{"iccid": iccid(1), "msisdn": "0912345678", "activated_at": "2026-03-01T08:00:00"}]
    path = _write(tmp_path / "activations.csv", ACTIVATION_COLUMNS, rows)
    out = io.StringIO()
    call_command("import_activations", str(path), stdout=out)
    assert "activations: 1 created, 0 updated, 0 unchanged, 0 rejected" in out.getvalue()


def test_import_command_fails_with_a_nonzero_exit_on_a_bad_file(tmp_path):
    path = tmp_path / "registrations.csv"
    path.write_text("external_id\nR1\n")
    with pytest.raises(CommandError, match="Missing columns: msisdn.*Nothing was imported"):
        call_command("import_registrations", str(path), stdout=io.StringIO())
    with pytest.raises(CommandError, match="No such file"):
        call_command("import_registrations", str(tmp_path / "nope.csv"), stdout=io.StringIO())


def test_import_command_resumes_a_failed_job(point, tmp_path, monkeypatch):
    rows = [reg(external_id=f"R{i}", iccid=iccid(i)) for i in range(5)]
    path = _write(tmp_path / "registrations.csv", REGISTRATION_COLUMNS, rows)
    _fail_on_call(monkeypatch, 2)
    with pytest.raises(CommandError, match=r"(?s)failed.*--resume \d+") as failure:
        call_command("import_registrations", str(path), "--batch-size", "2", stdout=io.StringIO())
    job = ImportJob.objects.get()
    assert f"--resume {job.pk}" in str(failure.value)
    assert Registration.objects.count() == 2
    monkeypatch.undo()
    out = io.StringIO()
    call_command("import_registrations", str(path), "--resume", str(job.pk), "--batch-size", "2", stdout=out)
    assert f"Resuming import {job.pk} after line 3." in out.getvalue()
    assert "registrations: 5 created, 0 updated, 0 unchanged, 0 rejected" in out.getvalue()
    assert Registration.objects.count() == 5
    with pytest.raises(CommandError, match="already done"):
        call_command("import_registrations", str(path), "--resume", str(job.pk), stdout=io.StringIO())


def test_progress_on_a_terminal_rewrites_one_line():
    from registrations.management.bulk_import import Progress

    out = io.StringIO()

    class Wrapper:
        def write(self, text, ending="\n"):
            out.write(text + ending)

        def flush(self):
            pass

    job = ImportJob(kind="registrations", status=ImportJob.Status.RUNNING, total_rows=10, processed_rows=5)
    progress = Progress(Wrapper(), tty=True, every=10)
    progress(job, force=True)
    progress.end()
    assert out.getvalue().startswith("\r5 / 10 rows (50%)")
    assert out.getvalue().endswith("\n")


@pytest.mark.skipif(connection.vendor != "postgresql", reason="change numbers are PostgreSQL's (migration 0013)")
@pytest.mark.parametrize("kind", ["registrations", "activations"])
def test_each_imported_row_takes_a_change_number_and_a_changed_row_a_later_one(point, kind):
    """The import gives new rows their change number itself (registrations.imports.writers: the insert trigger
    is then skipped); the incremental checks find what changed by it, so each must be new and above the last."""
    model, key = (Registration, "external_id") if kind == "registrations" else (Activation, "iccid")
    before = model.objects.aggregate(m=Max("change_seq"))["m"] or 0
    rows = [reg(external_id=f"C{i}", iccid=iccid(i)) for i in range(3)]
    acts = [{"iccid": iccid(i), "msisdn": "0912345678", "activated_at": "2026-05-02T10:00:00+07:00"} for i in range(3)]
    first = import_regs(*rows) if kind == "registrations" else import_acts(*acts)
    assert first.created == 3
    seqs = dict(model.objects.values_list(key, "change_seq"))
    assert len(set(seqs.values())) == 3
    assert min(seqs.values()) > before
    if kind == "registrations":
        rows[1]["address"] = "another address"
        import_regs(*rows)
    else:
        acts[1]["activated_at"] = "2026-05-01T10:00:00+07:00"  # earlier: the stored one is replaced
        import_acts(*acts)
    changed_key = "C1" if kind == "registrations" else iccid(1)
    after = dict(model.objects.values_list(key, "change_seq"))
    assert after[changed_key] > max(seqs.values())
    assert {k: v for k, v in after.items() if k != changed_key} == {k: v for k, v in seqs.items() if k != changed_key}
