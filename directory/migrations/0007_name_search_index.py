"""On SQLite, the trigram index of target names for the portal's "contains" search.

See ``directory/namesearch.py``. Existing names are indexed here; on PostgreSQL
nothing happens (migration 0005's ``pg_trgm`` index serves the same search).
"""

from django.db import DatabaseError, migrations, transaction


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "sqlite":
        return
    from directory import namesearch

    with connection.cursor() as cursor:
        # FTS5 with the trigram tokenizer needs SQLite 3.34 built with FTS5. Without it, the search
        # keeps working by scanning (``namesearch.available()`` is then false).
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute("CREATE VIRTUAL TABLE temp.suiji_fts5_probe USING fts5(x, tokenize = 'trigram')")
                cursor.execute("DROP TABLE temp.suiji_fts5_probe")
        except DatabaseError:
            return
        for sql in namesearch.SETUP:
            cursor.execute(sql)
        cursor.execute(f"INSERT INTO {namesearch.FTS}(rowid, name) SELECT id, name FROM {namesearch.TABLE}")
        cursor.execute(
            f"UPDATE {namesearch.MARK} SET upto = (SELECT coalesce(max(id), 0) FROM {namesearch.TABLE}) WHERE id = 1"
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "sqlite":
        return
    from directory import namesearch

    with schema_editor.connection.cursor() as cursor:
        for sql in namesearch.TEARDOWN:
            cursor.execute(sql)


class Migration(migrations.Migration):
    dependencies = [("directory", "0006_region_class_index")]

    operations = [migrations.RunPython(create, drop)]
