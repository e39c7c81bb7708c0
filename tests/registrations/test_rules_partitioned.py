"""The rules' SQL on a partitioned registrations table (issue 15, "past one machine"; PostgreSQL only).

On the demo's registrations (a planted case of every rule among ~20,000 clean ones), copied into
1. a table partitioned by registered_at (quarterly ranges): every rule, run as one statement on the parent,
   flags exactly what it flags on the plain table;
2. a table partitioned by HASH (id_doc_hash) into 4 partitions, the layout Citus gives a table distributed by
   the document key: each rule is also run on each partition alone, as a shard would run it, and the union of
   the four answers compared with the whole table's. The rules whose answer is the union are the ones that
   stay one set-based statement per shard under that distribution; the others (README: Scaling) need data of
   other shards: a registration's activation by ICCID, other documents' registrations with the same portrait,
   other documents' registrations at the same point.
"""
# ruff: noqa: S608 - table names are this module's constants, values are parameters

import re

import pytest
from django.db import connection, transaction
from django.utils import timezone

from agents.demo import seed_agents
from registrations.checks import rules
from registrations.demo import seed_registrations
from registrations.models import Registration
from tests.conftest import require_or_skip

TABLE = Registration._meta.db_table
BY_TIME = "test_reg_by_time"
BY_DOC = "test_reg_by_doc"
SHARDS = 4
# Rules whose answer on a table distributed by id_doc_hash is the union of each shard's own answer: each row's
# own values, its point's and agent's (reference tables on every shard), or its document's other registrations.
SHARD_LOCAL_BY_DOCUMENT = {
    "PREACTIVATED",  # a registration and its SIM's activation, joined from the registration's side
    "INCOMPLETE_RECORD",
    "MISSING_PHOTOS",
    "INVALID_ID_NUMBER",
    "ID_DOB_MISMATCH",
    "UNDERAGE",
    "POPULATION_MISMATCH",
    "UNVERIFIED_IDENTITY",
    "EXCESS_SIMS_PER_ID",
    "UNAUTHORISED_POINT",
    "OUTSIDE_HOURS",
    "CONFLICTING_IDENTITY",
}
# ... and the ones that are not: an activation with no registration anywhere (an anti-join over every shard),
# a portrait shared by documents of different shards, a burst of registrations of many documents at one point.
NEEDS_OTHER_SHARDS = {"ACTIVATED_UNREGISTERED", "REUSED_PORTRAIT", "REGISTRATION_BURST"}
# ... and the ones that never read registrations: agents and points against the blacklist (reference tables).
READS_NO_REGISTRATIONS = {"BLACKLISTED_AGENT"}
ON_REGISTRATIONS = [code for code in rules.CODES if code not in READS_NO_REGISTRATIONS]


def _on(table: str, sql: str) -> str:
    """The rule's SQL reading `table` in place of the registrations table (the name as a whole word only)."""
    return re.sub(rf"\b{TABLE}\b", table, sql)


def _hits(sql: str, params) -> set[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return set(cursor.fetchall())


def _create_partitioned_copies() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT date_trunc('quarter', MIN(registered_at)), MAX(registered_at) FROM {TABLE}")
        first, last = cursor.fetchone()
        cursor.execute(f"CREATE TABLE {BY_TIME} (LIKE {TABLE} INCLUDING DEFAULTS) PARTITION BY RANGE (registered_at)")
        cursor.execute("SELECT generate_series(%s::timestamptz, %s, interval '3 months')", [first, last])
        starts = [row[0] for row in cursor.fetchall()]
        for index, start in enumerate(starts):
            cursor.execute(
                f"CREATE TABLE {BY_TIME}_{index} PARTITION OF {BY_TIME} "
                "FOR VALUES FROM (%s) TO (%s::timestamptz + interval '3 months')",
                [start, start],
            )
        cursor.execute(f"INSERT INTO {BY_TIME} SELECT * FROM {TABLE}")
        cursor.execute(f"CREATE TABLE {BY_DOC} (LIKE {TABLE} INCLUDING DEFAULTS) PARTITION BY HASH (id_doc_hash)")
        for remainder in range(SHARDS):
            cursor.execute(
                f"CREATE TABLE {BY_DOC}_{remainder} PARTITION OF {BY_DOC} "
                f"FOR VALUES WITH (MODULUS {SHARDS}, REMAINDER {remainder})"
            )
        cursor.execute(f"INSERT INTO {BY_DOC} SELECT * FROM {TABLE}")
        # the plain table's indexes but the unique ones (on a partitioned table they must hold the partition key)
        cursor.execute(
            "SELECT indexdef FROM pg_indexes WHERE tablename = %s AND indexdef NOT LIKE 'CREATE UNIQUE%%'", [TABLE]
        )
        for (definition,) in cursor.fetchall():
            for copy in (BY_TIME, BY_DOC):
                cursor.execute(re.sub(r"^CREATE INDEX \S+ ON \S+", f"CREATE INDEX ON {copy}", definition))
        cursor.execute(f"ANALYZE {BY_TIME}")
        cursor.execute(f"ANALYZE {BY_DOC}")


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """The demo's registrations and their partitioned copies, once for the module, rolled back at its end."""
    with django_db_blocker.unblock():
        if connection.vendor != "postgresql":
            yield None
            return
        with transaction.atomic():
            seed_agents()
            seed_registrations()
            _create_partitioned_copies()
            yield timezone.now()
            transaction.set_rollback(True)


@pytest.fixture
def now(demo, db):
    require_or_skip(demo is not None, "PostgreSQL (DATABASE_URL): partitioned tables")
    return demo


def test_the_copies_hold_every_registration_spread_over_their_partitions(now):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT COUNT(*) FROM {TABLE}")
        total = cursor.fetchone()[0]
        for table in (BY_TIME, BY_DOC):
            cursor.execute(f"SELECT COUNT(*), COUNT(DISTINCT tableoid) FROM {table}")
            rows, partitions = cursor.fetchone()
            assert rows == total > 10_000
            assert partitions > 1
        cursor.execute(f"SELECT COUNT(*) FROM {BY_DOC} WHERE id_doc_hash <> ''")
        assert cursor.fetchone()[0] > 0.9 * total


@pytest.mark.parametrize("code", ON_REGISTRATIONS)
def test_each_rule_flags_the_same_on_a_partitioned_table_as_on_the_plain_one(now, code):
    # given
    query = rules.RULES[code].query(None, now)
    plain = _hits(query.sql, query.params)
    # when
    by_time = _hits(_on(BY_TIME, query.sql), query.params)
    by_document = _hits(_on(BY_DOC, query.sql), query.params)
    # then: the demo plants a case of every rule, so this compares something
    assert plain
    assert by_time == plain
    assert by_document == plain


@pytest.mark.parametrize("code", ON_REGISTRATIONS)
def test_each_rule_is_shard_local_under_the_document_key_or_listed_as_needing_other_shards(now, code):
    # given: the rule on the whole table (distributed by id_doc_hash, equal to the plain table's: above) and on
    # each shard alone
    query = rules.RULES[code].query(None, now)
    whole = _hits(_on(BY_DOC, query.sql), query.params)
    union = set().union(*(_hits(_on(f"{BY_DOC}_{shard}", query.sql), query.params) for shard in range(SHARDS)))
    # then
    if code in SHARD_LOCAL_BY_DOCUMENT:
        assert union == whole
    else:
        assert code in NEEDS_OTHER_SHARDS
        assert union != whole


def test_every_rule_is_in_one_list_or_the_other():
    assert set(rules.CODES) == SHARD_LOCAL_BY_DOCUMENT | NEEDS_OTHER_SHARDS | READS_NO_REGISTRATIONS
    assert not SHARD_LOCAL_BY_DOCUMENT & NEEDS_OTHER_SHARDS
    assert not (SHARD_LOCAL_BY_DOCUMENT | NEEDS_OTHER_SHARDS) & READS_NO_REGISTRATIONS


@pytest.mark.parametrize("code", sorted(READS_NO_REGISTRATIONS))
def test_the_rules_left_out_never_read_registrations(now, code):
    query = rules.RULES[code].query(None, now)
    assert not re.search(rf"\b{TABLE}\b", query.sql)
