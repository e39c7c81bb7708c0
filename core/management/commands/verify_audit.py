from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone, translation

from core.audit import check_chain


class Command(BaseCommand):
    help = (
        "Check the audit trail: each event's keyed hash and its link to the one before, and every head "
        "anchored outside the table (AUDIT_ANCHOR_FILE, each night's run record); report the first broken "
        'link and exit non-zero. The audit page\'s "Verify the chain" runs the same check (core.audit.check_chain).'
    )

    def handle(self, *args, **options):
        result = check_chain()
        broken = result.broken
        if broken is not None:
            when = f"{timezone.localtime(broken.created_at):%Y-%m-%d %H:%M:%S} " if broken.created_at else ""
            with translation.override("en"):  # like every command's output
                why = result.why
            raise CommandError(
                f"Audit trail broken at event #{broken.pk} ({when}{broken.action}): {why}. "
                f"{result.checked} events before it are intact."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Audit trail intact: {result.checked} events checked, {result.anchors} anchors matched."
            )
        )
