"""A stored tsvector for care notes, on PostgreSQL: the search filter then reads a column
instead of computing to_tsvector() for every row it considers (which made searches for
rare words scan a whole site). A trigger keeps it equal to to_tsvector('french', search_text);
the GIN index moves to the column. On SQLite the column stays NULL (the fallback searches
search_text)."""

import django.contrib.postgres.search
from django.db import migrations

FORWARD = [
    """
    CREATE OR REPLACE FUNCTION coordination_carenote_search_vector() RETURNS trigger AS $$
    BEGIN
        NEW.search_vector := to_tsvector('french'::regconfig, coalesce(NEW.search_text, ''));
        RETURN NEW;
    END
    $$ LANGUAGE plpgsql
    """,
    "DROP TRIGGER IF EXISTS coordination_carenote_search_vector ON coordination_carenote",
    """
    CREATE TRIGGER coordination_carenote_search_vector
    BEFORE INSERT OR UPDATE OF search_text, search_vector ON coordination_carenote
    FOR EACH ROW EXECUTE FUNCTION coordination_carenote_search_vector()
    """,
    "UPDATE coordination_carenote SET search_vector = to_tsvector('french'::regconfig, coalesce(search_text, ''))",
    "CREATE INDEX IF NOT EXISTS carenote_search_vector_fr ON coordination_carenote USING GIN (search_vector)",
    "DROP INDEX IF EXISTS carenote_search_fr",
]
BACKWARD = [
    "CREATE INDEX IF NOT EXISTS carenote_search_fr ON coordination_carenote "
    "USING GIN (to_tsvector('french'::regconfig, search_text))",
    "DROP INDEX IF EXISTS carenote_search_vector_fr",
    "DROP TRIGGER IF EXISTS coordination_carenote_search_vector ON coordination_carenote",
    "DROP FUNCTION IF EXISTS coordination_carenote_search_vector()",
]


def _run(statements):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor != "postgresql":
            return
        for statement in statements:
            schema_editor.execute(statement)

    return run


class Migration(migrations.Migration):
    dependencies = [("coordination", "0004_carenote_search_index")]

    operations = [
        migrations.AddField(
            model_name="carenote",
            name="search_vector",
            field=django.contrib.postgres.search.SearchVectorField(editable=False, null=True),
        ),
        migrations.RunPython(_run(FORWARD), _run(BACKWARD)),
    ]
