"""unaccent and pg_trgm, with GIN trigram indexes on the search columns (PostgreSQL only),
then the search columns of existing profiles filled in (every database).

The operations are guarded by the connection's vendor so that the same migration
applies on SQLite, where the search uses the Python-normalised columns alone.
"""

from django.db import migrations

INDEXES = [
    ("directory_staffprofile_search_name_trgm", "search_name"),
    ("directory_staffprofile_search_document_trgm", "search_document"),
]


def create_extensions_and_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    from django.contrib.postgres.operations import TrigramExtension, UnaccentExtension

    for operation in (UnaccentExtension(), TrigramExtension()):
        operation.database_forwards("directory", schema_editor, None, None)
    for name, column in INDEXES:
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {name} ON directory_staffprofile USING gin ({column} gin_trgm_ops)"
        )


def drop_indexes(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _column in INDEXES:
        schema_editor.execute(f"DROP INDEX IF EXISTS {name}")
    # The extensions stay: other apps may use them.


def fill_search_columns(apps, schema_editor):
    from directory import search

    StaffProfile = apps.get_model("directory", "StaffProfile")
    Assignment = apps.get_model("directory", "Assignment")
    places: dict[int, list[str]] = {}
    for a in Assignment.objects.filter(site__is_active=True, end_date__isnull=True).select_related("site", "unit"):
        places.setdefault(a.user_id, []).extend([a.site.name, a.site.city] + ([a.unit.name] if a.unit_id else []))
    batch = []
    for profile in StaffProfile.objects.select_related("user").iterator(chunk_size=1000):
        user = profile.user
        profile.search_name = search.build_search_name(first_name=user.first_name, last_name=user.last_name)
        profile.search_document = search.build_search_document(
            first_name=user.first_name,
            last_name=user.last_name,
            job=profile.job,
            phone_extension=profile.phone_extension,
            languages=profile.languages or [],
            places=places.get(profile.user_id, []),
        )
        batch.append(profile)
        if len(batch) >= 1000:
            StaffProfile.objects.bulk_update(batch, ["search_name", "search_document"])
            batch = []
    StaffProfile.objects.bulk_update(batch, ["search_name", "search_document"])


class Migration(migrations.Migration):
    dependencies = [
        ("directory", "0002_oncall_and_search_columns"),
    ]

    operations = [
        migrations.RunPython(create_extensions_and_indexes, drop_indexes, elidable=False),
        migrations.RunPython(fill_search_columns, migrations.RunPython.noop),
    ]
