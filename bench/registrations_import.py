"""Benchmark: bulk import of registrations.csv against the raw binary COPY limit, and lookup latency.

Run by `make bench` (PostgreSQL). Figures, each beside its ceiling measured in the same run:
- raw COPY: the file's rows read with the csv module and binary-COPYed as text into a bare table (no
  index, no check): what any loader written in Python could reach, the ceiling;
- the import's Python work alone (read, check, encrypt, hash; no database): a single process's own bound;
- first load into an empty table: `manage.py import_registrations --no-bulk` (batch upserts into the
  indexed table, as before issue 15), then the same file in bulk mode (registrations.imports.bulk: staged,
  then merged with the secondary indexes and foreign keys dropped and rebuilt), as a share of the raw COPY
  (target 50%, index builds included), with the child's peak memory (its VmHWM);
- the same rows inserted server-side (INSERT ... SELECT, no client at all) into a copy of the table with
  its indexes and foreign keys: what this schema costs the database per row;
- re-import of the same file (every row unchanged);
- lookups by MSISDN, ICCID and id_doc_hash at the database (EXPLAIN ANALYZE execution time);
- a nightly file of 200,000 new rows into the table as the first load left it, beside the same file into
  an empty table (target 70%; measured first, so that the table ends holding both files for the pages).

The generated files are kept in bench/out/ (git-ignored) and reused by later runs of the same size.
"""

import csv
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path

from django.db import connection
from stdnum import luhn

from agents.models import RegistrationPoint
from core.crypto import pii_digest
from core.models import ImportJob
from registrations.imports.rows import REGISTRATION_COLUMNS
from registrations.validators import LOCAL_TZ, normalise_msisdn, province_codes

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "bench" / "out"
GENERATOR_VERSION = 1
TARGET_SHARE = 50  # % of the raw COPY rate, first load (bulk mode)
TARGET_NIGHTLY_SHARE = 70  # % of the same nightly file's rate into an empty table
TARGET_MEMORY_MB = 300

FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô"]
MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Thu", "Gia", "Xuân", "Kim"]
GIVEN = ["An", "Bình", "Chi", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Khánh", "Lan", "Linh", "Long", "Mai"]
GIVEN += ["Nam", "Ngân", "Phong", "Phương", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Trung", "Tuấn", "Vy", "Yến"]
STREETS = ["Lê Lợi", "Trần Hưng Đạo", "Nguyễn Huệ", "Hai Bà Trưng", "Lý Thường Kiệt", "Điện Biên Phủ"]
CITIES = ["Hà Nội", "TP Hồ Chí Minh", "Đà Nẵng", "Hải Phòng", "Cần Thơ", "Huế", "Nha Trang"]
MOBILE_PREFIXES = ["32", "33", "34", "35", "36", "37", "38", "39", "70", "76", "77", "78", "79", "81", "82", "83"]
MOBILE_PREFIXES += ["84", "85", "86", "88", "89", "90", "91", "93", "94", "96", "97", "98"]


def _points(n_points: int) -> list[str]:
    codes = list(RegistrationPoint.objects.order_by("code").values_list("code", flat=True)[:n_points])
    if not codes:
        from bench.agents_list import ensure_points

        ensure_points(1000)
        codes = list(RegistrationPoint.objects.order_by("code").values_list("code", flat=True)[:n_points])
    return codes


def generate(path: Path, n: int, points: list[str], seed: int = 7, prefix: str = "BR") -> None:
    """n rows streamed to path; about 1 in 100 is rejectable (a landline MSISDN or a bad Luhn digit)."""
    rnd = random.Random(seed)
    provinces = sorted(province_codes())
    prefixes = [p for p in MOBILE_PREFIXES if normalise_msisdn(f"0{p}1234567")]
    start = datetime(2025, 6, 1, tzinfo=LOCAL_TZ)
    tmp = path.with_suffix(".part")
    with tmp.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh)
        writer.writerow(REGISTRATION_COLUMNS)
        for i in range(n):
            dob_year = rnd.randint(1950, 2008)
            female = rnd.random() < 0.5
            century = (0 if dob_year < 2000 else 2) + female
            cccd = f"{rnd.choice(provinces)}{century}{dob_year % 100:02d}{rnd.randrange(10**6):06d}"
            body = f"8984{rnd.randrange(10**15):015d}"
            iccid = body + luhn.calc_check_digit(body)
            msisdn = f"0{rnd.choice(prefixes)}{rnd.randrange(10**7):07d}"
            bad = rnd.random()
            if bad < 0.005:
                msisdn = f"024{rnd.randrange(10**8):08d}"  # a Hà Nội landline
            elif bad < 0.01:
                iccid = body + str((int(luhn.calc_check_digit(body)) + 1) % 10)
            app = rnd.random() < 0.05
            at = start + timedelta(seconds=rnd.randrange(365 * 86400))
            name = f"{rnd.choice(FAMILY)} {rnd.choice(MIDDLE)} {rnd.choice(GIVEN)}"
            writer.writerow(
                [
                    f"{prefix}{i:09d}",
                    msisdn,
                    iccid,
                    "APP" if app else "POINT",
                    "" if app else rnd.choice(points),
                    "" if app else f"NV{rnd.randrange(5000):04d}",
                    name,
                    f"{dob_year}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                    "F" if female else "M",
                    "VN",
                    "CCCD",
                    cccd,
                    f"{rnd.randint(2016, 2025)}-{rnd.randint(1, 12):02d}-{rnd.randint(1, 28):02d}",
                    "Cục Cảnh sát QLHC về TTXH",
                    f"{rnd.randint(1, 999)} {rnd.choice(STREETS)}, {rnd.choice(CITIES)}",
                    at.isoformat(timespec="seconds"),
                    "1",
                    "1",
                    "0" if rnd.random() < 0.02 else "1",
                    rnd.randbytes(32).hex(),
                    rnd.choice(["MATCH", "MATCH", "MATCH", "PENDING", "NOT_CHECKED", "MISMATCH"]),
                    "CANCELLED" if rnd.random() < 0.01 else "",
                ]
            )
    tmp.rename(path)


def raw_copy(path: Path) -> tuple[int, float]:
    """The limit: every row of the file, binary COPY as text into a bare table."""
    columns = ", ".join(f"{c} text" for c in REGISTRATION_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_raw_registrations")
        cursor.execute(f"CREATE TABLE bench_raw_registrations ({columns})")
    connection.ensure_connection()
    raw = connection.connection
    start = time.perf_counter()
    rows = 0
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.reader(fh)
        next(reader)
        with raw.transaction(), raw.cursor() as cursor:
            copy_sql = f"COPY bench_raw_registrations ({', '.join(REGISTRATION_COLUMNS)}) FROM STDIN (FORMAT BINARY)"
            with cursor.copy(copy_sql) as copy:
                copy.set_types(["text"] * len(REGISTRATION_COLUMNS))
                for row in reader:
                    copy.write_row(row)
                    rows += 1
    seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_raw_registrations")
    return rows, seconds


def _clear_bench_rows() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM registrations_registration WHERE NOT {BENCH_ROWS}")  # noqa: S608
        others = cursor.fetchone()[0]
        if not others:
            # the bench database's flags point at these rows; they go with them
            cursor.execute("TRUNCATE registrations_registration CASCADE")
    if others:
        delete_with_dependants("registrations_registration", BENCH_ROWS)
        with connection.cursor() as cursor:
            cursor.execute("VACUUM ANALYZE registrations_registration")


BENCH_ROWS = "external_id ~ '^B[RN][0-9]'"  # the rows of the history file (BR) and of the nightly file (BN)


def delete_with_dependants(table: str, where: str, _path: tuple[str, ...] = ()) -> None:
    """DELETE FROM table WHERE where, the rows that reference them first (every foreign key, recursively): a
    bench database beside other data (`make load`'s demo) holds flags, flag events, task links and remediation
    cases on the bench's rows, and Django's foreign keys do not cascade in the database."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.conrelid::regclass::text, a.attname, r.attname
            FROM pg_constraint c
            JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
            JOIN pg_attribute r ON r.attrelid = c.confrelid AND r.attnum = c.confkey[1]
            WHERE c.contype = 'f' AND c.confrelid = %s::regclass AND c.conrelid <> c.confrelid
            """,
            [table],
        )
        references = cursor.fetchall()
    for child, column, referenced in references:
        if child not in _path:
            rows = f'"{column}" IN (SELECT "{referenced}" FROM {table} WHERE {where})'  # noqa: S608
            delete_with_dependants(child, rows, (*_path, table))
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {table} WHERE {where}")  # noqa: S608


def run_command(path: Path, batch_size: int | None = None, *flags: str) -> tuple[ImportJob, float, float, str]:
    """manage.py import_registrations in a child: (job, wall seconds, peak MB of the child, output).

    The peak is the child's VmHWM (high-water resident set) read from /proc while it runs: ru_maxrss
    from wait4 would not do, Linux carries the parent's peak across fork and exec into the child's.
    """
    args = [sys.executable, str(ROOT / "manage.py"), "import_registrations", str(path), "--progress-every", "30"]
    if batch_size:
        args += ["--batch-size", str(batch_size)]
    args += list(flags)
    log = OUT / "import.log"
    peak_kb = 0
    start = time.perf_counter()
    with log.open("w") as out:
        proc = subprocess.Popen(args, cwd=ROOT, env=os.environ.copy(), stdout=out, stderr=subprocess.STDOUT)
        status = Path(f"/proc/{proc.pid}/status")
        while proc.poll() is None:
            try:
                for line in status.read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak_kb = max(peak_kb, int(line.split()[1]))
            except (FileNotFoundError, ProcessLookupError):
                pass
            time.sleep(0.05)
    wall = time.perf_counter() - start
    output = log.read_text()
    if proc.returncode:
        raise RuntimeError(f"import_registrations failed:\n{output}")
    job = ImportJob.objects.filter(kind="registrations", file_name=path.name).order_by("-pk").first()
    return job, wall, peak_kb / 1024, output


def schema_cost() -> tuple[int, float]:
    """Rows/s of the database alone writing the imported rows into a table with the same indexes and FKs."""
    table = "registrations_registration"
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE IF EXISTS bench_schema_copy")
        cursor.execute(f"CREATE TABLE bench_schema_copy (LIKE {table} INCLUDING ALL)")
        cursor.execute(
            "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conrelid = %s::regclass AND contype = 'f'",
            [table],
        )
        for (definition,) in cursor.fetchall():
            cursor.execute(f"ALTER TABLE bench_schema_copy ADD {definition}")
    connection.ensure_connection()
    raw = connection.connection
    start = time.perf_counter()
    with raw.transaction(), raw.cursor() as cursor:
        cursor.execute(f"INSERT INTO bench_schema_copy SELECT * FROM {table}")  # noqa: S608
        rows = cursor.rowcount
    seconds = time.perf_counter() - start
    with connection.cursor() as cursor:
        cursor.execute("DROP TABLE bench_schema_copy")
    return rows, seconds


def _explain_ms(sql: str, params: list) -> float:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN (ANALYZE, FORMAT JSON) " + sql, params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        import json

        plan = json.loads(plan)
    return plan[0]["Execution Time"]


def _index_count() -> int:
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'registrations_registration'")
        return cursor.fetchone()[0]


def lookups(path: Path, samples: int = 50) -> list[str]:
    rnd = random.Random(11)
    picked = []
    with path.open(encoding="utf-8", newline="") as fh:
        reader = csv.DictReader(fh)
        for row in reader:
            if rnd.random() < 0.001:
                picked.append(row)
            if len(picked) >= samples:
                break
    lines = []
    probes = [
        ("MSISDN", "msisdn", lambda r: normalise_msisdn(r["msisdn"]) or r["msisdn"]),
        ("ICCID", "iccid", lambda r: r["iccid"]),
        ("id_doc_hash", "id_doc_hash", lambda r: pii_digest(r["id_doc_type"], r["id_doc_number"])),
    ]
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE registrations_registration")
    for label, column, value in probes:
        times = [
            _explain_ms(f"SELECT * FROM registrations_registration WHERE {column} = %s", [value(r)])  # noqa: S608
            for r in picked
        ]
        lines.append(
            f"  lookup by {label:<12} median {statistics.median(times):6.3f} ms, max {max(times):6.3f} ms"
            f" ({len(times)} keys, EXPLAIN ANALYZE execution time)"
        )
    return lines


def _rate(job: ImportJob) -> float:
    return job.processed_rows / job.elapsed_seconds


def _share(rate: float, ceiling: float, target: int) -> str:
    share = 100 * rate / ceiling
    return f"{share:.0f}% (target >= {target}%: {'met' if share >= target else 'NOT met'})"


def parse_only(path: Path, limit: int = 200_000) -> float:
    """Rows/s of the import's Python work alone (read, check, encrypt, hash; no database): its own bound."""
    from core.imports import CsvStream
    from registrations.imports.batches import SPECS, parse_batches

    spec = SPECS["registrations"]
    parse = spec.parser(None)
    rows, start = 0, time.perf_counter()
    with path.open("rb") as fh:
        for batch in parse_batches(CsvStream(fh, spec.columns), parse, spec, 10_000, keep_lines=False):
            rows += batch.read
            if rows >= limit:
                break
    return rows / (time.perf_counter() - start)


def nightly(path: Path) -> tuple[ImportJob, float, float]:
    """A nightly file imported (mode chosen by the command) into the table as it is: (job, rows/s, peak MB)."""
    job, _wall, peak, _output = run_command(path)
    return job, _rate(job), peak


def history_path(n: int) -> Path:
    """The generated file of n rows the first loads read (kept in bench/out/ for later runs)."""
    return OUT / f"registrations-{n}-v{GENERATOR_VERSION}.csv"


def run(n: int = 1_000_000, nightly_rows: int = 200_000, figures: dict | None = None, workers: int = 1) -> list[str]:
    """The figures' lines; `figures`, if given, gets the targets' figures (bench/summary.py). The table is left
    holding the file's rows and the nightly file's (n + nightly_rows, less the rejects), for the pages after.
    `workers` > 1: the first load in bulk mode stages with that many processes (`--bulk --workers N`)."""
    figures = {} if figures is None else figures
    OUT.mkdir(parents=True, exist_ok=True)
    path = history_path(n)
    night_path = OUT / f"registrations-nightly-{nightly_rows}-v{GENERATOR_VERSION}.csv"
    lines = [f"registrations import of {n:,} rows ({connection.vendor})"]
    for file, rows, seed, prefix in ((path, n, 7, "BR"), (night_path, nightly_rows, 8, "BN")):
        if not file.exists():
            start = time.perf_counter()
            generate(file, rows, _points(5000), seed=seed, prefix=prefix)
            size_mb = file.stat().st_size / 1e6
            lines.append(f"  generated {file.name} ({size_mb:,.0f} MB) in {time.perf_counter() - start:.1f} s")
    rows, seconds = raw_copy(path)
    raw_rate = rows / seconds
    lines.append(f"  raw binary COPY (ceiling)    {raw_rate:10,.0f} rows/s  ({rows:,} rows in {seconds:.1f} s)")
    lines.append(
        f"  Python work alone            {parse_only(path):10,.0f} rows/s  (read, check, encrypt, hash; no database: "
        "the bound of any single-process import)"
    )
    # the nightly file into an empty table first: the table ends holding the whole history for the pages after
    _clear_bench_rows()
    _into_empty, empty_rate, peak_empty = nightly(night_path)

    _clear_bench_rows()
    before, _wall, _peak, _output = run_command(path, None, "--no-bulk")
    lines.append(
        f"  first load, batch upserts    {_rate(before):10,.0f} rows/s  = {100 * _rate(before) / raw_rate:.0f}% of raw "
        f"COPY (--no-bulk: every row pays for {_index_count()} indexes)"
    )
    _clear_bench_rows()
    parallel = ("--bulk", "--workers", str(workers)) if workers > 1 else ()
    job, wall, peak_mb, output = run_command(path, None, *parallel)
    rate = _rate(job)
    staged = [line.strip() for line in output.splitlines() if line.startswith("Bulk mode: staged by")]
    lines.append(
        f"  first load, bulk mode        {rate:10,.0f} rows/s  = {_share(rate, raw_rate, TARGET_SHARE)} of raw COPY, "
        f"index builds included; {job.created:,} created, {job.rejected:,} rejected in {job.elapsed_seconds:.1f} s "
        f"({wall:.1f} s with start-up)"
    )
    lines.extend(f"    {line} (the peak memory below is this process's)" for line in staged)
    copied, copy_seconds = schema_cost()
    schema_rate = copied / copy_seconds
    lines.append(
        f"  schema's own cost            {schema_rate:10,.0f} rows/s  (the same rows, INSERT ... SELECT server-side "
        f"into a copy of the table with its {_index_count()} indexes and FKs)"
    )
    job2, _wall, peak2, _output = run_command(path)
    rate2 = _rate(job2)
    lines.append(
        f"  re-import (all unchanged)    {rate2:10,.0f} rows/s  ({job2.created} created, {job2.updated} updated, "
        f"{job2.unchanged:,} unchanged; peak {peak2:,.0f} MB)"
    )
    lines.extend(lookups(path))
    with connection.cursor() as cursor:
        cursor.execute("SELECT count(*) FROM registrations_registration")
        held = cursor.fetchone()[0]
    into_full, full_rate, peak_full = nightly(night_path)
    lines.append(
        f"  nightly {nightly_rows:,} into {held:,}  {full_rate:10,.0f} rows/s  = "
        f"{_share(full_rate, empty_rate, TARGET_NIGHTLY_SHARE)} of the same file into an empty table "
        f"({empty_rate:,.0f} rows/s, {100 * empty_rate / raw_rate:.0f}% of raw COPY); "
        f"{into_full.created:,} created, upserts by external_id"
    )
    # the default mode's every run: the first load, the re-import and both nightly files
    peak = max(peak_mb, peak2, peak_empty, peak_full)
    lines.append(
        f"  peak memory of the import    {peak:10,.0f} MB (highest VmHWM of the process: first load {peak_mb:,.0f}, "
        f"re-import {peak2:,.0f}, nightly {peak_empty:,.0f} / {peak_full:,.0f} MB; target < {TARGET_MEMORY_MB} MB: "
        f"{'met' if peak < TARGET_MEMORY_MB else 'NOT met'})"
    )
    figures.update(
        raw_rate=raw_rate,
        bulk_rate=rate,
        peak_mb=peak,
        nightly_full_rate=full_rate,
        nightly_empty_rate=empty_rate,
        nightly_rows=nightly_rows,
        nightly_into=held,
    )
    return lines
