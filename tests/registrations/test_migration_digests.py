"""Migration registrations 0015 (and enforcement 0006): the digests from 64 hexadecimal characters to 32-byte
bytea, NULL for none (issue 15). Rows written in the old form convert right, the indexes and the change
trigger follow, a value that is no digest stops the migration before anything changes, and it goes back."""

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from registrations.models import Activation, KeyChange, Registration
from tests.registrations.test_importers import GOLDEN, GOLDEN_KEY, counts, golden_row, import_regs

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("registrations", "0014_blacklisted_agent_rule"), ("enforcement", "0005_campaign_withdrawal")]
AFTER = [("registrations", "0015_digests_bytea"), ("enforcement", "0006_campaignbaseline_id_doc_hash_bytea")]
DOC = "4ea4bf50d2e7769264eddf1d99d0bb01d90dbb57852ac1483f65df9bf5a5c813"
FACE = "AB" * 16 + "cd" * 16  # upper and lower case: one digest


def migrate(targets):
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


@pytest.fixture
def old_apps(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    apps = migrate(BEFORE)
    yield apps
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())  # the whole schema again, for the tests that follow


def raw(sql: str, params=()) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        if cursor.description is None:
            return []
        return [tuple(bytes(v) if isinstance(v, memoryview) else v for v in row) for row in cursor.fetchall()]


def old_registration(apps, external_id: str, **values):
    model = apps.get_model("registrations", "Registration")
    defaults = {
        "msisdn": "+84912345678",
        "iccid": "89840000000000000017",
        "channel": "APP",
        "registered_at": timezone.now() - dt.timedelta(days=2),
    }
    return model.objects.create(external_id=external_id, **{**defaults, **values})


def test_hex_becomes_bytes_and_blank_becomes_null(old_apps):
    # given rows as they were stored: hex digests, and "" for none
    full = old_registration(
        old_apps, "HEX", id_doc_type="CCCD", id_doc_hash=DOC, portrait_sha256=FACE, row_fingerprint="0f" * 32
    )
    blank = old_registration(old_apps, "BLANK", iccid="89840000000000000025")
    keys = old_apps.get_model("registrations", "KeyChange")
    keys.objects.create(seq=1, id_doc_hash=DOC, portrait_sha256=FACE, iccid="1")
    keys.objects.create(seq=2, id_doc_hash="", portrait_sha256="", iccid="2")
    keys.objects.create(seq=3, id_doc_hash="not a digest", portrait_sha256="ab", iccid="3")  # a log: dropped to NULL
    case = old_apps.get_model("enforcement", "RemediationCase").objects.create(
        registration_id=full.pk, track="RECORD", opened_at=timezone.now()
    )
    baselines = old_apps.get_model("enforcement", "CampaignBaseline")
    baselines.objects.create(case=case, id_doc_hash=DOC)
    seq_before = dict(raw("SELECT external_id, change_seq FROM registrations_registration"))
    # when
    migrate(AFTER)
    # then
    assert raw(
        "SELECT external_id, id_doc_hash, portrait_sha256, row_fingerprint FROM registrations_registration"
        " ORDER BY external_id"
    ) == [
        ("BLANK", None, None, None),
        ("HEX", bytes.fromhex(DOC), bytes.fromhex(FACE), bytes.fromhex("0f" * 32)),
    ]
    assert raw("SELECT seq, id_doc_hash, portrait_sha256 FROM registrations_keychange ORDER BY seq") == [
        (1, bytes.fromhex(DOC), bytes.fromhex(FACE)),
        (2, None, None),
        (3, None, None),
    ]
    assert raw("SELECT id_doc_hash FROM enforcement_campaignbaseline") == [(bytes.fromhex(DOC),)]
    # the rewrite is no change of the rows: the incremental checks see nothing new
    assert dict(raw("SELECT external_id, change_seq FROM registrations_registration")) == seq_before
    # and the models read them
    assert Registration.objects.get(pk=blank.pk).id_doc_hash is None
    assert Registration.objects.get(pk=full.pk).portrait_sha256 == bytes.fromhex(FACE)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="types, indexes and the trigger of PostgreSQL")
def test_columns_indexes_and_trigger_follow(old_apps):
    # given a bulk import's staging table left by an import in flight (imports.bulk: text columns then)
    raw(
        "CREATE TABLE registrations_bulk_999999 (batch_line int8, external_id text, id_doc_hash text,"
        " portrait_sha256 text, row_fingerprint text)"
    )
    try:
        raw(
            "INSERT INTO registrations_bulk_999999 VALUES (1, 'S1', %s, %s, %s), (2, 'S2', '', '', %s)",
            [DOC, FACE, "0f" * 32, "0e" * 32],
        )
        # when
        migrate(AFTER)
        # then its rows convert as the table's, so that the job resumes into the new columns
        assert raw(
            "SELECT external_id, id_doc_hash, portrait_sha256, row_fingerprint FROM registrations_bulk_999999"
            " ORDER BY 1"
        ) == [
            ("S1", bytes.fromhex(DOC), bytes.fromhex(FACE), bytes.fromhex("0f" * 32)),
            ("S2", None, None, bytes.fromhex("0e" * 32)),
        ]
    finally:
        raw("DROP TABLE registrations_bulk_999999")
    # and the columns are bytea and nullable
    columns = raw(
        "SELECT table_name, column_name, data_type, is_nullable FROM information_schema.columns"
        " WHERE table_name IN ('registrations_registration', 'registrations_keychange', 'enforcement_campaignbaseline')"
        " AND column_name IN ('id_doc_hash', 'portrait_sha256', 'row_fingerprint') ORDER BY 1, 2"
    )
    assert columns == [
        ("enforcement_campaignbaseline", "id_doc_hash", "bytea", "YES"),
        ("registrations_keychange", "id_doc_hash", "bytea", "YES"),
        ("registrations_keychange", "portrait_sha256", "bytea", "YES"),
        ("registrations_registration", "id_doc_hash", "bytea", "YES"),
        ("registrations_registration", "portrait_sha256", "bytea", "YES"),
        ("registrations_registration", "row_fingerprint", "bytea", "YES"),
    ]
    indexes = dict(raw("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = 'registrations_registration'"))
    assert indexes["reg_doc_idx"].endswith("(id_doc_hash, registered_at) WHERE (id_doc_hash IS NOT NULL)")
    assert indexes["reg_portrait_idx"].endswith("(portrait_sha256) WHERE (portrait_sha256 IS NOT NULL)")
    assert "(id_doc_hash IS NULL)" in indexes["reg_incomplete_idx"]
    assert "id_doc_hash)::text" not in indexes["reg_incomplete_idx"]
    # an activation's former keys are logged without a document or a portrait: NULL, not ""
    activation = Activation.objects.create(
        iccid="89840000000000000033", msisdn="+84912345678", activated_at=timezone.now()
    )
    activation.delete()
    logged = KeyChange.objects.get(iccid="89840000000000000033")
    assert (logged.id_doc_hash, logged.portrait_sha256) == (None, None)


def test_a_file_imported_before_is_unchanged_after(old_apps, settings):
    # given the row as the importer stored it before issue 15 (its digests in hex)
    settings.PII_HMAC_KEY = GOLDEN_KEY
    old_registration(
        old_apps,
        "R1",
        id_doc_type="CCCD",
        id_doc_hash=GOLDEN["id_doc_hash"],
        portrait_sha256=FACE,
        row_fingerprint=GOLDEN["row_fingerprint"],
    )
    migrate(AFTER)
    # when the same file is imported again
    job = import_regs(golden_row())
    # then nothing is written
    assert counts(job) == (0, 0, 1, 0)
    assert Registration.objects.get().row_fingerprint == bytes.fromhex(GOLDEN["row_fingerprint"])


def test_a_portrait_that_is_no_digest_is_kept_as_its_text_and_goes_back(old_apps):
    # given values the importer accepted before issue 15 (any text up to 64 characters)
    old_registration(old_apps, "BAD", portrait_sha256="N/A")
    old_registration(old_apps, "GOOD", iccid="89840000000000000025", portrait_sha256=FACE)
    old_registration(old_apps, "TEXT32", iccid="89840000000000000033", portrait_sha256="p" * 32)
    # when
    migrate(AFTER)
    # then a digest is its 32 bytes, any other text its UTF-8 (32 bytes of text take a NUL: never a digest)
    assert raw("SELECT external_id, portrait_sha256 FROM registrations_registration ORDER BY external_id") == [
        ("BAD", b"N/A"),
        ("GOOD", bytes.fromhex(FACE)),
        ("TEXT32", b"p" * 32 + b"\x00"),
    ]
    # and back, each as it was (hex in lower case, as PostgreSQL's encode writes it)
    migrate(BEFORE)
    assert raw("SELECT external_id, portrait_sha256 FROM registrations_registration ORDER BY external_id") == [
        ("BAD", "N/A"),
        ("GOOD", FACE.lower()),
        ("TEXT32", "p" * 32),
    ]


def test_it_goes_back_to_hex(old_apps):
    # given
    old_registration(old_apps, "HEX", id_doc_type="CCCD", id_doc_hash=DOC, portrait_sha256=FACE)
    old_registration(old_apps, "BLANK", iccid="89840000000000000025")
    migrate(AFTER)
    # when
    migrate(BEFORE)
    # then (hex as PostgreSQL's encode writes it: lower case)
    assert raw(
        "SELECT external_id, id_doc_hash, portrait_sha256, row_fingerprint FROM registrations_registration"
        " ORDER BY external_id"
    ) == [("BLANK", "", "", ""), ("HEX", DOC, FACE.lower(), "")]
