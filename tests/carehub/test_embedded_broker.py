"""The embedded default's in-memory broker starts without a warning in the log of `make run`."""

import logging

from celery import current_app


def test_the_embedded_broker_names_its_host(caplog):
    with caplog.at_level(logging.WARNING, logger="kombu.connection"), current_app.connection_for_write() as connection:
        connection.info()
    assert [r.getMessage() for r in caplog.records if r.name == "kombu.connection"] == []
