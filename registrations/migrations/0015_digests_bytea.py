"""Issue 15: the registrations' three digests as 32-byte bytea, NULL for none, instead of 64 hexadecimal
characters ("" for none): id_doc_hash, portrait_sha256, row_fingerprint, and the former keys the change
trigger logs in registrations_keychange.

PostgreSQL: one ALTER TABLE rewrites the registrations table once for the three columns (core.migration_ops:
`decode(col, 'hex')`, NULL for ''; a portrait_sha256 that is not 64 hexadecimal characters, which imports
before this version accepted, is kept as its text: core.crypto.portrait_bytes). The rewrite
calls no trigger: no row counts as changed for the incremental checks, and the values mean what they meant.
The indexes that mention the columns are dropped first (nothing to rebuild twice) and built again after:
reg_doc_idx and reg_portrait_idx as partial indexes (NOT NULL: no query looks up a row without a document or
a portrait), reg_incomplete_idx with `id_doc_hash IS NULL` for `id_doc_hash = ''`. The table is locked
(ACCESS EXCLUSIVE) while the migration runs: README "Bulk loads" gives the time measured.

The change trigger's function logs NULL instead of "" for an activation's former document and portrait. A
bulk import's staging table (registrations_bulk_<job>) left by an import in flight is converted too, so that
the job resumes.
"""

from django.db import migrations, models

from core.migration_ops import HexDigestsToBytea, postgres_backwards, postgres_forwards

BULK_STAGES = (
    r"SELECT tablename FROM pg_tables WHERE schemaname = current_schema() AND tablename ~ '^registrations_bulk_\d+$'"
)
STAGED = ["id_doc_hash", "portrait_sha256", "row_fingerprint"]


def _stages(schema_editor) -> list[str]:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(BULK_STAGES)
        return [name for (name,) in cursor.fetchall()]


def stages_forward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for table in _stages(schema_editor):
        postgres_forwards(schema_editor, table, STAGED, "text")


def stages_backward(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    text = models.TextField()
    for table in _stages(schema_editor):
        postgres_backwards(schema_editor, table, dict.fromkeys(STAGED, text), not_null=False)


FUNCTION = """
CREATE OR REPLACE FUNCTION registrations_mark_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        IF TG_TABLE_NAME = 'registrations_registration' THEN
            INSERT INTO registrations_keychange (seq, id_doc_hash, portrait_sha256, point_id, registered_at, iccid)
            VALUES (nextval('registrations_change_seq'), OLD.id_doc_hash, OLD.portrait_sha256, OLD.point_id,
                    OLD.registered_at, OLD.iccid);
        ELSE
            INSERT INTO registrations_keychange (seq, id_doc_hash, portrait_sha256, point_id, registered_at, iccid)
            VALUES (nextval('registrations_change_seq'), {none}, {none}, NULL, NULL, OLD.iccid);
        END IF;
        RETURN OLD;
    END IF;
    NEW.change_seq := nextval('registrations_change_seq');
    IF TG_OP = 'UPDATE' THEN
        IF TG_TABLE_NAME = 'registrations_registration' THEN
            IF (OLD.id_doc_hash, OLD.portrait_sha256, OLD.point_id, OLD.registered_at, OLD.iccid)
               IS DISTINCT FROM (NEW.id_doc_hash, NEW.portrait_sha256, NEW.point_id, NEW.registered_at, NEW.iccid) THEN
                INSERT INTO registrations_keychange (seq, id_doc_hash, portrait_sha256, point_id, registered_at, iccid)
                VALUES (NEW.change_seq, OLD.id_doc_hash, OLD.portrait_sha256, OLD.point_id, OLD.registered_at,
                        OLD.iccid);
            END IF;
        ELSIF OLD.iccid IS DISTINCT FROM NEW.iccid THEN
            INSERT INTO registrations_keychange (seq, id_doc_hash, portrait_sha256, point_id, registered_at, iccid)
            VALUES (NEW.change_seq, {none}, {none}, NULL, NULL, OLD.iccid);
        END IF;
    END IF;
    RETURN NEW;
END $$;
"""


def function_forward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION.replace("{none}", "NULL"))


def function_backward(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(FUNCTION.replace("{none}", "''"))


class Migration(migrations.Migration):
    dependencies = [
        ("registrations", "0014_blacklisted_agent_rule"),
    ]

    operations = [
        migrations.RemoveIndex(model_name="registration", name="reg_doc_idx"),
        migrations.RemoveIndex(model_name="registration", name="reg_portrait_idx"),
        migrations.RemoveIndex(model_name="registration", name="reg_incomplete_idx"),
        HexDigestsToBytea(
            "registration",
            {
                "id_doc_hash": models.BinaryField(
                    blank=True, editable=False, max_length=32, null=True, verbose_name="ID document key"
                ),
                "portrait_sha256": models.BinaryField(
                    blank=True, max_length=32, null=True, verbose_name="portrait SHA-256"
                ),
                "row_fingerprint": models.BinaryField(
                    blank=True, editable=False, max_length=32, null=True, verbose_name="import fingerprint"
                ),
            },
            # a portrait_sha256 that is no digest (imports before accepted any text up to 64 characters) is
            # kept as its text (core.crypto.portrait_bytes); the two keyed hashes were always written in hex
            malformed="text",
        ),
        # a log of former keys: a value no registration may hold any more is of no use to the checks
        HexDigestsToBytea(
            "keychange",
            {
                "id_doc_hash": models.BinaryField(blank=True, null=True),
                "portrait_sha256": models.BinaryField(blank=True, null=True),
            },
            malformed="null",
        ),
        migrations.RunPython(stages_forward, stages_backward),
        migrations.RunPython(function_forward, function_backward),
        migrations.AddIndex(
            model_name="registration",
            index=models.Index(
                condition=models.Q(("id_doc_hash__isnull", False)),
                fields=["id_doc_hash", "registered_at"],
                name="reg_doc_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="registration",
            index=models.Index(
                condition=models.Q(("portrait_sha256__isnull", False)),
                fields=["portrait_sha256"],
                name="reg_portrait_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="registration",
            index=models.Index(
                condition=models.Q(
                    ("subscriber_name", ""),
                    ("date_of_birth__isnull", True),
                    ("id_doc_type", ""),
                    ("id_doc_number", ""),
                    ("id_doc_hash__isnull", True),
                    ("id_issue_date__isnull", True),
                    ("address", ""),
                    _connector="OR",
                ),
                fields=["id"],
                name="reg_incomplete_idx",
            ),
        ),
    ]
