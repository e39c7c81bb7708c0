"""ID documents: INVALID_ID_NUMBER, ID_DOB_MISMATCH, EXCESS_SIMS_PER_ID, REUSED_PORTRAIT, CONFLICTING_IDENTITY.

An ID document is its type plus its normalised number; the database holds the number encrypted, so the
rules group by `id_doc_hash` (keyed hash of type + normalised number, 32 bytes; NULL for a blank type or
number: no document, no part in these rules) and read the findings the importer made from the plaintext
(`id_number_issue`, `id_dob_issue`: validators.id_number_problem and cccd_dob_problem). Portraits group by
`portrait_sha256` (32 bytes, NULL when not given). NULL never equals NULL, so blanks never match each other.
"""

from collections.abc import Callable
from datetime import datetime

from .sql import POINT, REG, Query, c_collate, counted, postgres

_SELECT = f"SELECT r.id AS subject_id, r.point_id, r.agent_id FROM {REG} r"  # noqa: S608


def invalid_id_number(params: dict, now: datetime) -> Query:
    """The number breaks its type's format, or the type is none of CCCD, CMND, PASSPORT."""
    return Query(f"{_SELECT} WHERE NOT (r.id_number_issue = '')")  # the partial index reg_id_issue_idx


def id_dob_mismatch(params: dict, now: datetime) -> Query:
    """A CCCD that INVALID_ID_NUMBER accepts, whose century, year or gender digit disagrees with the subscriber."""
    return Query(f"{_SELECT} WHERE NOT (r.id_dob_issue = '') AND r.id_number_issue = ''")  # reg_dob_issue_idx


def _repeated(column: str, more_than: int = 1, within: str | None = None) -> str:
    """Values of `column` (not NULL) on more than `more_than` registrations of any status.

    A cheap first pass: a group rule can only fire on a document or portrait that appears more than
    once, and those are few, so the second pass reads the rows (status, names, ...) of these candidates
    only. Answered from the column's index alone (reg_doc_idx, reg_portrait_idx), walked in order.
    Cancelled rows are counted here, so this is a superset; the second pass applies the rule exactly.
    `within` (the incremental checks): a table (value) holding the value of EVERY registration that
    carries one of the values to judge, read instead of the registrations.
    """
    if within:
        return (
            f"SELECT d.value FROM {within} d WHERE d.value IS NOT NULL "  # noqa: S608
            f"GROUP BY d.value HAVING COUNT(*) > {int(more_than)}"
        )
    return (
        f"SELECT d.{column} AS value FROM {REG} d WHERE d.{column} IS NOT NULL "  # noqa: S608
        f"GROUP BY d.{column} HAVING COUNT(*) > {int(more_than)}"
    )


def _per_candidate(candidates: str, inner: str) -> str:
    """PostgreSQL: `inner` (which reads `c.value`) run once per candidate, each by an index lookup.

    A LATERAL subquery kept apart from the join (OFFSET 0): the planner cannot know how few the
    candidates are and would otherwise read the whole table to join them.
    """
    return f"FROM ({candidates}) c CROSS JOIN LATERAL ({inner} OFFSET 0) hit"


def excess_sims_per_id(params: dict, now: datetime, within: str | None = None) -> Query:
    """The (max_without_contract + 1)-th and later counted registration of a document, unless at an operator's point.

    Ranked per document by (registered_at, external_id), external ids compared by code point. Only the
    documents with more than max_without_contract registrations are ranked at all.
    """
    limit = int(params["max_without_contract"])
    rank = f"ROW_NUMBER() OVER ({{partition}} ORDER BY r.registered_at, {c_collate('r.external_id')})"
    if postgres():
        ranked = f"""SELECT hit.* {
            _per_candidate(
                _repeated("id_doc_hash", limit, within),
                f"SELECT r.id, r.point_id, r.agent_id, r.channel, {rank.format(partition='')} AS position "
                f"FROM {REG} r WHERE r.id_doc_hash = c.value AND {counted('r')}",
            )
        }"""  # noqa: S608
    else:
        ranked = f"""SELECT r.id, r.point_id, r.agent_id, r.channel,
                {rank.format(partition="PARTITION BY r.id_doc_hash")} AS position
            FROM {REG} r WHERE {counted("r")} AND r.id_doc_hash IN ({_repeated("id_doc_hash", limit, within)})"""  # noqa: S608
    return Query(
        f"""
        SELECT ranked.id AS subject_id, ranked.point_id, ranked.agent_id
        FROM ({ranked}) ranked
        LEFT JOIN {POINT} p ON p.id = ranked.point_id
        WHERE ranked.position > %s
          AND NOT (ranked.channel = 'POINT' AND COALESCE(p.kind, '') IN ('OPERATOR_FIXED', 'OPERATOR_MOBILE'))
        """,  # noqa: S608 - table names and a validated whole number only; values are parameters
        (limit,),
    )


def _differing_groups(
    column: str, where: Callable[[str], str], differ: Callable[[str, str], str], within: str | None = None
) -> Query:
    """Counted registrations meeting `where` whose group by `column` (of such rows) meets `differ`.

    `where(alias)` is a condition on a row; `differ(alias, over)` compares MIN and MAX of columns over
    the group ("more than one distinct value" without counting distinct values); `over` is "" for
    GROUP BY aggregates and " OVER ()" for the window form (PostgreSQL: per candidate).
    """
    if postgres():
        differs = f"CASE WHEN {differ('r', ' OVER ()')} THEN 1 END AS differs"
        rows = f"{REG} r WHERE r.{column} = c.value AND {counted('r')} AND {where('r')}"
        inner = f"SELECT r.id AS subject_id, r.point_id, r.agent_id, {differs} FROM {rows}"  # noqa: S608
        candidates = _repeated(column, within=within)
        return Query(
            f"SELECT hit.subject_id, hit.point_id, hit.agent_id {_per_candidate(candidates, inner)} "
            "WHERE hit.differs = 1"
        )
    return Query(
        f"""{_SELECT}
        WHERE {counted("r")} AND {where("r")}
          AND r.{column} IN (
              SELECT s.{column} FROM {REG} s
              WHERE {counted("s")} AND {where("s")} AND s.{column} IN ({_repeated(column, within=within)})
              GROUP BY s.{column}
              HAVING {differ("s", "")}
          )
        """  # noqa: S608
    )


def _spread(alias: str, column: str, over: str, kind: str = "text") -> str:
    """The group's values of `column` are not all one (text compared by code point).

    kind "digest" (bytea): PostgreSQL has no MIN or MAX of bytea before version 18, so there the digests are
    compared as their hex (the groups are the few candidates of _repeated); SQLite compares blobs as bytes.
    """
    value = f"{alias}.{column}"
    if kind == "text":
        value = c_collate(value)
    elif kind == "digest" and postgres():
        value = c_collate(f"encode({value}, 'hex')")
    return f"MIN({value}){over} <> MAX({value}){over}"


def reused_portrait(params: dict, now: datetime, within: str | None = None) -> Query:
    """Counted, with a portrait hash that counted registrations of another document also carry (both have one).

    A portrait seen with two or more distinct documents: every counted registration with it and a
    document has another document beside it.
    """
    return _differing_groups(
        "portrait_sha256",
        lambda a: f"{a}.id_doc_hash IS NOT NULL",
        lambda a, over: _spread(a, "id_doc_hash", over, kind="digest"),
        within,
    )


def conflicting_identity(params: dict, now: datetime, within: str | None = None) -> Query:
    """Counted, with name and birth date, of a document whose counted (name, birth date) pairs are not all one.

    Among the counted registrations of the document that have both a normalised name and a date of
    birth, more than one distinct pair exists exactly when the names or the dates are not all equal
    (MIN <> MAX of either).
    """
    return _differing_groups(
        "id_doc_hash",
        lambda a: f"{a}.name_key <> '' AND {a}.date_of_birth IS NOT NULL",
        lambda a, over: f"({_spread(a, 'name_key', over)} OR {_spread(a, 'date_of_birth', over, kind='date')})",
        within,
    )
