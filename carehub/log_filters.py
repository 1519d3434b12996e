"""Logging filters of the deployment's logs."""

from __future__ import annotations

import logging


class RefusalsOnOneLine(logging.Filter):
    """An ordinary refusal (403, 404, 405…) is one line, without the traceback Django attaches:
    it is the policy working, not an error; the access log keeps what matters of it."""

    def filter(self, record: logging.LogRecord) -> bool:
        status = getattr(record, "status_code", None)
        if status is not None and 400 <= status < 500:
            record.exc_info = None
            record.exc_text = None
        return True
