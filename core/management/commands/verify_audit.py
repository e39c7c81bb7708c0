from django.core.management.base import BaseCommand, CommandError

from core.audit import verify_chain


class Command(BaseCommand):
    help = "Check the audit trail's hash chain; report the first broken link and exit non-zero."

    def handle(self, *args, **options):
        checked, broken, why = verify_chain()
        if broken is not None:
            raise CommandError(
                f"Audit trail broken at event #{broken.pk} ({broken.created_at:%Y-%m-%d %H:%M:%S} "
                f"{broken.action}): {why}. {checked} events before it are intact."
            )
        self.stdout.write(self.style.SUCCESS(f"Audit trail intact: {checked} events checked."))
