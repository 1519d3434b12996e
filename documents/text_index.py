"""The SQLite index of PDF text, searched accents and case aside (PostgreSQL: migration 0003).

An FTS5 table with ``tokenize='unicode61 remove_diacritics 2'`` (words without accents nor
case) over documents_documentversion.extracted_text, kept in step by triggers. It stores no
copy of the text (external content: FTS5 reads the versions' table).

When a later migration alters DocumentVersion, SQLite rebuilds the table and its triggers go
with it: ``ensure`` runs after every ``migrate`` (DocumentsConfig.ready) and puts back what is
missing, re-indexing every version when a trigger had to be made again.
"""

from __future__ import annotations

TABLE = "documents_versiontext"
SOURCE = "documents_documentversion"
#: Versions whose text matches an FTS5 query (textsearch.fts5_word_starts).
MATCH_SQL = "SELECT rowid FROM documents_versiontext WHERE documents_versiontext MATCH %s"

_CREATE_TABLE = (
    "CREATE VIRTUAL TABLE IF NOT EXISTS documents_versiontext USING fts5(extracted_text,"
    " content='documents_documentversion', content_rowid='id', tokenize='unicode61 remove_diacritics 2')"
)
_REBUILD = "INSERT INTO documents_versiontext(documents_versiontext) VALUES ('rebuild')"
_DELETE_OLD = (
    "INSERT INTO documents_versiontext(documents_versiontext, rowid, extracted_text)"
    " VALUES ('delete', old.id, old.extracted_text);"
)
_INSERT_NEW = "INSERT INTO documents_versiontext(rowid, extracted_text) VALUES (new.id, new.extracted_text);"
TRIGGERS = {
    "documents_versiontext_insert": "AFTER INSERT ON documents_documentversion BEGIN " + _INSERT_NEW + " END",
    "documents_versiontext_delete": "AFTER DELETE ON documents_documentversion BEGIN " + _DELETE_OLD + " END",
    "documents_versiontext_update": (
        "AFTER UPDATE OF extracted_text ON documents_documentversion BEGIN " + _DELETE_OLD + _INSERT_NEW + " END"
    ),
}


def ensure(connection) -> bool:
    """Create the index and its triggers where missing (SQLite only); True when it was rebuilt."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {name for (name,) in cursor.fetchall()}
        if SOURCE not in present:
            return False
        missing = [name for name in TRIGGERS if name not in present]
        if TABLE in present and not missing:
            return False
        cursor.execute(_CREATE_TABLE)
        for name in missing:
            cursor.execute(f"CREATE TRIGGER {name} {TRIGGERS[name]}")
        cursor.execute(_REBUILD)
    return True


def drop(connection) -> None:
    if connection.vendor != "sqlite":
        return
    with connection.cursor() as cursor:
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute(f"DROP TABLE IF EXISTS {TABLE}")


def ensure_after_migrate(sender, using, **kwargs) -> None:
    from django.db import connections

    ensure(connections[using])
