"""Bulk mode of the registrations import (registrations.imports.bulk, issue 15): the same rows and counts as a
normal import, an exact upsert by external_id, nothing visible after a crash before the merge commits and a
re-run that completes, the indexes all back, the command's contract unchanged."""

import io

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from core.models import ImportJob
from registrations.imports import bulk
from registrations.imports.rows import REGISTRATION_COLUMNS
from registrations.imports.services import import_job_claim, import_job_create, import_job_run
from registrations.models import Registration
from tests.agents.factories import PointFactory
from tests.registrations.test_importers import counts, csv_file, iccid, import_regs, reasons, reg

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "postgresql", reason="bulk mode is PostgreSQL's"),
]

COMPARED = [
    f.name
    for f in Registration._meta.concrete_fields
    # change_seq: a sequence number, different for every write (registrations.checks.incremental)
    if f.name not in ("id", "created_at", "updated_at", "import_job", "cancelled_at", "change_seq")
]


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    # the planner's estimate outlives the tests' rolled back transactions (ANALYZE writes it in place)
    monkeypatch.setattr(bulk, "table_rows_estimate", Registration.objects.count)


@pytest.fixture
def point(db):
    PointFactory(code="P2", province_code="001")
    return PointFactory(code="P1", province_code="079")


def _varied_rows() -> list[dict]:
    rows = [reg(external_id=f"R{i}", iccid=iccid(i), msisdn=f"09123456{i:02d}") for i in range(12)]
    rows[1].update(status="CANCELLED")
    rows[2].update(channel="APP", point_code="", clerk_code="")
    rows[3].update(msisdn="1")  # rejected
    rows[4].update(subscriber_name="", id_doc_number="12")  # stored, with its issues
    rows[5].update(point_code="P2", population_check="MISMATCH", has_id_back="0")
    rows[6].update(iccid="123")  # rejected
    rows.append(reg(external_id="R7", iccid=iccid(7), address="later wins"))  # a repeat within the file
    return rows


def _stored() -> dict:
    """Every registration's compared values as the application reads them (decrypted), by external_id."""
    result = {}
    for obj in Registration.objects.select_related(None):
        values = {name: getattr(obj, name if name not in ("point", "agent") else f"{name}_id") for name in COMPARED}
        values["cancelled"] = obj.cancelled_at is not None
        result[obj.external_id] = values
    return result


def _index_names() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'registrations_registration' ORDER BY 1")
        return [name for (name,) in cursor.fetchall()]


def _constraints() -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
            " WHERE conrelid = 'registrations_registration'::regclass ORDER BY 1"
        )
        return cursor.fetchall()


def _stage_tables() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT tablename FROM pg_tables WHERE tablename LIKE 'registrations_bulk_%%'")
        return [name for (name,) in cursor.fetchall()]


@pytest.mark.parametrize("batch_size", [100, 4], ids=["one batch", "several batches"])
def test_bulk_and_normal_imports_store_the_same_rows_with_the_same_counts(point, batch_size):
    rows = _varied_rows()
    if batch_size == 4:
        rows = rows[:-1]  # a repeat across batches counts once in bulk mode (see imports.bulk)
    normal = import_regs(*rows, batch_size=batch_size, bulk=False)
    normal_rows = _stored()
    Registration.objects.all().delete()
    # when
    loaded = import_regs(*rows, batch_size=batch_size, bulk=True)
    # then
    assert counts(loaded) == counts(normal) == ((10, 0, 0, 2) if batch_size == 4 else (10, 0, 1, 2))
    assert _stored() == normal_rows
    assert reasons(loaded) == reasons(normal)
    assert loaded.processed_rows == normal.processed_rows
    assert (
        Registration.objects.get(external_id="R1").cancelled_at
        == Registration.objects.get(external_id="R1").registered_at
    )
    assert _stage_tables() == []


def test_bulk_upsert_by_external_id_updates_in_place_and_keeps_erased_data(point):
    first = [reg(external_id=f"R{i}", iccid=iccid(i)) for i in range(4)]
    import_regs(*first, bulk=False)
    ids = dict(Registration.objects.values_list("external_id", "id"))
    Registration.objects.filter(external_id="R3").update(anonymised_at=timezone.now(), subscriber_name="")
    # when a bulk load sends two unchanged rows, a changed one, the anonymised one changed and two new ones
    second = [
        first[0],
        first[1],
        reg(external_id="R2", iccid=iccid(2), address="changed", status="CANCELLED"),
        reg(external_id="R3", iccid=iccid(3), subscriber_name="Back Again", address="changed"),
        reg(external_id="N1", iccid=iccid(11)),
        reg(external_id="N2", iccid=iccid(12)),
    ]
    job = import_regs(*second, bulk=True)
    # then
    assert counts(job) == (2, 2, 2, 0)
    assert Registration.objects.count() == 6
    assert {k: v for k, v in Registration.objects.values_list("external_id", "id") if k in ids} == ids
    changed = Registration.objects.get(external_id="R2")
    assert (changed.address, changed.import_job_id) == ("changed", job.pk)
    assert changed.cancelled_at is not None
    erased = Registration.objects.get(external_id="R3")
    assert (erased.subscriber_name, erased.address) == ("", "12 Lê Lợi, Quận 1")  # erased data not written back
    assert Registration.objects.get(external_id="R0").import_job_id != job.pk  # unchanged: not rewritten


def test_a_crash_before_the_merge_commits_leaves_nothing_visible_and_a_rerun_completes(point, monkeypatch):
    rows = _varied_rows()
    data = csv_file(REGISTRATION_COLUMNS, rows).getvalue()
    indexes, constraints = _index_names(), _constraints()
    original = bulk.build_indexes
    job = import_job_claim(import_job_create(kind="registrations", actor=None, file_name="r.csv").pk)

    def crash(cursor, definitions):
        assert len(definitions) > 10  # indexes dropped
        assert Registration.objects.count() == 10  # rows in
        raise RuntimeError("server went away")

    monkeypatch.setattr(bulk, "build_indexes", crash)
    # when the run fails after the rows went into the table and the indexes were dropped
    with pytest.raises(RuntimeError, match="server went away"):
        import_job_run(job=job, binary=io.BytesIO(data), batch_size=5, bulk=True)
    # then nothing of it is visible, the indexes are all there and the staged rows wait for the re-run
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert Registration.objects.count() == 0
    assert _index_names() == indexes
    assert _constraints() == constraints
    assert _stage_tables() == [bulk.stage_name(job.pk)]
    assert (job.created, job.updated) == (0, 0)
    # when it is run again (resumed: it carries on in bulk mode by itself)
    monkeypatch.setattr(bulk, "build_indexes", original)
    job = import_job_claim(job.pk)
    import_job_run(job=job, binary=io.BytesIO(data), batch_size=5)
    # then
    job.refresh_from_db()
    assert job.status == ImportJob.Status.DONE
    assert counts(job) == (10, 0, 1, 2)
    assert Registration.objects.count() == 10
    assert _index_names() == indexes
    assert _constraints() == constraints
    assert _stage_tables() == []


def test_bulk_merge_drops_and_rebuilds_the_secondary_indexes_only_for_a_large_load(point, monkeypatch):
    dropped = []
    original = bulk.build_indexes
    monkeypatch.setattr(bulk, "build_indexes", lambda cursor, defs: (dropped.append(len(defs)), original(cursor, defs)))
    import_regs(*[reg(external_id=f"R{i}", iccid=iccid(i)) for i in range(3)], bulk=True)
    import_regs(reg(external_id="N1", iccid=iccid(11)), bulk=True)  # 1 row into a table of 3: indexes kept
    assert dropped[0] == len(bulk.secondary_indexes()) > 10
    assert len(bulk.foreign_keys()) == 2  # point and agent, added back
    assert dropped[1] == 0
    assert Registration.objects.count() == 4


def test_bulk_mode_is_chosen_for_a_large_file_next_to_the_table(point, monkeypatch):
    job = import_job_create(kind="registrations", actor=None, file_name="r.csv")
    spec = __import__("registrations.imports.batches", fromlist=["SPECS"]).SPECS["registrations"]
    job.total_rows = 50
    monkeypatch.setattr(bulk, "BULK_MIN_ROWS", 10)
    assert bulk.wants_bulk(spec=spec, job=job, bulk=None)
    assert not bulk.wants_bulk(spec=spec, job=job, bulk=False)
    monkeypatch.setattr(bulk, "table_rows_estimate", lambda: 51)
    assert not bulk.wants_bulk(spec=spec, job=job, bulk=None)
    assert bulk.wants_bulk(spec=spec, job=job, bulk=True)
    job.total_rows = 5
    monkeypatch.setattr(bulk, "table_rows_estimate", lambda: 0)
    assert not bulk.wants_bulk(spec=spec, job=job, bulk=None)
    activations = __import__("registrations.imports.batches", fromlist=["SPECS"]).SPECS["activations"]
    assert not bulk.wants_bulk(spec=activations, job=job, bulk=True)


@pytest.mark.parametrize("flag", ["--bulk", "--no-bulk"])
def test_the_command_prints_the_same_with_or_without_bulk(point, tmp_path, flag):
    path = tmp_path / "registrations.csv"
    path.write_bytes(csv_file(REGISTRATION_COLUMNS, [reg(), reg(external_id="R2", msisdn="12")]).getvalue())
    out = io.StringIO()
    call_command("import_registrations", str(path), flag, stdout=out)
    text = out.getvalue()
    assert "2 / 2 rows (100%)" in text
    assert "registrations: 1 created, 0 updated, 0 unchanged, 1 rejected" in text
    assert (tmp_path / "registrations.csv.rejects.csv").exists()
    assert _stage_tables() == []
