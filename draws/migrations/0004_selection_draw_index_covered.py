"""Drop the selections' single-column index on the draw: the unique (draw, position) index leads with it.

A ceremony writes one row per selected firm (about 93,000 for a 10% draw of a million firms); each
index dropped is one less to update for every one of them. The state changes to ``db_index=False``;
on SQLite an ``AlterField`` would rebuild the table, so the database only loses the index.
"""

import django.db.models.deletion
from django.db import migrations, models

INDEX = "draws_selection_draw_id_97dd3038"


def drop(apps, schema_editor):
    schema_editor.execute(f'DROP INDEX IF EXISTS "{INDEX}"')


def create(apps, schema_editor):
    schema_editor.execute(f'CREATE INDEX "{INDEX}" ON "draws_selection" ("draw_id")')


class Migration(migrations.Migration):
    dependencies = [
        ("draws", "0003_draw_selected"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="selection",
                    name="draw",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="selections",
                        to="draws.draw",
                        verbose_name="draw",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop, create)],
        ),
    ]
