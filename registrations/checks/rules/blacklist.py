"""BLACKLISTED_AGENT (issue 16): an agent or a point that carries an identity of another agent's blacklist entry.

Unlike the other rules its subject is an agent or a point, so its SELECT has a fourth column, subject_type
('agent' or 'point'); the runner keys its flags on (subject_type, subject_id). Agents and points are few
(thousands, not millions), so every run, incremental ones too, judges them all.

Compared: keyed hashes only (agents.blacklist.keys), kind with kind. An agent matches on its tax code,
phone or owner's ID document; a point on its own phone and owner's document and on its agent's three.
Only entries in force count (listed, not expired, not lifted) and only those of *another* agent: the
terminated agent and its own points are never flagged by their own entry. Terminated agents and points
are not judged (they are out already).
"""

from datetime import datetime

from agents.blacklist.models import BlacklistEntry, BlacklistKey

from .sql import AGENT, POINT, Query, instant

ENTRY = BlacklistEntry._meta.db_table
KEY = BlacklistKey._meta.db_table


def _listed(now: datetime) -> tuple[str, tuple]:
    """The keys of the entries in force at `now`, each with its listed agent."""
    at = instant(now)
    return (
        f"""SELECT k.kind, k.key, e.agent_id AS listed_agent_id FROM {KEY} k JOIN {ENTRY} e ON e.id = k.entry_id
        WHERE e.lifted_at IS NULL AND e.listed_at <= %s AND e.expires_at > %s""",  # noqa: S608
        (at, at),
    )


def blacklisted_agent(params: dict, now: datetime) -> Query:
    """Agents and points (not terminated) with a tax code, phone or owner's document of another agent's entry."""
    listed, listed_params = _listed(now)
    agent_match = """
        (b.kind = 'TAX_CODE' AND b.key = g.tax_code_key) OR (b.kind = 'PHONE' AND b.key = g.phone_key)
        OR (b.kind = 'OWNER_ID' AND b.key = g.owner_id_doc_key)"""
    point_match = """
        (b.kind = 'PHONE' AND b.key = p.phone_key) OR (b.kind = 'OWNER_ID' AND b.key = p.owner_id_doc_key)"""
    sql = f"""
        SELECT g.id AS subject_id, CAST(NULL AS BIGINT) AS point_id, g.id AS agent_id, 'agent' AS subject_type
        FROM {AGENT} g
        WHERE g.status <> 'TERMINATED'
          AND EXISTS (SELECT 1 FROM ({listed}) b WHERE b.listed_agent_id <> g.id AND ({agent_match}))
        UNION ALL
        SELECT p.id, p.id, p.agent_id, 'point'
        FROM {POINT} p JOIN {AGENT} g ON g.id = p.agent_id
        WHERE p.status <> 'TERMINATED'
          AND EXISTS (
            SELECT 1 FROM ({listed}) b WHERE b.listed_agent_id <> p.agent_id AND ({point_match} OR {agent_match})
          )
    """  # noqa: S608 - table names and constants only; the instant is a parameter
    return Query(sql, (*listed_params, *listed_params))
