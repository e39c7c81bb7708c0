"""The 15 rules of DESIGN section 5 with their shipped names, legal basis, severity and default parameters."""

from django.db import migrations


def seed_rules(apps, schema_editor):
    from registrations.checks.rules.catalogue import RULES

    Rule = apps.get_model("registrations", "Rule")
    for entry in RULES:
        Rule.objects.get_or_create(code=entry["code"], defaults={k: v for k, v in entry.items() if k != "code"})


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0005_rules_flags_checkruns"),
    ]

    operations = [
        migrations.RunPython(seed_rules, migrations.RunPython.noop),
    ]
