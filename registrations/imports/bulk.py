"""Bulk mode of the registrations import (issue 15): a first load of millions of rows, the way pg_restore
does it: the rows go in without the secondary indexes, and the indexes are built once at the end.

How a bulk import runs
----------------------
1. **Staging.** Each parsed batch is binary-COPYed into a plain table of the job's own,
   `registrations_bulk_<job id>` (no index, no constraint), in one transaction with the job's progress,
   exactly as a normal batch commits (services._write_batch). Nothing of it is visible in the
   registrations table. A run killed here resumes after its last staged batch (`--resume`, the job page).
   The table is a logged one on purpose: an UNLOGGED table is emptied by crash recovery while the job's
   committed offset would still say its rows were staged. It is a plain table, not a temporary one, so
   that a resumed run (another connection, another process) finds it.
2. **Merge**, in ONE transaction: when the load writes at least as many rows as the table holds
   (`drop_indexes`), the secondary indexes and the foreign keys to points and agents are dropped; the
   staged rows (a key repeated across batches: the later row wins, as within a batch) are upserted by
   external_id with the very statement of a normal batch (writers.PostgresWriter.upsert_from), the
   foreign keys are added back (validated by one join instead of a lookup per row) and the indexes built
   again from their own definitions, the staging table is dropped and the job's counts written. A failure
   anywhere in it rolls all of it back: the table, its indexes, its constraints and the staging table are
   as before, and a re-run (`--resume JOB`) merges again.
   So nothing is ever half-visible.

Why drop the indexes inside the merge's transaction rather than swap in a new table or attach a partition:
other tables hold foreign keys to registrations (flags, inspections' evidence...), the table is not
partitioned, and a swap would have to copy the rows already stored. The price: DROP INDEX takes an ACCESS
EXCLUSIVE lock, so pages that read registrations wait for the merge to commit (the insert and the index
builds, server-side: tens of seconds for a million rows), and edits of points and agents wait on the
foreign keys' (SHARE ROW EXCLUSIVE). The Python work of staging, the long part, takes
no lock on the table. When the indexes are kept (a load small next to the table) the merge takes only the
row locks of a normal upsert.

Counts: created and updated come from the merge; a key repeated across batches counts once (then
`unchanged`), as a repeat within one batch does in a normal import. During staging the job counts the
staged rows as unchanged; the merge moves the created and updated out of them.
"""

from django.db import connection, transaction

from .batches import Spec
from .rows import REGISTRATIONS
from .writers import _PG_TYPES, PostgresWriter

# A file of at least this many rows, and at least as many as the table holds, is loaded in bulk unless told
# otherwise: building the indexes once over table + file costs less than maintaining them row by row.
BULK_MIN_ROWS = 100_000
TABLE = "registrations_registration"


def stage_name(job_id: int) -> str:
    return f"registrations_bulk_{int(job_id)}"


def stage_exists(job_id: int) -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [stage_name(job_id)])
        return cursor.fetchone()[0]


def table_rows_estimate() -> int:
    """The planner's row count of the registrations table (no scan); a count when it was never analysed."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass", [TABLE])
        estimate = cursor.fetchone()[0]
        if estimate < 0:
            cursor.execute(f"SELECT count(*) FROM {TABLE}")  # noqa: S608
            estimate = cursor.fetchone()[0]
    return estimate


def wants_bulk(*, spec: Spec, job, bulk: bool | None) -> bool:
    """Bulk mode for this run? `bulk`: True forces it, False forbids it, None chooses (see BULK_MIN_ROWS).

    A job keeps the mode it started in: one with a staging table resumes in bulk, one that committed
    normal batches carries on normally."""
    if connection.vendor != "postgresql" or spec.kind != REGISTRATIONS:
        return False
    if job.pk is not None and stage_exists(job.pk):
        return True
    if job.processed_rows or bulk is False:
        return False
    if bulk:
        return True
    return job.total_rows >= BULK_MIN_ROWS and job.total_rows >= table_rows_estimate()


def lock_stage(cursor, job_id: int, *, shared: bool) -> None:
    """The job's staging lock, to the end of the transaction: each batch a worker stages holds it shared
    (imports.parallel), `discard_unrecorded` exclusively, so it waits for any staging still committing."""
    function = "pg_advisory_xact_lock_shared" if shared else "pg_advisory_xact_lock"
    cursor.execute(f"SELECT {function}(hashtextextended(%s, 0))", [stage_name(job_id)])


def discard_unrecorded(job) -> int:
    """Delete the staged rows of batches the job's progress does not count (their first line after the job's
    `resume_line`); the count. A single-process run stages a batch in the transaction that records it, so it
    leaves none; parallel workers (imports.parallel) commit their batches before the job records them in
    order, so a run killed meanwhile may leave some, which its resumed run stages again (perhaps cut into
    other batches: left there, a stale copy of a repeated key could win the merge)."""
    if not stage_exists(job.pk):
        return 0
    with transaction.atomic(), connection.cursor() as cursor:
        lock_stage(cursor, job.pk, shared=False)
        cursor.execute(f"DELETE FROM {stage_name(job.pk)} WHERE batch_line > %s", [job.resume_line])  # noqa: S608
        return cursor.rowcount


class StageWriter:
    """A batch writer (as writers.PostgresWriter) that only COPYs the parsed rows into the job's staging
    table, each with its batch's first line (so the later of two repeats wins at the merge)."""

    def __init__(self, spec: Spec, job_id: int):
        self.spec = spec
        self.stage = stage_name(job_id)
        columns = ", ".join(f"{name} {_PG_TYPES.get(name, 'text')}" for name in spec.fields)
        self.create = f"CREATE TABLE IF NOT EXISTS {self.stage} (batch_line int8, {columns})"
        self.copy = f"COPY {self.stage} (batch_line, {', '.join(spec.fields)}) FROM STDIN (FORMAT BINARY)"
        self.types = ["int8", *(_PG_TYPES.get(name, "text") for name in spec.fields)]
        self.batch_line = 0

    def ensure_table(self) -> None:
        """Create the staging table at once, outside any batch (imports.parallel: workers COPY into it side by
        side, and CREATE TABLE IF NOT EXISTS run at the same moment in two sessions can fail in one)."""
        with connection.cursor() as cursor:
            cursor.execute(self.create)

    def write(self, rows, pause) -> tuple[int, int]:
        raw = connection.connection
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit TO OFF")  # as PostgresWriter: a resume redoes a lost batch
            cursor.execute(self.create)
        line = self.batch_line
        with pause(), raw.cursor() as cursor, cursor.copy(self.copy) as copy:
            copy.set_types(self.types)
            write_row = copy.write_row
            for row in rows:
                write_row((line, *row))
        return 0, 0


def secondary_indexes() -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the table's indexes that back no constraint (pk and external_id stay:
    the upsert needs the unique one)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.tablename = %s AND i.schemaname = current_schema()
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            ORDER BY i.indexname
            """,
            [TABLE],
        )
        return list(cursor.fetchall())


def foreign_keys() -> list[tuple[str, str]]:
    """(name, definition) of the table's foreign keys (to points and agents): checked row by row when rows go in
    (a lookup each a row), at once by one join when the constraint is added back. The import job column has
    no constraint (models.Registration.import_job); were one added, it is left alone here: dropping it would
    lock the jobs table, and with it the heartbeat of every running import."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
            WHERE conrelid = %s::regclass AND contype = 'f' AND confrelid <> 'core_importjob'::regclass
            ORDER BY conname
            """,
            [TABLE],
        )
        return list(cursor.fetchall())


def rows_to_write(stage: str) -> int:
    """How many staged keys the merge will insert or rewrite (new, or stored with another fingerprint): one
    hash anti-join on the unique index, a few seconds a million rows."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT count(DISTINCT s.external_id) FROM {stage} s"  # noqa: S608
            f" LEFT JOIN {TABLE} t ON t.external_id = s.external_id"
            " WHERE t.row_fingerprint IS DISTINCT FROM s.row_fingerprint"
        )
        return cursor.fetchone()[0]


def drop_indexes(stage: str) -> bool:
    """Drop and rebuild the secondary indexes for this merge? When the rows it writes are at least as many as
    the table holds: building each index once over the whole table then costs less than maintaining it row
    by row (a re-import of an unchanged file writes nothing and keeps them)."""
    held = table_rows_estimate()
    if held == 0:  # a first load: no need to count
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {stage})")  # noqa: S608
            return cursor.fetchone()[0]
    to_write = rows_to_write(stage)
    return to_write > 0 and to_write >= held


def merge(job, spec: Spec, *, now, values_after) -> dict:
    """Move the job's staged rows into the registrations table in one transaction (see the module docstring).

    `values_after(created, updated)`: the job's columns to write with the merge (its heartbeat). Returns
    what was written."""
    stage = stage_name(job.pk)
    writer = PostgresWriter(spec, job.pk)
    fields = ", ".join(spec.fields)
    latest = (
        f"(SELECT DISTINCT ON ({spec.key}) {fields} FROM {stage}"  # noqa: S608
        f" ORDER BY {spec.key}, batch_line DESC) AS latest"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        bulk = drop_indexes(stage)
        indexes, constraints = (secondary_indexes(), foreign_keys()) if bulk else ([], [])
        if bulk:
            run_pending_checks(cursor)  # none after committed batches; in a caller's transaction, maybe
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        for name, _definition in constraints:
            cursor.execute(f'ALTER TABLE {TABLE} DROP CONSTRAINT "{name}"')
        cursor.execute(writer.upsert_from(latest), [job.pk, now, now, now])
        created, updated = cursor.fetchone()
        cursor.execute(writer.first_cancelled_from(stage))
        if bulk:
            run_pending_checks(cursor)  # any deferred foreign key check of the upsert (none after the drops)
        for name, definition in constraints:
            cursor.execute(f'ALTER TABLE {TABLE} ADD CONSTRAINT "{name}" {definition}')
        build_indexes(cursor, [definition for _name, definition in indexes])
        cursor.execute(f"DROP TABLE {stage}")
        written = values_after(created, updated)
    return written


def run_pending_checks(cursor) -> None:
    """Run the foreign key checks deferred to the commit now: PostgreSQL alters no table and builds no index
    while some are pending. Later statements defer theirs again."""
    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    cursor.execute("SET CONSTRAINTS ALL DEFERRED")


def build_indexes(cursor, definitions: list[str]) -> None:
    if not definitions:
        return
    cursor.execute("SET LOCAL maintenance_work_mem TO '256MB'")
    for definition in definitions:
        cursor.execute(definition)


def analyse() -> None:
    """Fresh planner statistics after a load that may have multiplied the table (outside the merge)."""
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TABLE}")
