"""Public ids (UUIDs) read from URLs, query strings, forms and socket frames."""

from __future__ import annotations

import uuid

from django.http import Http404


def parse_uuid(value) -> uuid.UUID | None:
    """The UUID written in ``value``, or None when it is not one (never an exception)."""
    if isinstance(value, uuid.UUID):
        return value
    try:
        return uuid.UUID(str(value))
    except (TypeError, ValueError, AttributeError):
        return None


def uuid_or_404(value) -> uuid.UUID:
    """For ids in query strings: a malformed one answers like an unknown one."""
    parsed = parse_uuid(value)
    if parsed is None:
        raise Http404
    return parsed
