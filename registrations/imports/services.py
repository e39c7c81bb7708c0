"""Bulk import of registrations.csv and activations.csv (DESIGN section 4), for files of millions of rows.

How a file goes in
------------------
The file is read as a stream and handled in batches (`DEFAULT_BATCH_SIZE` rows). Each batch is parsed
and checked in Python, then written in **one transaction of its own** together with the job's
progress (counts, and the byte offset and line reached). So a run that fails or is killed midway
leaves whole batches only, and `import_job_run` on the same job carries on after the last committed
batch; running a whole file again is harmless too, because every write is an upsert that changes only
what differs. Memory stays flat whatever the size: one or two batches are held at a time, and the
rejected rows of each batch go to a part file in storage (assembled into the job's rejects file at the
end) instead of accumulating.

- PostgreSQL: binary `COPY` into a temporary staging table, then one
  `INSERT ... SELECT ... ON CONFLICT DO UPDATE ... WHERE <differs>` per batch, counting created and
  updated rows with `RETURNING (xmax = 0)`. Parsing of the next batch runs in a second thread while
  the database writes the current one (the database calls release the GIL).
- SQLite (development): `bulk_create(update_conflicts=True)` of the rows that are new or differ.

Upsert keys: registrations by `external_id`, activations by `iccid`. A registration is rewritten only
when its `row_fingerprint` (keyed hash of the values as stored, in plaintext) differs: the encrypted
columns cannot be compared because each encryption uses a fresh nonce. An activation is rewritten only
when the row's `activated_at` is strictly earlier than the stored one (the MSISDN goes with the
earliest), so the file order does not matter and a re-import changes nothing.

A key repeated within a file: for registrations the later row wins (a warning names both lines), for
activations the earliest `activated_at` wins. Repeats within one batch are collapsed before writing;
a repeat across batches writes the row twice, so re-importing such a file touches that row again
(ending in the same state).

What is rejected
----------------
DESIGN section 4 rejects a row "only when it cannot be stored meaningfully" and lists the cases; those
are the reasons here (missing key, unknown point code, POINT without a point code, blank or
unparseable `registered_at` / `activated_at`, any unparseable date, unknown channel or status, an
MSISDN that is not a Vietnamese mobile number, an ICCID failing its Luhn check). A few values are not
named in that list but fall under its principle, and are rejected with their own reason:

- an unknown `population_check` (blank is `NOT_CHECKED`): it is a status of the subscriber's
  identity check, and the rules read it (`POPULATION_MISMATCH` fires on `MISMATCH`,
  `UNVERIFIED_IDENTITY` on `PENDING`/`NOT_CHECKED`). Storing `NOT_CHECKED` for, say, `MISMATCHED`
  would turn a critical finding into a milder one; storing the value as given would put a value
  outside the field's choices that no rule judges. Neither is "stored meaningfully", so the row is
  rejected and the source system can correct it;
- a `has_*` flag that is not `0`, `1` or blank: `yes` or `2` cannot become a boolean without guessing,
  and a wrong guess either fabricates or hides `MISSING_PHOTOS`;
- a blank `channel` (no value to store; the same as an unknown one) and a blank MSISDN or ICCID;
- a value longer than its column (a 3-letter nationality, `gender` `Nam`), a NUL character, text that
  is not UTF-8, or a row with too few columns: the database cannot hold them as given.

Rows that break a compliance rule (no name, a bad ID number, an unknown `id_doc_type`, no photos, an
underage subscriber) are stored: they are evidence, and the rules flag them. An `APP` row's point code
is ignored (point and agent stay empty). A POINT row's agent is its point's agent. A user limited to
some provinces imports only at points of those provinces (another point is an unknown code to them,
as it would be a 404 on a page) and cannot overwrite a registration stored at a point outside them.
"""

import csv
import dataclasses
import io
import logging
from collections.abc import Callable
from contextlib import nullcontext
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from core.audit import audit_record
from core.imports import CsvStream, ImportFileError, count_data_lines
from core.models import ImportJob
from core.runs import QueueUnavailable, RunKind, queue_unavailable_message, send_task
from core.scoping import province_scope

from . import bulk as bulk_import
from . import parallel
from .batches import SPECS, Batch, Prefetch, Spec, parse_batches, scope_rejects
from .rejects import assemble_rejects, drop_parts_from, rejects_rows, save_part
from .rows import CANCELLED_AT_COLUMN, KINDS, REGISTRATIONS
from .writers import writer_for

logger = logging.getLogger(__name__)


# 10,000 rows: a few MB per batch in memory, ~0.1 s of database work per batch on PostgreSQL, and
# progress that moves every fraction of a second.
DEFAULT_BATCH_SIZE = 10_000
# SQLite has one writer at a time and a batch holds the write lock from its first statement to its
# commit, 0.7-2.5 ms a row there (measured): 2,000 rows keep the web server's own writes (a sign-in) from
# waiting more than a few seconds behind an import that a worker runs, and move the progress bar as often.
SQLITE_BATCH_SIZE = 2_000
# One run per job (core.runs): a RUNNING job without a heartbeat for the lease (a minute; a thread of the
# run renews it while a batch is written) was abandoned (worker killed): its page says so and offers to
# resume, and a resumed run takes it over. Imports of different jobs run side by side: no lock for the kind.
IMPORT_JOBS = RunKind(model=ImportJob)
STALE_AFTER = IMPORT_JOBS.stale_after
MAX_WARNINGS = 500


# --- jobs ---------------------------------------------------------------------------------------


def import_job_create(*, kind: str, actor, file_name: str, upload=None, total_rows: int = 0) -> ImportJob:
    """A PENDING job; `upload` (a django File) is stored under imports/ for a worker to read."""
    if kind not in KINDS:
        raise ValueError(f"Unknown import kind {kind!r}.")
    job = ImportJob(kind=kind, file_name=file_name[:255], created_by=actor, total_rows=total_rows)
    if upload is not None:
        job.source_file.save(f"{kind}-{timezone.now():%Y%m%d-%H%M%S}.csv", upload, save=False)
    job.save()
    return job


def check_header(binary, kind: str) -> None:
    """Raise ImportFileError when the file cannot be imported as `kind` at all (empty, missing columns)."""
    try:
        CsvStream(binary, SPECS[kind].columns)
    finally:
        binary.seek(0)


def import_job_submit(*, kind: str, actor, upload, file_name: str = "") -> ImportJob:
    """Store an uploaded file as a PENDING job and queue its import once the job is committed.

    With the broker down the job is kept, marked FAILED with a message that says so (never a hang or a
    server error: core.runs.send_task answers within about two seconds), and its page offers to resume it.
    """
    with transaction.atomic():
        job = import_job_create(kind=kind, actor=actor, file_name=file_name or upload.name, upload=upload)
        transaction.on_commit(lambda: _queue_or_fail(job))
    return job


IMPORT_TASK = "registrations.run_import_task"  # by name: the task module imports this one


def _queue_or_fail(job: ImportJob) -> None:
    try:
        send_task(IMPORT_TASK, args=(job.pk,))
    except QueueUnavailable:
        message = queue_unavailable_message() + " " + _("The file is kept: resume the import from its page.")
        job.status, job.error, job.finished_at = ImportJob.Status.FAILED, message, timezone.now()
        ImportJob.objects.filter(pk=job.pk, status=ImportJob.Status.PENDING).update(
            status=job.status, error=message, finished_at=job.finished_at
        )


def queue_failed(job: ImportJob) -> bool:
    """The job's file was stored but the queue could not take it (the broker was down)."""
    return job.status == ImportJob.Status.FAILED and job.error.startswith(queue_unavailable_message())


def is_abandoned(job: ImportJob) -> bool:
    """RUNNING without a sign of life for STALE_AFTER: its worker died (a killed process marks nothing)."""
    return IMPORT_JOBS.is_stale(job)


def can_resume(job: ImportJob) -> bool:
    """A failed or abandoned job of an uploaded file (a command's job is resumed with its command)."""
    return bool(job.source_file) and (job.status == ImportJob.Status.FAILED or is_abandoned(job))


def import_job_resume_later(*, job: ImportJob) -> bool:
    """Queue a failed or abandoned upload to carry on after its last committed batch; False if it cannot.

    Raises core.runs.QueueUnavailable when the broker is down (nothing changed: it can be tried again)."""
    if not can_resume(job):
        return False
    transaction.on_commit(lambda: send_task(IMPORT_TASK, args=(job.pk,)))
    return True


def waiting_jobs(*, waiting_since) -> list:
    """The queue sweep's source (core.runs.requeue_waiting): uploads still waiting for a worker since before
    `waiting_since`, each with how to send its task again (to be taken only if it is still waiting)."""
    jobs = ImportJob.objects.filter(
        kind__in=KINDS, status=ImportJob.Status.PENDING, created_at__lt=waiting_since
    ).exclude(source_file="")
    return [
        (pk, lambda pk=pk: send_task(IMPORT_TASK, args=(pk,), kwargs={"pending_only": True}))
        for pk in jobs.order_by("id").values_list("pk", flat=True)
    ]


def import_job_claim(job_id: int, *, pending_only: bool = False) -> ImportJob | None:
    """Mark a job RUNNING for this process; None when it is done or another live run has it.

    A PENDING job starts; a FAILED one resumes (unless `pending_only`: a message sent again by the queue
    sweep, which must not re-run a job that failed meanwhile); a RUNNING one is taken over only when its
    heartbeat is older than STALE_AFTER (its worker died): so a task delivered twice runs once at a time.
    """
    statuses = [ImportJob.Status.PENDING] if pending_only else [ImportJob.Status.PENDING, ImportJob.Status.FAILED]
    claimed = IMPORT_JOBS.take(
        job_id,
        from_statuses=statuses,
        queryset=ImportJob.objects.filter(kind__in=KINDS),
        error="",
        finished_at=None,
    )
    return ImportJob.objects.get(pk=job_id) if claimed else None


def import_job_run(
    *,
    job: ImportJob,
    binary=None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[ImportJob], None] | None = None,
    number_records: bool = False,
    bulk: bool | None = None,
    workers: int = 1,
) -> ImportJob:
    """Import the job's file (or `binary`, a seekable binary file) from where the job stopped.

    `bulk` (registrations on PostgreSQL): True loads in bulk mode (imports.bulk: staged, then merged in one
    transaction with the secondary indexes rebuilt), False never, None when the file is large next to the
    table. A job resumes in the mode it started in.
    `workers` > 1: a bulk mode run stages with that many processes (imports.parallel), when `binary` is a file
    on disk (the workers open it); any other run goes on in this process, with a warning in the log.
    The caller has claimed the job (it is RUNNING). Returns the job DONE, or raises after marking it
    FAILED with the error; the batches committed before the failure stay, and a later call resumes.
    `progress` is called after each committed batch. ImportFileError: the file as a whole cannot be
    read (no header, missing columns), nothing was imported.
    """
    spec = SPECS[job.kind]
    opened = binary is None
    if opened:
        binary = job.source_file.open("rb")
    try:
        _start(job, binary)
        spec = with_optional_columns(spec, binary)
        stream = CsvStream(
            binary, spec.columns, offset=job.resume_offset, line=job.resume_line, number_records=number_records
        )
        drop_parts_from(job, job.resume_line)
        path = parallel.file_path(binary) if workers > 1 and not number_records else None
        with IMPORT_JOBS.keep_alive(job.pk):
            _run_batches(job, spec, stream, batch_size, progress, bulk, workers=workers, path=path)
        _finish(job, spec)
    except BaseException as exc:
        _fail(job, exc)
        raise
    finally:
        if opened:
            binary.close()
    return job


def with_optional_columns(spec: Spec, binary) -> Spec:
    """registrations.csv may carry the optional `cancelled_at` column (an extra column, DESIGN section 4):
    the spec then reads it too. The header is peeked at and the file put back where it was."""
    if spec.kind != REGISTRATIONS:
        return spec
    position = binary.tell()
    binary.seek(0)
    try:
        first = binary.readline().decode("utf-8-sig", errors="replace")
    finally:
        binary.seek(position)
    header = [name.strip() for row in csv.reader([first]) for name in row]
    if CANCELLED_AT_COLUMN not in header:
        return spec
    return dataclasses.replace(spec, columns=[*spec.columns, CANCELLED_AT_COLUMN])


def _start(job: ImportJob, binary) -> None:
    if not job.total_rows:
        job.total_rows = count_data_lines(binary)
    job.status, job.started_at, job.error = ImportJob.Status.RUNNING, timezone.now(), ""
    job.finished_at, job.rows_at_start = None, job.processed_rows
    IMPORT_JOBS.heartbeat(job, fields=["status", "started_at", "error", "finished_at", "total_rows", "rows_at_start"])


def _run_batches(
    job: ImportJob, spec: Spec, stream: CsvStream, batch_size: int, progress, bulk=None, *, workers=1, path=None
) -> None:
    if connection.vendor == "sqlite":
        batch_size = min(batch_size, SQLITE_BATCH_SIZE)
    actor = job.created_by
    # a user limited to some provinces: each batch is checked against them (batches.scope_rejects)
    limited = actor is not None and province_scope(actor) is not None
    staging = bulk_import.wants_bulk(spec=spec, job=job, bulk=bulk)
    if staging:
        bulk_import.discard_unrecorded(job)  # a parallel run's batches staged but not recorded (none otherwise)
    if workers > 1:
        if staging and path is not None:
            _stage_in_parallel(job, spec, stream, batch_size, progress, workers=workers, path=path, limited=limited)
            return
        logger.warning("Import job %s: --workers %d ignored: not a bulk mode load of a file on disk.", job.pk, workers)
    writer = bulk_import.StageWriter(spec, job.pk) if staging else writer_for(spec, job.pk)
    parse = spec.parser(actor)

    def batches(gate=None):
        return parse_batches(stream, parse, spec, batch_size, keep_lines=limited, gate=gate)

    # The thread pays off where the database works in another process; SQLite works in this one.
    prefetch = Prefetch(batches) if connection.vendor == "postgresql" else None
    pause = prefetch.paused if prefetch is not None else nullcontext
    try:
        for batch in prefetch or batches():
            if staging:
                writer.batch_line = batch.first_line
            _write_batch(job, spec, writer, batch, actor, limited, pause)
            if progress is not None:
                progress(job)
    finally:
        if prefetch is not None:
            prefetch.close()
    if staging:
        _merge_staged(job, spec)


def _stage_in_parallel(
    job: ImportJob, spec: Spec, stream: CsvStream, batch_size: int, progress, *, workers: int, path: str, limited: bool
) -> None:
    """Bulk mode with `workers` staging processes (imports.parallel), then the same merge."""
    actor = job.created_by
    try:
        # the workers applied the province scope: each staged batch is recorded as _write_batch records a batch
        job.staging_report = parallel.stage(
            job,
            spec,
            stream,
            path=path,
            batch_size=batch_size,
            workers=workers,
            actor=actor,
            limited=limited,
            record=lambda batch: _write_batch(job, spec, parallel.RECORDED, batch, actor, False),
            progress=progress,
        )
    except parallel.WorkerFailed as exc:
        raise BatchError(
            _("Lines %(first)d-%(last)d: %(error)s") % {"first": exc.first_line, "last": exc.last_line, "error": exc}
        ) from exc
    _merge_staged(job, spec)


def _merge_staged(job: ImportJob, spec: Spec) -> None:
    """Bulk mode's last step (imports.bulk.merge): the staged rows into the table, the job's counts with them."""

    def values_after(created: int, updated: int) -> dict:
        values = {"created": job.created + created, "updated": job.updated + updated}
        values["unchanged"] = job.unchanged - created - updated  # the staged rows were counted as unchanged
        return IMPORT_JOBS.heartbeat(job, values=values)

    values = bulk_import.merge(job, spec, now=timezone.now(), values_after=values_after)
    for name, value in values.items():
        setattr(job, name, value)
    bulk_import.analyse()


def _write_batch(job: ImportJob, spec: Spec, writer, batch: Batch, actor, limited: bool, pause=nullcontext) -> None:
    try:
        with transaction.atomic():
            if limited:
                scope_rejects(batch, actor, spec.kind)
            created, updated = writer.write(batch.rows.values(), pause) if batch.rows else (0, 0)
            if batch.rejects:
                save_part(job, batch)
            warnings = list(job.warnings or [])
            room = MAX_WARNINGS - len(warnings)
            if room > 0:
                warnings.extend([line, text] for line, text in batch.warnings[:room])
            values = {
                "created": job.created + created,
                "updated": job.updated + updated,
                "unchanged": job.unchanged + len(batch.rows) - created - updated + batch.collapsed,
                "rejected": job.rejected + len(batch.rejects),
                "processed_rows": job.processed_rows + batch.read,
                "resume_offset": batch.end_offset,
                "resume_line": batch.end_line,
                "warnings": warnings,
            }
            values["total_rows"] = max(job.total_rows, values["processed_rows"])
            values = IMPORT_JOBS.heartbeat(job, values=values)
    except Exception as exc:
        raise BatchError(
            _("Lines %(first)d-%(last)d: %(error)s") % {"first": batch.first_line, "last": batch.end_line, "error": exc}
        ) from exc
    # Only once committed: the in-memory job must not count a batch that rolled back.
    for name, value in values.items():
        setattr(job, name, value)


class BatchError(RuntimeError):
    """A batch could not be written; the batches before it are committed and the job can resume."""


def _finish(job: ImportJob, spec: Spec) -> None:
    assemble_rejects(job, spec.columns)
    job.status, job.finished_at, job.heartbeat_at = ImportJob.Status.DONE, timezone.now(), None
    job.total_rows = job.processed_rows
    job.save(update_fields=["status", "finished_at", "heartbeat_at", "total_rows", "rejects_file"])
    audit_record(
        action=f"{spec.kind}.import",
        actor=job.created_by,
        obj=job,
        object_repr=job.file_name[:200],
        fields={
            "created": job.created,
            "updated": job.updated,
            "unchanged": job.unchanged,
            "rejected": job.rejected,
            "rows": job.processed_rows,
        },
    )


def _fail(job: ImportJob, exc: BaseException) -> None:
    if isinstance(exc, ImportFileError | BatchError):
        message = str(exc)
    elif isinstance(exc, KeyboardInterrupt):
        message = _("Interrupted.")
    else:
        message = f"{type(exc).__name__}: {exc}"
        logger.exception("Import job %s failed", job.pk)
    job.status, job.error, job.finished_at, job.heartbeat_at = ImportJob.Status.FAILED, message, timezone.now(), None
    try:
        ImportJob.objects.filter(pk=job.pk).update(
            status=job.status, error=message, finished_at=job.finished_at, heartbeat_at=None
        )
    except Exception:  # the database itself may be what failed; the heartbeat then goes stale
        logger.exception("Could not mark import job %s as failed", job.pk)


# --- convenience for code and tests that have a file in hand ------------------------------------


def import_file(binary, *, kind: str, actor=None, file_name: str = "", batch_size: int = DEFAULT_BATCH_SIZE, bulk=None):
    """Create a job for an open binary file and run it in this process; the finished job."""
    job = import_job_create(kind=kind, actor=actor, file_name=file_name or f"{kind}.csv")
    job.status = ImportJob.Status.RUNNING
    return import_job_run(job=job, binary=binary, batch_size=batch_size, bulk=bulk)


@dataclass
class RowsResult:
    job: ImportJob
    rejects: list[dict]  # {"line": position in the rows sent (from 1), "reason", "key"}
    failed: bool  # a batch could not be written: the job is FAILED, its committed batches stay


def import_rows_now(*, kind: str, rows: list[dict], actor) -> RowsResult:
    """Import rows sent as JSON (the ingest API) in this process, as a job of their own: the rows become a
    CSV of the kind's columns, so they are parsed, checked and written exactly as a file would be."""
    spec = SPECS[kind]
    upload = ContentFile(_rows_csv(spec.columns, rows), name=f"{kind}.json.csv")
    job = import_job_create(kind=kind, actor=actor, file_name=f"{kind} (API, {len(rows)} rows)", upload=upload)
    job = import_job_claim(job.pk)
    failed = False
    try:
        import_job_run(job=job, number_records=True)
    except BatchError:
        # Sending the same rows again is safe: unchanged rows are left alone.
        failed = True
    rejected = [{"line": int(r["line"]), "reason": r["reason"], "key": r[spec.key]} for r in rejects_rows(job)]
    return RowsResult(job=job, rejects=rejected, failed=failed)


def _rows_csv(columns: list[str], rows: list[dict]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(column)) for column in columns])
    return buffer.getvalue().encode("utf-8")


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    return str(value)


def elapsed_text(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds % 3600 // 60:02d}:{seconds % 60:02d}"
