"""The default ladder (version 1): warning -> fine (its legal range) -> suspension -> termination, for a
point's findings and, one fine higher, for an agent's findings at all its points; a window of 365 days."""

from django.db import migrations

POINT_RUNGS = ["warning", "fine-consumer-information", "suspend-point", "terminate-point"]
AGENT_RUNGS = ["warning", "fine-consumer-information", "fine-private-information", "suspend-agent", "terminate-agent"]


def load(apps, schema_editor):
    LadderVersion = apps.get_model("enforcement", "LadderVersion")
    if not LadderVersion.objects.exists():
        LadderVersion.objects.create(
            version=1,
            window_days=365,
            point_rungs=POINT_RUNGS,
            agent_rungs=AGENT_RUNGS,
            reason="Default ladder: warning, fine within its legal range, suspension, termination.",
        )


class Migration(migrations.Migration):
    dependencies = [
        ("enforcement", "0002_sanction_ladder"),
        ("inspections", "0002_catalogue"),
    ]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
