"""SIMs and the network: PREACTIVATED, ACTIVATED_UNREGISTERED (DESIGN section 5)."""

from datetime import datetime, timedelta

from .sql import ACT, REG, Query, counted, instant


def preactivated(params: dict, now: datetime) -> Query:
    """Registrations (cancelled ones too) whose ICCID was activated strictly before registered_at."""
    return Query(
        f"""
        SELECT r.id AS subject_id, r.point_id, r.agent_id
        FROM {REG} r
        WHERE EXISTS (
            SELECT 1 FROM {ACT} a WHERE a.iccid = r.iccid AND a.activated_at < r.registered_at
        )
        """  # noqa: S608 - table names only; values are parameters
    )


def activated_unregistered(params: dict, now: datetime) -> Query:
    """Activations older than grace_hours (strictly) whose ICCID has no counted registration."""
    cutoff = now - timedelta(hours=params["grace_hours"])
    return Query(
        f"""
        SELECT a.id AS subject_id, CAST(NULL AS bigint) AS point_id, CAST(NULL AS bigint) AS agent_id
        FROM {ACT} a
        WHERE a.activated_at < %s
          AND NOT EXISTS (SELECT 1 FROM {REG} r WHERE r.iccid = a.iccid AND {counted("r")})
        """,  # noqa: S608
        (instant(cutoff),),
    )
