"""Where and when a registration was made: UNAUTHORISED_POINT, OUTSIDE_HOURS, REGISTRATION_BURST."""

from datetime import datetime

from .sql import (
    AGENT,
    FAR_FUTURE,
    POINT,
    REG,
    STATUS_CHANGE,
    Query,
    counted,
    epoch_microseconds,
    instant,
    local_midnight,
    local_time,
    postgres,
    window_count,
)

_COLUMNS = "r.id AS subject_id, r.point_id, r.agent_id"


def _status_periods(subject: str) -> str:
    """Periods [changed_at, next change) in which an agent's or a point's status was SUSPENDED or TERMINATED.

    The status in force at t is the to_status of the latest change at or before t (ties: the later id);
    before its first recorded change an object has no known status, so it is not suspended then.
    """
    return f"""
        SELECT h.{subject}_id AS subject_id, h.changed_at AS starts, COALESCE(h.ends, %s) AS ends
        FROM (
            SELECT c.{subject}_id, c.to_status, c.changed_at,
                   LEAD(c.changed_at) OVER (PARTITION BY c.{subject}_id ORDER BY c.changed_at, c.id) AS ends
            FROM {STATUS_CHANGE} c
            WHERE c.{subject}_id IS NOT NULL
        ) h
        WHERE h.to_status IN ('SUSPENDED', 'TERMINATED')
    """  # noqa: S608


def _later(a: str, b: str) -> str:
    """The later of two dates, either of which may be blank (open)."""
    return f"CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL THEN {a} WHEN {a} > {b} THEN {a} ELSE {b} END"


def _earlier(a: str, b: str) -> str:
    return f"CASE WHEN {a} IS NULL THEN {b} WHEN {b} IS NULL THEN {a} WHEN {a} < {b} THEN {a} ELSE {b} END"


def _at_points(ranges: str, condition: str, scope: str | None = None) -> str:
    """POINT registrations at each row's point (`ranges`: point_id, starts, ends) that meet `condition`.

    PostgreSQL: a LATERAL subquery kept apart from the join (OFFSET 0), so each point is answered by
    a range scan of the (point, registered_at) index instead of a pass over the whole table: the planner
    cannot know that each point's range holds few rows. SQLite plans the plain join that way.
    `scope` (the incremental checks): a table of the registrations to judge (their rows), read instead.
    """
    if scope:
        return f"""SELECT {_COLUMNS} FROM {scope} r JOIN ({ranges}) x ON x.point_id = r.point_id
            WHERE r.channel = 'POINT' AND {condition}"""  # noqa: S608
    if postgres():
        return f"""SELECT hit.subject_id, hit.point_id, hit.agent_id FROM ({ranges}) x CROSS JOIN LATERAL (
            SELECT {_COLUMNS} FROM {REG} r
            WHERE r.point_id = x.point_id AND r.channel = 'POINT' AND {condition} OFFSET 0
        ) hit"""  # noqa: S608
    return f"""SELECT {_COLUMNS} FROM ({ranges}) x JOIN {REG} r ON r.point_id = x.point_id
        WHERE r.channel = 'POINT' AND {condition}"""  # noqa: S608


def unauthorised_point(params: dict, now: datetime, scope: str | None = None) -> Query:
    """POINT registrations outside the point's or its agent's authorisation, or while either was suspended.

    Authorisation: the local date of registered_at outside [authorised_from, authorised_until) of the
    point and of its own agent, a blank bound open; per point the two windows meet in one, compared as
    instants (the local midnight that begins the bound's day). Status: the periods of the point's and
    of its agent's history in which either was SUSPENDED or TERMINATED. One branch per reason, united
    (a registration may have several).
    """
    windows = f"""
        SELECT p.id AS point_id,
               {local_midnight(_later("p.authorised_from", "g.authorised_from"))} AS starts,
               {local_midnight(_earlier("p.authorised_until", "g.authorised_until"))} AS ends
        FROM {POINT} p JOIN {AGENT} g ON g.id = p.agent_id
        WHERE p.authorised_from IS NOT NULL OR g.authorised_from IS NOT NULL
           OR p.authorised_until IS NOT NULL OR g.authorised_until IS NOT NULL
    """  # noqa: S608
    periods = f"""
        SELECT s.subject_id AS point_id, s.starts, s.ends FROM ({_status_periods("point")}) s
        UNION ALL
        SELECT p.id AS point_id, s.starts, s.ends FROM ({_status_periods("agent")}) s
        JOIN {POINT} p ON p.agent_id = s.subject_id
    """  # noqa: S608
    branches = [
        _at_points(f"SELECT * FROM ({windows}) w WHERE w.starts IS NOT NULL", "r.registered_at < x.starts", scope),  # noqa: S608
        _at_points(f"SELECT * FROM ({windows}) w WHERE w.ends IS NOT NULL", "r.registered_at >= x.ends", scope),  # noqa: S608
        _at_points(periods, "r.registered_at >= x.starts AND r.registered_at < x.ends", scope),
    ]
    far = instant(FAR_FUTURE)
    return Query("\nUNION\n".join(branches), (far, far))


def outside_hours(params: dict, now: datetime) -> Query:
    """POINT registrations before the point's opens_at or at/after its closes_at, local time of day.

    Compared with the seconds and their fraction: 20:59:59 is inside 08:00-21:00, 21:00:00 and 07:59:59
    outside. A point without hours is always open.
    """
    at = local_time("r.registered_at")
    return Query(
        f"""SELECT {_COLUMNS} FROM {REG} r JOIN {POINT} p ON p.id = r.point_id
        WHERE r.channel = 'POINT'
          AND ((p.opens_at IS NOT NULL AND {at} < p.opens_at) OR (p.closes_at IS NOT NULL AND {at} >= p.closes_at))
        """  # noqa: S608
    )


def registration_burst(params: dict, now: datetime) -> Query:
    """Counted POINT registrations with more than max_in_window counted ones at the point in (t - window, t].

    First the points where a burst is possible at all: walking each point's registrations (any status)
    in time order on the (point, registered_at) index alone, one whose max_in_window-th predecessor lies
    within the window. Cancelled rows count there, so these are a superset of the points with a burst;
    the exact RANGE window then runs over the rows of those points only.
    """
    limit = int(params["max_in_window"])
    window = int(params["window_minutes"]) * 60 * 1_000_000
    back = f"LAG(d.registered_at, {limit}) OVER (PARTITION BY d.point_id ORDER BY d.registered_at)"
    if postgres():
        close = f"x.back > x.registered_at - interval '{window} microseconds'"
    else:
        close = f"{epoch_microseconds('x.registered_at')} - {epoch_microseconds('x.back')} < {window}"
    busy = f"""
        SELECT DISTINCT x.point_id FROM (
            SELECT d.point_id, d.registered_at, {back} AS back FROM {REG} d WHERE d.point_id IS NOT NULL
        ) x
        WHERE {close}
    """  # noqa: S608
    rows = f"{REG} r WHERE {counted('r')} AND r.channel = 'POINT'"  # noqa: S608
    if postgres():
        # each busy point's rows by an index range (LATERAL, kept apart: see _at_points)
        counted_rows = f"""SELECT hit.id, hit.point_id, hit.agent_id, {window_count("hit", window)} AS in_window
            FROM ({busy}) b CROSS JOIN LATERAL (
                SELECT r.id, r.point_id, r.agent_id, r.registered_at FROM {rows} AND r.point_id = b.point_id OFFSET 0
            ) hit"""  # noqa: S608
    else:
        counted_rows = f"""SELECT r.id, r.point_id, r.agent_id, {window_count("r", window)} AS in_window
            FROM {rows} AND r.point_id IN ({busy})"""  # noqa: S608
    return Query(
        f"SELECT w.id AS subject_id, w.point_id, w.agent_id FROM ({counted_rows}) w WHERE w.in_window > %s",  # noqa: S608
        (limit,),
    )
