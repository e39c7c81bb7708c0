"""The rules of DESIGN section 5: code -> a function (params, now) -> one SELECT of the flagged subjects.

Each function returns a `Query` whose rows are (subject_id, point_id, agent_id), one per flagged
subject (BLACKLISTED_AGENT, whose subject is an agent or a point, adds a fourth column, subject_type):
set-based SQL that runs the same on PostgreSQL and SQLite. `registrations.checks.runner` records
the flags; `evaluate` and `count_hits` run a rule without recording anything (tests, backtests).

    from registrations.checks import rules
    rules.RULES["UNDERAGE"].query({"min_age": 14}, now)
    rules.evaluate("UNDERAGE", {"min_age": 16})      # [(subject_id, point_id, agent_id), ...]
"""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db import connection
from django.utils import timezone

from . import blacklist, documents, points, records, sims
from .catalogue import BY_CODE, CODES
from .params import default_parameters, parameter_schema, validate_parameters
from .sql import Query

__all__ = [
    "CODES",
    "RULES",
    "TYPED",
    "Query",
    "RuleSpec",
    "count_hits",
    "default_parameters",
    "evaluate",
    "iter_hits",
    "parameter_schema",
    "validate_parameters",
]


@dataclass(frozen=True)
class RuleSpec:
    code: str
    subject_type: str  # SubjectType value: "registration", "activation" or "agent" (an agent or a point)
    severity: str
    build: Callable[[dict, datetime], Query]

    @property
    def typed(self) -> bool:
        """True when the rule's SELECT gives each row's subject_type (its subjects are of several types)."""
        return self.code in TYPED

    def query(self, params: dict | None, now: datetime) -> Query:
        """The rule's SELECT with `params` (validated; missing ones take their defaults) as of `now`."""
        return self.build(validate_parameters(self.code, params or {}), now)


_FUNCTIONS: dict[str, Callable[[dict, datetime], Query]] = {
    "PREACTIVATED": sims.preactivated,
    "ACTIVATED_UNREGISTERED": sims.activated_unregistered,
    "INCOMPLETE_RECORD": records.incomplete_record,
    "MISSING_PHOTOS": records.missing_photos,
    "INVALID_ID_NUMBER": documents.invalid_id_number,
    "ID_DOB_MISMATCH": documents.id_dob_mismatch,
    "UNDERAGE": records.underage,
    "POPULATION_MISMATCH": records.population_mismatch,
    "UNVERIFIED_IDENTITY": records.unverified_identity,
    "EXCESS_SIMS_PER_ID": documents.excess_sims_per_id,
    "UNAUTHORISED_POINT": points.unauthorised_point,
    "OUTSIDE_HOURS": points.outside_hours,
    "REUSED_PORTRAIT": documents.reused_portrait,
    "CONFLICTING_IDENTITY": documents.conflicting_identity,
    "REGISTRATION_BURST": points.registration_burst,
    "BLACKLISTED_AGENT": blacklist.blacklisted_agent,
}
# Rules whose SELECT has a fourth column, subject_type, and that every run judges in full (few subjects).
TYPED = frozenset({"BLACKLISTED_AGENT"})

RULES: dict[str, RuleSpec] = {
    code: RuleSpec(code, BY_CODE[code]["subject_type"], BY_CODE[code]["severity"], _FUNCTIONS[code]) for code in CODES
}


def iter_hits(code: str, params: dict | None = None, now: datetime | None = None, chunk: int = 2000) -> Iterator[tuple]:
    """The rule's flagged (subject_id, point_id, agent_id), streamed from the database; nothing is recorded."""
    query = RULES[code].query(params, now or timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(query.sql, query.params)
        while rows := cursor.fetchmany(chunk):
            yield from rows


def evaluate(code: str, params: dict | None = None, now: datetime | None = None) -> list[tuple]:
    """All flagged (subject_id, point_id, agent_id) of a rule, sorted: for tests and small data."""
    return sorted(iter_hits(code, params, now), key=lambda row: tuple((v is not None, v or 0) for v in row))


def count_hits(code: str, params: dict | None = None, now: datetime | None = None) -> int:
    """How many subjects the rule would flag with these parameters (a backtest); nothing is recorded."""
    query = RULES[code].query(params, now or timezone.now())
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM ({query.sql}) hits", query.params)  # noqa: S608
        return cursor.fetchone()[0]
