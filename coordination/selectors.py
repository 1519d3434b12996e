"""Reads of the coordination app. Every function starts from the access policy's querysets
and runs a fixed number of queries whatever the number of residents and notes."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import BooleanField, Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.expressions import RawSQL
from django.utils import timezone

from carehub import policy
from directory.models import Assignment, Site, Unit

from .models import (
    CareNote,
    CareNoteFollowUp,
    HandoverAcknowledgement,
    NoteReadMark,
    Resident,
    ResidentAlert,
    SiteCareSettings,
    Target,
    normalise_for_search,
)
from .shifts import ShiftSlot, shift_at, shift_start

#: The GIN-indexed column kept by a trigger (migration 0005), PostgreSQL only.
NOTE_TSVECTOR = "coordination_carenote.search_vector"
QUIET_AFTER = timedelta(hours=24)
#: Columns only the search reads: never loaded with notes.
SEARCH_FIELDS = ("search_text", "search_vector")


# --- targets ----------------------------------------------------------------------------------


def targets_for_author(user, *, days: int = 90) -> list[Target]:
    """Active targets, the ones this person used most in the last ``days`` first (two queries)."""
    since = timezone.now() - timedelta(days=days)
    counts = dict(
        CareNote.objects.filter(author=user, created_at__gte=since)
        .values("target_id")
        .annotate(n=Count("id"))
        .values_list("target_id", "n")
    )
    targets = list(Target.objects.active())
    return sorted(targets, key=lambda t: (-counts.get(t.pk, 0), t.sort_order, t.name_fr))


# --- residents ----------------------------------------------------------------------------------


def _last_note_subquery():
    return Subquery(
        CareNote.objects.filter(resident=OuterRef("pk"), retracted_at__isnull=True)
        .order_by("-created_at")
        .values("created_at")[:1]
    )


def _open_targets_count_subquery():
    return Subquery(
        CareNote.objects.open_targets()
        .filter(resident=OuterRef("pk"))
        .values("resident")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )


def _active_alerts_prefetch():
    return Prefetch("alerts", queryset=ResidentAlert.objects.filter(is_active=True), to_attr="active_alerts")


def resident_list(
    user,
    *,
    query: str = "",
    site: Site | None = None,
    unit: Unit | None = None,
    status: str = "current",
    alert: str = "",
) -> QuerySet:
    """Residents the user may see, filtered; alerts and open targets come along without a query per row."""
    qs = Resident.objects.visible_to(user).select_related("site", "unit")
    if status == "archived":
        qs = qs.archived()
    elif status in Resident.Status.values:
        qs = qs.filter(status=status)
    elif status != "all":
        qs = qs.in_care()
    if site is not None:
        qs = qs.filter(site=site)
    if unit is not None:
        qs = qs.filter(unit=unit)
    if alert:
        qs = qs.filter(alerts__kind=alert, alerts__is_active=True).distinct()
    query = query.strip()
    if query:
        for word in query.split()[:5]:
            qs = qs.filter(
                Q(last_name__icontains=word)
                | Q(first_name__icontains=word)
                | Q(preferred_name__icontains=word)
                | Q(room__iexact=word)
                | Q(room__istartswith=word)
            )
    return (
        qs.annotate(open_targets_count=_open_targets_count_subquery())
        .prefetch_related(_active_alerts_prefetch())
        .order_by("site__name", "unit__name", "last_name", "first_name", "pk")
    )


def resident_for_page(user, public_id) -> Resident:
    return policy.get_visible_or_404(
        Resident.objects.select_related("site", "unit").prefetch_related("referents", _active_alerts_prefetch()),
        user,
        public_id=public_id,
    )


def _followups_prefetch():
    return Prefetch("followups", queryset=CareNoteFollowUp.objects.select_related("author"))


def note_queryset(user) -> QuerySet:
    """Notes with everything a note card shows, in a fixed number of queries."""
    return (
        CareNote.objects.visible_to(user)
        .select_related("target", "author", "resident", "amends", "retracted_by", "acknowledged_by")
        .prefetch_related(_followups_prefetch(), Prefetch("amendments", CareNote.objects.defer(*SEARCH_FIELDS)))
        .defer(*SEARCH_FIELDS, *(f"amends__{f}" for f in SEARCH_FIELDS))
    )


def resident_timeline(user, resident: Resident) -> QuerySet:
    return note_queryset(user).filter(resident=resident).order_by("-created_at", "-id")


def open_targets(user, resident_ids) -> QuerySet:
    return (
        CareNote.objects.visible_to(user)
        .open_targets()
        .filter(resident_id__in=resident_ids)
        .defer(*SEARCH_FIELDS)
        .select_related("target", "author", "resident")
        .prefetch_related(_followups_prefetch())
        .order_by("resident_id", "created_at")
    )


def read_marks(user, resident_ids) -> dict[int, datetime]:
    return dict(
        NoteReadMark.objects.filter(user=user, resident_id__in=list(resident_ids)).values_list(
            "resident_id", "seen_until"
        )
    )


def mark_new(notes, marks: dict[int, datetime], user) -> None:
    """Set ``is_new`` on each note: written by someone else after the reader's mark."""
    for note in notes:
        seen = marks.get(note.resident_id)
        note.is_new = note.author_id != user.pk and (seen is None or note.created_at > seen)


# --- handover -----------------------------------------------------------------------------------


def handover_window(slot: ShiftSlot, care_settings: SiteCareSettings) -> datetime:
    """Notes since the start of the previous shift."""
    return shift_start(slot.previous(), care_settings.hours)


def default_handover_unit(user) -> Unit | None:
    """The unit of the user's current assignment (primary first)."""
    assignment = (
        Assignment.objects.active()
        .filter(user=user, unit__isnull=False)
        .select_related("unit__site")
        .order_by("-is_primary", "pk")
        .first()
    )
    return assignment.unit if assignment else None


@dataclass
class ResidentGroup:
    resident: Resident
    notes: list = field(default_factory=list)
    open_targets: list = field(default_factory=list)

    @property
    def top_rank(self) -> int:
        return min((n.priority_rank for n in self.notes if not n.is_retracted), default=3)

    @property
    def has_urgent(self) -> bool:
        return self.top_rank == 0

    @property
    def new_count(self) -> int:
        return sum(1 for n in self.notes if getattr(n, "is_new", False))


@dataclass
class Handover:
    site: Site
    unit: Unit | None
    slot: ShiftSlot
    since: datetime
    until: datetime
    groups: list[ResidentGroup]
    quiet_residents: list[Resident]
    residents: list[Resident]
    acks_current: list[HandoverAcknowledgement]
    acks_previous: list[HandoverAcknowledgement]
    care_settings: SiteCareSettings

    @property
    def previous_slot(self) -> ShiftSlot:
        return self.slot.previous()

    @property
    def note_count(self) -> int:
        return sum(len(g.notes) for g in self.groups)

    @property
    def urgent_count(self) -> int:
        return sum(1 for g in self.groups for n in g.notes if n.is_urgent and not n.is_retracted)


def handover_build(
    user, *, unit: Unit | None = None, site: Site | None = None, now: datetime | None = None, last_hours: int = 0
) -> Handover:
    """The handover of a unit (or of a whole site): notes since the start of the previous shift
    (or of the last ``last_hours`` hours, for the printed version), grouped by resident, urgent
    first; open targets even without a new note; residents without a note for 24 hours."""
    if unit is not None:
        site = unit.site
    if site is None:
        raise ValueError("handover_build needs a unit or a site")
    moment = now or timezone.now()
    care_settings = SiteCareSettings.for_site(site)
    slot = shift_at(moment, care_settings.hours)
    since = moment - timedelta(hours=last_hours) if last_hours else handover_window(slot, care_settings)

    residents_qs = Resident.objects.visible_to(user).in_care().filter(site=site).select_related("unit")
    if unit is not None:
        residents_qs = residents_qs.filter(unit=unit)
    residents = list(
        residents_qs.annotate(last_note_at=_last_note_subquery())
        .prefetch_related(_active_alerts_prefetch())
        .order_by("unit__name", "room", "last_name", "pk")
    )
    by_id = {r.pk: r for r in residents}
    ids = list(by_id)
    notes = list(
        note_queryset(user)
        .filter(resident_id__in=ids, created_at__gte=since, created_at__lte=moment)
        .order_by("-created_at", "-id")
    )
    targets = list(open_targets(user, ids))
    marks = read_marks(user, ids)
    mark_new(notes, marks, user)
    mark_new(targets, marks, user)

    groups: dict[int, ResidentGroup] = {}
    for note in notes:
        note.resident = by_id[note.resident_id]
        groups.setdefault(note.resident_id, ResidentGroup(by_id[note.resident_id])).notes.append(note)
    for note in targets:
        note.resident = by_id[note.resident_id]
        groups.setdefault(note.resident_id, ResidentGroup(by_id[note.resident_id])).open_targets.append(note)
    for group in groups.values():
        group.notes.sort(key=lambda n: (n.is_retracted, n.priority_rank, -n.created_at.timestamp()))
    ordered = sorted(
        groups.values(),
        key=lambda g: (g.top_rank, g.resident.unit.name if g.resident.unit else "", g.resident.room, g.resident.pk),
    )
    quiet = [r for r in residents if r.last_note_at is None or r.last_note_at < moment - QUIET_AFTER]

    acks_qs = HandoverAcknowledgement.objects.filter(site=site).select_related("user", "unit")
    if unit is not None:
        acks_qs = acks_qs.filter(unit=unit)
    previous = slot.previous()
    acks = list(
        acks_qs.filter(
            Q(shift_date=slot.day, shift=slot.shift) | Q(shift_date=previous.day, shift=previous.shift)
        ).order_by("acknowledged_at")
    )
    return Handover(
        site=site,
        unit=unit,
        slot=slot,
        since=since,
        until=moment,
        groups=ordered,
        quiet_residents=quiet,
        residents=residents,
        acks_current=[a for a in acks if (a.shift_date, a.shift) == (slot.day, slot.shift)],
        acks_previous=[a for a in acks if (a.shift_date, a.shift) == (previous.day, previous.shift)],
        care_settings=care_settings,
    )


# --- search ---------------------------------------------------------------------------------------


@dataclass
class SearchFilters:
    query: str = ""
    target: Target | None = None
    author: str = ""
    date_from: date | None = None
    date_to: date | None = None
    priority: str = ""
    unit: Unit | None = None

    @property
    def is_empty(self) -> bool:
        return not (
            self.query.strip()
            or self.target
            or self.author.strip()
            or self.date_from
            or self.date_to
            or self.priority
            or self.unit
        )


def note_search(user, filters: SearchFilters, *, using_postgres: bool) -> QuerySet:
    """Notes the user may read matching the words and filters, newest first.

    PostgreSQL: French full-text search on the GIN-indexed expression. Elsewhere:
    every word must appear in the normalised text.
    """
    qs = CareNote.objects.visible_to(user)
    words = normalise_for_search(filters.query).split()
    if words:
        if using_postgres:
            matches = RawSQL(  # noqa: S611 - constant SQL, the words are a bound parameter
                f"{NOTE_TSVECTOR} @@ websearch_to_tsquery('french'::regconfig, %s)",
                (" ".join(words),),
                output_field=BooleanField(),
            )
            qs = qs.alias(matches=matches).filter(matches=True)
        else:
            for word in words[:10]:
                qs = qs.filter(search_text__contains=word)
    if filters.target is not None:
        qs = qs.filter(target=filters.target)
    if filters.author.strip():
        for word in filters.author.split()[:3]:
            qs = qs.filter(
                Q(author__last_name__icontains=word)
                | Q(author__first_name__icontains=word)
                | Q(author__email__istartswith=word)
            )
    if filters.priority:
        qs = qs.filter(priority=filters.priority)
    if filters.unit is not None:
        qs = qs.filter(resident__unit=filters.unit)
    if filters.date_from is not None:
        qs = qs.filter(created_at__gte=_local_midnight(filters.date_from))
    if filters.date_to is not None:
        qs = qs.filter(created_at__lt=_local_midnight(filters.date_to + timedelta(days=1)))
    return qs.order_by("-created_at", "-id")


def note_search_page(user, filters: SearchFilters, *, using_postgres: bool, offset: int = 0, limit: int = 25) -> list:
    """One page of results, in two short queries: the matching ids (one table, quick to
    plan and run), then those notes with everything a note card shows."""
    ids = list(
        note_search(user, filters, using_postgres=using_postgres).values_list("id", flat=True)[offset : offset + limit]
    )
    if not ids:
        return []
    notes = {n.pk: n for n in note_queryset(user).select_related("site").filter(id__in=ids)}
    return [notes[i] for i in ids if i in notes]


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))
