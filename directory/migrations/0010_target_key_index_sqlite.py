"""SQLite: the target's key is kept unique by a named unique index instead of the table's inline
``UNIQUE``.

Django declares ``unique=True`` inline in SQLite's ``CREATE TABLE``, and SQLite keeps such a
constraint in an automatic index that cannot be dropped. A bulk import into an empty directory
drops the other indexes and builds them once at the end; the key's index it had to keep up row by
row, about 3 s of a 1,000,000-row import (docs/BENCHMARKS.md). As a named index
(``directory_target_key_uniq``) it can be dropped and built again the same way, which checks
uniqueness again (``directory/importing/runner.py``); an import into a directory that already
holds firms keeps it, for its look-ups by key.

SQLite cannot drop a column constraint, so the table is rebuilt the way SQLite documents (a new
table, the rows copied with their ids, the old one dropped, the new one renamed), with its indexes,
its name-search triggers and its AUTOINCREMENT counter carried over; Django's schema editor has
turned the foreign-key checks off around it and checks them after. The model state does not change
(the field stays ``unique``); a later migration that makes Django rebuild this table on SQLite
brings the inline constraint back, and should then drop it again the same way. Nothing changes on
PostgreSQL, whose import already drops and adds the key's unique constraint.
"""

from django.db import migrations

TABLE = "directory_target"
INDEX = "directory_target_key_uniq"
INLINE = '"key" varchar(18) NOT NULL UNIQUE'
PLAIN = '"key" varchar(18) NOT NULL'


def _rebuild(schema_editor, find: str, replace: str) -> None:
    with schema_editor.connection.cursor() as cursor:
        cursor.execute("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = %s", [TABLE])
        create = cursor.fetchone()[0]
        if create.count(find) != 1:
            raise RuntimeError(f"{TABLE}: expected the key column as {find!r} in {create!r}")
        cursor.execute(
            "SELECT name, sql FROM sqlite_master WHERE tbl_name = %s AND type IN ('index', 'trigger') "
            "AND sql IS NOT NULL AND name <> %s ORDER BY type, name",
            [TABLE, INDEX],
        )
        carried = cursor.fetchall()
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [TABLE])
        sequence = cursor.fetchone()
        cursor.execute(f'PRAGMA table_info("{TABLE}")')
        columns = ", ".join(f'"{row[1]}"' for row in cursor.fetchall())
        new = f"{TABLE}__rebuilt"
        cursor.execute(create.replace(f'CREATE TABLE "{TABLE}"', f'CREATE TABLE "{new}"', 1).replace(find, replace))
        cursor.execute(f'INSERT INTO "{new}" ({columns}) SELECT {columns} FROM "{TABLE}" ORDER BY "id"')
        cursor.execute(f'DROP TABLE "{TABLE}"')
        cursor.execute(f'ALTER TABLE "{new}" RENAME TO "{TABLE}"')
        if sequence is not None:  # ids of deleted firms stay unused
            cursor.execute("DELETE FROM sqlite_sequence WHERE name = %s", [TABLE])
            cursor.execute("INSERT INTO sqlite_sequence (name, seq) VALUES (%s, %s)", [TABLE, sequence[0]])
        for _name, sql in carried:
            cursor.execute(sql)


def separate(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    _rebuild(schema_editor, INLINE, PLAIN)
    schema_editor.execute(f'CREATE UNIQUE INDEX "{INDEX}" ON "{TABLE}" ("key")')


def inline(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    _rebuild(schema_editor, PLAIN, INLINE)


class Migration(migrations.Migration):
    dependencies = [("directory", "0009_target_like_indexes_unused")]

    operations = [migrations.RunPython(separate, inline, elidable=False)]
