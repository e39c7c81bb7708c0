"""Trigram indexes so the list search (icontains, i.e. UPPER(col) LIKE '%x%') stays fast on PostgreSQL.

pg_trgm is a trusted extension (PostgreSQL 13+): the database owner may create it. SQLite has no
equivalent and needs none at its sizes.
"""

from django.db import migrations

INDEXES = [
    ("agents_registrationpoint", "point_name_trgm", "name"),
    ("agents_registrationpoint", "point_address_trgm", "address"),
    ("agents_registrationpoint", "point_code_trgm", "code"),
    ("agents_agent", "agent_name_trgm", "name"),
    ("agents_agent", "agent_code_trgm", "code"),
    ("agents_agent", "agent_tax_trgm", "tax_code"),
]


def forwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    for table, name, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS {name} ON {table} USING gin (UPPER("{column}"::text) gin_trgm_ops)'
        )


def backwards(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for _table, name, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")


class Migration(migrations.Migration):
    dependencies = [("agents", "0002_list_indexes")]
    operations = [migrations.RunPython(forwards, backwards)]
