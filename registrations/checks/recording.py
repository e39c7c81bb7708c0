"""Recording one rule's hits as flags: steps 1 to 5 of registrations.checks.runner's module docstring, each one
set-based statement over the temporary table `rule_hits`, inside the caller's transaction (split out of the
runner, which keeps the run's lifecycle: the lease, the plans of incremental runs, progress and the audit).

Two callers: a check run, and a save of agents or points or a blacklist entry listed or lifted (issue 16:
BLACKLISTED_AGENT judged at once for the subjects written, or carrying the entry's keys,
registrations.checks.services.flags_judge_written). Both record through `record`, so
they cannot disagree: the save's flag is the very row a later run finds (and only moves its `last_seen`).
One recorder of a rule at a time (a transaction-level advisory lock per rule on PostgreSQL; SQLite writes one
transaction at a time anyway), so a save never races a run into the unique constraint of flags.
"""

import json
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.db.models import Count, QuerySet

from core import events
from core.registry import AGENTS_SAVED, BLACKLIST_CHANGED

from ..models import (
    CheckRun,
    Flag,
    FlagEvent,
    FlagStatus,
    Registration,
    Rule,
    Severity,
    SubjectType,
)
from . import incremental as inc
from . import rules
from .rules.sql import instant

OPEN, CONFIRMED, DISMISSED, RESOLVED = FlagStatus.OPEN, FlagStatus.CONFIRMED, FlagStatus.DISMISSED, FlagStatus.RESOLVED
HITS = "rule_hits"
FLAG = Flag._meta.db_table
REG = Registration._meta.db_table
EVENT = FlagEvent._meta.db_table
# The flag history's reason for a flag raised when agents or points were saved, or when a blacklist entry was
# listed (not by a check run; a lifting only resolves); shown in the reader's language by
# registrations.templatetags.flag_tags.flag_reason.
RAISED_ON_SAVE = "Raised by version {version} of the rule when the record was saved."
RAISED_ON_BLACKLIST = "Raised by version {version} of the rule when a blacklist entry was listed."
RAISED_WITHOUT_RUN = {AGENTS_SAVED: RAISED_ON_SAVE, BLACKLIST_CHANGED: RAISED_ON_BLACKLIST}


def _temp(postgres: bool) -> str:
    return "pg_temp" if postgres else "temp"


def _judged(cursor, scope: tuple[str, str, tuple], typed: bool, postgres: bool, kept: str | None) -> int:
    """An incremental rule's affected set as the table rule_scope (and its rows, scope_rows); its size. For a
    typed rule (agents and points, whose ids may be equal) the scope's rows are (id, subject_type).

    `kept` (a check run's rules, PostgreSQL): the name under which the run keeps this affected set for the next
    rule with the same one (the six rules of one record share theirs, the two document rules theirs): taken
    back here if an earlier rule kept it, kept by `record` when done."""
    code, scope_sql, scope_params = scope
    columns = "s.id, CAST(s.subject_type AS VARCHAR(12)) AS subject_type" if typed else "s.id"
    cursor.execute(f"DROP TABLE IF EXISTS {_temp(postgres)}.{inc.SCOPE}")
    if kept and inc.take_back(cursor, kept):
        cursor.execute(f"SELECT COUNT(*) FROM {inc.SCOPE}")  # noqa: S608
        judged = cursor.fetchone()[0]
        if code in inc.WITH_ROWS:
            inc.scope_rows(cursor, code)
        return judged
    create = f"CREATE TEMPORARY TABLE {inc.SCOPE} AS SELECT DISTINCT {columns} FROM ({scope_sql}) s"  # noqa: S608
    cursor.execute(create, scope_params)
    # no name of its own: a kept affected set (renamed) keeps its index, whose name must stay free
    cursor.execute(f"CREATE UNIQUE INDEX ON {inc.SCOPE} (id{', subject_type' if typed else ''})")
    if postgres:
        cursor.execute(f"ANALYZE {inc.SCOPE}")
    cursor.execute(f"SELECT COUNT(*) FROM {inc.SCOPE}")  # noqa: S608
    judged = cursor.fetchone()[0]
    if code in inc.WITH_ROWS:
        inc.scope_rows(cursor, code)
    return judged


def _kept_as(run: CheckRun | None, scope, spec: rules.RuleSpec, postgres: bool) -> str | None:
    """A check run's rules of one kind share their affected sets (not a save's: it judges a few subjects once)."""
    if scope is None or run is None or not postgres or spec.typed:
        return None
    return inc.kept_name(scope)


def _release_scope(cursor, kept: str | None, postgres: bool) -> None:
    if kept:
        inc.keep(cursor, kept)
    else:
        cursor.execute(f"DROP TABLE {inc.SCOPE}")
    cursor.execute(f"DROP TABLE IF EXISTS {_temp(postgres)}.{inc.ROWS}")


def _hits(cursor, query: rules.Query, scope, spec: rules.RuleSpec) -> None:
    """Step 1: the rule's hits as the table rule_hits (subject_id, point_id, agent_id, and for a typed rule
    subject_type), less anonymised registrations. CREATE TABLE AS, not INSERT ... SELECT: PostgreSQL runs
    only the former's query with parallel workers."""
    registrations = spec.subject_type == SubjectType.REGISTRATION
    # a typed rule's SELECT says each row's subject type (an agent or a point); the others' subjects are all
    # of the rule's one type, so their (large) hits carry no such column
    typed = ", CAST(q.subject_type AS VARCHAR(12)) AS subject_type" if spec.typed else ""
    # An incremental run's few rows against the big tables by index lookups; UNAUTHORISED_POINT joins
    # them to the points' periods by hash first, and a typed rule reads the (small) agents and points whole.
    narrow = scope is not None and scope[0] != "UNAUTHORISED_POINT" and not spec.typed
    if narrow:
        _lookups_only(cursor)
    cursor.execute(
        f"CREATE TEMPORARY TABLE {HITS} AS SELECT q.subject_id, q.point_id, q.agent_id{typed} "  # noqa: S608
        f"FROM ({query.sql}) q",
        query.params,
    )
    if scope is not None and not narrow:
        _lookups_only(cursor)
    cursor.execute(f"CREATE UNIQUE INDEX {HITS}_subject ON {HITS} (subject_id{', subject_type' if typed else ''})")
    if registrations:  # the few anonymised ids, from their own index (reg_anonymised_idx)
        cursor.execute(
            f"DELETE FROM {HITS} WHERE subject_id IN (SELECT id FROM {REG} WHERE anonymised_at IS NOT NULL)"  # noqa: S608
        )


def _drop_unjudged(cursor, typed: bool) -> None:
    """The hits outside the subjects judged (rule_scope) are not this judgement's business."""
    if typed:
        cursor.execute(
            f"DELETE FROM {HITS} WHERE NOT EXISTS (SELECT 1 FROM {inc.SCOPE} s "  # noqa: S608
            f"WHERE s.id = {HITS}.subject_id AND s.subject_type = {HITS}.subject_type)"
        )
    else:
        cursor.execute(f"DELETE FROM {HITS} WHERE subject_id NOT IN (SELECT id FROM {inc.SCOPE})")  # noqa: S608


def _lookups_only(cursor) -> None:
    """For the rest of the transaction: an incremental run's few rows against the big tables by index
    lookups, not by a hash of a whole table (the planner cannot know how few they are). PostgreSQL only."""
    if connection.vendor != "postgresql":
        return
    for setting in ("enable_hashjoin", "enable_mergejoin"):
        cursor.execute("SELECT set_config(%s, 'off', true)", [setting])


def _settings_and_lock(cursor, rule: Rule) -> None:
    """PostgreSQL, for the rest of the transaction: the settings of a rule's recording, and its lock."""
    # Sorts and hashes of whole-table rules stay in memory, and no time goes into compiling expressions (JIT)
    # for statements that run once; both reset when the transaction ends.
    cursor.execute("SELECT set_config('work_mem', %s, true)", [getattr(settings, "CHECKS_WORK_MEM", "256MB")])
    cursor.execute("SELECT set_config('jit', 'off', true)")
    # A killed run's backend stops at its next check instead of working on (and holding its row locks) for
    # the rest of a long statement.
    cursor.execute("SELECT set_config('client_connection_check_interval', '5s', true)")
    # One recorder of this rule at a time (a check run, a save): whichever comes second sees the other's flags
    # committed, so neither inserts a flag the other did (the unique constraint). A lock on the rule's row, which
    # also orders a manager's edit of the rule after the recording; a killed run's backend holds it only until it
    # notices (client_connection_check_interval), where an advisory lock showed in pg_locks as the run's own.
    cursor.execute(f"SELECT id FROM {Rule._meta.db_table} WHERE id = %s FOR UPDATE", [rule.pk])  # noqa: S608


def _raised_reason(run: CheckRun | None, version: int, cause: str) -> str:
    if run is None:
        return RAISED_WITHOUT_RUN[cause].format(version=version)
    return f"Raised by version {version} of the rule."


def _unjudged_open(cursor, rule: Rule, judged: str, frozen: str) -> int:
    """An incremental run's open and confirmed flags outside what it judged: they hold as before (the run is
    exact), so its "still open" reads as a full run's (an anonymised registration's flags take no part)."""
    cursor.execute(
        f"SELECT COUNT(*) FROM {FLAG} WHERE {FLAG}.rule_id = %s AND status IN (%s, %s) "  # noqa: S608
        f"AND NOT {judged} AND NOT {frozen}",
        (rule.pk, OPEN, CONFIRMED),
    )
    return cursor.fetchone()[0]


def record(
    run: CheckRun | None,
    rule: Rule,
    params: dict,
    query: rules.Query,
    scope: tuple[str, str, tuple] | None = None,
    *,
    at: datetime | None = None,
    cause: str = AGENTS_SAVED,
) -> dict:
    """Steps 1-5 of the runner's module docstring for one rule, inside the caller's transaction; the counts.

    `scope` (incremental runs, PostgreSQL; a save of agents or points, any database): the rule's code, the
    SELECT of the subject ids it judges (for a typed rule: id and subject_type) and its parameters; hits
    outside it are dropped and only flags of subjects inside it may be resolved.

    `run`: the check run whose events these are; None for a save or a blacklist listing or lifting (issue 16,
    `cause`: core.registry.AGENTS_SAVED or BLACKLIST_CHANGED), which judges as of `at` and writes events without a
    run (their reason says what raised them).
    """
    spec = rules.RULES[rule.code]
    postgres = connection.vendor == "postgresql"
    ts = instant(at or run.started_at)
    run_id = run.pk if run is not None else None
    version, severity = rule.version, rule.severity
    params_json = json.dumps(params, sort_keys=True)
    json_param = "CAST(%s AS jsonb)" if postgres else "%s"
    # the same subject: by id, and for a typed rule (agents and points, whose ids may be equal) by type too
    same = f"h.subject_id = {FLAG}.subject_id"
    if spec.typed:
        same += f" AND h.subject_type = {FLAG}.subject_type"
    hit = f"EXISTS (SELECT 1 FROM {HITS} h WHERE {same})"  # noqa: S608 - names only
    this_rule = f"{FLAG}.rule_id = %s"
    counts = {}
    with connection.cursor() as cursor:

        def run_sql(sql: str, params=()) -> int:
            cursor.execute(sql, params)
            return cursor.rowcount

        def change(set_sql: str, set_params: tuple, where: str, where_params: tuple, event: tuple) -> int:
            """UPDATE the flags of this rule matching `where`, with one FlagEvent (from, to, reason) each.

            PostgreSQL: one statement (the events are made from the UPDATE's RETURNING), so a reviewer's
            concurrent change cannot slip between the two. SQLite: the events first, then the UPDATE of
            the same rows; nothing can write in between, this transaction holds the database's write lock.
            """
            from_status, to_status, reason = event
            event_params = (ts, from_status, to_status, reason, run_id)
            columns = "flag_id, at, actor_id, from_status, to_status, reason, check_run_id"
            if postgres:
                return run_sql(
                    f"""WITH changed AS (
                        UPDATE {FLAG} SET {set_sql} WHERE {this_rule} AND {where} RETURNING {FLAG}.id
                    )
                    INSERT INTO {EVENT} ({columns}) SELECT changed.id, %s, NULL, %s, %s, %s, %s FROM changed""",  # noqa: S608
                    (*set_params, rule.pk, *where_params, *event_params),
                )
            run_sql(
                f"INSERT INTO {EVENT} ({columns}) SELECT {FLAG}.id, %s, NULL, %s, %s, %s, %s FROM {FLAG} "  # noqa: S608
                f"WHERE {this_rule} AND {where}",
                (*event_params, rule.pk, *where_params),
            )
            return run_sql(
                f"UPDATE {FLAG} SET {set_sql} WHERE {this_rule} AND {where}",  # noqa: S608
                (*set_params, rule.pk, *where_params),
            )

        if postgres:
            _settings_and_lock(cursor, rule)
        cursor.execute(f"DROP TABLE IF EXISTS {_temp(postgres)}.{HITS}")
        judged = "TRUE"
        same_scope = " AND s.subject_type = {table}.subject_type" if spec.typed else ""
        kept = _kept_as(run, scope, spec, postgres)
        if scope is not None:
            counts["judged"] = _judged(cursor, scope, spec.typed, postgres, kept)
            judged = (
                f"EXISTS (SELECT 1 FROM {inc.SCOPE} s WHERE s.id = {FLAG}.subject_id{same_scope.format(table=FLAG)})"  # noqa: S608
            )
        # 1. the hits
        _hits(cursor, query, scope, spec)
        if scope is not None:
            _drop_unjudged(cursor, spec.typed)
        if postgres:
            cursor.execute(f"ANALYZE {HITS}")
        cursor.execute(f"SELECT COUNT(*) FROM {HITS}")  # noqa: S608
        counts["flagged"] = cursor.fetchone()[0]

        # 2. no longer holds: OPEN and CONFIRMED become RESOLVED (an anonymised registration's flags stay)
        frozen = f"EXISTS (SELECT 1 FROM {REG} r WHERE r.id = {FLAG}.registration_id AND r.anonymised_at IS NOT NULL)"  # noqa: S608
        counts["resolved"] = sum(
            change(
                "status = %s, resolved_at = %s",
                (RESOLVED, ts),
                f"status = %s AND {judged} AND NOT {hit} AND NOT {frozen}",
                (from_status,),
                (from_status, RESOLVED, "The condition no longer holds."),
            )
            for from_status in (CONFIRMED, OPEN)
        )

        # 3. holds again: RESOLVED, and DISMISSED under another version of the rule, are reopened
        reopen = (
            f"status = %s, resolved_at = NULL, last_seen = %s, rule_version = %s, parameters = {json_param}, "
            "severity = %s"
        )
        reopen_params = (OPEN, ts, version, params_json, severity)
        counts["reopened"] = change(
            reopen, reopen_params, f"status = %s AND {hit}", (RESOLVED,), (RESOLVED, OPEN, "The condition holds again.")
        ) + change(
            reopen,
            reopen_params,
            f"status = %s AND rule_version <> %s AND {hit}",
            (DISMISSED, version),
            (DISMISSED, OPEN, f"The rule changed (version {version}) and the condition holds."),
        )

        # 4. new subjects: a new OPEN flag each, with its first event
        registration_id = "h.subject_id" if spec.subject_type == SubjectType.REGISTRATION else "NULL"
        subject_type, type_param = ("h.subject_type", ()) if spec.typed else ("%s", (spec.subject_type,))
        same_type = " AND f.subject_type = h.subject_type" if spec.typed else ""
        activation_id = "h.subject_id" if spec.subject_type == SubjectType.ACTIVATION else "NULL"
        insert_flags = f"""INSERT INTO {FLAG} (rule_id, subject_type, subject_id, registration_id, activation_id,
                point_id, agent_id, severity, status, first_seen, last_seen, resolved_at, rule_version, parameters,
                reviewer_id, reviewed_at, reason)
            SELECT %s, {subject_type}, h.subject_id, {registration_id}, {activation_id}, h.point_id, h.agent_id, %s,
                %s, %s, %s, NULL, %s, {json_param}, NULL, NULL, ''
            FROM {HITS} h
            WHERE NOT EXISTS (
                SELECT 1 FROM {FLAG} f WHERE f.rule_id = %s AND f.subject_id = h.subject_id{same_type}
            )"""  # noqa: S608
        insert_params = (rule.pk, *type_param, severity, OPEN, ts, ts, version, params_json, rule.pk)
        raised = ("", OPEN, _raised_reason(run, version, cause), run_id)
        event_columns = "flag_id, at, actor_id, from_status, to_status, reason, check_run_id"
        if postgres:
            counts["new"] = run_sql(
                f"""WITH raised AS ({insert_flags} RETURNING id)
                INSERT INTO {EVENT} ({event_columns}) SELECT raised.id, %s, NULL, %s, %s, %s, %s FROM raised""",  # noqa: S608
                (*insert_params, ts, *raised),
            )
        else:
            counts["new"] = run_sql(insert_flags, insert_params)
            if counts["new"]:
                # the flags of this rule first seen at this run's start: the ones just inserted
                run_sql(
                    f"INSERT INTO {EVENT} ({event_columns}) SELECT f.id, %s, NULL, %s, %s, %s, %s FROM {FLAG} f "  # noqa: S608
                    "WHERE f.rule_id = %s AND f.first_seen = %s",
                    (ts, *raised, rule.pk, ts),
                )

        # 5. still holds: last_seen (and the current version and parameters) only
        fresh = f"{this_rule} AND last_seen <> %s AND {hit}"
        still_open = run_sql(
            f"UPDATE {FLAG} SET last_seen = %s, rule_version = %s, parameters = {json_param}, severity = %s "  # noqa: S608
            f"WHERE {fresh} AND status IN (%s, %s) AND rule_version <> %s",
            (ts, version, params_json, severity, rule.pk, ts, OPEN, CONFIRMED, version),
        )
        still_open += run_sql(
            f"UPDATE {FLAG} SET last_seen = %s WHERE {fresh} AND status IN (%s, %s)",  # noqa: S608
            (ts, rule.pk, ts, OPEN, CONFIRMED),
        )
        counts["still_open"] = still_open + (0 if scope is None else _unjudged_open(cursor, rule, judged, frozen))
        counts["dismissed"] = run_sql(
            f"UPDATE {FLAG} SET last_seen = %s WHERE {fresh} AND status = %s",  # noqa: S608
            (ts, rule.pk, ts, DISMISSED),
        )

        # where it happened may have changed (a re-imported registration at another point)
        differs = "IS DISTINCT FROM" if postgres else "IS NOT"
        run_sql(
            f"""UPDATE {FLAG}
            SET point_id = (SELECT h.point_id FROM {HITS} h WHERE {same}),
                agent_id = (SELECT h.agent_id FROM {HITS} h WHERE {same})
            WHERE {this_rule} AND EXISTS (
                SELECT 1 FROM {HITS} h WHERE {same}
                AND (h.point_id {differs} {FLAG}.point_id OR h.agent_id {differs} {FLAG}.agent_id))""",  # noqa: S608
            (rule.pk,),
        )
        cursor.execute(f"DROP TABLE {HITS}")
        if scope is not None:
            _release_scope(cursor, kept, postgres)
    return counts


CRITICAL_IDS_MAX = 1000  # ids in one "flags.critical_raised" event; the counts are always complete


def announce_critical(raised: QuerySet, *, limit: int = CRITICAL_IDS_MAX, **about) -> None:
    """Tell the operator's systems (core.events -> webhooks) of the critical flags raised or reopened, given as
    their FlagEvents (to OPEN): counts per rule and the first `limit` flag ids, nothing about the subjects, with
    `about` (the check run and its status; for a save also `source`). Nothing to tell: no event."""
    raised = raised.filter(to_status=OPEN, flag__severity=Severity.CRITICAL)
    counts = dict(
        raised.values("flag__rule__code")
        .annotate(n=Count("id"))
        .order_by("flag__rule__code")
        .values_list("flag__rule__code", "n")
    )
    total = sum(counts.values())
    if not total:
        return
    ids = list(raised.order_by("flag_id").values_list("flag_id", flat=True)[:limit])
    events.publish(
        "flags.critical_raised",
        {**about, "counts": counts, "total": total, "flag_ids": ids, "more": total > len(ids)},
    )
