# ruff: noqa: S608 - the SQL here interpolates table names and validated whole numbers only; values are parameters
"""Incremental checks (issue 15): judge only what changed since a run, and what time alone changes.

What changed. On PostgreSQL every registration and activation carries `change_seq` (migration
0013_incremental_checks): a new row takes the next value of one sequence by the column's default, an
updated row a new value by trigger, and an update that moves a row out of a group (another document,
portrait, point or time, ICCID), or a delete, logs the former keys in `KeyChange`. A run records in its
`watermark` the highest value when it started; the next incremental run reads the rows above it (one
range of an index) and the groups they joined or left:

    changed registrations   change_seq > W                       (inc_reg)
    changed activations     change_seq > W                       (inc_act)
    documents, portraits    of changed registrations, now and before (inc_doc, inc_portrait)
    ICCIDs                  of changed registrations and activations, now and before (inc_iccid)
    point and time          of changed registrations, now and before (inc_when)
    points                  whose record or agent changed (updated_at) or whose / whose agent's status
                            history grew since the run (inc_point)

Each rule judges again its affected set (`scope_sql`), every subject in it exactly as a full run would:

    INCOMPLETE_RECORD, MISSING_PHOTOS, INVALID_ID_NUMBER, ID_DOB_MISMATCH, UNDERAGE, POPULATION_MISMATCH:
        the changed registrations (UNDERAGE compares the birth date with the date of registered_at, not
        with today: time alone changes nothing)
    UNVERIFIED_IDENTITY: and the registrations whose grace period ended between the two runs' instants
    ACTIVATED_UNREGISTERED: changed activations, activations of the changed ICCIDs, and those whose grace
        period ended between the two runs' instants
    PREACTIVATED: changed registrations and the registrations of changed ICCIDs
    OUTSIDE_HOURS, UNAUTHORISED_POINT: changed registrations and those at changed points
    EXCESS_SIMS_PER_ID: every registration of a changed document (and of the documents seen at changed
        points: a point's kind exempts)
    CONFLICTING_IDENTITY: every registration of a changed document
    REUSED_PORTRAIT: every registration of a changed portrait
    REGISTRATION_BURST: every registration at a changed registration's point within the window after it
        (t <= s < t + window: the rows whose window holds t); the rows it and its SELECT read are looked
        up once for both (`stage`: inc_burst)

Rules whose affected sets are the same SQL (the six record rules; the two document rules; the two point
rules) build it once per run: the first keeps it under a name of its SQL, the next take it back.

The runner resolves only flags of subjects in the affected set. A rule is judged in full instead when no
earlier DONE run judged it with its current version and parameters, when its last full run is older than
CHECKS_FULL_EVERY_DAYS, and always on SQLite (no sequence, no triggers there).

Transactions in flight: a run's watermark is taken once every transaction that may hold a value below it
has ended (`watermark`), so an import committing during a run is read by the next one, never passed over.
"""

import hashlib
import logging
import time
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings

from agents.models import Agent, RegistrationPoint, StatusChange

from ..models import Activation, KeyChange, Registration
from .rules import Query, documents, points
from .rules.sql import counted, instant, window_count

REG = Registration._meta.db_table
ACT = Activation._meta.db_table
KEYS = KeyChange._meta.db_table
POINT = RegistrationPoint._meta.db_table
AGENT = Agent._meta.db_table
STATUS = StatusChange._meta.db_table
SCOPE = "rule_scope"
logger = logging.getLogger(__name__)

ROW_RULES = {
    "INCOMPLETE_RECORD",
    "MISSING_PHOTOS",
    "INVALID_ID_NUMBER",
    "ID_DOB_MISMATCH",
    "UNDERAGE",
    "POPULATION_MISMATCH",
}
ROWS = "scope_rows"  # the rows (all columns) of the subjects a rule judges
TEMP_TABLES = (
    "inc_rows",
    "inc_reg",
    "inc_arows",
    "inc_act",
    "inc_old",
    "inc_point",
    "inc_point_rows",
    "inc_doc",
    "inc_doc_rows",
    "inc_portrait",
    "inc_portrait_rows",
    "inc_reg_iccid",
    "inc_act_iccid",
    "inc_when",
)
STAGED = ("inc_burst",)  # built per rule by stage()
# Statements that join a few changed rows to the big tables are written as LATERAL subqueries kept apart
# (OFFSET 0): one index lookup per changed row. Left to itself the planner, which cannot know how few
# they are relative to the work of a lookup, hashes the whole table instead (seconds per statement).


def _sorted(table: str, alias: str) -> str:
    """The values of a temporary table in index order: neighbouring lookups read neighbouring pages."""
    return f"(SELECT value FROM {table} ORDER BY value) {alias}"


PORTRAIT_MATCH = "r.portrait_sha256 = d.value"


def _lookup(outer: str, table: str, alias: str, columns: str, condition: str) -> str:
    return f"FROM {outer} CROSS JOIN LATERAL (SELECT {columns} FROM {table} {alias} WHERE {condition} OFFSET 0) m"


@dataclass(frozen=True)
class Since:
    """Where an incremental run starts: the earlier run's watermark and instants."""

    seq: int
    status_change: int
    started_at: datetime  # the earlier run's start (points changed after it)


def watermark(cursor) -> dict:
    """Where the next incremental run starts: the last change_seq and StatusChange id handed out, once every
    transaction that may hold a lower one has ended.

    The highest committed value would not do: sessions take values in one order and commit in another, so a
    transaction holding a lower value than one already committed (an import in flight) would be passed over
    for good. The sequences' last values are read first, then every transaction then in progress is waited
    for (`CHECKS_INFLIGHT_WAIT_SECONDS`), after a short grace (`CHECKS_INFLIGHT_GRACE_SECONDS`) for a writer
    that took its value but has no transaction id yet (the microseconds between a row's nextval() and its
    write). Every value at or below the mark is then committed or rolled back, so the run that reads after
    this sees all of them. When the wait times out the mark says `unsettled`: the run still judges what it
    sees, but no later run starts from it (they start from the run before, judging more)."""
    status_seq = _serial_sequence(cursor, STATUS)
    cursor.execute(
        "SELECT (SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM registrations_change_seq), "
        + (f"(SELECT CASE WHEN is_called THEN last_value ELSE 0 END FROM {status_seq})" if status_seq else "0")
    )
    seq, status_change = cursor.fetchone()
    mark = {"seq": int(seq), "status_change": int(status_change)}
    grace = float(getattr(settings, "CHECKS_INFLIGHT_GRACE_SECONDS", 0.5))
    if grace > 0:
        time.sleep(grace)
    if not _writers_ended(cursor, float(getattr(settings, "CHECKS_INFLIGHT_WAIT_SECONDS", 900))):
        return {"unsettled": True}
    return mark


def _serial_sequence(cursor, table: str) -> str | None:
    cursor.execute("SELECT pg_get_serial_sequence(%s, 'id')", [table])
    return cursor.fetchone()[0]


# Each transaction holds a lock on its own id from its first write to its end (pg_locks is readable by any
# role; a snapshot would not do: PostgreSQL leaves running ids at or above its xmax out of its list). Only
# this database's sessions: a transaction id lock names no database, the session's row in pg_stat_activity does.
_WRITERS = (
    "SELECT COALESCE(array_agg(l.transactionid::text), '{}') FROM pg_locks l "
    "JOIN pg_stat_activity a ON a.pid = l.pid "
    "WHERE l.locktype = 'transactionid' AND l.mode = 'ExclusiveLock' AND l.granted "
    "AND l.pid <> pg_backend_pid() AND a.datname = current_database()"
)


def _writers_ended(cursor, timeout: float) -> bool:
    """Wait until every transaction writing now (but this session's own) has ended; False on timeout."""
    cursor.execute(_WRITERS)
    waiting = set(cursor.fetchone()[0])
    deadline = time.monotonic() + timeout
    while waiting:
        if time.monotonic() >= deadline:
            logger.warning("Check run: transactions still in progress after %s s; the run is not a base", timeout)
            return False
        time.sleep(0.2)
        cursor.execute(_WRITERS)
        waiting &= set(cursor.fetchone()[0])
    return True


def prepare(cursor, since: Since, codes) -> dict:
    """The temporary tables of what changed since `since` (module docstring) that `codes` need; their sizes."""
    drop(cursor)
    codes = set(codes)
    seq, marks = int(since.seq), int(since.status_change)
    docs = codes & {"EXCESS_SIMS_PER_ID", "CONFLICTING_IDENTITY"}
    statements = [  # table names and whole numbers only; the instant is a parameter
        f"CREATE TEMPORARY TABLE inc_rows AS SELECT * FROM {REG} WHERE change_seq > {seq}",  # noqa: S608
        "CREATE TEMPORARY TABLE inc_reg AS SELECT id FROM inc_rows",
        f"CREATE TEMPORARY TABLE inc_arows AS SELECT * FROM {ACT} WHERE change_seq > {seq}",  # noqa: S608
        "CREATE TEMPORARY TABLE inc_act AS SELECT id FROM inc_arows",
        f"CREATE TEMPORARY TABLE inc_old AS SELECT * FROM {KEYS} WHERE seq > {seq}",  # noqa: S608
        f"""CREATE TEMPORARY TABLE inc_point AS
            SELECT p.id FROM {POINT} p JOIN {AGENT} g ON g.id = p.agent_id
            WHERE p.updated_at >= %(at)s OR g.updated_at >= %(at)s
            UNION SELECT c.point_id FROM {STATUS} c WHERE c.id > {marks} AND c.point_id IS NOT NULL
            UNION SELECT p.id FROM {STATUS} c JOIN {POINT} p ON p.agent_id = c.agent_id WHERE c.id > {marks}""",  # noqa: S608
        f"""CREATE TEMPORARY TABLE inc_point_rows AS SELECT m.id, m.id_doc_hash
            {_lookup("inc_point p", REG, "r", "r.id, r.id_doc_hash", "r.point_id = p.id")}""",
        """CREATE TEMPORARY TABLE inc_doc AS
            SELECT id_doc_hash AS value FROM inc_rows WHERE id_doc_hash IS NOT NULL
            UNION SELECT id_doc_hash FROM inc_old WHERE id_doc_hash IS NOT NULL
            UNION SELECT id_doc_hash FROM inc_point_rows WHERE id_doc_hash IS NOT NULL""",
        f"""CREATE TEMPORARY TABLE inc_doc_rows AS SELECT m.id, m.value
            {_lookup(_sorted("inc_doc", "d"), REG, "r", "r.id, r.id_doc_hash AS value", "r.id_doc_hash = d.value")}
            WHERE {"TRUE" if docs else "FALSE"}""",
        """CREATE TEMPORARY TABLE inc_portrait AS
            SELECT portrait_sha256 AS value FROM inc_rows WHERE portrait_sha256 IS NOT NULL
            UNION SELECT portrait_sha256 FROM inc_old WHERE portrait_sha256 IS NOT NULL""",
        f"""CREATE TEMPORARY TABLE inc_portrait_rows AS SELECT m.id, m.value
            {_lookup(_sorted("inc_portrait", "d"), REG, "r", "r.id, r.portrait_sha256 AS value", PORTRAIT_MATCH)}
            WHERE {"TRUE" if "REUSED_PORTRAIT" in codes else "FALSE"}""",
        """CREATE TEMPORARY TABLE inc_reg_iccid AS
            SELECT iccid AS value FROM inc_rows UNION SELECT iccid FROM inc_old WHERE iccid <> ''""",
        """CREATE TEMPORARY TABLE inc_act_iccid AS
            SELECT iccid AS value FROM inc_arows UNION SELECT iccid FROM inc_old WHERE iccid <> ''""",
        """CREATE TEMPORARY TABLE inc_when AS
            SELECT point_id, registered_at AS at FROM inc_rows WHERE point_id IS NOT NULL
            UNION SELECT point_id, registered_at FROM inc_old WHERE point_id IS NOT NULL""",
    ]
    for sql in statements:
        cursor.execute(sql, {"at": instant(since.started_at)})
    cursor.execute("CREATE UNIQUE INDEX inc_rows_id ON inc_rows (id)")
    cursor.execute("CREATE UNIQUE INDEX inc_arows_id ON inc_arows (id)")
    sizes = {}
    for table in TEMP_TABLES:
        # the wide copies: statistics of their key only (of every column they would cost seconds)
        cursor.execute(f"ANALYZE {table} (id)" if table in ("inc_rows", "inc_arows") else f"ANALYZE {table}")
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
        sizes[table] = cursor.fetchone()[0]
    return sizes


def drop(cursor) -> None:
    for table in (*TEMP_TABLES, *STAGED, SCOPE, ROWS, *_kept_tables(cursor)):
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")


# Affected sets kept for the run's next rule with the same one (recording._judged): a rule's rule_scope is
# renamed to a name of its SQL and parameters when the rule is done, and renamed back by the next rule with
# that name. Its index and statistics go with it. A rule that fails rolls its renames back with the rest.
KEPT_PREFIX = "kept_scope_"


def kept_name(scope: tuple[str, str, tuple]) -> str:
    code, sql, params = scope
    digest = hashlib.sha256(repr((sql, params)).encode()).hexdigest()[:16]
    return f"{KEPT_PREFIX}{digest}"


def take_back(cursor, name: str) -> bool:
    """rule_scope is the affected set kept as `name`, if an earlier rule of the run kept it."""
    cursor.execute("SELECT to_regclass(%s)", [f"pg_temp.{name}"])
    if cursor.fetchone()[0] is None:
        return False
    cursor.execute(f"ALTER TABLE pg_temp.{name} RENAME TO {SCOPE}")
    return True


def keep(cursor, name: str) -> None:
    cursor.execute(f"ALTER TABLE pg_temp.{SCOPE} RENAME TO {name}")


def _kept_tables(cursor) -> list[str]:
    cursor.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = pg_my_temp_schema() AND relkind = 'r' "
        "AND starts_with(relname, %s)",
        [KEPT_PREFIX],
    )
    return [row[0] for row in cursor.fetchall()]


def _between(column: str, a: datetime, b: datetime) -> tuple[str, tuple]:
    lo, hi = min(a, b), max(a, b)
    return f"({column} >= %s AND {column} < %s)", (instant(lo), instant(hi))


def scope_sql(code: str, params: dict, now: datetime, before: datetime) -> tuple[str, tuple]:
    """The SELECT of the ids a rule judges again (its affected set), and its parameters.

    `now` is this run's instant, `before` the earlier run's: a grace period that ended between them
    changes the answer by time alone.
    """
    changed = "SELECT id FROM inc_reg"
    if code in ROW_RULES:
        return changed, ()
    if code == "UNVERIFIED_IDENTITY":
        hours = timedelta(hours=params["grace_hours"])
        window, args = _between("r.registered_at", before - hours, now - hours)
        return f"{changed} UNION SELECT r.id FROM {REG} r WHERE {window}", args  # noqa: S608
    if code == "ACTIVATED_UNREGISTERED":
        hours = timedelta(hours=params["grace_hours"])
        window, args = _between("a.activated_at", before - hours, now - hours)
        return (
            f"""SELECT id FROM inc_act
            UNION SELECT m.id {_lookup(_sorted("inc_reg_iccid", "i"), ACT, "a", "a.id", "a.iccid = i.value")}
            UNION SELECT a.id FROM {ACT} a WHERE {window}""",  # noqa: S608
            args,
        )
    if code == "PREACTIVATED":
        return (
            f"{changed} UNION SELECT m.id "
            f"{_lookup(_sorted('inc_act_iccid', 'i'), REG, 'r', 'r.id', 'r.iccid = i.value')}",
            (),
        )
    if code in ("OUTSIDE_HOURS", "UNAUTHORISED_POINT"):
        return f"{changed} UNION SELECT id FROM inc_point_rows", ()
    if code in ("EXCESS_SIMS_PER_ID", "CONFLICTING_IDENTITY"):
        return f"{changed} UNION SELECT id FROM inc_doc_rows", ()
    if code == "REUSED_PORTRAIT":
        return f"{changed} UNION SELECT id FROM inc_portrait_rows", ()
    if code == "REGISTRATION_BURST":  # inc_burst: stage()
        window = int(params["window_minutes"]) * 60 * 1_000_000
        inside = f"b.registered_at >= b.lo AND b.registered_at < b.hi + interval '{window} microseconds'"
        return f"{changed} UNION SELECT b.id FROM inc_burst b WHERE {inside}", ()
    raise KeyError(code)


def stage(cursor, code: str, params: dict) -> None:
    """The rows a rule's affected set and its SELECT both read, looked up once for the two.

    REGISTRATION_BURST (inc_burst): per island of changed times at a point [lo, hi] (`_spans`), every row of
    that point with registered_at in (lo - window, hi + window): its affected set is the rows in
    [lo, hi + window), its SELECT counts the counted ones in each window. One range of the (point,
    registered_at) index per island, where the affected set and the SELECT each read one before.
    """
    if code != "REGISTRATION_BURST":
        return
    window = int(params["window_minutes"]) * 60 * 1_000_000
    span = f"interval '{window} microseconds'"
    rows = f"r.point_id = w.point_id AND r.registered_at > w.lo - {span} AND r.registered_at < w.hi + {span}"
    columns = f"r.id, r.point_id, r.agent_id, r.registered_at, (r.channel = 'POINT' AND {counted('r')}) AS counted"
    cursor.execute("DROP TABLE IF EXISTS pg_temp.inc_burst")
    cursor.execute(
        f"CREATE TEMPORARY TABLE inc_burst AS SELECT w.lo, w.hi, m.* "  # noqa: S608 - names and whole numbers only
        f"{_lookup(f'({_spans(window)}) w', REG, 'r', columns, rows)}"
    )
    cursor.execute("ANALYZE inc_burst")


# REGISTRATION_BURST: the changed times (now or before) per point, in islands: a time less than a day
# (or a window, if longer) after the previous one joins its island (reading the rows in between costs
# less than one more lookup). Per island [lo, hi], a row at s in [lo, hi + window)
# has its window (s - window, s] inside (lo - window, hi + window): one range of the (point,
# registered_at) index answers them all, and the islands' [lo, hi + window) do not overlap.
def _spans(window: int) -> str:
    step = f"interval '{max(int(window), 86_400_000_000)} microseconds'"
    return f"""SELECT point_id, MIN(at) AS lo, MAX(at) AS hi FROM (
        SELECT point_id, at, SUM(brk) OVER (PARTITION BY point_id ORDER BY at) AS island FROM (
            SELECT point_id, at,
                   CASE WHEN at - LAG(at) OVER (PARTITION BY point_id ORDER BY at) < {step} THEN 0 ELSE 1 END AS brk
            FROM inc_when
        ) x
    ) y GROUP BY point_id, island"""


def scope_rows(cursor, code: str) -> None:
    """The rows of the subjects in rule_scope that did not change (the changed ones are read already):
    each looked up by its id. `rows_of(code)` reads both."""
    table, changed = (ACT, "inc_act") if code == "ACTIVATED_UNREGISTERED" else (REG, "inc_reg")
    cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{ROWS}")
    cursor.execute(
        f"""CREATE TEMPORARY TABLE {ROWS} AS SELECT m.*
        {_lookup(f"(SELECT id FROM {SCOPE} EXCEPT SELECT id FROM {changed}) s", table, "x", "x.*", "x.id = s.id")}"""  # noqa: S608
    )
    cursor.execute(f"ANALYZE {ROWS} (id)")


def rows_of(code: str) -> str:
    """The rows a rule of WITH_ROWS judges: the changed rows (all in its scope) and scope_rows."""
    changed = "inc_arows" if code == "ACTIVATED_UNREGISTERED" else "inc_rows"
    return f"(SELECT * FROM {changed} UNION ALL SELECT * FROM {ROWS})"


WITH_ROWS = {  # the rules that read scope_rows
    "UNVERIFIED_IDENTITY",
    "ACTIVATED_UNREGISTERED",
    "PREACTIVATED",
    "OUTSIDE_HOURS",
    "UNAUTHORISED_POINT",
}


def scoped_query(code: str, full: Query, params: dict, now: datetime) -> Query:
    """The rule's SELECT over its affected set only: the same hits a full run finds there.

    Rules of one row read scope_rows instead of the table (their subject's table is the first one their
    SELECT names); group rules read the rows of the touched groups (inc_doc_rows, inc_portrait_rows).
    """
    if code == "EXCESS_SIMS_PER_ID":
        return documents.excess_sims_per_id(params, now, within="inc_doc_rows")
    if code == "CONFLICTING_IDENTITY":
        return documents.conflicting_identity(params, now, within="inc_doc_rows")
    if code == "REUSED_PORTRAIT":
        return documents.reused_portrait(params, now, within="inc_portrait_rows")
    if code == "UNAUTHORISED_POINT":
        return points.unauthorised_point(params, now, scope=rows_of(code))
    if code == "REGISTRATION_BURST":  # inc_burst: stage(); each island's windows apart, as a full run's per point
        limit = int(params["max_in_window"])
        window = int(params["window_minutes"]) * 60 * 1_000_000
        return Query(
            f"""SELECT m.id AS subject_id, m.point_id, m.agent_id FROM (
                SELECT b.id, b.point_id, b.agent_id, b.registered_at, b.lo,
                    {window_count("b", window, partition="b.point_id, b.lo")} AS in_window
                FROM inc_burst b WHERE b.counted
            ) m
            WHERE m.registered_at >= m.lo AND m.in_window > %s""",  # noqa: S608 - names and whole numbers only
            (limit,),
        )
    table, alias = (ACT, "a") if code == "ACTIVATED_UNREGISTERED" else (REG, "r")
    subject = f"FROM {table} {alias}"
    if subject not in full.sql:
        raise ValueError(f"{code}: its SELECT does not read {table} {alias}")
    rows = "inc_rows" if code in ROW_RULES else rows_of(code)  # a row rule judges exactly the changed rows
    return Query(full.sql.replace(subject, f"FROM {rows} {alias}", 1), full.params)
