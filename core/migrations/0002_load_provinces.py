from django.db import migrations


def load(apps, schema_editor):
    from core.provinces import load_provinces

    load_provinces(apps.get_model("core", "Province"))


class Migration(migrations.Migration):
    dependencies = [("core", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
