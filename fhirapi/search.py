"""Search parameters and searchset Bundles: parsing what a client asks, paging by offset.

A page reads one row more than it shows, to know whether a next page exists: no COUNT over the
whole table (Bundle.total is left out, as FHIR allows).
"""

from __future__ import annotations

import calendar
import datetime
from dataclasses import dataclass
from http import HTTPStatus
from urllib.parse import urlencode

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from .outcomes import FhirError

#: Parameters every search accepts besides its own: paging, and the format (always JSON here).
COMMON = ("_count", "page", "_format", "_pretty")
PREFIXES = ("eq", "ne", "ge", "le", "gt", "lt")


def bad_request(message: str, expression: str = "") -> FhirError:
    return FhirError(HTTPStatus.BAD_REQUEST, "invalid", message, expression=expression)


def check_parameters(request, allowed) -> None:
    unknown = sorted(set(request.GET) - set(allowed) - set(COMMON))
    if unknown:
        raise bad_request(
            _("Unknown search parameter: %(names)s. This server supports: %(supported)s.")
            % {"names": ", ".join(unknown), "supported": ", ".join(allowed) or "-"}
        )


def _int(request, name: str, default: int) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise bad_request(_("%(name)s must be a whole number.") % {"name": name}) from None
    if value < (0 if name == "_count" else 1):
        raise bad_request(_("%(name)s must be a whole number.") % {"name": name})
    return value


@dataclass(frozen=True)
class DateRange:
    """A FHIR date search value: a prefix and the interval [start, end) its precision covers."""

    prefix: str
    start: datetime.date
    end: datetime.date

    def q(self, field: str) -> Q:
        match self.prefix:
            case "eq":
                return Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})
            case "ne":
                return ~Q(**{f"{field}__gte": self.start, f"{field}__lt": self.end})
            case "ge":
                return Q(**{f"{field}__gte": self.start})
            case "gt":
                return Q(**{f"{field}__gte": self.end})
            case "le":
                return Q(**{f"{field}__lt": self.end})
            case _:  # lt
                return Q(**{f"{field}__lt": self.start})


def parse_date(value: str, name: str) -> DateRange:
    """``[prefix]YYYY[-MM[-DD]]``: the precision given is the interval meant ("2024" is the whole year)."""
    prefix = value[:2] if value[:2] in PREFIXES else "eq"
    text = value[2:] if value[:2] in PREFIXES else value
    try:
        parts = [int(p) for p in text.split("-")] if text else []
        if len(parts) == 1 and len(text) == 4:
            start = datetime.date(parts[0], 1, 1)
            end = datetime.date(parts[0] + 1, 1, 1)
        elif len(parts) == 2:
            start = datetime.date(parts[0], parts[1], 1)
            end = start + datetime.timedelta(days=calendar.monthrange(parts[0], parts[1])[1])
        elif len(parts) == 3:
            start = datetime.date(parts[0], parts[1], parts[2])
            end = start + datetime.timedelta(days=1)
        else:
            raise ValueError(value)
    except (ValueError, OverflowError):
        raise bad_request(
            _(
                "%(name)s: write a date as YYYY, YYYY-MM or YYYY-MM-DD, after an optional prefix (ge, le, gt, lt, eq, ne)."
            )
            % {"name": name},
            expression=name,
        ) from None
    return DateRange(prefix, start, end)


def date_filter(request, name: str, field: str, *, instant: bool = False) -> Q:
    """Every value of ``name`` (``?date=ge2024-01-01&date=lt2024-02-01``), all of them holding."""
    q = Q()
    for value in request.GET.getlist(name):
        if "T" in value:
            raise bad_request(_("%(name)s: search by day (YYYY-MM-DD); times are not supported.") % {"name": name})
        days = parse_date(value, name)
        if instant:
            # Days in the group's time zone, as the pages show them.
            zone = timezone.get_current_timezone()
            days = DateRange(
                days.prefix,
                datetime.datetime.combine(days.start, datetime.time(), tzinfo=zone),
                datetime.datetime.combine(days.end, datetime.time(), tzinfo=zone),
            )
        q &= days.q(field)
    return q


def token(value: str) -> tuple[str | None, str]:
    """``system|value``, ``|value`` (no system) or ``value`` (any system): (system or None for any, value)."""
    if "|" in value:
        system, _sep, code = value.partition("|")
        return system, code
    return None, value


def reference_id(value: str, resource_type: str, name: str) -> str:
    """The id of ``Type/id``, of a full URL ending so, or of a bare id."""
    tail = value.rstrip("/").split("/")
    if len(tail) >= 2 and tail[-2] != resource_type:
        raise bad_request(_("%(name)s must point to a %(type)s.") % {"name": name, "type": resource_type})
    return tail[-1]


@dataclass(frozen=True)
class Page:
    number: int
    size: int

    @classmethod
    def of(cls, request) -> Page:
        size = min(_int(request, "_count", settings.FHIR_PAGE_SIZE), settings.FHIR_MAX_PAGE_SIZE)
        return cls(_int(request, "page", 1), size)

    def rows(self, queryset) -> tuple[list, bool]:
        """The page's rows and whether another page follows (one row read beyond the page)."""
        if self.size == 0:
            return [], False
        offset = (self.number - 1) * self.size
        rows = list(queryset[offset : offset + self.size + 1])
        return rows[: self.size], len(rows) > self.size


def _link(request, relation: str, page: int | None = None) -> dict:
    params = [(k, v) for k, values in request.GET.lists() for v in values if k != "page"]
    if page is not None and page > 1:
        params.append(("page", str(page)))
    query = urlencode(params)
    return {"relation": relation, "url": request.build_absolute_uri(request.path) + (f"?{query}" if query else "")}


def searchset(request, resources: list[dict], page: Page, has_next: bool) -> dict:
    links = [_link(request, "self", page.number)]
    if page.number > 1:
        links.append(_link(request, "previous", page.number - 1))
    if has_next:
        links.append(_link(request, "next", page.number + 1))
    base = request.build_absolute_uri(reverse("fhirapi:metadata")).removesuffix("metadata")
    bundle = {
        "resourceType": "Bundle",
        "type": "searchset",
        "timestamp": timezone.now().isoformat(timespec="seconds"),
        "link": links,
    }
    if resources:  # FHIR has no empty lists
        bundle["entry"] = [
            {"fullUrl": f"{base}{r['resourceType']}/{r['id']}", "resource": r, "search": {"mode": "match"}}
            for r in resources
        ]
    return bundle
