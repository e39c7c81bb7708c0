"""What the rule modules share: table names, and the few expressions PostgreSQL and SQLite spell differently.

Every rule is one SELECT of `subject_id, point_id, agent_id` (one row per flagged subject). Values come
in as parameters, except whole numbers that `params.validate_parameters` has checked, which some frames
need as literals.

Time. Django stores instants in UTC: PostgreSQL as timestamptz; SQLite as text
`YYYY-MM-DD HH:MM:SS[.ffffff]`, which compares correctly as a string. "Local" is Asia/Ho_Chi_Minh: UTC+7 with
no daylight saving time since 1975, so both databases add 7 hours (fixed-offset arithmetic, the same on
both and independent of the session's time zone).
SQLite's date functions round fractional seconds to milliseconds (23:59:59.9996 would become the next
day), so they get the whole seconds only (`substr(col, 1, 19)`) and the fraction is carried over as text.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db import connection

from agents.models import Agent, RegistrationPoint, StatusChange

from ...models import Activation, Registration

REG = Registration._meta.db_table
ACT = Activation._meta.db_table
POINT = RegistrationPoint._meta.db_table
AGENT = Agent._meta.db_table
STATUS_CHANGE = StatusChange._meta.db_table

LOCAL_OFFSET_HOURS = 7
# A time after every registration: the open end of the last status period.
FAR_FUTURE = datetime.fromisoformat("9999-01-01T00:00:00+00:00")


@dataclass(frozen=True)
class Query:
    """One SELECT of (subject_id, point_id, agent_id) and its parameters (%s placeholders)."""

    sql: str
    params: tuple = ()


def postgres() -> bool:
    return connection.vendor == "postgresql"


def instant(value: datetime):
    """An aware datetime as a parameter compared with a datetime column (SQLite: its stored text)."""
    return connection.ops.adapt_datetimefield_value(value)


def counted(alias: str) -> str:
    """The group rules count and flag only registrations that are not cancelled (nor anonymised: an
    anonymised registration takes no further part in any rule, DESIGN section 3)."""
    return f"{alias}.status <> 'CANCELLED' AND {alias}.anonymised_at IS NULL"


def local_timestamp(col: str) -> str:
    """PostgreSQL: an instant column as a local timestamp (without time zone).

    Fixed-offset arithmetic, like SQLite's: it does not depend on the session's time zone, and it costs
    half of a time zone lookup per row.
    """
    return f"({col} AT TIME ZONE 'UTC' + interval '{LOCAL_OFFSET_HOURS} hours')"


def local_time(col: str) -> str:
    """Local time of day of an instant column, with its fraction (comparable with a TimeField column)."""
    if postgres():
        return f"{local_timestamp(col)}::time"
    return f"(time(substr({col}, 1, 19), '+{LOCAL_OFFSET_HOURS} hours') || substr({col}, 20))"


def local_midnight(date_col: str) -> str:
    """The instant a local date begins (comparable with a datetime column)."""
    if postgres():
        return f"(({date_col}::timestamp - interval '{LOCAL_OFFSET_HOURS} hours') AT TIME ZONE 'UTC')"
    return f"datetime({date_col}, '-{LOCAL_OFFSET_HOURS} hours')"


def under_age(instant_col: str, dob_col: str, years: int) -> str:
    """True when fewer than `years` completed years lie between `dob_col` and the local date of `instant_col`.

    PostgreSQL: the birth date is after the local date minus `years` years (PostgreSQL takes 29 February
    back to 28 February in a common year, which is what "a 29 February birthday falls on 1 March" needs:
    on 28 February the 29-February-born is still younger, on 1 March no longer). SQLite moves 29 February
    forward instead, so there: YYYYMMDD(local date) - YYYYMMDD(birth date) < years * 10000, the
    completed-years formula (month and day compared as one number; 29 February lies between 28 February
    and 1 March of every year).
    """
    years = int(years)
    if postgres():
        return f"{dob_col} > ({local_timestamp(instant_col)} - interval '{years} years')::date"
    local_ymd = f"CAST(strftime('%%Y%%m%%d', substr({instant_col}, 1, 19), '+{LOCAL_OFFSET_HOURS} hours') AS INTEGER)"
    dob_ymd = f"CAST(strftime('%%Y%%m%%d', {dob_col}) AS INTEGER)"
    return f"{local_ymd} - {dob_ymd} < {years * 10000}"


def epoch_microseconds(col: str) -> str:
    """SQLite: an instant column as whole microseconds since 1970 (exact, unlike julianday's float)."""
    return (
        f"(CAST(strftime('%%s', substr({col}, 1, 19)) AS INTEGER) * 1000000"
        f" + CAST(substr({col} || '.000000', 21, 6) AS INTEGER))"
    )


def window_count(alias: str, window_microseconds: int, partition: str | None = None) -> str:
    """COUNT(*) of the counted rows at the same point with registered_at in (t - window, t], t the row's own.

    A RANGE frame, so the window is by time, not by rows, and rows at the very same instant are all in
    it. The frame's start is inclusive, so it begins one microsecond (the resolution of both databases'
    timestamps) after t - window. `partition`: which rows count together (default: a point's).
    """
    span = int(window_microseconds) - 1
    if postgres():
        order, preceding = f"{alias}.registered_at", f"interval '{span} microseconds'"
    else:
        order, preceding = epoch_microseconds(f"{alias}.registered_at"), str(span)
    return (
        f"COUNT(*) OVER (PARTITION BY {partition or f'{alias}.point_id'} ORDER BY {order} "
        f"RANGE BETWEEN {preceding} PRECEDING AND CURRENT ROW)"
    )


def c_collate(expr: str) -> str:
    """Order strings by code point on PostgreSQL too (SQLite's default BINARY already does)."""
    return f'{expr} COLLATE "C"' if postgres() else expr
