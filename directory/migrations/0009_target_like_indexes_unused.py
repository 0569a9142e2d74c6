"""PostgreSQL: drop the ``varchar_pattern_ops`` copies of the target's key and name indexes.

Django adds a ``_like`` index beside the index of every ``CharField`` with ``unique`` or
``db_index`` on PostgreSQL, for ``LIKE 'prefix%'``. Nothing here filters the key or the name
that way: key prefixes are ranges (``directory/search.py`` ``_starting_with``), the portal's
name prefix is a range too (``portal/search.py``), and "contains" searches use the trigram
index. The plain indexes answer the ranges, so the copies only cost: two more indexes to
keep on every insert and to build at the end of every bulk import (1.6 s of a
1,000,000-row import, docs/BENCHMARKS.md).

The model state does not change (the fields keep their indexes). A later migration that alters
``key`` or ``name`` makes Django create the ``_like`` index again; such a migration should drop it.
SQLite never had them.
"""

from django.db import migrations

INDEXES = [
    ("directory_target_key_1f2f273e_like", "key"),
    ("directory_target_name_50dabb7e_like", "name"),
]


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "directory_target" ("{column}" varchar_pattern_ops)'
        )


class Migration(migrations.Migration):
    dependencies = [("directory", "0008_target_fk_indexes_covered")]

    operations = [migrations.RunPython(drop, create, elidable=False)]
