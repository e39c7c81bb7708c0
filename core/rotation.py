"""Re-encrypt personal data with the active FIELD_ENCRYPTION_KEY (key rotation).

Works on every model field that is an EncryptedTextField, found through the app registry, so core
needs no import of the apps that hold personal data. Rows are read and written in primary-key batches
with raw SQL (the field's own lookups are deliberately limited); each batch commits on its own, so a
rotation stopped midway is simply run again.
"""

from django.apps import apps
from django.db import connection, transaction

from .crypto import EncryptedTextField, needs_rotation, reencrypt


def encrypted_fields() -> list[tuple[type, list[str]]]:
    found = []
    for model in apps.get_models():
        columns = [f.column for f in model._meta.concrete_fields if isinstance(f, EncryptedTextField)]
        if columns:
            found.append((model, columns))
    return found


def rotate_model(model, columns: list[str], *, batch: int = 2000) -> tuple[int, int]:
    """Returns (rows read, rows re-encrypted)."""
    qn = connection.ops.quote_name
    table, pk = qn(model._meta.db_table), qn(model._meta.pk.column)
    select_cols = ", ".join(qn(c) for c in columns)
    set_cols = ", ".join(f"{qn(c)} = %s" for c in columns)
    last, read, rotated = None, 0, 0
    while True:
        where, params = (f"WHERE {pk} > %s", [last]) if last is not None else ("", [])
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT {pk}, {select_cols} FROM {table} {where} ORDER BY {pk} LIMIT %s",  # noqa: S608
                [*params, batch],
            )
            rows = cursor.fetchall()
        if not rows:
            return read, rotated
        updates = []
        for pk_value, *tokens in rows:
            if any(needs_rotation(t) for t in tokens):
                updates.append([*(reencrypt(t) if t else t for t in tokens), pk_value])
        if updates:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.executemany(f"UPDATE {table} SET {set_cols} WHERE {pk} = %s", updates)  # noqa: S608
        read += len(rows)
        rotated += len(updates)
        last = rows[-1][0]
