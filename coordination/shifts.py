"""Shifts in a site's own time zone: which shift a moment belongs to, and when shifts start.

A shift is named by its kind and the local date on which it *starts*: the night
shift that starts at 21:00 on 28 March and ends at 07:00 on 29 March is
("night", 28 March). Start times are wall-clock times of the site's zone, so
that a night shift over a daylight-saving change lasts one hour more or less,
as it does for the people working it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Shift(models.TextChoices):
    MORNING = "morning", _("Morning")
    AFTERNOON = "afternoon", _("Afternoon")
    NIGHT = "night", _("Night")


ORDER = (Shift.MORNING, Shift.AFTERNOON, Shift.NIGHT)


def default_starts() -> tuple[time, time, time]:
    parts = [p.strip().split(":") for p in settings.COORDINATION_SHIFT_STARTS.split(",")]
    morning, afternoon, night = (time(int(h), int(m)) for h, m in parts)
    return morning, afternoon, night


@dataclass(frozen=True)
class ShiftHours:
    """The three start times of a site's shifts (morning < afternoon < night) and its zone."""

    morning: time
    afternoon: time
    night: time
    zone: ZoneInfo

    @classmethod
    def default(cls, zone: ZoneInfo | str) -> ShiftHours:
        return cls(*default_starts(), zone=ZoneInfo(zone) if isinstance(zone, str) else zone)

    def start_time(self, shift: str) -> time:
        return {Shift.MORNING: self.morning, Shift.AFTERNOON: self.afternoon, Shift.NIGHT: self.night}[shift]


@dataclass(frozen=True, order=True)
class ShiftSlot:
    """One occurrence of a shift: its local start date and its kind."""

    day: date
    shift: str

    def previous(self) -> ShiftSlot:
        index = ORDER.index(self.shift)
        if index == 0:
            return ShiftSlot(self.day - timedelta(days=1), ORDER[-1])
        return ShiftSlot(self.day, ORDER[index - 1])

    def next(self) -> ShiftSlot:
        index = ORDER.index(self.shift)
        if index == len(ORDER) - 1:
            return ShiftSlot(self.day + timedelta(days=1), ORDER[0])
        return ShiftSlot(self.day, ORDER[index + 1])

    @property
    def label(self) -> str:
        return Shift(self.shift).label


def _aware(day: date, at: time, zone: ZoneInfo) -> datetime:
    # A wall-clock time skipped by a spring-forward change (02:30 that never
    # happens) resolves, with fold=0, to the offset before the change: the shift
    # then starts at the first instant that exists after it, as a clock would show.
    # Returned in UTC: Python subtracts two datetimes sharing one tzinfo by wall
    # clock, which would hide the hour gained or lost over a change.
    return datetime.combine(day, at, tzinfo=zone).astimezone(UTC)


def shift_at(moment: datetime, hours: ShiftHours) -> ShiftSlot:
    """The shift a moment belongs to, in the site's zone."""
    if moment.tzinfo is None:
        raise ValueError("shift_at() needs an aware datetime")
    local = moment.astimezone(hours.zone)
    wall = local.time().replace(tzinfo=None)
    if hours.morning <= wall < hours.afternoon:
        return ShiftSlot(local.date(), Shift.MORNING)
    if hours.afternoon <= wall < hours.night:
        return ShiftSlot(local.date(), Shift.AFTERNOON)
    if wall >= hours.night:
        return ShiftSlot(local.date(), Shift.NIGHT)
    return ShiftSlot(local.date() - timedelta(days=1), Shift.NIGHT)


def shift_start(slot: ShiftSlot, hours: ShiftHours) -> datetime:
    """When a shift starts, as an aware UTC datetime."""
    return _aware(slot.day, hours.start_time(slot.shift), hours.zone)


def shift_end(slot: ShiftSlot, hours: ShiftHours) -> datetime:
    return shift_start(slot.next(), hours)
