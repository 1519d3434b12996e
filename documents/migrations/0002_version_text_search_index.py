"""Full-text index on the text extracted from PDFs, PostgreSQL only (French configuration).

The index is built by Django from the same expression the search query uses
(``SearchVector("extracted_text", config="french")``), so the planner matches it.
On SQLite, search falls back to a plain substring match and this does nothing.
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

INDEX_NAME = "docversion_text_fts"


def _index():
    return GinIndex(SearchVector("extracted_text", config="french"), name=INDEX_NAME)


def create_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.add_index(apps.get_model("documents", "DocumentVersion"), _index())


def drop_index(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.remove_index(apps.get_model("documents", "DocumentVersion"), _index())


class Migration(migrations.Migration):
    dependencies = [("documents", "0001_initial")]

    operations = [migrations.RunPython(create_index, drop_index)]
