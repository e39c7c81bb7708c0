"""`make bench`: every benchmark, figures printed for the issue notes, then ONE summary table of issue 15's
targets (each figure beside its ceiling, both measured in the same run) with the machine's state. Not part of
the test suite.

One size, as before: `--registrations N` (default 1,000,000) for the import bench and the pages on its rows,
`--rules-rows N` (default 0: skipped) for the rules bench and the incremental checks.

Several sizes in one run: `--sizes 1M,10M` measures every target at each size in turn (the import bench, the
pages on the imported rows with the flags of a check run and the scheduler's inspection tasks, the rules bench
and the incremental checks on a rules database of that size), printing an estimate of each long phase's time
before it starts; the summary then has one block per size. `--plan` prints the plan and its estimates only.
"""

import argparse
import os
import sys
import time
import traceback
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")

LONG_PHASE_SECONDS = 120  # a phase estimated longer than this gets its estimate printed first
POSTGRES_SETTINGS = (
    "shared_buffers",
    "maintenance_work_mem",
    "max_wal_size",
    "work_mem",
    "effective_cache_size",
    "autovacuum",
    "synchronous_commit",
)
# bytes on disk per registration, from the runs in the README: the generated CSV, the bench database (the
# import's rows with their encrypted columns and 14 indexes, flags), the rules database and its copy
DISK_BYTES_PER_ROW = {"csv": 310, "bench database": 1_400, "rules database": 950, "its incremental copy": 950}


def _print(lines) -> None:
    for line in lines:
        print(line, flush=True)


def _now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _loadavg() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def machine_state():
    """Cores, memory, load average now, PostgreSQL's version and the settings that weigh on these figures."""
    from django.db import connection

    from bench.summary import Machine

    memory_kb = 0
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            memory_kb = int(line.split()[1])
    machine = Machine(cores=os.cpu_count() or 0, memory_gb=memory_kb / 1024 / 1024, load_before=_loadavg())
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SHOW server_version")
            machine.postgres = cursor.fetchone()[0]
            for name in POSTGRES_SETTINGS:
                cursor.execute(f"SHOW {name}")
                machine.settings[name] = cursor.fetchone()[0]
    return machine


class Phases:
    """Runs each phase of a size: its estimate first when long, its time after, a failure printed and noted
    (the run goes on: the summary says what was not measured and why)."""

    def __init__(self, wrk_seconds: int):
        self.wrk_seconds = wrk_seconds
        self.observed: dict[str, tuple[int, float]] = {}
        self.failures: list[str] = []

    def estimate(self, phase: str, size: int) -> float:
        from bench.summary import estimate_seconds

        return estimate_seconds(phase, size, self.observed, wrk_run=self.wrk_seconds)

    def run(self, phase: str, size: int, work, *, extra_estimate: float = 0.0):
        """work() -> lines (printed); returns True when it ran through."""
        from bench.summary import duration

        guess = self.estimate(phase, size) + extra_estimate
        if guess >= LONG_PHASE_SECONDS:
            print(f"[{size:,}] {phase}: estimated {duration(guess)} (started {_now()})", flush=True)
        started = time.monotonic()
        try:
            _print(work())
        except Exception as exc:  # noqa: BLE001 - reported, and the other phases still run
            traceback.print_exc()
            self.failures.append(f"{phase} at {size:,}: {type(exc).__name__}: {exc}")
            print(f"[{size:,}] {phase} FAILED: {type(exc).__name__}: {exc}", flush=True)
            return False
        took = time.monotonic() - started
        if size >= self.observed.get(phase, (0, 0))[0]:
            self.observed[phase] = (size, took)
        print(f"  ({phase} at {size:,}: {duration(took)})", flush=True)
        return True


def _use_database(name: str) -> None:
    from django.conf import settings
    from django.db import connection, connections

    connection.close()
    settings.DATABASES["default"]["NAME"] = name
    connections["default"].settings_dict["NAME"] = name


def plan_lines(plan, args, phases: Phases) -> list[str]:
    """Each size's phases and their estimated time, the whole run's, and the disk it needs."""
    import shutil

    from bench import registrations_import
    from bench.summary import duration

    lines = ["plan (estimates from the README's figures on 2 shared cores; rescaled from the first size as it runs):"]
    total = phases.estimate("points", args.points) if args.points else 0.0
    disk = 0
    for size, regs, rules_rows in plan:
        parts = []
        for phase, at, on in _phases(regs, rules_rows, args):
            if not on:
                continue
            seconds = phases.estimate(phase, at)
            if phase == "import" and not registrations_import.history_path(at).exists():
                seconds += phases.estimate("file", at)
            parts.append((phase, seconds))
        seconds = sum(s for _p, s in parts)
        total += seconds
        lines.append(
            f"  {size:>12,}: about {duration(seconds)} ("
            + ", ".join(f"{p} {duration(s)}" for p, s in parts if s >= 60)
            + ")"
        )
        disk = max(
            disk,
            regs * (DISK_BYTES_PER_ROW["csv"] + DISK_BYTES_PER_ROW["bench database"])
            + rules_rows * (DISK_BYTES_PER_ROW["rules database"] + DISK_BYTES_PER_ROW["its incremental copy"]),
        )
    free = shutil.disk_usage(Path(__file__).resolve().parent).free
    lines.append(
        f"  in all about {duration(total)}; the largest size needs about {disk / 1e9:,.1f} GB of disk "
        f"(CSV files, the bench database, the rules database and its copy; {free / 1e9:,.0f} GB free here)"
    )
    return lines


def _phases(regs: int, rules_rows: int, args):
    """(phase, rows, runs or not) of one size, in order."""
    on_import = bool(regs) or not rules_rows  # pages and dashboard: on the import's rows, or the database as it is
    return [
        ("import", regs, bool(regs)),
        ("search", regs, bool(regs)),
        ("pages data", regs, bool(regs) and not (args.no_pages and args.no_wrk and args.no_dashboard)),
        ("dashboard", regs, on_import and not args.no_dashboard),
        ("pages", regs, on_import and not args.no_pages),
        ("wrk", regs, on_import and not args.no_wrk),
        ("rules", rules_rows, bool(rules_rows)),
        ("incremental", rules_rows, bool(rules_rows and args.incremental_delta)),
    ]


def run_size(size: int, regs: int, rules_rows: int, args, phases: Phases, main_db: str) -> dict:
    """Every phase of one size; the figures for the summary."""
    on = {phase: runs for phase, _rows, runs in _phases(regs, rules_rows, args)}
    figures = {"imports": {}, "incremental": {}, "pages": {}, "reasons": {}, "load_before": _loadavg(), "regs": regs}
    started = time.monotonic()
    _import_and_pages(regs, args, phases, on, figures)
    if on["rules"]:
        try:
            _rules_and_incremental(rules_rows, args, phases, on, figures)
        finally:
            _use_database(main_db)
    else:
        figures["reasons"]["incremental"] = "--no-rules" if args.sizes else "--rules-rows 0"
    figures["seconds"] = time.monotonic() - started
    figures["load_after"] = _loadavg()
    return figures


def _import_and_pages(regs: int, args, phases: Phases, on: dict, figures: dict) -> None:
    from bench import dashboard, pages, registrations_import, search, wrk

    reasons = figures["reasons"]
    if on["import"]:
        extra = 0.0 if registrations_import.history_path(regs).exists() else phases.estimate("file", regs)
        if not phases.run(
            "import",
            regs,
            lambda: registrations_import.run(
                regs, nightly_rows=args.nightly_rows, figures=figures["imports"], workers=args.import_workers
            ),
            extra_estimate=extra,
        ):
            reasons["imports"] = "the import bench failed (above)"
        phases.run("search", regs, search.run)
        if on["pages data"]:
            phases.run("pages data", regs, lambda: ["data for the pages", *pages.prepare()])
    else:
        reasons["imports"] = "--registrations 0"
    if on["dashboard"]:
        phases.run("dashboard", regs, dashboard.run)
    if on["pages"]:
        phases.run("pages", regs, pages.run)
    if not on["wrk"]:
        reasons["pages"] = "--no-wrk" if args.no_wrk else "no registrations imported at this size"
    elif not phases.run("wrk", regs, lambda: wrk.run(seconds=args.wrk_seconds, figures=figures["pages"])):
        reasons["pages"] = "the wrk run failed (above)"


def _rules_and_incremental(rules_rows: int, args, phases: Phases, on: dict, figures: dict) -> None:
    """The rules bench and the incremental checks, in the rules database (the caller points back at the bench's)."""
    from bench import dashboard, incremental, rules, search

    reasons = figures["reasons"]
    if not phases.run("rules", rules_rows, lambda: rules.run(rules_rows)):
        reasons["incremental"] = "the rules bench failed (above)"
    elif not on["incremental"]:
        reasons["incremental"] = "--incremental-delta 0"
    elif not phases.run(
        "incremental",
        rules_rows,
        lambda: incremental.run(
            rules_rows, args.incremental_delta, keep=args.keep_incremental_copy, figures=figures["incremental"]
        ),
    ):
        reasons["incremental"] = "the incremental bench failed (above)"
    phases.run("search", rules_rows, lambda: search.run(pages=False))
    if not on["dashboard"] and not args.no_dashboard:  # here, with the flags of the rules bench's runs
        phases.run("dashboard", rules_rows, dashboard.run)


def summary_lines(results: list[tuple[int, dict]], machine, failures: list[str]) -> list[str]:
    from bench.summary import describe_dataset, duration, from_figures, machine_lines, summary_table

    lines = ["", "summary: issue 15's targets, each figure beside its ceiling measured in the same run"]
    measurements = []
    for size, figures in results:
        pages = figures["pages"]
        at = size
        if pages.get("dataset") and not figures["regs"]:
            at = pages["dataset"]["registrations"]  # the database as it was (--registrations 0)
        measurements += from_figures(
            at, imports=figures["imports"], incremental=figures["incremental"], pages=pages, reasons=figures["reasons"]
        )
    lines += summary_table(measurements)
    for size, figures in results:
        lines.append(
            f"  {size:>11,}: {duration(figures['seconds'])}, load average {figures['load_before']} before, "
            f"{figures['load_after']} after"
        )
        if figures["pages"].get("dataset"):
            lines.append(f"  {'':>11}  pages ran on {describe_dataset(figures['pages']['dataset'])}")
    lines += machine_lines(machine)
    lines += [f"  FAILED: {failure}" for failure in failures]
    return lines


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--sizes",
        help="registrations at which to measure every target, in one run: e.g. 1M,10M (or 1000000,10000000); "
        "each size sets --registrations and --rules-rows",
    )
    parser.add_argument(
        "--points", type=int, default=100_000, help="registration points for the list benchmark (0: skip)"
    )
    parser.add_argument(
        "--registrations", type=int, help="rows of the registrations import benchmark (default 1,000,000; 0: skip)"
    )
    parser.add_argument(
        "--rules-rows",
        type=int,
        help="rows of the rules benchmark (synthetic registrations in <bench db>_rules; default 0: skip)",
    )
    parser.add_argument("--no-rules", action="store_true", help="with --sizes: no rules or incremental benches")
    parser.add_argument(
        "--nightly-rows", type=int, default=200_000, help="rows of the nightly file of the import bench"
    )
    parser.add_argument(
        "--import-workers",
        type=int,
        default=1,
        help="staging processes of the import bench's first load in bulk mode (import_registrations --workers)",
    )
    parser.add_argument(
        "--incremental-delta",
        type=int,
        default=200_000,
        help="with --rules-rows: registrations of the delta before an incremental check run (0: skip)",
    )
    parser.add_argument(
        "--keep-incremental-copy", action="store_true", help="keep the copy of the rules database it works on"
    )
    parser.add_argument(
        "--no-dashboard", action="store_true", help="skip the dashboard benchmark (on the data the others leave)"
    )
    parser.add_argument(
        "--no-pages", action="store_true", help="skip the list pages benchmark (test client; on the import's rows)"
    )
    parser.add_argument(
        "--no-wrk", action="store_true", help="skip the pages under load (wrk against gunicorn, bench/wrk.py)"
    )
    parser.add_argument("--wrk-seconds", type=int, default=10, help="length of each wrk run (default 10)")
    parser.add_argument("--plan", action="store_true", help="print the plan and its time estimates, run nothing")
    return parser


def build_plan(args, parser) -> list[tuple[int, int, int]]:
    """(size, registrations, rules rows) per size."""
    from bench.summary import parse_sizes

    if not args.sizes:
        regs = 1_000_000 if args.registrations is None else args.registrations
        rules_rows = args.rules_rows or 0
        return [(regs or rules_rows, regs, rules_rows)]
    if args.registrations is not None or args.rules_rows is not None:
        parser.error("--sizes sets --registrations and --rules-rows: give one or the other")
    try:
        sizes = parse_sizes(args.sizes)
    except ValueError as exc:
        parser.error(str(exc))
    return [(size, size, 0 if args.no_rules else size) for size in sizes]


def main():
    parser = _parser()
    args = parser.parse_args()
    plan = build_plan(args, parser)

    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host and template context capture
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql":
        print("Benchmarks are meant for PostgreSQL: set DATABASE_URL (see README).", file=sys.stderr)
    from django.core.management import call_command

    phases = Phases(args.wrk_seconds)
    if args.plan:
        _print(plan_lines(plan, args, phases))
        return
    call_command("migrate", verbosity=0)
    from bench import agents_list

    main_db = settings.DATABASES["default"]["NAME"]
    machine = machine_state()
    machine.started = _now()
    _print(plan_lines(plan, args, phases))
    if args.points:
        phases.run("points", args.points, lambda: agents_list.run(args.points))
    results = []
    for size, regs, rules_rows in plan:
        print(f"\n=== {size:,} registrations ({_now()}, load average {_loadavg()}) ===", flush=True)
        results.append((size, run_size(size, regs, rules_rows, args, phases, main_db)))
    _use_database(main_db)
    machine.load_after = _loadavg()
    machine.finished = _now()
    _print(summary_lines(results, machine, phases.failures))
    if phases.failures:
        sys.exit(1)


if __name__ == "__main__":
    main()
