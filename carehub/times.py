"""Times as a person reads them: in the site's time zone (a group may have sites overseas), else the group's."""

from __future__ import annotations

from datetime import datetime, tzinfo

from django.utils import timezone


def stamp(moment: datetime, zone: tzinfo | None = None) -> str:
    """ "02/12/2026 13:36": a moment in ``zone`` (the group's time zone by default), for object names
    and logs that people read."""
    return timezone.localtime(moment, zone).strftime("%d/%m/%Y %H:%M")


def clock(moment: datetime, zone: tzinfo | None = None) -> str:
    """ "13:36" in ``zone`` (the group's by default)."""
    return timezone.localtime(moment, zone).strftime("%H:%M")
