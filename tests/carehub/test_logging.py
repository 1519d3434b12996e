"""The deployment's log: an ordinary refusal is one line, a real error keeps its traceback."""

import io
import logging

import pytest
from django.urls import reverse


@pytest.fixture
def console():
    """What the console handler of the deployment's logging writes, during the test."""
    handler = next(h for h in logging.getLogger().handlers if h.get_name() == "console")
    stream = io.StringIO()
    previous = handler.setStream(stream)
    yield stream
    handler.setStream(previous)


def test_a_refused_page_is_one_line_in_the_log(console, verified_client, family_user):
    verified_client(family_user).get(reverse("directory:search"))
    refusal = [line for line in console.getvalue().splitlines() if "Forbidden" in line or "Not Found" in line]
    assert (len(refusal), "Traceback" in console.getvalue()) == (1, False)


def test_an_error_keeps_its_traceback():
    from carehub.log_filters import RefusalsOnOneLine

    try:
        raise ValueError("boom")
    except ValueError:
        import sys

        record = logging.LogRecord(
            "django.request", logging.ERROR, __file__, 1, "Internal Server Error", (), sys.exc_info()
        )
    record.status_code = 500
    RefusalsOnOneLine().filter(record)
    assert record.exc_info is not None
