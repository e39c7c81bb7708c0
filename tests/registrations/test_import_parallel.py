"""Parallel staging of a bulk load (registrations.imports.parallel, `import_registrations --workers N`): the
batches cut where the single process cuts them, the same stored rows, counts, rejects and warnings as one
process, in the user's language and province scope; a run that fails midway resumes to the same result; the
command refuses --workers outside bulk mode."""

import io
import os
import queue
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.core.management import CommandError, call_command
from django.db import connection, transaction
from django.utils import timezone, translation

from core import imports as core_imports
from core.imports import CsvStream
from core.models import ImportJob
from registrations.imports import bulk, parallel
from registrations.imports import services as importers
from registrations.imports.batches import SPECS, batch_bounds, parse_batches, usable_points
from registrations.imports.rejects import rejects_rows
from registrations.imports.rows import CANCELLED_AT_COLUMN, REGISTRATION_COLUMNS
from registrations.imports.services import import_job_claim, import_job_create, import_job_run
from registrations.models import Registration
from tests.agents.factories import PointFactory
from tests.factories import UserFactory
from tests.registrations.test_import_bulk import _stage_tables, _stored
from tests.registrations.test_importers import counts, csv_file, iccid, import_regs, reg

ROOT = Path(__file__).resolve().parents[2]
POSTGRES = pytest.mark.skipif(connection.vendor != "postgresql", reason="bulk mode is PostgreSQL's")


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path, monkeypatch):
    settings.MEDIA_ROOT = tmp_path / "media"
    # the planner's estimate outlives the tests (ANALYZE writes it in place)
    monkeypatch.setattr(bulk, "table_rows_estimate", Registration.objects.count)


@pytest.fixture
def points(provinces_loaded):
    # committed (a transactional test): the workers read the database from connections of their own
    yield PointFactory(code="P1", province_code="079"), PointFactory(code="P2", province_code="001")
    with connection.cursor() as cursor:  # a test that failed midway may leave a staging table
        for table in _stage_tables():
            cursor.execute(f"DROP TABLE {table}")


def _varied_file(cancelled_column: bool = False) -> bytes:
    """Rejects of every stage (parse, CSV, encoding, scope), repeats within and across batches, CANCELLED and
    APP rows, rows at either province's point, a quoted field over two lines, a blank line, an unclosed quote."""
    rows = [reg(external_id=f"R{i}", iccid=iccid(i), msisdn=f"09123456{i:02d}") for i in range(24)]
    rows[1].update(status="CANCELLED")
    rows[2].update(channel="APP", point_code="", clerk_code="")
    rows[3].update(msisdn="1")  # rejected
    rows[4].update(subscriber_name="", id_doc_number="12", point_code="P2")  # stored, with its issues
    rows[5].update(point_code="P2", population_check="MISMATCH", has_id_back="0")
    rows[6].update(iccid="123")  # rejected
    rows[8].update(point_code="P9")  # unknown point
    rows[9].update(point_code="P2", address="Số 5 Lê\nLợi")  # a quoted field over two lines
    rows[10].update(status="CANCELLED", point_code="P2")
    rows[12].update(point_code="P2", channel="APP")
    rows[14].update(point_code="P2")
    rows[15].update(registered_at="yesterday")  # rejected
    rows.insert(5, reg(external_id="R4", iccid=iccid(4), point_code="P2", address="later wins, same batch"))
    rows.append(reg(external_id="R5", iccid=iccid(5), point_code="P2", address="later wins, batches later"))
    rows.append(reg(external_id="R1", iccid=iccid(1), status="ACTIVE"))  # CANCELLED first, ACTIVE later
    rows.append(reg(external_id="HCM", iccid=iccid(40), point_code="P2"))  # stored at P1 before the load
    rows.append(reg(external_id="R20", iccid=iccid(20), subscriber_name="Trần Văn Bình"))  # repeat across batches
    rows.append(reg(external_id="R91", iccid=iccid(91)))  # swallowed by an unclosed quote
    columns = REGISTRATION_COLUMNS
    if cancelled_column:
        columns = [*REGISTRATION_COLUMNS, CANCELLED_AT_COLUMN]
        for row in rows:
            row[CANCELLED_AT_COLUMN] = "2026-03-02T10:00:00+07:00" if row["status"] == "CANCELLED" else ""
        rows[1][CANCELLED_AT_COLUMN] = ""
    data = csv_file(columns, rows).getvalue()
    lines = data.split(b"\n")
    lines.insert(14, b"")  # a blank line
    lines.insert(20, lines[20][:-4] + b"\xff\xfe,")  # not UTF-8
    lines.insert(-2, b'R90,"0912345690,' + iccid(90).encode())  # an unclosed quote swallows the next lines
    return b"\n".join(lines)


def _write(tmp_path: Path, data: bytes) -> Path:
    path = tmp_path / "registrations.csv"
    path.write_bytes(data)
    return path


def _run(path: Path, *, workers: int, actor=None, batch_size: int = 4, job=None) -> ImportJob:
    if job is None:
        job = import_job_claim(import_job_create(kind="registrations", actor=actor, file_name=path.name).pk)
    with path.open("rb") as fh:
        import_job_run(job=job, binary=fh, batch_size=batch_size, bulk=True, workers=workers)
    return job


def _result(job: ImportJob) -> dict:
    """Everything an import leaves that a user sees: stored rows, the job's counts and rejects, warnings."""
    job.refresh_from_db()
    return {
        "stored": _stored(),
        "counts": counts(job),
        "rejects": rejects_rows(job),
        "warnings": job.warnings,
        "rows": (job.processed_rows, job.total_rows, job.resume_line, job.resume_offset),
        "status": (job.status, job.error),
    }


def _before_the_load():
    """HCM stored at P1 (province 079) by a normal import, before the bulk load."""
    import_regs(reg(external_id="HCM", iccid=iccid(40)), bulk=False)


# --- the cut ---


@pytest.mark.parametrize("batch_size", [1, 2, 3, 4, 7, 100])
@pytest.mark.parametrize("read_size", [64, 1 << 20], ids=["small blocks", "one block"])
def test_batch_bounds_cut_the_file_where_the_parsing_loop_cuts_it(monkeypatch, batch_size, read_size):
    monkeypatch.setattr(core_imports, "_READ_SIZE", read_size)
    spec = SPECS["registrations"]
    parse = spec.parser(None, points={"P1": (1, 1), "P2": (2, 2)})
    data = _varied_file() + b"\n\n"  # trailing blank lines after the last batch
    parsed = [
        (b.first_line - 1, b.read, b.end_offset, b.end_line)
        for b in parse_batches(CsvStream(io.BytesIO(data), spec.columns), parse, spec, batch_size, keep_lines=False)
    ]
    cut = list(batch_bounds(CsvStream(io.BytesIO(data), spec.columns), batch_size))
    assert [(b.start_line, b.read, b.end_offset, b.end_line) for b in cut] == parsed
    # each batch starts where the one before ended, and a stream started there reads exactly that batch
    for before, bounds in zip(cut, cut[1:], strict=False):
        assert (bounds.start_offset, bounds.start_line) == (before.end_offset, before.end_line)
    for bounds in cut:
        stream = CsvStream(io.BytesIO(data), spec.columns, offset=bounds.start_offset, line=bounds.start_line)
        batch = next(parse_batches(stream, parse, spec, batch_size, keep_lines=False))
        assert (batch.first_line, batch.read, batch.end_offset, batch.end_line) == (
            bounds.start_line + 1,
            bounds.read,
            bounds.end_offset,
            bounds.end_line,
        )
    # from a resumed stream too
    middle = cut[len(cut) // 2]
    resumed = CsvStream(io.BytesIO(data), spec.columns, offset=middle.start_offset, line=middle.start_line)
    assert list(batch_bounds(resumed, batch_size)) == cut[len(cut) // 2 :]


# --- the same result as one process ---


@POSTGRES
@pytest.mark.parametrize(
    ("cancelled_column", "limited"),
    [(False, False), (True, False), (False, True)],
    ids=["contract columns", "cancelled_at column", "user limited to a province"],
)
def test_three_workers_load_what_one_process_loads(points, tmp_path, cancelled_column, limited):
    path = _write(tmp_path, _varied_file(cancelled_column))
    actor = UserFactory(provinces=["001"]) if limited else None
    with translation.override("vi"):
        _before_the_load()
        single = _result(_run(path, workers=1, actor=actor))
        Registration.objects.all().delete()
        _before_the_load()
        # when
        job = _run(path, workers=3, actor=actor)
    # then
    assert job.staging_report.workers == 3
    assert _result(job) == single
    assert single["status"] == (ImportJob.Status.DONE, "")
    assert _stage_tables() == []
    # the file exercised what it should, in the user's language
    reasons = [r["reason"] for r in single["rejects"]]
    warnings = [text for _line, text in single["warnings"]]
    assert any("bị lặp trong tệp" in text for text in warnings)  # repeated external_id, in Vietnamese
    assert "Không phải văn bản UTF-8 hợp lệ." in reasons
    assert any(r.startswith("Bị gộp vào dấu nháy chưa đóng") for r in reasons)
    if limited:
        assert single["stored"]["R4"]["address"] == "later wins, same batch"
        assert single["stored"]["R5"]["address"] == "later wins, batches later"
        assert "R2" not in single["stored"]  # APP: refused by the province scope
        assert single["stored"]["HCM"]["point"] == points[0].pk  # not overwritten from another province
        assert any(r["external_id"] == "HCM" for r in single["rejects"])
    else:
        assert any(r == "Mã điểm đăng ký 'P9' không tồn tại." for r in reasons)
        assert single["stored"]["R5"]["address"] == "later wins, batches later"
        assert single["stored"]["R4"]["address"] == "later wins, same batch"
        assert single["stored"]["R1"]["status"] == "ACTIVE"
        assert single["stored"]["R10"]["cancelled"]
        assert single["stored"]["R2"]["channel"] == "APP"


@POSTGRES
def test_a_parallel_load_that_fails_midway_resumes_to_the_same_result(points, tmp_path, monkeypatch):
    path = _write(tmp_path, _varied_file())
    single = _result(_run(path, workers=1))
    Registration.objects.all().delete()
    calls = {"n": 0}
    original = parallel._Recorded.write

    def write(self, rows, *args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("database went away")
        return original(self, rows, *args, **kwargs)

    monkeypatch.setattr(parallel._Recorded, "write", write)
    job = import_job_claim(import_job_create(kind="registrations", actor=None, file_name=path.name).pk)
    # when recording the third batch fails while the workers are staging the next ones
    with pytest.raises(importers.BatchError, match=r"Lines \d+-\d+: database went away"):
        _run(path, workers=3, job=job)
    # then nothing is in the table, the job counts two batches, and the staged batch it failed to record is there
    job.refresh_from_db()
    assert job.status == ImportJob.Status.FAILED
    assert Registration.objects.count() == 0
    assert job.processed_rows > 0
    stage = bulk.stage_name(job.pk)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {stage} WHERE batch_line > %s", [job.resume_line])  # noqa: S608
        assert cursor.fetchone()[0] > 0
        # and a batch staged further on that no run recorded, whose copy of R5 would win the merge if it stayed
        fields = SPECS["registrations"].fields
        copied = ", ".join("'+84900000000'" if name == "msisdn" else name for name in fields)
        cursor.execute(
            f"INSERT INTO {stage} (batch_line, {', '.join(fields)})"  # noqa: S608
            f" SELECT 10000000, {copied} FROM {stage} WHERE external_id = 'R5' AND batch_line <= %s",
            [job.resume_line],
        )
        assert cursor.rowcount == 1
    # when it resumes, with other batches
    monkeypatch.undo()
    monkeypatch.setattr(bulk, "table_rows_estimate", Registration.objects.count)
    job = import_job_claim(job.pk)
    _run(path, workers=3, job=job, batch_size=5)
    # then
    assert _result(job) == single
    assert _stage_tables() == []


def _test_database_url() -> str:
    name = connection.settings_dict["NAME"]
    return urlsplit(os.environ["DATABASE_URL"])._replace(path=f"/{name}").geturl()


def _other_sessions() -> int:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchone()[0]


@POSTGRES
def test_a_killed_parallel_load_resumes_to_the_same_result(points, tmp_path, settings):
    rows = [reg(external_id=f"K{i}", iccid=iccid(1000 + i), msisdn=f"0912{i:06d}") for i in range(3000)]
    rows[10]["msisdn"] = rows[2500]["iccid"] = "1"  # rejects early and late
    rows.append(reg(external_id="K5", iccid=iccid(1005), address="later wins"))
    path = _write(tmp_path, csv_file(REGISTRATION_COLUMNS, rows).getvalue())
    single = _result(_run(path, workers=1, batch_size=20))
    Registration.objects.all().delete()
    settings.MEDIA_ROOT = tmp_path / "var" / "media"  # where the command below keeps its rejects' parts
    env = {**os.environ, "DATABASE_URL": _test_database_url(), "VAR_DIR": str(tmp_path / "var")}
    env["DJANGO_SETTINGS_MODULE"] = "config.settings.test"
    for key in ("SECRET_KEY", "FIELD_ENCRYPTION_KEY", "PII_HMAC_KEY", "AUDIT_HMAC_KEY"):  # not VAR_DIR's own
        env[key] = getattr(settings, key)
    command = [sys.executable, "manage.py", "import_registrations", str(path), "--bulk", "--workers", "3"]
    log = tmp_path / "command.log"
    with log.open("w") as out:
        process = subprocess.Popen([*command, "--batch-size", "20"], cwd=ROOT, env=env, stdout=out, stderr=out)
    # when the command has recorded some batches
    deadline = time.monotonic() + 120
    while not ImportJob.objects.filter(file_name=path.name, processed_rows__gt=0, status="RUNNING").exists():
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, log.read_text()
        time.sleep(0.02)
    job = ImportJob.objects.filter(file_name=path.name).latest("pk")
    with transaction.atomic(), connection.cursor() as cursor:
        bulk.lock_stage(cursor, job.pk, shared=False)  # no worker commits a batch from now on
        # and is killed (its workers are left orphaned, waiting for the lock)
        process.kill()
        process.wait()
        job.refresh_from_db()
        assert 0 < job.processed_rows < len(rows)
    # then the orphaned workers stage nothing more and stop
    deadline = time.monotonic() + 30
    while _other_sessions():
        assert time.monotonic() < deadline, "orphaned workers still connected"
        time.sleep(0.1)
    assert Registration.objects.count() == 0
    # when it is resumed once its lease has run out
    ImportJob.objects.filter(pk=job.pk).update(heartbeat_at=timezone.now() - importers.STALE_AFTER * 2)
    out = io.StringIO()
    call_command("import_registrations", str(path), "--resume", str(job.pk), "--workers", "3", stdout=out)
    # then
    assert f"Resuming import {job.pk} after line {job.resume_line:,}." in out.getvalue()
    assert _result(job) == single


@POSTGRES
def test_a_parallel_run_resumes_a_single_process_bulk_load_and_the_other_way_round(points, tmp_path, monkeypatch):
    path = _write(tmp_path, _varied_file())
    single = _result(_run(path, workers=1))
    Registration.objects.all().delete()
    original = bulk.StageWriter.write
    calls = {"n": 0}

    def write(self, rows, pause):
        calls["n"] += 1
        if calls["n"] == 2:
            raise RuntimeError("database went away")
        return original(self, rows, pause)

    monkeypatch.setattr(bulk.StageWriter, "write", write)
    job = import_job_claim(import_job_create(kind="registrations", actor=None, file_name=path.name).pk)
    with pytest.raises(importers.BatchError):
        _run(path, workers=1, job=job)
    monkeypatch.undo()
    monkeypatch.setattr(bulk, "table_rows_estimate", Registration.objects.count)
    # when a single-process bulk load that failed is resumed with workers
    job = import_job_claim(job.pk)
    _run(path, workers=2, job=job)
    # then
    assert _result(job) == single


def test_discarding_unrecorded_batches_keeps_those_the_job_counts(points):
    job = import_job_create(kind="registrations", actor=None, file_name="r.csv")
    bulk.StageWriter(SPECS["registrations"], job.pk).ensure_table()
    stage = bulk.stage_name(job.pk)
    with connection.cursor() as cursor:
        for line in (2, 6, 10, 14):
            cursor.execute(f"INSERT INTO {stage} (batch_line, external_id) VALUES (%s, %s)", [line, f"R{line}"])  # noqa: S608
    job.resume_line = 9
    assert bulk.discard_unrecorded(job) == 2
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT batch_line FROM {stage} ORDER BY 1")  # noqa: S608
        assert [line for (line,) in cursor.fetchall()] == [2, 6]
        cursor.execute(f"DROP TABLE {stage}")
    assert bulk.discard_unrecorded(job) == 0  # no staging table: nothing to do


# --- a worker's side ---


@POSTGRES
@pytest.mark.django_db
def test_a_worker_stages_its_batch_and_an_orphaned_one_stages_nothing(tmp_path, settings):
    PointFactory(code="P1", province_code="079")
    PointFactory(code="P2", province_code="001")
    path = _write(tmp_path, _varied_file())
    spec = SPECS["registrations"]
    job = import_job_create(kind="registrations", actor=None, file_name=path.name)
    bulk.StageWriter(spec, job.pk).ensure_table()
    stage = bulk.stage_name(job.pk)
    with path.open("rb") as fh:
        second = list(batch_bounds(CsvStream(fh, spec.columns), 4))[1]
    task = (1, second.start_offset, second.start_line, second.end_offset, second.end_line, second.read)

    class Orphaned(Exception):
        pass

    def stager(parent: int) -> parallel.Stager:
        config = {"kind": "registrations", "columns": spec.columns, "actor": None, "job": job.pk, "path": str(path)}
        config.update(points=usable_points(None), batch_size=4, parent=parent)
        return parallel.Stager(config, orphaned=Orphaned)

    # when a worker whose parent is gone takes a batch
    with pytest.raises(Orphaned):
        stager(parent=-1).stage(task)
    # then nothing is staged
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {stage}")  # noqa: S608
        assert cursor.fetchone()[0] == 0
    # when its parent lives
    staged = stager(parent=os.getppid()).stage(task)
    # then the batch's rows are staged with its first line, and what the job records comes back
    assert (staged["first_line"], staged["rows"], staged["collapsed"]) == (second.start_line + 1, 2, 1)
    assert [line for line, _reason, _values in staged["rejects"]] == [9]
    assert [line for line, _text in staged["warnings"]] == [7]
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT batch_line, external_id FROM {stage} ORDER BY 2")  # noqa: S608
        assert cursor.fetchall() == [(6, "R4"), (6, "R5")]
        cursor.execute(f"DROP TABLE {stage}")


# --- the parent's side ---


class _Process:
    name, exitcode = "worker", None


def _bounds(n: int) -> list:
    return [parallel.Bounds(10 * i, 10 * i, 10 * (i + 1), 10 * (i + 1), 10) for i in range(n)]


def _staged(first_line: int) -> dict:
    return {
        "first_line": first_line,
        "rows": 9,
        "collapsed": 1,
        "rejects": [],
        "warnings": [],
        "pid": 1,
        "peak_mb": 1.0,
        "cpu": 0.1,
    }


def _append_to(recorded: list):
    return lambda batch: recorded.append(batch.first_line)


def test_batches_are_recorded_in_file_order_whatever_order_the_workers_finish_in():
    tasks, results = queue.Queue(), queue.Queue()
    for index in (2, 0, 3, 1):
        results.put(("ok", index, _staged(10 * index + 1)))
    recorded = []
    parallel._run([_Process(), _Process()], tasks, results, iter(_bounds(4)), record=_append_to(recorded))
    assert recorded == [1, 11, 21, 31]
    sent = []
    while not tasks.empty():
        sent.append(tasks.get()[0])
    assert sent == [0, 1, 2, 3]


def test_a_worker_error_fails_its_batch_once_the_batches_before_it_are_recorded():
    tasks, results = queue.Queue(), queue.Queue()
    results.put(("error", 1, "disk full"))
    results.put(("ok", 0, _staged(1)))
    recorded = []
    with pytest.raises(parallel.WorkerFailed, match="disk full") as failure:
        parallel._run([_Process()], tasks, results, iter(_bounds(6)), record=_append_to(recorded))
    assert recorded == [1]
    assert (failure.value.first_line, failure.value.last_line) == (11, 20)
    assert tasks.qsize() == 2  # in flight: two a worker, no more sent after the error


def test_a_worker_that_dies_fails_the_run_instead_of_waiting_for_ever(monkeypatch):
    monkeypatch.setattr(parallel.stage_worker, "POLL_SECONDS", 0.01)
    dead = _Process()
    dead.exitcode = -9
    with pytest.raises(RuntimeError, match=r"stopped \(exit code -9\)"):
        parallel._run([dead], queue.Queue(), queue.Queue(), iter(_bounds(1)), record=_append_to([]))


# --- the command ---


@POSTGRES
def test_the_command_stages_with_workers_in_bulk_mode(points, tmp_path):
    path = _write(tmp_path, _varied_file())
    out = io.StringIO()
    call_command("import_registrations", str(path), "--bulk", "--workers", "2", "--batch-size", "5", stdout=out)
    text = out.getvalue()
    assert "Bulk mode: staged by 2 workers" in text
    job = ImportJob.objects.get()
    assert f"registrations: {job.created} created" in text
    assert job.status == ImportJob.Status.DONE
    assert (tmp_path / "registrations.csv.rejects.csv").exists()


@pytest.mark.django_db
@pytest.mark.parametrize("flags", [["--no-bulk"], []], ids=["--no-bulk", "a small file: normal mode"])
def test_the_command_refuses_workers_outside_bulk_mode(tmp_path, flags):
    path = _write(tmp_path, csv_file(REGISTRATION_COLUMNS, [reg()]).getvalue())
    with pytest.raises(CommandError, match="--workers 2 runs only in bulk mode.*Nothing was imported"):
        call_command("import_registrations", str(path), "--workers", "2", *flags, stdout=io.StringIO())
    assert not ImportJob.objects.exists()
    with pytest.raises(CommandError, match="--workers must be at least 1"):
        call_command("import_registrations", str(path), "--workers", "0", stdout=io.StringIO())


@pytest.mark.django_db
def test_the_command_refuses_workers_to_resume_a_load_that_is_not_in_bulk_mode(tmp_path):
    path = _write(tmp_path, csv_file(REGISTRATION_COLUMNS, [reg()]).getvalue())
    job = import_job_create(kind="registrations", actor=None, file_name=path.name)
    ImportJob.objects.filter(pk=job.pk).update(status=ImportJob.Status.FAILED, processed_rows=1, resume_line=2)
    with pytest.raises(CommandError, match="runs only in bulk mode"):
        call_command("import_registrations", str(path), "--resume", str(job.pk), "--workers", "3", stdout=io.StringIO())
