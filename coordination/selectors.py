"""Reads of the coordination app. Every function starts from the access policy's querysets
and runs a fixed number of queries whatever the number of residents and notes."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from django.db.models import BooleanField, Count, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Window
from django.db.models.expressions import RawSQL
from django.db.models.functions import RowNumber
from django.utils import timezone

from carehub import policy, textsearch
from directory.models import Assignment, Site, StaffProfile, Unit

from . import identity
from .models import (
    CareNote,
    CareNoteFollowUp,
    CareNoteQuerySet,
    HandoverAcknowledgement,
    NotePhrase,
    NoteReading,
    NoteTemplate,
    Resident,
    ResidentAlert,
    SiteCareSettings,
    Target,
    normalise_for_search,
)
from .shifts import ShiftSlot, shift_at, shift_end, shift_start

#: The GIN-indexed column kept by a trigger (migration 0005), PostgreSQL only.
NOTE_TSVECTOR = "coordination_carenote.search_vector"
QUIET_AFTER = timedelta(hours=24)
#: A note written by someone else since the end of this person's last shift here (at most this long ago),
#: and not read by them, is "new for you".
NEW_WITHIN = timedelta(hours=48)
#: Notes shown per resident on the handover (the newest; urgent ones to acknowledge always): the page stays
#: bounded however many notes one resident has; the resident's page has them all.
HANDOVER_NOTES_PER_RESIDENT = 8
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


def writing_aids(site_id: int | None) -> dict[str, dict]:
    """Templates and phrases of each target offered at a site (the group's and the site's own),
    as the note form's script uses them: {target code: {"templates": [...], "phrases": {part: [...]}}}."""
    aids: dict[str, dict] = {}

    def entry(code: str) -> dict:
        return aids.setdefault(code, {"templates": [], "phrases": {part: [] for part in NotePhrase.Part.values}})

    for template in NoteTemplate.objects.for_site(site_id).select_related("target"):
        entry(template.target.code)["templates"].append(
            {"label": template.label, "data": template.data, "action": template.action, "result": template.result}
        )
    for phrase in NotePhrase.objects.for_site(site_id).select_related("target"):
        entry(phrase.target.code)["phrases"][phrase.part].append({"text": phrase.text, "check": phrase.is_check})
    return aids


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
    words = textsearch.tokens(query, limit=5)
    if words:
        # Names and room (search_text), accents and case aside; one typo forgiven ("benaly": Benali).
        qs = qs.filter(textsearch.word_match(qs, words=words, text_field="search_text", name_field="search_text"))
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


def resident_possible_duplicates(resident: Resident) -> list[Resident]:
    """Residents of the whole group, archived ones too, who may be the person of these traits
    (``identity.same_person_traits``; ``resident`` may be unsaved): one query, narrowed by the
    birth date and the INS."""
    narrowed = Q(birth_date=resident.birth_date) if resident.birth_date else Q()
    if resident.ins_matricule:
        narrowed |= Q(ins_matricule=resident.ins_matricule)
    if not narrowed:
        return []
    others = Resident.objects.filter(narrowed).select_related("site").order_by("pk")
    if resident.pk:
        others = others.exclude(pk=resident.pk)
    return [other for other in others if identity.same_person_traits(resident, other)]


def possible_duplicates_seen_by(user, candidates: list[Resident]) -> tuple[list[Resident], bool]:
    """Of the possible duplicates, those the user may read, and whether there are others: of those
    only their existence may be said (segmentation)."""
    ids = [c.pk for c in candidates]
    readable = set(Resident.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True))
    return [c for c in candidates if c.pk in readable], len(readable) < len(candidates)


def _followups_prefetch():
    return Prefetch("followups", queryset=CareNoteFollowUp.objects.select_related("author"))


def note_queryset(user) -> CareNoteQuerySet:
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


def read_note_ids(user, note_ids) -> set[int]:
    """Which of these notes the person has had on screen (or marked read)."""
    ids = list(note_ids)
    if not ids:
        return set()
    return set(NoteReading.objects.filter(user=user, note_id__in=ids).values_list("note_id", flat=True))


def new_since(user, site: Site, *, now: datetime | None = None) -> datetime:
    """Where "new for you" starts at ``site``: the end of the person's last shift there that is over (the
    last handover she took, for a shift now ended), or NEW_WITHIN ago when that is later or unknown.

    What was written while she was on duty is hers to have seen then; what came after is what she must
    read now. Urgent notes to acknowledge are flagged whatever their date (see the handover).
    """
    moment = now or timezone.now()
    floor = moment - NEW_WITHIN
    hours = SiteCareSettings.for_site(site).hours
    taken = HandoverAcknowledgement.objects.filter(
        user=user, site=site, shift_date__gte=floor.date() - timedelta(days=1)
    )
    ends = [shift_end(ShiftSlot(day, shift), hours) for day, shift in taken.values_list("shift_date", "shift")]
    return max([floor] + [end for end in ends if end <= moment])


def mark_new(notes, read_ids: set[int], user, *, since: datetime) -> None:
    """Set ``is_new`` on each note: written by someone else since ``since`` (:func:`new_since`), not read by
    this person."""
    for note in notes:
        note.is_new = note.author_id != user.pk and note.pk not in read_ids and note.created_at >= since


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


def room_sort_key(room: str) -> tuple:
    """Rooms as people count them: 2 before 10, "12b" after "12", letters first ("A3")."""
    match = re.match(r"\s*(\D*?)\s*(\d*)(.*)", room or "")
    prefix, number, rest = match.groups() if match else ("", "", room)
    return (prefix.casefold(), int(number) if number else 10**9, rest.casefold())


@dataclass
class ResidentRow:
    """One resident on the handover: a compact line, the notes one tap away."""

    resident: Resident
    notes: list = field(default_factory=list)
    open_targets: list = field(default_factory=list)
    #: Notes of the window beyond those shown (the resident's page has them).
    more_count: int = 0
    quiet: bool = False

    @property
    def urgent_to_acknowledge(self) -> list:
        return [n for n in self.notes if n.is_urgent and not n.is_retracted and n.acknowledged_at is None]

    @property
    def new_count(self) -> int:
        return sum(1 for n in self.notes if getattr(n, "is_new", False))

    @property
    def needs_reading(self) -> bool:
        """What the incoming shift must know: an urgent note to acknowledge, or notes new for the reader."""
        return bool(self.urgent_to_acknowledge) or self.new_count > 0

    @property
    def top_rank(self) -> int:
        return min((n.priority_rank for n in self.notes if not n.is_retracted), default=3)

    @property
    def target_labels(self) -> list[str]:
        """The targets of the latest notes, newest first, each once."""
        labels: list[str] = []
        for note in sorted(self.notes, key=lambda n: n.created_at, reverse=True):
            if not note.is_retracted and note.target.label not in labels:
                labels.append(note.target.label)
        return labels

    @property
    def note_total(self) -> int:
        return len(self.notes) + self.more_count


@dataclass
class Handover:
    site: Site
    unit: Unit | None
    slot: ShiftSlot
    since: datetime
    until: datetime
    rows: list[ResidentRow]
    residents: list[Resident]
    acks_current: list[HandoverAcknowledgement]
    acks_previous: list[HandoverAcknowledgement]
    care_settings: SiteCareSettings

    @property
    def previous_slot(self) -> ShiftSlot:
        return self.slot.previous()

    @property
    def to_read(self) -> list[ResidentRow]:
        """First: residents with an urgent note to acknowledge, then with notes new for the reader, by room."""
        rows = [r for r in self.rows if r.needs_reading]
        return sorted(rows, key=lambda r: (not r.urgent_to_acknowledge, room_sort_key(r.resident.room), r.resident.pk))

    @property
    def rows_with_notes(self) -> list[ResidentRow]:
        """Residents with a note or a target under watch, urgent first (the printed handover)."""
        rows = [r for r in self.rows if r.notes or r.open_targets]
        return sorted(rows, key=lambda r: (r.top_rank, room_sort_key(r.resident.room), r.resident.pk))

    @property
    def others(self) -> list[ResidentRow]:
        return [r for r in self.rows if not r.needs_reading]

    @property
    def urgent_to_acknowledge(self) -> list:
        return [n for r in self.rows for n in r.urgent_to_acknowledge]

    @property
    def note_count(self) -> int:
        return sum(r.note_total for r in self.rows)

    @property
    def new_count(self) -> int:
        return sum(r.new_count for r in self.rows)

    @property
    def quiet_residents(self) -> list[Resident]:
        return [r.resident for r in self.rows if r.quiet]

    @property
    def notes(self) -> list:
        return [n for r in self.rows for n in r.notes]


def _capped_notes(notes_qs: QuerySet, per_resident: int) -> QuerySet:
    """The newest ``per_resident`` notes of each resident, in one query (a window function)."""
    rank = Window(RowNumber(), partition_by=[F("resident_id")], order_by=[F("created_at").desc(), F("id").desc()])
    return notes_qs.annotate(rank_in_resident=rank).filter(rank_in_resident__lte=per_resident)


def handover_build(
    user,
    *,
    unit: Unit | None = None,
    site: Site | None = None,
    now: datetime | None = None,
    last_hours: int = 0,
    target: Target | None = None,
    per_resident: int = HANDOVER_NOTES_PER_RESIDENT,
) -> Handover:
    """The handover of a unit (or of a whole site): one row per resident in care, sorted by room, with
    the notes since the start of the previous shift (or of the last ``last_hours`` hours, for the printed
    version) and the open targets. Bounded: at most ``per_resident`` notes a resident (the newest), plus
    every urgent note still to acknowledge; the rest is counted. A fixed number of queries.
    ``target`` keeps only the residents and notes of that target."""
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
    residents = sorted(
        residents_qs.annotate(last_note_at=_last_note_subquery()).prefetch_related(_active_alerts_prefetch()),
        key=lambda r: (room_sort_key(r.room), r.last_name, r.pk),
    )
    by_id = {r.pk: r for r in residents}
    ids = list(by_id)
    window = note_queryset(user).filter(resident_id__in=ids, created_at__gte=since, created_at__lte=moment)
    if target is not None:
        window = window.filter(target=target)
    notes = {n.pk: n for n in _capped_notes(window, per_resident).order_by("-created_at", "-id")}
    for note in window.urgent_unacknowledged().exclude(pk__in=list(notes)):
        notes[note.pk] = note
    totals = dict(window.order_by().values("resident_id").annotate(n=Count("id")).values_list("resident_id", "n"))
    targets_qs = open_targets(user, ids)
    if target is not None:
        targets_qs = targets_qs.filter(target=target)
    targets = list(targets_qs)
    read_ids = read_note_ids(user, list(notes) + [t.pk for t in targets])
    fresh_since = new_since(user, site, now=moment)
    mark_new(notes.values(), read_ids, user, since=fresh_since)
    mark_new(targets, read_ids, user, since=fresh_since)

    rows = {
        r.pk: ResidentRow(r, quiet=r.last_note_at is None or r.last_note_at < moment - QUIET_AFTER) for r in residents
    }
    for note in notes.values():
        note.resident = by_id[note.resident_id]
        rows[note.resident_id].notes.append(note)
    for note in targets:
        note.resident = by_id[note.resident_id]
        rows[note.resident_id].open_targets.append(note)
    for row in rows.values():
        row.notes.sort(key=lambda n: (n.is_retracted, n.priority_rank, -n.created_at.timestamp()))
        row.more_count = max(0, totals.get(row.resident.pk, 0) - len(row.notes))
    shown = [rows[r.pk] for r in residents]
    if target is not None:
        shown = [row for row in shown if row.notes or row.open_targets]

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
        rows=shown,
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
    every word must appear in the normalised text. Both compare the text without
    accents (``search_text`` is stored folded). The author is found by name as in
    the directory: accents aside, one typo forgiven.
    """
    qs = CareNote.objects.visible_to(user)
    if using_postgres:
        words = normalise_for_search(filters.query).split()
        if words:
            matches = RawSQL(  # noqa: S611  # nosec B611 # constant SQL, the words are a bound parameter
                f"{NOTE_TSVECTOR} @@ websearch_to_tsquery('french'::regconfig, %s)",
                (" ".join(words),),
                output_field=BooleanField(),
            )
            qs = qs.alias(matches=matches).filter(matches=True)
    else:
        for word in textsearch.folded_words(filters.query)[:10]:
            qs = qs.filter(search_text__contains=word)
    if filters.target is not None:
        qs = qs.filter(target=filters.target)
    author_words = textsearch.tokens(filters.author, limit=3)
    if author_words:
        qs = qs.filter(author__in=_authors_named(author_words))
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


def _authors_named(words: list[str]) -> QuerySet:
    """Staff whose name has words starting with ``words``, one typo forgiven (the directory's
    normalised ``search_name``): a subquery, after at most one query for the typo pass."""
    profiles = StaffProfile.objects.all()
    match = textsearch.word_match(profiles, words=words, text_field="search_name", name_field="search_name")
    return profiles.filter(match).values("user_id")


def _local_midnight(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, datetime.min.time()))
