"""Reads of the directory: the search, people's cards, sites, coordinators, on-call."""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import (
    Case,
    Count,
    IntegerField,
    Prefetch,
    Q,
    Value,
    When,
    Window,
    prefetch_related_objects,
)
from django.db.models.expressions import Expression
from django.http import Http404
from django.utils import timezone

from carehub import policy, textsearch
from carehub.presence import presence_of

from . import search
from .models import NURSING_JOBS, Assignment, CalendarFeed, Job, OnCallShift, Site, StaffProfile, Unit

User = get_user_model()

#: Jobs that lead a site, in the order people are listed (and escalations go).
SITE_LEAD_JOBS = (Job.SITE_DIRECTOR, Job.NURSE_COORDINATOR, Job.COORDINATING_DOCTOR)
PRESENT_STATUSES = frozenset({"online", "away"})
#: At most this many best matches are checked for presence by the "present now" filter.
PRESENCE_SCAN_LIMIT = 3000


# --- Dates in a site's time zone -------------------------------------------------------------
def site_today(site: Site) -> datetime.date:
    return timezone.localdate(timezone=site.zone)


def _today_by_zone(sites) -> dict[str, datetime.date]:
    return {tz: timezone.localdate(timezone=Site(time_zone=tz).zone) for tz in {s.time_zone for s in sites}}


# --- Staffing: who works where today --------------------------------------------------------
# "Coordinator" has two meanings, kept apart by name:
# - a site's *managers* hold a coordinator assignment (Assignment.Role.COORDINATOR): they
#   manage the site in CareHub (admin panel, retractions, family access, escalations);
# - a site's *leads* have a leading job (SITE_LEAD_JOBS: director, IDEC, coordinating
#   doctor), whatever their assignment's role: they are who the directory names and whom
#   the "IDEC of the site" duty role reaches.


def site_leads_by_site(site_ids) -> dict[int, list]:
    """The site leads (director, IDEC, coordinating doctor) of many sites in one query."""
    rank = {job: n for n, job in enumerate(SITE_LEAD_JOBS)}
    assignments = (
        Assignment.objects.active()
        .filter(user__staff_profile__job__in=SITE_LEAD_JOBS, user__kind=User.Kind.STAFF)
        .select_related("user__staff_profile")
        .order_by("user__last_name", "user__first_name", "pk")
    )
    if site_ids is not policy.ALL_SITES:
        assignments = assignments.filter(site_id__in=list(site_ids))
    result: dict[int, list] = defaultdict(list)
    for assignment in assignments:
        if assignment.user not in result[assignment.site_id]:
            result[assignment.site_id].append(assignment.user)
    for users in result.values():
        users.sort(key=lambda u: rank[u.staff_profile.job])
    return result


def site_leads(*, site: Site) -> list:
    """The leads of a site, director first, then the IDEC, then the coordinating doctor."""
    return site_leads_by_site([site.pk]).get(site.pk, [])


def site_managers(*, site_id: int) -> list:
    """Active staff holding a coordinator assignment in force today at the site, by id."""
    user_ids = Assignment.objects.active().filter(site_id=site_id, role=Assignment.Role.COORDINATOR).values("user_id")
    return list(User.objects.filter(pk__in=user_ids, is_active=True, kind=User.Kind.STAFF).order_by("pk"))


def unit_nurses(*, site_id: int, unit_id: int | None) -> list:
    """Active staff with a nursing job (NURSING_JOBS) assigned today to the unit, by id.

    ``unit_id`` None means the nurses assigned to the whole site (no unit).
    """
    user_ids = (
        Assignment.objects.active()
        .filter(site_id=site_id, unit_id=unit_id, user__staff_profile__job__in=list(NURSING_JOBS))
        .values("user_id")
    )
    return list(User.objects.filter(pk__in=user_ids, is_active=True, kind=User.Kind.STAFF).order_by("pk"))


def resident_care_team_ids(resident) -> list[int]:
    """Ids of a resident's care team today: staff assigned to the resident's unit (all the
    site's staff when the resident has no unit), staff assigned to the whole site, the
    site's managers, and the resident's referents still working at the site."""
    assignments = Assignment.objects.active().filter(site_id=resident.site_id, user__kind=User.Kind.STAFF)
    if resident.unit_id:
        assignments = assignments.filter(
            Q(unit_id=resident.unit_id) | Q(unit__isnull=True) | Q(role=Assignment.Role.COORDINATOR)
        )
    team = set(assignments.values_list("user_id", flat=True))
    referents = set(resident.referents.values_list("pk", flat=True))
    on_site = set(
        Assignment.objects.active()
        .filter(site_id=resident.site_id, user_id__in=referents)
        .values_list("user_id", flat=True)
    )
    return sorted(team | on_site)


def on_call_for(*, site: Site, on: datetime.date | None = None) -> list:
    """Who is on call for ``site`` on a day (today in the site's time zone by default)."""
    day = on or site_today(site)
    shifts = (
        OnCallShift.objects.filter(site=site, date=day, user__is_active=True)
        .select_related("user")
        .order_by("unit__name", "user__last_name", "pk")
    )
    users = []
    for shift in shifts:
        if shift.user not in users:
            users.append(shift.user)
    return users


def on_call_today_by_site(sites) -> dict[int, list[OnCallShift]]:
    """Today's on-call entries of many sites (each in its own time zone), in one query."""
    sites = list(sites)
    if not sites:
        return {}
    today = _today_by_zone(sites)
    shifts = (
        OnCallShift.objects.filter(
            site_id__in=[s.pk for s in sites], date__in=set(today.values()), user__is_active=True
        )
        .select_related("user", "unit", "site")
        .order_by("unit__name", "user__last_name", "pk")
    )
    result: dict[int, list[OnCallShift]] = defaultdict(list)
    for shift in shifts:
        if shift.date == today[shift.site.time_zone]:
            result[shift.site_id].append(shift)
    return result


def on_call_roster(*, site: Site, start: datetime.date, days: int) -> list[OnCallShift]:
    return list(
        OnCallShift.objects.filter(site=site, date__gte=start, date__lt=start + datetime.timedelta(days=days))
        .select_related("user__staff_profile", "unit", "created_by")
        .order_by("date", "unit__name", "user__last_name", "pk")
    )


# --- Mobile numbers: who may see them ----------------------------------------------------------
def mobile_visible(*, viewer, profile: StaffProfile, person_site_ids) -> bool:
    """A private mobile shows to the person, to staff of the sites where the person works
    (by the CARE scope of the policy: group admins reach every site), or to every member
    of the group when the person opted in."""
    if not profile.mobile or not policy.is_active_staff(viewer):
        return False
    if viewer.pk == profile.user_id:
        return True
    if profile.mobile_visibility == StaffProfile.MobileVisibility.GROUP:
        return True
    allowed = policy.site_ids(viewer, policy.Scope.CARE)
    return allowed is policy.ALL_SITES or bool(allowed & set(person_site_ids))


# --- People -------------------------------------------------------------------------------------
@dataclass
class Person:
    """A staff member as the viewer may see them."""

    profile: StaffProfile
    assignments: list
    mobile: str = ""
    presence: str = ""
    on_call: list = field(default_factory=list)

    @property
    def user(self):
        return self.profile.user

    @property
    def site_ids(self) -> set[int]:
        return {a.site_id for a in self.assignments}

    @property
    def primary_assignment(self):
        return self.assignments[0] if self.assignments else None

    @property
    def languages(self) -> list[str]:
        return [search.language_name(code) for code in self.profile.languages or []]


def _people_queryset(qs):
    return qs.select_related("user").prefetch_related(
        Prefetch(
            "user__assignments",
            queryset=Assignment.objects.active().select_related("site", "unit").order_by("-is_primary", "site__name"),
            to_attr="current_assignments",
        )
    )


def people(*, viewer, profiles, with_presence: bool = False) -> list[Person]:
    """Wrap profiles (already fetched with _people_queryset) for display: mobile by the rules,
    today's on-call entries (one query), presence when messaging provides it."""
    profiles = list(profiles)
    user_ids = [p.user_id for p in profiles]
    on_call: dict[int, list] = defaultdict(list)
    if user_ids:
        shifts = (
            OnCallShift.objects.filter(user_id__in=user_ids, site__is_active=True)
            .filter(date__gte=timezone.localdate() - datetime.timedelta(days=1))
            .filter(date__lte=timezone.localdate() + datetime.timedelta(days=1))
            .select_related("site", "unit")
        )
        for shift in shifts:
            if shift.date == site_today(shift.site):
                on_call[shift.user_id].append(shift)
    presence = presence_of(user_ids) if with_presence else {}
    result = []
    for profile in profiles:
        assignments = list(getattr(profile.user, "current_assignments", []))
        person = Person(profile=profile, assignments=assignments, on_call=on_call[profile.user_id])
        if mobile_visible(viewer=viewer, profile=profile, person_site_ids=person.site_ids):
            person.mobile = profile.mobile
        person.presence = presence.get(profile.user_id, "")
        result.append(person)
    return result


def person_for(*, viewer, public_id) -> Person:
    """One person of the directory, 404 when absent or not visible to the viewer."""
    qs = _people_queryset(StaffProfile.objects.all())
    profile = policy.get_visible_or_404(qs, viewer, user__public_id=public_id)
    return people(viewer=viewer, profiles=[profile], with_presence=True)[0]


# --- The search -----------------------------------------------------------------------------------
@dataclass
class SearchFilters:
    query: str = ""
    site: Site | None = None
    unit: Unit | None = None
    job: str = ""
    on_call: bool = False
    present: bool = False

    @property
    def is_empty(self) -> bool:
        return not (self.query.strip() or self.site or self.unit or self.job or self.on_call or self.present)

    def describe(self) -> str:
        """What was searched, for the access log."""
        parts = [self.query.strip()]
        if self.site:
            parts.append(f"site={self.site.name}")
        if self.unit:
            parts.append(f"unit={self.unit.name}")
        if self.job:
            parts.append(f"job={self.job}")
        if self.on_call:
            parts.append("on_call=today")
        if self.present:
            parts.append("present=now")
        return " ".join(p for p in parts if p)


def _score(words: list[str]):
    """Best match first: whole word in the name, then a name prefix, then other fields; a name
    found thanks to a typo scores nothing for that word, so an exact spelling comes first."""
    score: Expression = Value(0, output_field=IntegerField())
    for token in words:
        score += Case(
            When(search_name__contains=f" {token} ", then=Value(8)),
            When(search_name__contains=f" {token}", then=Value(6)),
            When(search_document__contains=f" {token} ", then=Value(3)),
            When(search_document__contains=f" {token}", then=Value(2)),
            default=Value(0),
            output_field=IntegerField(),
        )
    return score


def search_queryset(*, viewer, filters: SearchFilters, all_sites=None):
    """The profiles matching the filters, best first, then the viewer's own sites, then by name.

    ``all_sites``: the sites already loaded by the caller (their time zones give
    "today" for the on-call filter without another query).
    """
    qs = StaffProfile.objects.visible_to(viewer)
    words = search.tokens(filters.query)
    if filters.site is not None:
        qs = qs.filter(user_id__in=Assignment.objects.in_force().filter(site=filters.site).values("user_id"))
    if filters.unit is not None:
        qs = qs.filter(user_id__in=Assignment.objects.in_force().filter(unit=filters.unit).values("user_id"))
    if filters.job:
        qs = qs.filter(job=filters.job)
    if filters.on_call:
        sites = list(all_sites) if all_sites is not None else list(Site.objects.filter(is_active=True))
        today = _today_by_zone(sites)
        by_zone: dict[str, list[int]] = defaultdict(list)
        for s in sites:
            by_zone[s.time_zone].append(s.pk)
        when = Q(pk__in=[])
        for tz, ids in by_zone.items():
            when |= Q(site_id__in=ids, date=today[tz])
        qs = qs.filter(user_id__in=OnCallShift.objects.filter(when).values("user_id"))
    own_sites = policy.site_ids(viewer, policy.Scope.CARE)
    own: Expression
    if own_sites is policy.ALL_SITES or not own_sites:
        own = Value(0, output_field=IntegerField())
    else:
        own = Case(
            When(
                user_id__in=Assignment.objects.in_force().filter(site_id__in=own_sites).values("user_id"),
                then=Value(1),
            ),
            default=Value(0),
            output_field=IntegerField(),
        )
    if words:
        # After the other filters: the typo pass reads only the candidates they leave.
        qs = qs.filter(textsearch.word_match(qs, words=words, text_field="search_document", name_field="search_name"))
    qs = qs.annotate(own_site=own)
    order = ["-own_site", "user__last_name", "user__first_name", "pk"]
    if words:
        qs = qs.annotate(score=_score(words))
        order.insert(0, "-score")
    return qs.order_by(*order)


@dataclass
class SearchResult:
    page: object
    people: list[Person]


def directory_search(*, viewer, filters: SearchFilters, page_number=1, per_page=25, all_sites=None) -> SearchResult:
    """One page of results. A fixed number of queries whatever the size of the group."""
    qs = search_queryset(viewer=viewer, filters=filters, all_sites=all_sites)
    with transaction.atomic():
        if filters.present:
            candidates = list(qs.values_list("user_id", flat=True)[:PRESENCE_SCAN_LIMIT])
            status = presence_of(candidates)
            present_ids = [uid for uid in candidates if status.get(uid) in PRESENT_STATUSES]
            qs = qs.filter(user_id__in=present_ids)
        page = _results_page(_people_queryset(qs), page_number, per_page)
        found = people(viewer=viewer, profiles=page.object_list, with_presence=True)
    return SearchResult(page=page, people=found)


@dataclass
class ResultsPage:
    """The parts of a Django Page the results template uses, counted in the page query."""

    object_list: list
    number: int
    count: int
    per_page: int

    @property
    def paginator(self):
        return self  # templates read page.paginator.count / num_pages, as with Django's Page

    @property
    def num_pages(self) -> int:
        return max(1, -(-self.count // self.per_page))

    def has_next(self) -> bool:
        return self.number < self.num_pages

    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.num_pages > 1

    def next_page_number(self) -> int:
        return self.number + 1

    def previous_page_number(self) -> int:
        return self.number - 1


def _results_page(qs, page_number, per_page: int) -> ResultsPage:
    """One page and the total number of matches in one query (COUNT(*) OVER ()), rather
    than Django's Paginator, which runs the whole search twice (count, then page).

    A page number past the end (a list that shrank meanwhile) shows the last page.
    """
    try:
        number = max(1, int(page_number))
    except (TypeError, ValueError):
        number = 1
    counted = qs.annotate(matches=Window(Count("pk")))
    rows = list(counted[(number - 1) * per_page : number * per_page])
    if rows:
        return ResultsPage(rows, number, rows[0].matches, per_page)
    if number == 1:
        return ResultsPage([], 1, 0, per_page)
    total = qs.count()
    last = max(1, -(-total // per_page))
    rows = list(counted[(last - 1) * per_page : last * per_page])
    return ResultsPage(rows, last, total, per_page)


# --- Sites ----------------------------------------------------------------------------------------
def sites_matching(*, viewer, query: str = "") -> list[Site]:
    """Visible sites whose name, city or postal code hold every word of ``query`` (one query)."""
    sites = list(Site.objects.visible_to(viewer))
    words = search.tokens(query)
    if not words:
        return sites
    return [
        s for s in sites if all(f" {w}" in f" {search.normalise(f'{s.name} {s.city} {s.postal_code}')}" for w in words)
    ]


def sites_overview(*, sites) -> list[dict]:
    """These sites with their units, leads and today's on-call staff: three queries."""
    sites = list(sites)
    prefetch_related_objects(sites, Prefetch("units", queryset=Unit.objects.order_by("name")))
    leads = site_leads_by_site([s.pk for s in sites]) if sites else {}
    on_call = on_call_today_by_site(sites)
    return [{"site": s, "coordinators": leads.get(s.pk, []), "on_call": on_call.get(s.pk, [])} for s in sites]


def site_people(*, viewer, site: Site) -> list[Person]:
    """Everyone working at a site today, by name."""
    working = Assignment.objects.in_force().filter(site=site).values("user_id")
    qs = _people_queryset(
        StaffProfile.objects.visible_to(viewer)
        .filter(user_id__in=working)
        .order_by("user__last_name", "user__first_name", "pk")
    )
    return people(viewer=viewer, profiles=qs)


# --- On-call calendar feeds ----------------------------------------------------------------------
#: The days a feed spans around today: the past month to look back on, half a year ahead; bounded.
CALENDAR_DAYS_BACK = 30
CALENDAR_DAYS_AHEAD = 180


def calendar_feeds_of(*, user) -> list[CalendarFeed]:
    """The person's own feeds, their own shifts first, then by site."""
    feeds = CalendarFeed.objects.visible_to(user).select_related("site")
    return sorted(feeds, key=lambda f: (f.site_id is not None, f.site.name if f.site_id else ""))


def calendar_feed_by_token(*, token: str) -> CalendarFeed | None:
    """The feed a secret link names, with its owner and site; None when the link is not (or no longer) one."""
    return CalendarFeed.objects.by_token(token).select_related("user", "site").first()


@dataclass
class CalendarEntry:
    shift: OnCallShift
    #: The person on call as the directory shows them to the feed's owner; None when it does not list
    #: them (an account closed since) or in the owner's own feed.
    person: Person | None = None


def calendar_entries(*, feed: CalendarFeed) -> list[CalendarEntry]:
    """The on-call shifts of a feed within its window, read with its owner's rights of today: 404 when
    the owner is no longer active staff or the site no longer visible to them. A fixed number of
    queries whatever the number of shifts."""
    owner = feed.user
    if not policy.is_active_staff(owner):
        raise Http404
    shifts = OnCallShift.objects.visible_to(owner)
    if feed.site_id is None:
        today = timezone.localdate()
        shifts = shifts.filter(user=owner)
    else:
        site = policy.get_visible_or_404(Site, owner, pk=feed.site_id)
        today = site_today(site)
        shifts = shifts.filter(site=site)
    shifts = shifts.filter(
        date__gte=today - datetime.timedelta(days=CALENDAR_DAYS_BACK),
        date__lte=today + datetime.timedelta(days=CALENDAR_DAYS_AHEAD),
    ).select_related("site", "unit", "user")
    rows = list(shifts.order_by("date", "unit__name", "user__last_name", "user__first_name", "pk"))
    if feed.site_id is None:
        return [CalendarEntry(shift=shift) for shift in rows]
    profiles = _people_queryset(StaffProfile.objects.visible_to(owner).filter(user_id__in={s.user_id for s in rows}))
    listed = {person.user.pk: person for person in people(viewer=owner, profiles=profiles)}
    return [CalendarEntry(shift=shift, person=listed.get(shift.user_id)) for shift in rows]
