"""Drop the target table's single-column foreign-key indexes that another index already leads with.

``organisation`` is led by (organisation, credit_class), ``region`` by target_region_class_idx,
``industry`` by its own Meta index (an exact duplicate). On PostgreSQL the ``_like`` pattern
indexes of the two code columns go too: region and industry prefixes are filtered as ranges
(``directory/search.py``), which the plain indexes answer. Each index dropped is one less to
maintain on every insert and to build at the end of every bulk import.

The state changes to ``db_index=False``; the database only loses the indexes (on SQLite an
``AlterField`` would rebuild the whole table and drop the name search triggers with it).
"""

import django.db.models.deletion
from django.db import migrations, models

INDEXES = [
    ("directory_target_organisation_id_e9d4b537", "organisation_id", False),
    ("directory_target_industry_id_632c8e38", "industry_id", False),
    ("directory_target_industry_id_632c8e38_like", "industry_id", True),
    ("directory_target_region_id_a3b9b304", "region_id", False),
    ("directory_target_region_id_a3b9b304_like", "region_id", True),
]


def drop(apps, schema_editor):
    for name, _column, _like in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


def create(apps, schema_editor):
    postgres = schema_editor.connection.vendor == "postgresql"
    for name, column, like in INDEXES:
        if like and not postgres:
            continue
        ops = " varchar_pattern_ops" if like else ""
        schema_editor.execute(f'CREATE INDEX "{name}" ON "directory_target" ("{column}"{ops})')


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0007_name_search_index"),
        ("orgs", "0001_initial"),
        ("refdata", "0002_load_reference_data"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="target",
                    name="industry",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="refdata.industry",
                        verbose_name="industry",
                    ),
                ),
                migrations.AlterField(
                    model_name="target",
                    name="organisation",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="targets",
                        to="orgs.organisation",
                        verbose_name="jurisdiction",
                    ),
                ),
                migrations.AlterField(
                    model_name="target",
                    name="region",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        to="refdata.division",
                        verbose_name="region",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(drop, create)],
        ),
    ]
