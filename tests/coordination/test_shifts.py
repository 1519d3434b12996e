"""Shifts in the site's own time zone: boundaries, daylight saving, sites overseas."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from coordination.models import SiteCareSettings
from coordination.shifts import Shift, ShiftHours, ShiftSlot, shift_at, shift_end, shift_start
from tests.factories import SiteFactory

PARIS = ZoneInfo("Europe/Paris")
CAYENNE = ZoneInfo("America/Cayenne")
REUNION = ZoneInfo("Indian/Reunion")


def hours(zone=PARIS):
    return ShiftHours(time(7), time(14), time(21), zone=zone)


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (datetime(2026, 6, 10, 6, 59), ShiftSlot(date(2026, 6, 9), Shift.NIGHT)),
        (datetime(2026, 6, 10, 7, 0), ShiftSlot(date(2026, 6, 10), Shift.MORNING)),
        (datetime(2026, 6, 10, 13, 59), ShiftSlot(date(2026, 6, 10), Shift.MORNING)),
        (datetime(2026, 6, 10, 14, 0), ShiftSlot(date(2026, 6, 10), Shift.AFTERNOON)),
        (datetime(2026, 6, 10, 20, 59), ShiftSlot(date(2026, 6, 10), Shift.AFTERNOON)),
        (datetime(2026, 6, 10, 21, 0), ShiftSlot(date(2026, 6, 10), Shift.NIGHT)),
        (datetime(2026, 6, 10, 23, 59), ShiftSlot(date(2026, 6, 10), Shift.NIGHT)),
        (datetime(2026, 6, 11, 0, 30), ShiftSlot(date(2026, 6, 10), Shift.NIGHT)),
    ],
)
def test_shift_boundaries_in_local_time(local, expected):
    assert shift_at(local.replace(tzinfo=PARIS), hours()) == expected


def test_naive_datetime_is_refused():
    with pytest.raises(ValueError):
        shift_at(datetime(2026, 6, 10, 8, 0), hours())  # noqa: DTZ001


def test_same_instant_different_shift_overseas():
    # 22:30 UTC on 10 June: 00:30 in Paris (night of the 10th), 19:30 in Cayenne
    # (afternoon), 02:30 on the 11th in Réunion (night of the 10th).
    moment = datetime(2026, 6, 10, 22, 30, tzinfo=UTC)
    assert shift_at(moment, hours(PARIS)) == ShiftSlot(date(2026, 6, 10), Shift.NIGHT)
    assert shift_at(moment, hours(CAYENNE)) == ShiftSlot(date(2026, 6, 10), Shift.AFTERNOON)
    assert shift_at(moment, hours(REUNION)) == ShiftSlot(date(2026, 6, 10), Shift.NIGHT)
    # 11:00 UTC: 13:00 Paris (morning), 08:00 Cayenne (morning), 15:00 Réunion (afternoon).
    moment = datetime(2026, 6, 10, 11, 0, tzinfo=UTC)
    assert shift_at(moment, hours(PARIS)).shift == Shift.MORNING
    assert shift_at(moment, hours(CAYENNE)).shift == Shift.MORNING
    assert shift_at(moment, hours(REUNION)).shift == Shift.AFTERNOON


def test_spring_forward_night_is_one_hour_shorter():
    # Clocks go from 02:00 to 03:00 in Paris on Sunday 29 March 2026.
    night = ShiftSlot(date(2026, 3, 28), Shift.NIGHT)
    start, end = shift_start(night, hours()), shift_end(night, hours())
    assert start.astimezone(UTC) == datetime(2026, 3, 28, 20, 0, tzinfo=UTC)  # 21:00 CET
    assert end.astimezone(UTC) == datetime(2026, 3, 29, 5, 0, tzinfo=UTC)  # 07:00 CEST
    assert end - start == timedelta(hours=9)
    # 01:59 UTC = 03:59 CEST after the change: still the night of the 28th.
    assert shift_at(datetime(2026, 3, 29, 1, 59, tzinfo=UTC), hours()) == night
    # 05:00 UTC = 07:00 CEST: the morning of the 29th begins.
    assert shift_at(datetime(2026, 3, 29, 5, 0, tzinfo=UTC), hours()) == ShiftSlot(date(2026, 3, 29), Shift.MORNING)
    # In winter, 05:00 UTC would still be 06:00 local: night.
    assert shift_at(datetime(2026, 3, 22, 5, 0, tzinfo=UTC), hours()).shift == Shift.NIGHT


def test_fall_back_night_is_one_hour_longer_and_repeated_hour_stays_in_night():
    # Clocks go from 03:00 back to 02:00 in Paris on Sunday 25 October 2026.
    night = ShiftSlot(date(2026, 10, 24), Shift.NIGHT)
    assert shift_end(night, hours()) - shift_start(night, hours()) == timedelta(hours=11)
    first_0230 = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 02:30 CEST
    second_0230 = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 02:30 CET
    assert shift_at(first_0230, hours()) == night
    assert shift_at(second_0230, hours()) == night
    assert shift_at(datetime(2026, 10, 25, 6, 0, tzinfo=UTC), hours()) == ShiftSlot(date(2026, 10, 25), Shift.MORNING)


def test_shift_start_inside_a_skipped_hour_resolves_to_a_real_instant():
    # A site whose night starts at 02:30: on 29 March 2026 that time does not exist in Paris.
    odd = ShiftHours(time(7), time(14), time(2, 30), zone=PARIS)
    start = shift_start(ShiftSlot(date(2026, 3, 29), Shift.NIGHT), odd)
    assert start.astimezone(UTC) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST, right after the jump


def test_overseas_sites_have_no_daylight_saving():
    night = ShiftSlot(date(2026, 3, 28), Shift.NIGHT)
    for zone in (CAYENNE, REUNION):
        assert shift_end(night, hours(zone)) - shift_start(night, hours(zone)) == timedelta(hours=10)


def test_previous_and_next_slots_wrap_around_days():
    morning = ShiftSlot(date(2026, 1, 1), Shift.MORNING)
    assert morning.previous() == ShiftSlot(date(2025, 12, 31), Shift.NIGHT)
    assert morning.previous().next() == morning
    assert ShiftSlot(date(2026, 1, 1), Shift.AFTERNOON).previous() == morning


def test_site_settings_default_and_custom_hours(db):
    site = SiteFactory(time_zone="America/Cayenne")
    defaults = SiteCareSettings.for_site(site)
    assert defaults.pk is None  # nothing written on read
    assert (defaults.morning_start, defaults.afternoon_start, defaults.night_start) == (time(7), time(14), time(21))
    assert defaults.escalation_delay == timedelta(minutes=15)
    assert defaults.correction_window == timedelta(minutes=10)
    SiteCareSettings.objects.create(
        site=site, morning_start=time(6, 30), afternoon_start=time(13, 30), night_start=time(20, 30)
    )
    site.refresh_from_db()
    custom = SiteCareSettings.for_site(site).hours
    # 09:45 UTC = 06:45 in Cayenne: morning with custom hours, night with default ones.
    moment = datetime(2026, 6, 10, 9, 45, tzinfo=UTC)
    assert shift_at(moment, custom).shift == Shift.MORNING
    assert shift_at(moment, ShiftHours.default("America/Cayenne")).shift == Shift.NIGHT


def test_site_settings_refuse_shifts_out_of_order(db):
    from django.core.exceptions import ValidationError

    settings_row = SiteCareSettings(
        site=SiteFactory(), morning_start=time(14), afternoon_start=time(7), night_start=time(21)
    )
    with pytest.raises(ValidationError):
        settings_row.full_clean()
