"""Residents' normalised search column (names and room, carehub.textsearch), filled in for existing
residents; on PostgreSQL a GIN trigram index serves its LIKE filters (unaccent and pg_trgm come
from directory 0003)."""

from django.db import migrations, models

INDEX = "coordination_resident_search_text_trgm"
SOURCES = ("first_name", "last_name", "preferred_name", "room")


def fill(apps, schema_editor):
    from carehub import textsearch

    Resident = apps.get_model("coordination", "Resident")
    batch = []
    for resident in Resident.objects.only("pk", *SOURCES).iterator(chunk_size=1000):
        resident.search_text = textsearch.padded(" ".join(getattr(resident, f) or "" for f in SOURCES))
        batch.append(resident)
        if len(batch) >= 1000:
            Resident.objects.bulk_update(batch, ["search_text"])
            batch = []
    Resident.objects.bulk_update(batch, ["search_text"])


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON coordination_resident USING gin (search_text gin_trgm_ops)"
        )


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("coordination", "0007_seed_writing_aids"),
        ("directory", "0003_search_extensions_and_indexes"),
    ]

    operations = [
        migrations.AddField(
            model_name="resident",
            name="search_text",
            field=models.CharField(blank=True, default="", editable=False, max_length=400),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
        migrations.RunPython(create_index, drop_index),
    ]
