"""Writing one parsed batch: binary COPY into a staging table and one upsert on PostgreSQL, bulk upserts
on SQLite. Each writer returns (created, updated)."""

from contextlib import nullcontext

from django.db import connection
from django.utils import timezone

from .batches import Spec
from .rows import REGISTRATIONS

_PG_TYPES = {
    "point_id": "int8",
    "agent_id": "int8",
    "date_of_birth": "date",
    "id_issue_date": "date",
    "registered_at": "timestamptz",
    "activated_at": "timestamptz",
    "cancelled_at": "timestamptz",
    "has_portrait": "bool",
    "has_id_front": "bool",
    "has_id_back": "bool",
    # 32-byte digests (issue 15), as the parsed rows carry them (bytes, None for none)
    "id_doc_hash": "bytea",
    "portrait_sha256": "bytea",
    "row_fingerprint": "bytea",
}
# An anonymised registration (reports.subjects: erasure, retention) keeps these as they are when a row of it
# is imported again: the subscriber's erased data must not come back; the rest is updated as usual.
PROTECTED_WHEN_ANONYMISED = (
    "subscriber_name",
    "name_key",
    "date_of_birth",
    "gender",
    "id_doc_type",
    "id_doc_number",
    "id_doc_hash",
    "id_number_issue",
    "id_dob_issue",
    "id_issue_date",
    "id_issue_place",
    "address",
)
CANCELLED = "CANCELLED"
CHANGE_SEQUENCE = "registrations_change_seq"  # migration 0013: one sequence for registrations and activations


# --- writing a batch ----------------------------------------------------------------------------


class PostgresWriter:
    """Binary COPY into a temporary staging table, then one upsert statement for the whole batch."""

    def __init__(self, spec: Spec, job_id: int):
        self.spec = spec
        self.job_id = job_id
        table = spec.model._meta.db_table
        self.stage = f"{table}_import_stage"
        self.types = [_PG_TYPES.get(name, "text") for name in spec.fields]
        columns = ", ".join(spec.fields)
        self.create_stage = (
            f"CREATE TEMPORARY TABLE IF NOT EXISTS {self.stage} ("
            + ", ".join(f"{name} {_PG_TYPES.get(name, 'text')}" for name in spec.fields)
            + ")"
        )
        self.copy = f"COPY {self.stage} ({columns}) FROM STDIN (FORMAT BINARY)"
        registrations = spec.kind == REGISTRATIONS
        updates = ", ".join(
            f"{name} = CASE WHEN target.anonymised_at IS NULL THEN EXCLUDED.{name} ELSE target.{name} END"
            if registrations and name in PROTECTED_WHEN_ANONYMISED
            else f"{name} = EXCLUDED.{name}"
            for name in spec.fields
            if name not in (spec.key, "cancelled_at")
        )
        insert_values = columns
        self.first_cancelled = ""
        if registrations:
            differs = "target.row_fingerprint IS DISTINCT FROM EXCLUDED.row_fingerprint"
            # cancelled_at: the file's `cancelled_at` column when given; else the import's time for a row whose
            # status becomes CANCELLED, and registered_at (the earliest it can have been) for a row first
            # stored cancelled (set just after the upsert); blank again when the status is not CANCELLED.
            insert_values = ", ".join(
                f"CASE WHEN status = '{CANCELLED}' THEN cancelled_at END" if name == "cancelled_at" else name
                for name in spec.fields
            )
            updates += (
                f", cancelled_at = CASE WHEN EXCLUDED.status <> '{CANCELLED}' THEN NULL"
                " WHEN EXCLUDED.cancelled_at IS NOT NULL THEN EXCLUDED.cancelled_at"
                f" WHEN target.status = '{CANCELLED}' THEN COALESCE(target.cancelled_at, target.registered_at)"
                " ELSE %s END"
            )
            self.first_cancelled = self.first_cancelled_from(self.stage)
        else:
            differs = "EXCLUDED.activated_at < target.activated_at"
        self.update_params = 1 if registrations else 0
        self.columns, self.insert_values, self.updates, self.differs = columns, insert_values, updates, differs
        self.upsert = self.upsert_from(self.stage)

    def first_cancelled_from(self, stage: str) -> str:
        """Rows first stored CANCELLED by the upsert from `stage` get registered_at as their cancelled_at."""
        table = self.spec.model._meta.db_table
        # Only the staged keys with a CANCELLED row are looked up (about 1% of a file): a row this upsert left
        # CANCELLED has a CANCELLED staged row. Looking up every staged key cost 240 ms a 10,000-row batch at
        # 300,000 rows stored, growing with the table (5 ms this way).
        return (
            f"UPDATE {table} AS target SET cancelled_at = target.registered_at"  # noqa: S608
            f" FROM (SELECT DISTINCT external_id FROM {stage} WHERE status = '{CANCELLED}') AS cancelled"
            f" WHERE target.external_id = cancelled.external_id AND target.status = '{CANCELLED}'"
            " AND target.cancelled_at IS NULL"
        )

    def upsert_from(self, source: str) -> str:
        """The batch's upsert statement reading its rows from `source` (a table, or a subquery with an alias):
        parameters job id, created_at, updated_at (and cancelled_at's time for registrations)."""
        table, key = self.spec.model._meta.db_table, self.spec.key
        # The table names and columns are ours, not input: only the job id and times are parameters.
        return (
            f"WITH written AS ("  # noqa: S608
            f" INSERT INTO {table} AS target ({self.columns}, import_job_id, created_at, updated_at, change_seq)"
            # in key order: two imports writing the same keys lock them in the same order (no deadlock).
            # change_seq given here, as the insert trigger of migration 0013 would (it fires only on 0): a
            # PL/pgSQL call per row saved; an update still takes its number from the update trigger.
            f" SELECT {self.insert_values}, %s, %s, %s, nextval('{CHANGE_SEQUENCE}') FROM {source} ORDER BY {key}"
            f" ON CONFLICT ({key}) DO UPDATE SET {self.updates},"
            f" import_job_id = EXCLUDED.import_job_id, updated_at = EXCLUDED.updated_at"
            f" WHERE {self.differs}"
            f" RETURNING (xmax = 0) AS inserted)"
            f" SELECT count(*) FILTER (WHERE inserted), count(*) FILTER (WHERE NOT inserted) FROM written"
        )

    def write(self, rows, pause=nullcontext) -> tuple[int, int]:
        """Created and updated counts; must run inside the batch's transaction. `pause`: see Prefetch."""
        now = timezone.now()
        raw = connection.connection
        with connection.cursor() as cursor:
            # No wait for the WAL flush at each batch's commit: after a server crash the last batches may
            # be missing, but the job's progress row commits with them, so a resume redoes exactly those.
            cursor.execute("SET LOCAL synchronous_commit TO OFF")
            cursor.execute(self.create_stage)
            cursor.execute(f"TRUNCATE {self.stage}")
        with pause(), raw.cursor() as cursor, cursor.copy(self.copy) as copy:
            copy.set_types(self.types)
            write_row = copy.write_row
            for row in rows:
                write_row(row)
        with connection.cursor() as cursor:
            cursor.execute(self.upsert, [self.job_id, now, now, *[now] * self.update_params])
            created, updated = cursor.fetchone()
            if self.first_cancelled:
                cursor.execute(self.first_cancelled)
            # emptied at once, not at the next batch: the staging table holds names in clear, and a connection
            # (and its temporary table) can outlive the import by hours
            cursor.execute(f"TRUNCATE {self.stage}")
        return created, updated


class SqliteWriter:
    """bulk_create(update_conflicts=True) of the rows that are new or differ from what is stored."""

    def __init__(self, spec: Spec, job_id: int):
        self.spec = spec
        self.job_id = job_id

    def _stored(self, keys: list[str], column: str) -> dict:
        model, stored = self.spec.model, {}
        for start in range(0, len(keys), 500):  # SQLite builds may cap a statement at 999 parameters
            chunk = keys[start : start + 500]
            stored.update(model.objects.filter(**{f"{self.spec.key}__in": chunk}).values_list(self.spec.key, column))
        return stored

    def write(self, rows, pause=nullcontext) -> tuple[int, int]:
        spec = self.spec
        rows = list(rows)
        registrations = spec.kind == REGISTRATIONS
        if registrations:
            stored = self._stored([r[0] for r in rows], "row_fingerprint")
            wanted = [r for r in rows if r[0] not in stored or stored[r[0]] != r[-1]]
        else:
            stored = self._stored([r[0] for r in rows], "activated_at")
            wanted = [r for r in rows if r[0] not in stored or r[2] < stored[r[0]]]
        if wanted:
            objects = [spec.model(import_job_id=self.job_id, **dict(zip(spec.fields, r, strict=True))) for r in wanted]
            if registrations:
                self._registration_state(objects)
            spec.model.objects.bulk_create(
                objects,
                update_conflicts=True,
                unique_fields=[spec.key],
                update_fields=[f for f in spec.fields if f != spec.key] + ["import_job", "updated_at"],
            )
        created = sum(1 for r in wanted if r[0] not in stored)
        return created, len(wanted) - created

    def _registration_state(self, objects) -> None:
        """What PostgresWriter's upsert does in SQL: cancelled_at, and an anonymised row's erased data kept."""
        now = timezone.now()
        keys = [o.external_id for o in objects]
        current = {}
        for start in range(0, len(keys), 500):
            chunk = self.spec.model.objects.filter(external_id__in=keys[start : start + 500])
            current.update((o.external_id, o) for o in chunk)
        for obj in objects:
            before = current.get(obj.external_id)
            if obj.status != CANCELLED:
                obj.cancelled_at = None
            elif obj.cancelled_at is not None:  # given by the file's cancelled_at column
                pass
            elif before is None:
                obj.cancelled_at = obj.registered_at
            elif before.status == CANCELLED:
                obj.cancelled_at = before.cancelled_at or before.registered_at
            else:
                obj.cancelled_at = now
            if before is not None and before.anonymised_at is not None:
                for name in PROTECTED_WHEN_ANONYMISED:
                    setattr(obj, name, getattr(before, name))


def writer_for(spec: Spec, job_id: int):
    return PostgresWriter(spec, job_id) if connection.vendor == "postgresql" else SqliteWriter(spec, job_id)
