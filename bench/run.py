"""`make bench`: every benchmark, figures printed for the issue notes. Not part of the test suite."""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")


def _print(lines) -> None:
    for line in lines:
        print(line, flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--points", type=int, default=100_000, help="registration points for the list benchmark (0: skip)"
    )
    parser.add_argument(
        "--registrations", type=int, default=1_000_000, help="rows of the registrations import benchmark (0: skip)"
    )
    parser.add_argument(
        "--rules-rows",
        type=int,
        default=0,
        help="rows of the rules benchmark (synthetic registrations in <bench db>_rules; 0: skip)",
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
        "--no-pages", action="store_true", help="skip the list pages benchmark (on the data the others leave)"
    )
    parser.add_argument(
        "--no-wrk", action="store_true", help="skip the pages under load (wrk against gunicorn, bench/wrk.py)"
    )
    parser.add_argument("--wrk-seconds", type=int, default=10, help="length of each wrk run (default 10)")
    args = parser.parse_args()

    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host and template context capture
    from django.db import connection

    if connection.vendor != "postgresql":
        print("Benchmarks are meant for PostgreSQL: set DATABASE_URL (see README).", file=sys.stderr)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    from bench import agents_list, dashboard, incremental, pages, registrations_import, rules, search, wrk

    if args.points:
        _print(agents_list.run(args.points))
    if args.registrations:
        _print(registrations_import.run(args.registrations))
        _print(search.run())
    if not args.no_dashboard and not args.rules_rows:
        _print(dashboard.run())
    if not args.no_pages and not args.rules_rows:
        _print(pages.run())
    if not args.no_wrk and not args.rules_rows:
        _print(wrk.run(seconds=args.wrk_seconds))
    if args.rules_rows:
        # last: it points the connection at a database of its own
        _print(rules.run(args.rules_rows))
        if args.incremental_delta:
            _print(incremental.run(args.rules_rows, args.incremental_delta, keep=args.keep_incremental_copy))
        _print(search.run(pages=False))
        if not args.no_dashboard:  # here, with the flags of the rules bench's check runs
            _print(dashboard.run())


if __name__ == "__main__":
    main()
