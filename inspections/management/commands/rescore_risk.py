"""`python manage.py rescore_risk`: score every registration point and agent now, print the tiers."""

from django.core.management.base import BaseCommand, CommandError

from inspections.risk import rescore


class Command(BaseCommand):
    help = (
        "Compute the risk score and tier of every registration point and agent now (the nightly chain does "
        "it after the checks), and print how many are in each tier and how many changed. Exits non-zero on failure."
    )

    def handle(self, *args, **options):
        try:
            summary = rescore()
        except Exception as exc:
            raise CommandError(f"Rescoring failed: {type(exc).__name__}: {exc}") from exc
        self.stdout.write(format_summary(summary))


def format_summary(summary: dict) -> str:
    lines = [
        f"Risk policy version {summary['policy_version']}",
        f"{'':<8} {'HIGH':>8} {'MEDIUM':>8} {'LOW':>8} {'changed':>8}",
    ]
    for key in ("points", "agents"):
        part = summary[key]
        tiers = part["tiers"]
        lines.append(f"{key:<8} {tiers['HIGH']:>8,} {tiers['MEDIUM']:>8,} {tiers['LOW']:>8,} {part['changed']:>8,}")
    return "\n".join(lines)
