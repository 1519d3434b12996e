"""Real races on PostgreSQL: requests in threads (one database connection each) held at the same write.

The test's own connection takes a lock that lets reads pass and makes writes wait, starts the
requests, and releases the lock only once they all wait on it: every check made before the write
has been passed by all of them, which is the race a constraint or a lock must settle.
"""

import threading
import time
from contextlib import contextmanager

import pytest
from django.db import connection, transaction


class _Held:
    """Requests started in threads (one database connection each) while writes to a table wait."""

    def __init__(self, cursor):
        self.cursor = cursor
        self.threads: list[threading.Thread] = []
        self.answers: list = []

    def start(self, request) -> None:
        index = len(self.answers)
        self.answers.append(None)

        def run():
            try:
                self.answers[index] = request()
            finally:
                connection.close()

        thread = threading.Thread(target=run)
        thread.start()
        self.threads.append(thread)

    def wait_until_waiting(self, count: int) -> None:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            self.cursor.execute("SELECT pg_stat_clear_snapshot()")
            self.cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            )
            if self.cursor.fetchone()[0] >= count:
                return
            time.sleep(0.05)
        pytest.fail(f"{count} requests never waited on the lock together")


@contextmanager
def held(sql: str, params=()):
    """The lock ``sql`` takes is held until the block's requests all wait on it; then they race."""
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, params)
        waiting = _Held(cursor)
        yield waiting
        waiting.wait_until_waiting(len(waiting.threads))
    for thread in waiting.threads:
        thread.join(timeout=60)


def writes_held(table: str):
    """Writes to ``table`` wait (reads pass)."""
    return held(f"LOCK TABLE {table} IN SHARE ROW EXCLUSIVE MODE")


def row_held(instance):
    """Whoever locks this row (select_for_update) waits; reads, and inserts that refer to it, pass."""
    table = instance._meta.db_table
    return held(f"SELECT 1 FROM {table} WHERE id = %s FOR NO KEY UPDATE", [instance.pk])  # noqa: S608 - a model's table


def both_at_once(table: str, *requests) -> list:
    """Start every request while writes to ``table`` wait; return their answers once they raced."""
    with writes_held(table) as waiting:
        for request in requests:
            waiting.start(request)
    return waiting.answers
