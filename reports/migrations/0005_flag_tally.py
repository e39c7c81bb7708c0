"""The dashboard's flag tally (reports.dashboard.models.FlagTally) and, on PostgreSQL, the triggers that keep it."""
# ruff: noqa: S608 - the SQL below is built from constants only

import django.db.models.deletion
from django.db import migrations, models

# PostgreSQL only (SQLite has no transition tables; the page counts live there). Each trigger adds what one
# statement changed to the tally: +1 per new row that is OPEN or CONFIRMED, -1 per old one, grouped, zero
# sums skipped (a check run's "seen again" UPDATE of last_seen changes nothing and locks no tally row), in key
# order (two writers take the tally rows' locks in the same order).
COUNTED = "('OPEN', 'CONFIRMED')"


def _apply(body: str) -> str:
    return f"""
    WITH d AS (
        SELECT point_id, rule_id, severity, status, SUM(n) AS n FROM ({body}) x
        GROUP BY point_id, rule_id, severity, status HAVING SUM(n) <> 0
        ORDER BY point_id, rule_id, severity, status
    )
    INSERT INTO reports_flagtally (point_id, rule_id, severity, status, n)
    SELECT point_id, rule_id, severity, status, n FROM d
    ON CONFLICT (point_id, rule_id, severity, status) DO UPDATE SET n = reports_flagtally.n + EXCLUDED.n;
    """


def _rows(table: str, sign: int) -> str:
    return (
        f"SELECT COALESCE(point_id, 0) AS point_id, rule_id, severity, status, {sign} AS n "
        f"FROM {table} WHERE status IN {COUNTED}"
    )


BODIES = {
    "insert": _rows("new_rows", 1),
    "update": _rows("new_rows", 1) + " UNION ALL " + _rows("old_rows", -1),
    "delete": _rows("old_rows", -1),
}
REFERENCING = {
    "insert": "REFERENCING NEW TABLE AS new_rows",
    "update": "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
    "delete": "REFERENCING OLD TABLE AS old_rows",
}

INSTALL = [
    *(
        f"""CREATE FUNCTION reports_flag_tally_{op}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN {_apply(body)} RETURN NULL; END $$;
        CREATE TRIGGER reports_flag_tally_{op} AFTER {op.upper()} ON registrations_flag
        {REFERENCING[op]} FOR EACH STATEMENT EXECUTE FUNCTION reports_flag_tally_{op}();"""
        for op, body in BODIES.items()
    ),
    """CREATE FUNCTION reports_flag_tally_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN DELETE FROM reports_flagtally; RETURN NULL; END $$;
    CREATE TRIGGER reports_flag_tally_truncate AFTER TRUNCATE ON registrations_flag
    FOR EACH STATEMENT EXECUTE FUNCTION reports_flag_tally_truncate();""",
    # what is there already, with the flags' writers held off until the triggers are in place
    f"""LOCK TABLE registrations_flag IN SHARE MODE;
    INSERT INTO reports_flagtally (point_id, rule_id, severity, status, n)
    SELECT COALESCE(point_id, 0), rule_id, severity, status, COUNT(*) FROM registrations_flag
    WHERE status IN {COUNTED} GROUP BY 1, 2, 3, 4;""",
]
UNINSTALL = [
    *(f"DROP TRIGGER IF EXISTS reports_flag_tally_{op} ON registrations_flag;" for op in (*BODIES, "truncate")),
    *(f"DROP FUNCTION IF EXISTS reports_flag_tally_{op}();" for op in (*BODIES, "truncate")),
]


def install(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in INSTALL:
            schema_editor.execute(sql)


def uninstall(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        for sql in UNINSTALL:
            schema_editor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0011_name_search_index"),
        ("reports", "0004_subjects"),
    ]

    operations = [
        migrations.CreateModel(
            name="FlagTally",
            fields=[
                ("id", models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name="ID")),
                ("point_id", models.BigIntegerField(verbose_name="point")),
                ("severity", models.CharField(max_length=8, verbose_name="severity")),
                ("status", models.CharField(max_length=9, verbose_name="status")),
                ("n", models.BigIntegerField(verbose_name="count")),
                (
                    "rule",
                    models.ForeignKey(
                        db_constraint=False,
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="registrations.rule",
                        verbose_name="rule",
                    ),
                ),
            ],
            options={
                "verbose_name": "flag tally",
                "verbose_name_plural": "flag tallies",
                "constraints": [
                    models.UniqueConstraint(
                        fields=("point_id", "rule", "severity", "status"), name="dashboard_flag_tally_key"
                    )
                ],
            },
        ),
        migrations.RunPython(install, uninstall),
    ]
