"""`python manage.py apply_retention [--dry-run]` (DESIGN section 7)."""

from django.conf import settings
from django.core.management.base import BaseCommand

from reports.subjects import services


class Command(BaseCommand):
    help = (
        "Anonymise (DESIGN section 3) the registrations cancelled more than RETENTION_YEARS (setting, from the "
        "environment, default 2) years ago. When a registration was cancelled: Registration.cancelled_at, which "
        "the importer sets when a row's status becomes CANCELLED (the import's time); a registration first "
        "stored already CANCELLED counts from its registered_at, the earliest it can have been cancelled. "
        "--dry-run counts them and writes nothing. Safe to re-run: anonymised registrations are skipped. "
        "The nightly chain runs the same step ('retention')."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true", help="count what is due; change nothing")

    def handle(self, *args, **options):
        result = services.retention_apply(dry_run=options["dry_run"])
        verb = "would anonymise" if result["dry_run"] else "anonymised"
        self.stdout.write(
            f"Retention ({settings.RETENTION_YEARS} years, cancelled before {result['cutoff']}): "
            f"{result['due']} due, {verb} {result['due'] if result['dry_run'] else result['anonymised']}."
        )
