"""Benchmark: an incremental check run after a nightly delta, beside a full run (issue 15; PostgreSQL).

`bench/run.py --rules-rows N` runs it after the rules benchmark (`--incremental-delta 0` skips it). It
works on a copy of the rules database (`CREATE DATABASE <rules db>_incr TEMPLATE <rules db>`: the rules
data is shared and never written here), migrated (the change marks of 0013_incremental_checks), and
dropped at the end unless --keep-incremental-copy:

1. a full run_checks: the baseline an incremental run starts from (its watermark);
2. a delta as a nightly load brings it: DELTA new registrations of the last days (the rules bench's own
   generator, planted violations included: heavy documents, bursts, shared portraits), their
   activations, and updates of 1% of the delta's size among older rows (cancellations, population checks);
3. `run_checks --incremental`: per rule, what it judged again and its time;
4. a full run_checks on the same state: the figure the incremental run is compared with (target: under
   10% of it).
"""

import time

from django.conf import settings
from django.db import connection, connections

from bench import rules as rules_bench

TARGET_SHARE = 0.10


def _maintenance_cursor():
    import psycopg

    db = settings.DATABASES["default"]
    conn = psycopg.connect(
        host=db.get("HOST") or None,
        port=db.get("PORT") or None,
        user=db.get("USER") or None,
        password=db.get("PASSWORD") or None,
        dbname="postgres",
        autocommit=True,
    )
    return conn


def _copy(source: str, target: str) -> float:
    connection.close()
    started = time.perf_counter()
    with _maintenance_cursor() as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{target}"')
        conn.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}"')
    return time.perf_counter() - started


def _use(name: str) -> None:
    connection.close()
    settings.DATABASES["default"]["NAME"] = name
    connections["default"].settings_dict["NAME"] = name


def _delta(n: int, delta: int) -> dict:
    """DELTA registrations after the first n (the generator's rows n+1 .. n+delta: the last days), their
    activations, and delta/100 updates of older rows; seconds per part."""
    from registrations.models import Registration

    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM registrations_registration")
        top = cursor.fetchone()[0]
    points, agents = rules_bench._points(max(100, n // 2000))
    start = (rules_bench.timezone.now() - rules_bench.timedelta(days=182)).date()
    times = {}
    with connection.cursor() as cursor:
        started = time.perf_counter()
        params = {
            "first": n + 1,
            "last": n + delta,
            "total": n + delta,
            "points": points,
            "agents": agents,
            "n_points": len(points),
            "start": start,
            "days": 181,
        }
        cursor.execute(rules_bench._INSERT_REGISTRATIONS.replace("'B' || lpad", "'D' || lpad"), params)
        times["registrations"] = time.perf_counter() - started
        started = time.perf_counter()
        cursor.execute(rules_bench._INSERT_ACTIVATIONS, {"first": top + 1, "last": top + delta})
        times["activations"] = time.perf_counter() - started
        started = time.perf_counter()
        updates = max(delta // 100, 1)
        cursor.execute(
            "UPDATE registrations_registration SET status = 'CANCELLED', cancelled_at = registered_at "
            "WHERE id IN (SELECT id FROM registrations_registration WHERE id <= %s AND status = 'ACTIVE' "
            "AND id %% 997 = 5 LIMIT %s)",
            [top, updates // 2],
        )
        cursor.execute(
            "UPDATE registrations_registration SET population_check = 'MISMATCH' "
            "WHERE id IN (SELECT id FROM registrations_registration WHERE id <= %s AND id %% 991 = 7 LIMIT %s)",
            [top, updates - updates // 2],
        )
        times["updates"] = time.perf_counter() - started
        for table in ("registrations_registration", "registrations_activation"):
            cursor.execute(f"ANALYZE {table}")
    times["rows"] = Registration.objects.filter(id__gt=top).count()
    return times


def _timed_run(incremental: bool):
    from registrations.checks.runner import run_checks
    from registrations.models import CheckRun

    started = time.perf_counter()
    run = run_checks(trigger=CheckRun.Trigger.COMMAND, incremental=incremental)
    return time.perf_counter() - started, run


def _totals(run) -> str:
    totals = {k: sum(r.get(k, 0) for r in run.results.values()) for k in ("new", "reopened", "resolved")}
    return ", ".join(f"{k} {v:,}" for k, v in totals.items())


def run(n: int, delta: int = 200_000, keep: bool = False, figures: dict | None = None) -> list[str]:
    """The figures; the default connection ends pointed at the rules database (as bench/rules.py leaves it).
    `figures`, if given, gets the target's figures (bench/summary.py)."""
    figures = {} if figures is None else figures
    if connection.vendor != "postgresql":
        return ["incremental checks benchmark skipped: it needs PostgreSQL"]
    # the rules database as bench/rules.py names it, not migrated here: only the copy is written
    name = settings.DATABASES["default"]["NAME"]
    source = name if name.endswith("_rules") else f"{name}_rules"
    target = f"{source}_incr"
    copy_seconds = _copy(source, target)
    _use(target)
    from django.core.management import call_command

    started = time.perf_counter()
    call_command("migrate", verbosity=0)
    migrate_seconds = time.perf_counter() - started
    lines = [
        f"incremental checks on {n:,} registrations + a delta of {delta:,} (copy {target}: "
        f"{copy_seconds:.0f} s to copy, {migrate_seconds:.0f} s to migrate)"
    ]
    try:
        seconds, baseline = _timed_run(incremental=False)
        lines.append(f"  full run (baseline)            {seconds:7.1f} s  {_totals(baseline)}")
        times = _delta(n, delta)
        lines.append(
            f"  delta loaded                   {times['registrations']:7.1f} s  {times['rows']:,} registrations; "
            f"activations {times['activations']:.1f} s; {max(delta // 100, 1):,} updates {times['updates']:.1f} s"
        )
        inc_seconds, incremental = _timed_run(incremental=True)
        lines.append(
            f"  incremental run                {inc_seconds:7.1f} s  {_totals(incremental)}; "
            f"{incremental.rows_scanned:,} changed rows; status {incremental.status}"
        )
        judged = sorted(incremental.results.items(), key=lambda item: -item[1].get("seconds", 0))
        lines.append(
            "      per rule (judged, s): "
            + ", ".join(f"{code} {r.get('judged', 0):,} {r.get('seconds', 0):.2f}" for code, r in judged)
        )
        full_seconds, full = _timed_run(incremental=False)
        lines.append(f"  full run on the same state     {full_seconds:7.1f} s  {_totals(full)}")
        share = inc_seconds / full_seconds
        figures.update(
            size=n, delta=delta, incremental_seconds=inc_seconds, full_seconds=full_seconds, baseline_seconds=seconds
        )
        lines.append(
            f"  incremental / full             {share * 100:6.1f} %  "
            f"({'within' if share < TARGET_SHARE else 'OVER'} the {TARGET_SHARE * 100:.0f}% target)"
        )
    finally:
        _use(source)
        if not keep:
            with _maintenance_cursor() as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{target}"')
    return lines
