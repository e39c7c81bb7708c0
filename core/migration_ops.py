"""Migration operations the apps share.

`HexDigestsToBytea` (issue 15): text columns holding digests as 64 hexadecimal characters ("" for none)
become 32-byte binary columns (NULL for none), in the state and in the database, values converted:

- PostgreSQL: ONE `ALTER TABLE` for all the columns of a table (one rewrite of the table and its indexes,
  set-based: `decode(NULLIF(col, ''), 'hex')`), after a scan that refuses to start when a value is not 64
  hexadecimal characters (`malformed="fail"`, the default: no value is lost silently; the error says how
  to find the rows), that turns such values into NULL (`malformed="null"`: for a log whose rows can be
  lost, such as registrations_keychange), or that keeps them as their UTF-8 bytes (`malformed="text"`, the
  rule of core.crypto.portrait_bytes: a portrait_sha256 an import before issue 15 stored as any text).
  Backwards: `encode(col, 'hex')` for 32 bytes, the text for other values, NULL -> "".
- SQLite (development): Django's own AlterField (a copy of the table), then the values in Python.
"""

import re

from django.db import migrations
from django.db.migrations.operations.base import Operation

from core.crypto import portrait_bytes, portrait_text

HEX64 = "^[0-9a-fA-F]{64}$"
_HEX64 = re.compile(r"[0-9a-fA-F]{64}")


class MalformedDigests(RuntimeError):
    pass


def _valid_hex_digest(value) -> bool:
    return isinstance(value, str) and _HEX64.fullmatch(value) is not None


class HexDigestsToBytea(Operation):
    """AlterField of each of `fields` ({name: new BinaryField}) of `model_name`, converting the stored values."""

    reversible = True
    reduces_to_sql = False

    def __init__(self, model_name: str, fields: dict, malformed: str = "fail"):
        if malformed not in ("fail", "null", "text"):
            raise ValueError(malformed)
        self.model_name = model_name
        self.fields = fields
        self.malformed = malformed

    def deconstruct(self):
        kwargs = {"model_name": self.model_name, "fields": self.fields, "malformed": self.malformed}
        return (self.__class__.__qualname__, [], kwargs)

    def describe(self):
        return f"Convert {', '.join(self.fields)} of {self.model_name} from hexadecimal text to bytea"

    @property
    def migration_name_fragment(self):
        return f"{self.model_name.lower()}_digests_bytea"

    def _alter_fields(self):
        return [migrations.AlterField(self.model_name, name, field) for name, field in self.fields.items()]

    def state_forwards(self, app_label, state):
        for operation in self._alter_fields():
            operation.state_forwards(app_label, state)

    # --- forwards ------------------------------------------------------------------------------------

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        table = model._meta.db_table
        columns = [model._meta.get_field(name).column for name in self.fields]
        if schema_editor.connection.vendor == "postgresql":
            postgres_forwards(schema_editor, table, columns, self.malformed)
            return
        state = from_state
        for operation in self._alter_fields():  # one field at a time: each copy of the table starts from the last
            after = state.clone()
            operation.state_forwards(app_label, after)
            operation.database_forwards(app_label, schema_editor, state, after)
            state = after
        _python_convert(schema_editor, table, model._meta.pk.column, columns, self.malformed, to_bytes=True)

    # --- backwards -----------------------------------------------------------------------------------

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        table = model._meta.db_table
        old = to_state.apps.get_model(app_label, self.model_name)
        if schema_editor.connection.vendor == "postgresql":
            postgres_backwards(
                schema_editor, table, {old._meta.get_field(n).column: old._meta.get_field(n) for n in self.fields}
            )
            return
        columns = [model._meta.get_field(name).column for name in self.fields]
        _python_convert(schema_editor, table, model._meta.pk.column, columns, "null", to_bytes=False)
        state = from_state
        for name in self.fields:  # one field at a time, back to its text field
            old_field = old._meta.get_field(name).clone()
            before = state.clone()
            operation = migrations.AlterField(self.model_name, name, old_field)
            operation.state_forwards(app_label, before)
            operation.database_forwards(app_label, schema_editor, state, before)
            state = before


def postgres_forwards(schema_editor, table: str, columns: list[str], malformed: str) -> None:
    quote = schema_editor.quote_name
    if malformed == "fail":
        check_hex_digests(schema_editor, table, columns)
        using = "decode(NULLIF(@, ''), 'hex')"
    elif malformed == "text":  # core.crypto.portrait_bytes, in SQL
        using = (
            f"CASE WHEN @ = '' THEN NULL WHEN @ ~ '{HEX64}' THEN decode(@, 'hex')"
            " WHEN octet_length(@) = 32 THEN convert_to(@, 'UTF8') || '\\x00'::bytea ELSE convert_to(@, 'UTF8') END"
        )
    else:
        using = f"CASE WHEN @ ~ '{HEX64}' THEN decode(@, 'hex') END"
    clauses = []
    for column in columns:
        c = quote(column)
        clauses.append(f"ALTER COLUMN {c} DROP NOT NULL")
        clauses.append(f"ALTER COLUMN {c} TYPE bytea USING {using.replace('@', c)}")
    schema_editor.execute(f"ALTER TABLE {quote(table)} {', '.join(clauses)}")


def check_hex_digests(schema_editor, table: str, columns: list[str]) -> None:
    """One scan of `table`: raise MalformedDigests when a non-blank value of `columns` is not 64 hex digits."""
    quote = schema_editor.quote_name
    bad = {c: f"{quote(c)} <> '' AND {quote(c)} !~ '{HEX64}'" for c in columns}
    counts = ", ".join(f"count(*) FILTER (WHERE {condition})" for condition in bad.values())
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT {counts} FROM {quote(table)}")  # noqa: S608 - names of our own tables
        found = dict(zip(columns, cursor.fetchone(), strict=True))
    found = {c: n for c, n in found.items() if n}
    if found:
        queries = " UNION ALL ".join(
            f"SELECT id, '{c}' AS col, {quote(c)} AS value FROM {quote(table)} WHERE {bad[c]}"  # noqa: S608 - ours
            for c in found
        )
        raise MalformedDigests(
            f"{table}: "
            + ", ".join(f"{n} value(s) of {c}" for c, n in found.items())
            + " are neither blank nor 64 hexadecimal characters, and a 32-byte column cannot hold them. "
            + f"See them with: {queries}; correct them (re-import the rows with the right value) or blank them, "
            + "then migrate again."
        )


def postgres_backwards(schema_editor, table: str, fields: dict, not_null: bool = True) -> None:
    quote = schema_editor.quote_name
    clauses = []
    for column, field in fields.items():
        c = quote(column)
        db_type = field.db_type(schema_editor.connection)
        # core.crypto.portrait_text, in SQL: a digest as hex, text kept by malformed="text" as that text
        text = (
            f"CASE WHEN {c} IS NULL THEN '' WHEN octet_length({c}) = 32 THEN encode({c}, 'hex')"
            f" WHEN octet_length({c}) = 33 AND get_byte({c}, 32) = 0"
            f" THEN convert_from(substring({c} FROM 1 FOR 32), 'UTF8')"
            f" ELSE convert_from({c}, 'UTF8') END"
        )
        clauses.append(f"ALTER COLUMN {c} TYPE {db_type} USING {text}")
        if not_null:
            clauses.append(f"ALTER COLUMN {c} SET NOT NULL")
    schema_editor.execute(f"ALTER TABLE {quote(table)} {', '.join(clauses)}")


def _python_convert(schema_editor, table: str, pk: str, columns: list[str], malformed: str, *, to_bytes: bool):
    quote = schema_editor.quote_name
    names = ", ".join(quote(c) for c in columns)
    with schema_editor.connection.cursor() as cursor:
        cursor.execute(f"SELECT {quote(pk)}, {names} FROM {quote(table)}")  # noqa: S608 - our own names
        rows = cursor.fetchall()
    updates, bad = [], []
    for pk_value, *values in rows:
        new = []
        for column, value in zip(columns, values, strict=True):
            if to_bytes:
                if value in (None, "", b""):
                    new.append(None)
                elif _valid_hex_digest(value):
                    new.append(bytes.fromhex(value))
                elif isinstance(value, bytes | memoryview) and len(value) == 32:
                    new.append(bytes(value))
                elif malformed == "null":
                    new.append(None)
                elif malformed == "text" and isinstance(value, str):
                    new.append(portrait_bytes(value))
                else:
                    bad.append((pk_value, column, value))
                    new.append(None)
            else:
                new.append(portrait_text(value))
        updates.append((*new, pk_value))
    if bad:
        raise MalformedDigests(
            f"{table}: {len(bad)} value(s) are neither blank nor 64 hexadecimal characters (id, column, value: "
            f"{bad[:10]}); correct or blank them, then migrate again."
        )
    assignments = ", ".join(f"{quote(c)} = %s" for c in columns)
    with schema_editor.connection.cursor() as cursor:
        cursor.executemany(f"UPDATE {quote(table)} SET {assignments} WHERE {quote(pk)} = %s", updates)  # noqa: S608
