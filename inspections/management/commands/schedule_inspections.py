"""`python manage.py schedule_inspections` (DESIGN section 7): plan inspection tasks now, print what was done."""

from django.core.management.base import BaseCommand, CommandError

from inspections.scheduling import schedule_inspections

LABELS = (
    ("risk_tasks_created", "RISK tasks created (new critical flags)"),
    ("risk_flags_linked", "critical flags linked to tasks"),
    ("risk_tasks_brought_forward", "open tasks brought forward"),
    ("risk_flags_waiting", "critical flags waiting for a submitted task"),
    ("follow_up_tasks_created", "FOLLOW_UP tasks created"),
    ("follow_up_actions_attached", "corrective actions attached to a task"),
    ("actions_waiting", "corrective actions waiting for a submitted task"),
    ("routine_tasks_created", "ROUTINE tasks created"),
    ("next_dates_updated", "next inspection dates updated"),
)


class Command(BaseCommand):
    help = (
        "Plan inspections now: a RISK task for each point with a new critical flag, FOLLOW_UP tasks for "
        "corrective actions whose evidence came in, ROUTINE tasks by each point's risk tier cadence. One open "
        "task per point; running it twice on a day creates nothing the second time. Exits non-zero on failure."
    )

    def handle(self, *args, **options):
        try:
            summary = schedule_inspections()
        except Exception as exc:
            raise CommandError(f"Scheduling failed: {type(exc).__name__}: {exc}") from exc
        self.stdout.write(format_summary(summary))


def format_summary(summary: dict) -> str:
    width = max(len(label) for _key, label in LABELS)
    return "\n".join(f"{label:<{width}} {summary.get(key, 0):>8,}" for key, label in LABELS)
