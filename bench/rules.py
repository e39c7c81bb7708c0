"""Benchmark: the rules (DESIGN section 5 and BLACKLISTED_AGENT) and a full check run on N synthetic
registrations (PostgreSQL).

`bench/run.py --rules-rows N` (only when given). The rows go into the real tables of a database of their
own (the bench database's name + "_rules", created if missing, migrated), generated server-side with
generate_series (no client in the loop), so 10 million rows take minutes. The secondary indexes are
dropped for the load and built again after it, as a bulk load would. The data is kept and reused by a
later run with the same N.

The synthetic data is clean except for planted violations of every rule at rates like the demo's
(a few per thousand), so each rule has work to do: heavy ID documents (5 SIMs), bursts of 25
registrations in 8 minutes, shared portraits, conflicting names, early activations, orphan
activations, suspended points, registrations outside the hours.

Figures:
- `count(*)` of the registrations by a scan of the table (median of 3, warm): the yardstick (the index-only
  count(*) PostgreSQL plans after VACUUM is printed beside it);
- each rule's SELECT alone (COUNT(*) of its hits, the work_mem of a check run), and its ratio to count(*)
  (target: no rule over 30x);
- a full `run_checks` that writes the flags (first run: all new), then a second one on unchanged data
  (only last_seen moves), per rule and in total (target at 10M rows: all 15 rules under 2 minutes), and
  the process's peak memory before and after (flat: nothing is fetched into Python).
"""

import resource
import statistics
import time
from datetime import timedelta

from django.conf import settings
from django.db import connection, connections, transaction
from django.utils import timezone

TARGET_RATIO = 30
TARGET_TOTAL_SECONDS_AT_10M = 120
CHUNK = 1_000_000


# --- a database of its own --------------------------------------------------------------------------


def use_rules_database() -> str:
    """Point the default connection at <bench db>_rules (created if missing) and migrate it."""
    from django.core.management import call_command

    name = settings.DATABASES["default"]["NAME"] + "_rules"
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name])
        if cursor.fetchone() is None:
            cursor.execute(f'CREATE DATABASE "{name}"')
    connection.close()
    settings.DATABASES["default"]["NAME"] = name
    connections["default"].settings_dict["NAME"] = name
    call_command("migrate", verbosity=0)
    return name


# --- synthetic data ---------------------------------------------------------------------------------


def _points(n_points: int) -> tuple[list[int], list[int]]:
    """n_points points (the first 1/10 the operator's own), two agents; a few with an authorisation that
    ended, a few suspended for ten days in the middle of the period."""
    from agents.models import Agent, RegistrationPoint, StatusChange

    operator, _ = Agent.objects.get_or_create(
        code="BR-OP", defaults={"name": "Bench operator", "kind": "OPERATOR", "province_id": "001"}
    )
    dealer, _ = Agent.objects.get_or_create(
        code="BR-AG", defaults={"name": "Bench dealer", "kind": "AUTHORISED", "province_id": "079"}
    )
    have = RegistrationPoint.objects.filter(code__startswith="BR-").count()
    if have < n_points:
        now = timezone.now()
        new = []
        for k in range(have, n_points):
            own = k % 10 == 0
            new.append(
                RegistrationPoint(
                    code=f"BR-{k:06d}",
                    agent=operator if own else dealer,
                    name=f"Bench point {k}",
                    kind="OPERATOR_FIXED" if own else "AUTHORISED_FIXED",
                    province_id="001" if own else "079",
                    opens_at="08:00",
                    closes_at="21:00",
                    authorised_from=(now - timedelta(days=400)).date(),
                    # 1 in 200: the authorisation ended 60 days ago
                    authorised_until=(now - timedelta(days=60)).date() if k % 200 == 7 else None,
                )
            )
        RegistrationPoint.objects.bulk_create(new, batch_size=5000)
        points = RegistrationPoint.objects.filter(code__startswith="BR-").order_by("code")
        changes = []
        for point in points:
            changes.append(StatusChange(point=point, changed_at=now - timedelta(days=400), to_status="ACTIVE"))
            if int(point.code[3:]) % 100 == 3:  # 1 in 100: suspended for ten days
                changes.append(
                    StatusChange(
                        point=point, changed_at=now - timedelta(days=50), from_status="ACTIVE", to_status="SUSPENDED"
                    )
                )
                changes.append(
                    StatusChange(
                        point=point, changed_at=now - timedelta(days=40), from_status="SUSPENDED", to_status="ACTIVE"
                    )
                )
        StatusChange.objects.bulk_create(changes, batch_size=5000)
    rows = list(
        RegistrationPoint.objects.filter(code__startswith="BR-").order_by("code").values_list("id", "agent_id")
    )[:n_points]
    return [r[0] for r in rows], [r[1] for r in rows]


_INSERT_REGISTRATIONS = """
INSERT INTO registrations_registration (
    external_id, msisdn, iccid, channel, point_id, agent_id, clerk_code, subscriber_name, name_key,
    date_of_birth, gender, nationality, id_doc_type, id_doc_number, id_doc_hash, id_number_issue,
    id_dob_issue, id_issue_date, id_issue_place, address, registered_at, has_portrait, has_id_front,
    has_id_back, portrait_sha256, population_check, status, row_fingerprint, created_at, updated_at
)
SELECT
    'B' || lpad(g.i::text, 10, '0'),
    '+8491' || lpad((g.i %% 10000000)::text, 7, '0'),
    '8984' || lpad(g.i::text, 16, '0'),
    CASE WHEN s.app THEN 'APP' ELSE 'POINT' END,
    CASE WHEN s.app THEN NULL ELSE s.point_id END,
    CASE WHEN s.app THEN NULL ELSE s.agent_id END,
    'NV' || (g.i %% 50),
    CASE WHEN g.i %% 4100 = 9 THEN '' ELSE s.name END,
    CASE WHEN g.i %% 4100 = 9 THEN '' ELSE lower(s.name) END,
    s.dob,
    CASE WHEN s.doc %% 2 = 0 THEN 'M' ELSE 'F' END,
    'VN',
    CASE WHEN g.i %% 5000 = 1 THEN 'GPLX' ELSE 'CCCD' END,
    CASE WHEN g.i %% 4000 = 2 THEN '' ELSE 'v1:k1:' || md5('n' || s.doc) || md5('m' || s.doc) END,
    CASE WHEN g.i %% 4000 = 2 THEN NULL ELSE decode(md5('d' || s.doc) || md5('e' || s.doc), 'hex') END,
    CASE WHEN g.i %% 5000 = 1 THEN 'unknown_doc_type' WHEN g.i %% 3000 = 5 THEN 'cccd_not_12_digits' ELSE '' END,
    CASE WHEN g.i %% 2500 = 7 THEN 'dob_year_mismatch' ELSE '' END,
    CASE WHEN g.i %% 4500 = 3 THEN NULL ELSE DATE '2022-03-01' END,
    'Cục Cảnh sát QLHC về TTXH',
    CASE WHEN g.i %% 5000 = 4 THEN '' ELSE 'v1:k1:' || md5('a' || g.i) || md5('b' || g.i) END,
    s.registered_at,
    g.i %% 700 <> 0,
    TRUE,
    g.i %% 900 <> 0,
    CASE WHEN g.i %% 700 = 0 THEN NULL
         WHEN g.i %% 2000 = 11
         THEN decode(md5('shared' || (g.i / 2000) %% 10) || md5('face' || (g.i / 2000) %% 10), 'hex')
         ELSE decode(md5('p' || g.i) || md5('q' || g.i), 'hex') END,
    CASE WHEN s.r %% 1000 < 5 THEN 'MISMATCH' WHEN s.r %% 1000 < 9 THEN 'PENDING'
         WHEN s.r %% 1000 < 11 THEN 'NOT_CHECKED' ELSE 'MATCH' END,
    CASE WHEN s.r %% 100 = 99 THEN 'CANCELLED' ELSE 'ACTIVE' END,
    NULL,
    now(),
    now()
FROM generate_series(%(first)s::bigint, %(last)s::bigint) AS g(i)
CROSS JOIN LATERAL (
    SELECT
        t.r,
        t.r %% 100 < 8 AND NOT t.burst AS app,
        CASE WHEN t.burst THEN (%(points)s::bigint[])[1 + (g.i / 20000) %% %(n_points)s]
             ELSE (%(points)s::bigint[])[1 + (t.r / 100) %% %(n_points)s] END AS point_id,
        CASE WHEN t.burst THEN (%(agents)s::bigint[])[1 + (g.i / 20000) %% %(n_points)s]
             ELSE (%(agents)s::bigint[])[1 + (t.r / 100) %% %(n_points)s] END AS agent_id,
        t.doc,
        CASE WHEN g.i %% 1000 = 0 THEN 'Trần Thị ' ELSE 'Nguyễn Văn ' END || t.doc AS name,
        CASE WHEN g.i %% 333 = 0 THEN (t.at AT TIME ZONE 'Asia/Ho_Chi_Minh')::date - 3650
             ELSE DATE '1960-01-01' + ((abs(t.doc) * 7) %% 17000)::int END AS dob,
        t.at AS registered_at
    FROM (
        SELECT
            (hashint8(g.i) & 2147483647) AS r,
            g.i %% 20000 < 25 AS burst,
            -- 1 in 100 on one of a few heavy documents (5 SIMs each at 1M rows), the others on their own
            CASE WHEN g.i %% 100 = 0 THEN -1 - (g.i / 100) %% (%(total)s / 500 + 1) ELSE g.i END AS doc,
            CASE WHEN g.i %% 20000 < 25
                 -- a burst: 25 registrations 20 seconds apart at one point
                 THEN ((%(start)s::date + (g.i * %(days)s / %(total)s)::int + time '14:00')
                       AT TIME ZONE 'Asia/Ho_Chi_Minh') + (g.i %% 20000) * interval '20 seconds'
                 WHEN g.i %% 500 = 17
                 -- outside the hours: between 21:00 and 21:59
                 THEN ((%(start)s::date + (g.i * %(days)s / %(total)s)::int + time '21:00')
                       AT TIME ZONE 'Asia/Ho_Chi_Minh') + ((hashint8(g.i) & 2147483647) %% 3600) * interval '1 second'
                 ELSE ((%(start)s::date + (g.i * %(days)s / %(total)s)::int + time '08:00')
                       AT TIME ZONE 'Asia/Ho_Chi_Minh')
                      + ((hashint8(g.i) & 2147483647) %% 46800) * interval '1 second'
                      + ((hashint8(-g.i) & 1048575) %% 1000000) * interval '1 microsecond'
            END AS at
    ) t
) s
"""

_INSERT_ACTIVATIONS = """
INSERT INTO registrations_activation (iccid, msisdn, activated_at, created_at, updated_at)
SELECT r.iccid, r.msisdn,
       r.registered_at + CASE WHEN r.id %% 1000 = 1 THEN interval '-2 days' ELSE interval '35 minutes' END,
       now(), now()
FROM registrations_registration r
WHERE r.id BETWEEN %(first)s AND %(last)s AND r.id %% 20 <> 0 AND r.registered_at < now() - interval '1 hour'
"""

_INSERT_ORPHANS = """
INSERT INTO registrations_activation (iccid, msisdn, activated_at, created_at, updated_at)
SELECT '8999' || lpad(g.i::text, 16, '0'), '+8498' || lpad((g.i %% 10000000)::text, 7, '0'),
       now() - (g.i %% 100) * interval '1 day' - interval '2 hours', now(), now()
FROM generate_series(1, %(n)s) AS g(i)
"""


def _secondary_indexes(tables: list[str]) -> list[tuple[str, str]]:
    """(name, CREATE INDEX statement) of the indexes that back no constraint, to drop for a bulk load."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT i.indexname, i.indexdef FROM pg_indexes i
            WHERE i.tablename = ANY(%s)
              AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conname = i.indexname)
            """,
            [tables],
        )
        return cursor.fetchall()


def generate(n: int, log) -> None:
    tables = ["registrations_registration", "registrations_activation"]
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE registrations_flagevent, registrations_flag, registrations_checkrun, "
            "registrations_activation, registrations_registration RESTART IDENTITY CASCADE"
        )
    points, agents = _points(max(100, n // 2000))
    indexes = _secondary_indexes(tables)
    started = time.monotonic()
    with connection.cursor() as cursor:
        cursor.execute("SET maintenance_work_mem = '1GB'")
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX IF EXISTS "{name}"')
        try:
            start = (timezone.now() - timedelta(days=182)).date()
            for first in range(1, n + 1, CHUNK):
                last = min(first + CHUNK - 1, n)
                params = {
                    "first": first,
                    "last": last,
                    "total": n,
                    "points": points,
                    "agents": agents,
                    "n_points": len(points),
                    "start": start,
                    "days": 181,
                }
                cursor.execute(_INSERT_REGISTRATIONS, params)
                cursor.execute(_INSERT_ACTIVATIONS, {"first": first, "last": last})
                log(f"  generated {last:,} of {n:,} registrations ({time.monotonic() - started:.0f} s)")
            cursor.execute(_INSERT_ORPHANS, {"n": max(n // 200, 10)})
        finally:
            # even after a failure: a later run must find the schema whole
            for _name, definition in indexes:
                cursor.execute(definition)
        log(f"  indexes built ({time.monotonic() - started:.0f} s)")
        for table in (*tables, "agents_registrationpoint", "agents_agent", "agents_statuschange"):
            cursor.execute(f"VACUUM ANALYZE {table}")
    log(f"  {n:,} registrations generated in {time.monotonic() - started:.0f} s")


# --- measuring --------------------------------------------------------------------------------------


def _timed(sql: str, params=(), work_mem: str | None = None, seq_scan: bool = False) -> tuple[float, object]:
    with transaction.atomic(), connection.cursor() as cursor:
        if work_mem:  # as a check run sets them
            cursor.execute("SELECT set_config('work_mem', %s, true)", [work_mem])
            cursor.execute("SELECT set_config('jit', 'off', true)")
        if seq_scan:  # read the table itself, not the visibility map and the narrowest index
            for setting in ("enable_indexonlyscan", "enable_indexscan", "enable_bitmapscan"):
                cursor.execute("SELECT set_config(%s, 'off', true)", [setting])
        started = time.perf_counter()
        cursor.execute(sql, params)
        value = cursor.fetchone()[0]
        return time.perf_counter() - started, value


def _peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(n: int) -> list[str]:
    from registrations.checks import rules
    from registrations.checks.runner import run_checks
    from registrations.models import CheckRun, Registration

    lines: list[str] = []

    def log(text: str) -> None:
        print(text, flush=True)

    if connection.vendor != "postgresql":
        return ["rules benchmark skipped: it needs PostgreSQL"]
    name = use_rules_database()
    if Registration.objects.count() != n:
        log(f"rules benchmark: generating {n:,} registrations in {name}")
        generate(n, log)
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE registrations_flagevent, registrations_flag, registrations_checkrun CASCADE")
        cursor.execute("SELECT pg_size_pretty(pg_total_relation_size('registrations_registration'))")
        size = cursor.fetchone()[0]
    work_mem = getattr(settings, "CHECKS_WORK_MEM", "256MB")
    # The yardstick is a scan of the table (count(*) read from the heap): after VACUUM, PostgreSQL answers a
    # plain count(*) from the visibility map and the narrowest index, which reads a fraction of the table.
    count_sql = "SELECT COUNT(*) FROM registrations_registration"
    index_only = statistics.median(_timed(count_sql)[0] for _ in range(3))
    base = statistics.median(_timed(count_sql, seq_scan=True)[0] for _ in range(3))
    lines.append(f"rules on {n:,} registrations ({size} with indexes; database {name})")
    lines.append(f"  count(*), table scan     {base * 1000:9.0f} ms   (the yardstick below)")
    lines.append(f"  count(*), index only     {index_only * 1000:9.0f} ms   (after VACUUM; for reference)")
    now = timezone.now()
    worst = 0.0
    select_total = 0.0
    for code in rules.CODES:
        query = rules.RULES[code].query(None, now)
        seconds, hits = _timed(f"SELECT COUNT(*) FROM ({query.sql}) q", query.params, work_mem)  # noqa: S608
        ratio = seconds / base
        worst = max(worst, ratio)
        select_total += seconds
        flag = "  OVER" if ratio > TARGET_RATIO else ""
        lines.append(f"  {code:<24} {seconds * 1000:9.0f} ms {ratio:6.1f}x scan {hits:>10,} hits{flag}")
    lines.append(
        f"  all {len(rules.CODES)} SELECTs           {select_total:9.1f} s   worst {worst:.1f}x the table scan "
        f"({'within' if worst <= TARGET_RATIO else 'OVER'} the {TARGET_RATIO}x target)"
    )
    for label in ("first run_checks (flags written)", "second run_checks (unchanged)"):
        rss_before = _peak_rss_mb()
        started = time.perf_counter()
        checkrun = run_checks(trigger=CheckRun.Trigger.COMMAND)
        seconds = time.perf_counter() - started
        totals = {k: sum(r.get(k, 0) for r in checkrun.results.values()) for k in ("new", "still_open", "resolved")}
        lines.append(
            f"  {label:<36} {seconds:7.1f} s  status {checkrun.status}; new {totals['new']:,}, still open "
            f"{totals['still_open']:,}, resolved {totals['resolved']:,}; peak RSS {rss_before:.0f} -> "
            f"{_peak_rss_mb():.0f} MB"
        )
        slowest = sorted(checkrun.results.items(), key=lambda item: -item[1].get("seconds", 0))[:4]
        lines.append("      slowest: " + ", ".join(f"{code} {r.get('seconds', 0):.1f} s" for code, r in slowest))
    scale = 10_000_000 / n
    lines.append(
        f"  target at 10M rows: all 15 rules under {TARGET_TOTAL_SECONDS_AT_10M} s (linear estimate from here: "
        f"{select_total * scale:.0f} s for the SELECTs)"
    )
    return lines
