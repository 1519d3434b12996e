"""The on-call roster as iCalendar (RFC 5545), for the calendar apps of phones and computers.

An on-call entry is a day of a site's calendar, without hours (the note may say them): each is an
all-day event, DTSTART and DTEND as DATE values. A DATE has no time zone by the RFC (§3.3.4): the
day shows as that day wherever the phone is, which is what the roster means for an overseas site
too. The times of the entry itself (DTSTAMP, CREATED, LAST-MODIFIED) are in UTC.

A feed carries what its owner may see in the directory, no more: the colleague's job, extension and
a mobile number only when the directory shows it to the owner (selectors.calendar_entries).
"""

from __future__ import annotations

import datetime
from collections.abc import Callable

from django.utils.translation import gettext as _
from icalendar import Calendar, Event, vDuration

#: A hint to calendar apps (RFC 7986 REFRESH-INTERVAL, and its older X-PUBLISHED-TTL): read again hourly.
REFRESH = datetime.timedelta(hours=1)


def feed_title(feed) -> str:
    if feed.site_id is None:
        return _("My on-call shifts")
    return _("On call — %(site)s") % {"site": feed.site.name}


def _summary(entry, *, own: bool) -> str:
    shift = entry.shift
    if own:
        if shift.unit_id:
            return _("On call — %(site)s, %(unit)s") % {"site": shift.site.name, "unit": shift.unit.name}
        return _("On call — %(site)s") % {"site": shift.site.name}
    name = shift.user.get_full_name() or shift.user.email
    if shift.unit_id:
        return _("On call: %(name)s (%(unit)s)") % {"name": name, "unit": shift.unit.name}
    return _("On call: %(name)s") % {"name": name}


def _description(entry) -> str:
    lines = []
    person = entry.person
    if person is not None:
        lines.append(person.profile.get_job_display())
        if person.profile.phone_extension:
            lines.append(_("Phone extension: %(number)s") % {"number": person.profile.phone_extension})
        if person.mobile:
            lines.append(_("Mobile phone: %(number)s") % {"number": person.mobile})
    if entry.shift.note:
        lines.append(entry.shift.note)
    return "\n".join(lines)


def _event(entry, *, own: bool, roster_url: str) -> Event:
    shift = entry.shift
    event = Event()
    # One UID per entry, the same in every feed and at every fetch: apps update the event in place.
    event.add("uid", f"oncall-{shift.public_id}@carehub")
    event.add("dtstamp", shift.updated_at)
    event.add("created", shift.created_at)
    event.add("last-modified", shift.updated_at)
    event.add("sequence", shift.sequence)
    event.add("dtstart", shift.date)
    event.add("dtend", shift.date + datetime.timedelta(days=1))
    event.add("summary", _summary(entry, own=own))
    event.add("location", f"{shift.site.name}, {shift.unit.name}" if shift.unit_id else shift.site.name)
    description = _description(entry)
    if description:
        event.add("description", description)
    event.add("url", roster_url)
    event.add("transp", "TRANSPARENT")  # on call is not busy: it does not block the person's agenda
    return event


def feed_ical(*, feed, entries, roster_url: Callable[[object], str]) -> bytes:
    """The feed as an iCalendar document; ``roster_url(site)``: the address of a site's roster page."""
    calendar = Calendar()
    calendar.add("prodid", "-//CareHub//On-call roster//EN")
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    title = feed_title(feed)
    calendar.add("name", title)
    calendar.add("x-wr-calname", title)
    calendar.add("refresh-interval", REFRESH, parameters={"VALUE": "DURATION"})
    calendar.add("x-published-ttl", vDuration(REFRESH))  # an X- property is text unless typed
    urls: dict[int, str] = {}
    for entry in entries:
        site = entry.shift.site
        if site.pk not in urls:
            urls[site.pk] = roster_url(site)
        calendar.add_component(_event(entry, own=feed.site_id is None, roster_url=urls[site.pk]))
    return calendar.to_ical()
