"""The text of PDFs searched accents aside, on either database ("hemorragie" finds "hémorragie").

- PostgreSQL: a ``french_unaccent`` text search configuration (the French one with
  unaccent before the stemmer) and the GIN index (migration 0002) rebuilt on it, from the same expression
  the search uses (``SearchVector("extracted_text", config="french_unaccent")``).
- SQLite: an FTS5 index of the same column, kept in step by triggers (documents/text_index.py).
"""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVector
from django.db import migrations

from documents import text_index

INDEX = "docversion_text_fts"  # the name stays; its expression changes
CONFIG = "french_unaccent"

PG_CREATE_CONFIG = f"""
DO $$ BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_ts_config WHERE cfgname = '{CONFIG}') THEN
        CREATE TEXT SEARCH CONFIGURATION {CONFIG} (COPY = french);
        ALTER TEXT SEARCH CONFIGURATION {CONFIG}
            ALTER MAPPING FOR hword, hword_part, word WITH unaccent, french_stem;
    END IF;
END $$;
"""

def _index(config: str, name: str) -> GinIndex:
    return GinIndex(SearchVector("extracted_text", config=config), name=name)


def forwards(apps, schema_editor):
    Version = apps.get_model("documents", "DocumentVersion")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(PG_CREATE_CONFIG)
        schema_editor.remove_index(Version, _index("french", INDEX))
        schema_editor.add_index(Version, _index(CONFIG, INDEX))
    elif schema_editor.connection.vendor == "sqlite":
        text_index.ensure(schema_editor.connection)


def backwards(apps, schema_editor):
    Version = apps.get_model("documents", "DocumentVersion")
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.remove_index(Version, _index(CONFIG, INDEX))
        schema_editor.add_index(Version, _index("french", INDEX))
    elif schema_editor.connection.vendor == "sqlite":
        text_index.drop(schema_editor.connection)


class Migration(migrations.Migration):
    dependencies = [
        ("documents", "0002_version_text_search_index"),
        # unaccent, which the PostgreSQL configuration uses.
        ("directory", "0003_search_extensions_and_indexes"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
