"""A real "database is locked" on SQLite: another connection holds a table's write lock."""

from __future__ import annotations

import sqlite3

import pytest
from django.db import connection


class SqliteLock:
    """Another connection to the in-memory test database holds the write lock of ``table``."""

    def __init__(self, table: str):
        self.table = table

    def __enter__(self):
        if connection.vendor != "sqlite":
            pytest.skip("SQLite only")
        assert connection.is_in_memory_db()
        self.other = sqlite3.connect(connection.settings_dict["NAME"], uri=True, isolation_level=None)
        self.other.execute("BEGIN IMMEDIATE")
        self.other.execute(f"DELETE FROM {self.table} WHERE 0")  # takes the table's write lock
        return self

    def __exit__(self, *exc):
        self.other.execute("ROLLBACK")
        self.other.close()
