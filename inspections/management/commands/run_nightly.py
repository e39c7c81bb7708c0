"""`python manage.py run_nightly [--night YYYY-MM-DD]`: run the nightly chain now and print each step's outcome."""

import json

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_date

from inspections.models import NightlyRun
from inspections.nightly import NightlyRunBusy, all_steps, run_nightly
from registrations.models import CheckRun


def night_arg(value: str):
    night = parse_date(value) if value else None
    if night is None:
        raise CommandError(f"Not a date (YYYY-MM-DD): {value}")
    return night


class Command(BaseCommand):
    help = (
        "Run the nightly chain now: checks -> risk -> schedule -> escalate -> digest, recorded as the night's "
        "run (default: today). Running a night again runs every step again on the same record. Prints each "
        "step's status, time and summary; exits non-zero when a step failed or another nightly run is in progress."
    )

    def add_arguments(self, parser):
        parser.add_argument("--night", type=night_arg, help="the night the run is recorded under (YYYY-MM-DD)")

    def handle(self, *args, **options):
        verbose = options["verbosity"] > 1

        def progress(run: NightlyRun) -> None:
            if verbose:
                done = [step for step in all_steps() if run.steps.get(step, {}).get("status") in ("done", "failed")]
                self.stderr.write(f"  {done[-1]} {run.steps[done[-1]]['status']}")

        try:
            run = run_nightly(night=options.get("night"), trigger=CheckRun.Trigger.COMMAND, progress=progress)
        except NightlyRunBusy as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(format_run(run))
        if run.status != NightlyRun.Status.DONE:
            failed = [step for step in all_steps() if run.steps.get(step, {}).get("status") != "done"]
            raise CommandError(f"Nightly run of {run.night:%Y-%m-%d} failed: {', '.join(failed)}")


def format_run(run: NightlyRun) -> str:
    lines = [f"Nightly run {run.night:%Y-%m-%d} (attempt {run.attempts})"]
    for step in all_steps():
        outcome = run.steps.get(step) or {}
        summary = {k: v for k, v in (outcome.get("summary") or {}).items() if k not in ("sent_to", "failed_to")}
        line = f"{step:<9} {outcome.get('status', 'not run').upper():<7} {outcome.get('seconds', 0):>8.2f}s"
        if summary:
            line += f"  {json.dumps(summary, sort_keys=True, default=str)}"
        if outcome.get("error"):
            line += f"\n          error: {outcome['error']}"
        lines.append(line)
    lines.append(f"Status: {run.status}")
    return "\n".join(lines)
