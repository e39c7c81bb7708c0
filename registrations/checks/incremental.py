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
        (t <= s < t + window: the rows whose window holds t)

The runner resolves only flags of subjects in the affected set. A rule is judged in full instead when no
earlier DONE run judged it with its current version and parameters, when its last full run is older than
CHECKS_FULL_EVERY_DAYS, and always on SQLite (no sequence, no triggers there).

Limit: a run sees changes committed when it starts. A transaction that took change_seq values before a
run started but committed after that run read the watermark is passed over until the next full run; the
nightly chain imports and then checks in sequence, so it does not meet this.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

from agents.models import Agent, RegistrationPoint, StatusChange

from ..models import Activation, KeyChange, Registration
from .rules import Query, documents, points
from .rules.sql import counted, instant

REG = Registration._meta.db_table
ACT = Activation._meta.db_table
KEYS = KeyChange._meta.db_table
POINT = RegistrationPoint._meta.db_table
AGENT = Agent._meta.db_table
STATUS = StatusChange._meta.db_table
SCOPE = "rule_scope"

ROW_RULES = {
    "INCOMPLETE_RECORD",
    "MISSING_PHOTOS",
    "INVALID_ID_NUMBER",
    "ID_DOB_MISMATCH",
    "UNDERAGE",
    "POPULATION_MISMATCH",
}
TEMP_TABLES = ("inc_reg", "inc_act", "inc_old", "inc_doc", "inc_portrait", "inc_iccid", "inc_when", "inc_point")


@dataclass(frozen=True)
class Since:
    """Where an incremental run starts: the earlier run's watermark and instants."""

    seq: int
    status_change: int
    started_at: datetime  # the earlier run's start (points changed after it)


def watermark(cursor) -> dict:
    """The highest change_seq and StatusChange id now (each the end of an index)."""
    cursor.execute(
        f"SELECT GREATEST((SELECT MAX(change_seq) FROM {REG}), (SELECT MAX(change_seq) FROM {ACT}), "  # noqa: S608
        f"(SELECT MAX(seq) FROM {KEYS}), 0), COALESCE((SELECT MAX(id) FROM {STATUS}), 0)"
    )
    seq, status_change = cursor.fetchone()
    return {"seq": int(seq), "status_change": int(status_change)}


def prepare(cursor, since: Since) -> dict:
    """The temporary tables of what changed since `since` (module docstring); their sizes."""
    drop(cursor)
    seq = since.seq
    statements = [  # table names and whole numbers only; the instant is a parameter
        f"CREATE TEMPORARY TABLE inc_reg AS SELECT id FROM {REG} WHERE change_seq > {seq}",  # noqa: S608
        f"CREATE TEMPORARY TABLE inc_act AS SELECT id FROM {ACT} WHERE change_seq > {seq}",  # noqa: S608
        f"CREATE TEMPORARY TABLE inc_old AS SELECT * FROM {KEYS} WHERE seq > {seq}",  # noqa: S608
        f"""CREATE TEMPORARY TABLE inc_doc AS
            SELECT r.id_doc_hash AS value FROM inc_reg c JOIN {REG} r ON r.id = c.id WHERE r.id_doc_hash <> ''
            UNION SELECT id_doc_hash FROM inc_old WHERE id_doc_hash <> ''""",  # noqa: S608
        f"""CREATE TEMPORARY TABLE inc_portrait AS
            SELECT r.portrait_sha256 AS value FROM inc_reg c JOIN {REG} r ON r.id = c.id
            WHERE r.portrait_sha256 <> ''
            UNION SELECT portrait_sha256 FROM inc_old WHERE portrait_sha256 <> ''""",  # noqa: S608
        f"""CREATE TEMPORARY TABLE inc_iccid AS
            SELECT r.iccid AS value FROM inc_reg c JOIN {REG} r ON r.id = c.id
            UNION SELECT a.iccid FROM inc_act c JOIN {ACT} a ON a.id = c.id
            UNION SELECT iccid FROM inc_old WHERE iccid <> ''""",  # noqa: S608
        f"""CREATE TEMPORARY TABLE inc_when AS
            SELECT r.point_id, r.registered_at AS at FROM inc_reg c JOIN {REG} r ON r.id = c.id
            WHERE r.point_id IS NOT NULL
            UNION SELECT point_id, registered_at FROM inc_old WHERE point_id IS NOT NULL""",  # noqa: S608
        f"""CREATE TEMPORARY TABLE inc_point AS
            SELECT p.id FROM {POINT} p JOIN {AGENT} g ON g.id = p.agent_id
            WHERE p.updated_at >= %(at)s OR g.updated_at >= %(at)s
            UNION SELECT c.point_id FROM {STATUS} c WHERE c.id > {int(since.status_change)} AND c.point_id IS NOT NULL
            UNION SELECT p.id FROM {STATUS} c JOIN {POINT} p ON p.agent_id = c.agent_id
            WHERE c.id > {int(since.status_change)}""",  # noqa: S608
    ]
    for sql in statements:
        cursor.execute(sql, {"at": instant(since.started_at)})
    sizes = {}
    for table in TEMP_TABLES:
        cursor.execute(f"ANALYZE {table}")
        cursor.execute(f"SELECT COUNT(*) FROM {table}")  # noqa: S608
        sizes[table] = cursor.fetchone()[0]
    return sizes


def drop(cursor) -> None:
    for table in (*TEMP_TABLES, SCOPE):
        cursor.execute(f"DROP TABLE IF EXISTS pg_temp.{table}")


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
            UNION SELECT a.id FROM inc_iccid i JOIN {ACT} a ON a.iccid = i.value
            UNION SELECT a.id FROM {ACT} a WHERE {window}""",  # noqa: S608
            args,
        )
    if code == "PREACTIVATED":
        return f"{changed} UNION SELECT r.id FROM inc_iccid i JOIN {REG} r ON r.iccid = i.value", ()  # noqa: S608
    if code in ("OUTSIDE_HOURS", "UNAUTHORISED_POINT"):
        return f"{changed} UNION SELECT r.id FROM inc_point p JOIN {REG} r ON r.point_id = p.id", ()  # noqa: S608
    if code == "EXCESS_SIMS_PER_ID":
        return f"{changed} UNION SELECT r.id FROM ({_excess_docs()}) d JOIN {REG} r ON r.id_doc_hash = d.value", ()  # noqa: S608
    if code == "CONFLICTING_IDENTITY":
        return f"{changed} UNION SELECT r.id FROM inc_doc d JOIN {REG} r ON r.id_doc_hash = d.value", ()  # noqa: S608
    if code == "REUSED_PORTRAIT":
        return f"{changed} UNION SELECT r.id FROM inc_portrait d JOIN {REG} r ON r.portrait_sha256 = d.value", ()  # noqa: S608
    if code == "REGISTRATION_BURST":
        window = int(params["window_minutes"]) * 60 * 1_000_000
        return (
            f"""{changed} UNION SELECT r.id FROM inc_when w JOIN {REG} r ON r.point_id = w.point_id
            AND r.registered_at >= w.at AND r.registered_at < w.at + interval '{window} microseconds'""",  # noqa: S608
            (),
        )
    raise KeyError(code)


def _excess_docs() -> str:
    return f"""SELECT value FROM inc_doc
        UNION SELECT r.id_doc_hash FROM inc_point p JOIN {REG} r ON r.point_id = p.id WHERE r.id_doc_hash <> ''"""  # noqa: S608


def scoped_query(code: str, full: Query, params: dict, now: datetime) -> Query:
    """The rule's SELECT over its affected set (rule_scope) only: the same hits a full run finds there."""
    if code == "EXCESS_SIMS_PER_ID":
        return documents.excess_sims_per_id(params, now, within=_excess_docs())
    if code == "CONFLICTING_IDENTITY":
        return documents.conflicting_identity(params, now, within="SELECT value FROM inc_doc")
    if code == "REUSED_PORTRAIT":
        return documents.reused_portrait(params, now, within="SELECT value FROM inc_portrait")
    if code == "UNAUTHORISED_POINT":
        return points.unauthorised_point(params, now, scope=SCOPE)
    if code == "REGISTRATION_BURST":
        limit = int(params["max_in_window"])
        window = int(params["window_minutes"]) * 60 * 1_000_000
        return Query(
            f"""SELECT r.id AS subject_id, r.point_id, r.agent_id FROM {SCOPE} s JOIN {REG} r ON r.id = s.id
            WHERE {counted("r")} AND r.channel = 'POINT' AND (
                SELECT COUNT(*) FROM (
                    SELECT 1 FROM {REG} o
                    WHERE o.point_id = r.point_id AND o.channel = 'POINT' AND {counted("o")}
                      AND o.registered_at <= r.registered_at
                      AND o.registered_at > r.registered_at - interval '{window} microseconds'
                    LIMIT {limit + 1}
                ) n
            ) > %s""",  # noqa: S608 - names and validated whole numbers only
            (limit,),
        )
    # one row per subject, judged by the rule's own condition; the scope drives the join
    return Query(
        f"SELECT q.subject_id, q.point_id, q.agent_id FROM ({full.sql}) q "  # noqa: S608
        f"WHERE q.subject_id IN (SELECT id FROM {SCOPE})",
        full.params,
    )
