"""`python manage.py run_checks [--rule CODE ...]` (DESIGN section 7): run the rules now, print counts per rule."""

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from registrations.checks.runner import CheckRunBusy, UnknownRule, run_checks
from registrations.models import CheckRun


class Command(BaseCommand):
    help = (
        "Run the enabled rules now (or only the rules named with --rule, enabled or not) and print, per rule, "
        "the flags raised (new), reopened, still open, resolved and the time taken. Exits non-zero on an "
        "unknown code, when another check run is in progress, or when a rule fails."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--rule",
            dest="rules",
            action="extend",
            nargs="+",
            metavar="CODE",
            help="a rule code of DESIGN section 5; repeat (or list several) to run more than one",
        )
        parser.add_argument("--user", help="user name the run is recorded under (default: the system)")
        how = parser.add_mutually_exclusive_group()
        how.add_argument(
            "--full",
            action="store_true",
            help="judge every registration, activation, agent and point (the default judges what changed)",
        )
        how.add_argument(
            "--incremental",
            action="store_true",
            help=(
                "the default: judge only what changed since the last run, and what time alone changed (grace "
                "periods); a rule without a full run in CHECKS_FULL_EVERY_DAYS (7) days, or whose version or "
                "parameters changed, and every rule on SQLite, is judged in full"
            ),
        )

    def handle(self, *args, **options):
        actor = None
        if options.get("user"):
            actor = get_user_model().objects.filter(username=options["user"]).first()
            if actor is None:
                raise CommandError(f"No such user: {options['user']}")
        verbose = options["verbosity"] > 1

        def progress(run: CheckRun) -> None:
            if verbose:
                running = [code for code, result in run.results.items() if result.get("status") == "running"]
                if running:
                    self.stderr.write(f"  running {running[0]}...")

        try:
            run = run_checks(
                codes=options["rules"],
                trigger=CheckRun.Trigger.COMMAND,
                actor=actor,
                progress=progress,
                incremental=not options["full"],
            )
        except UnknownRule as exc:
            raise CommandError(str(exc)) from exc
        except CheckRunBusy as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(format_run(run))
        if run.status != CheckRun.Status.DONE:
            raise CommandError(f"Check run #{run.pk} failed: {run.error}")


def format_run(run: CheckRun) -> str:
    """The run's per-rule counts as a table, and the totals."""
    header = f"{'rule':<24} {'new':>8} {'reopened':>9} {'still open':>11} {'resolved':>9} {'time (s)':>9}"
    lines = [f"Check run #{run.pk}: {len(run.rule_codes)} rules, {run.rows_scanned:,} rows", header]
    totals = dict.fromkeys(("new", "reopened", "still_open", "resolved"), 0)
    for code in run.rule_codes:
        result = run.results.get(code, {})
        if result.get("status") != "done":
            lines.append(f"{code:<24} {result.get('status', 'not run').upper()}: {result.get('error', '')}")
            continue
        for key in totals:
            totals[key] += result.get(key, 0)
        lines.append(
            f"{code:<24} {result['new']:>8} {result['reopened']:>9} {result['still_open']:>11} "
            f"{result['resolved']:>9} {result['seconds']:>9.2f}"
        )
    seconds = (run.finished_at - run.started_at).total_seconds() if run.finished_at else 0.0
    lines.append(
        f"{'total':<24} {totals['new']:>8} {totals['reopened']:>9} {totals['still_open']:>11} "
        f"{totals['resolved']:>9} {seconds:>9.2f}"
    )
    if (run.watermark or {}).get("mode") == "incremental":
        judged = {code: run.results.get(code, {}).get("judged") for code in run.rule_codes}
        lines.append(
            f"Incremental: {run.rows_scanned:,} changed rows; judged again: "
            + ", ".join(f"{code} {count:,}" for code, count in judged.items() if count is not None)
        )
    lines.append(f"Status: {run.status}")
    return "\n".join(lines)
