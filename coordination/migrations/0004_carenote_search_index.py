"""Full-text index of care notes, on PostgreSQL only (French configuration, GIN).

The indexed text (``search_text``) is already lower-cased and without accents,
so that the French stemmer and the SQLite fallback see the same words. The
expression must stay identical to the one in ``coordination.selectors.NOTE_TSVECTOR``.
"""

from django.db import migrations

INDEX = "carenote_search_fr"


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON coordination_carenote "
        "USING GIN (to_tsvector('french'::regconfig, search_text))"
    )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("coordination", "0003_seed_targets")]

    operations = [migrations.RunPython(create_index, drop_index)]
