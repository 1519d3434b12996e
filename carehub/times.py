"""Times as a person reads them: in the site's time zone (a group may have sites overseas), else the group's."""

from __future__ import annotations

from datetime import datetime, tzinfo

from django.utils import timezone
from django.utils.formats import date_format


def stamp(moment: datetime, zone: tzinfo | None = None) -> str:
    """ "02/12/2026 13:36": a moment in ``zone`` (the group's time zone by default), for object names
    and logs that people read."""
    return timezone.localtime(moment, zone).strftime("%d/%m/%Y %H:%M")


def clock(moment: datetime, zone: tzinfo | None = None) -> str:
    """ "13:36" in ``zone`` (the group's by default)."""
    return timezone.localtime(moment, zone).strftime("%H:%M")


def shown(moment: datetime, zone: tzinfo | None = None, style: str = "SHORT_DATETIME_FORMAT") -> str:
    """ "03/12/2026 09:40" in French, "12/03/2026 9:40 a.m." in English: a moment in ``zone`` (the group's
    by default) written the active language's way, for printed and exported documents."""
    return date_format(timezone.localtime(moment, zone), style)
