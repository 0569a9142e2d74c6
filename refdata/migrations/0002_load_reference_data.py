"""Loads the shipped GB/T 2260 divisions and GB/T 4754-2017 industries."""

from django.db import migrations


def load(apps, schema_editor):
    from refdata.loader import load_all

    load_all(apps.get_model("refdata", "Division"), apps.get_model("refdata", "Industry"))


class Migration(migrations.Migration):
    dependencies = [("refdata", "0001_initial")]
    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
