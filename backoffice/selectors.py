"""Reads of the coordinators' panel: a resident's access history, dashboard figures."""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

from auditlog.registry import auditlog
from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.db.models import BigIntegerField, Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.formats import date_format
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import User
from carehub.models import AccessLog
from coordination.models import CareNote, HandoverAcknowledgement, Resident, SiteCareSettings
from coordination.shifts import shift_at
from directory.models import Assignment, Site, Unit
from documents.models import ReadConfirmation, ReadingRequirement
from messaging.models import Acknowledgement, Message
from portal.models import FamilyLink


def resident_access_history(*, resident, limit: int | None = None, before_id: int | None = None):
    """Who opened this resident's file, newest first: every entry whose subject is the resident
    (with ``before_id``, those written before that entry: an export made later shows the history
    as it was when it was asked for, without its own entry)."""
    limit = limit or settings.BACKOFFICE_HISTORY_EXPORT_MAX_ROWS
    entries = AccessLog.objects.filter(subject_id=resident.public_id)
    if before_id is not None:
        entries = entries.filter(id__lt=before_id)
    return entries.order_by("-at", "-id")[:limit]


def resident_change_scope(*, public_id) -> Q:
    """The change history (django-auditlog) of a resident's file, as a filter on LogEntry: the resident
    and every registered object that refers to them or to one of their notes (follow-ups, earlier
    versions). Subqueries only: nothing is fetched."""

    def about(model) -> Q:
        return Q(content_type=ContentType.objects.get_for_model(model))

    scope = about(Resident) & Q(object_id__in=Resident.objects.filter(public_id=public_id).values("pk"))
    for model in auditlog.get_models():
        for relation in model._meta.fields:
            if not relation.many_to_one:
                continue
            if relation.related_model is Resident:
                rows = model._default_manager.filter(**{f"{relation.name}__public_id": public_id})
            elif relation.related_model is CareNote and model is not CareNote:
                rows = model._default_manager.filter(**{f"{relation.name}__resident__public_id": public_id})
            else:
                continue
            scope |= about(model) & Q(object_id__in=rows.order_by().values("pk"))
    return scope


def access_history_rows(entries, *, zone: datetime.tzinfo | None = None) -> list[list[str]]:
    """Rows of the access history; times in ``zone`` (the resident's site's), to the second."""
    rows = []
    for entry in entries:
        local = timezone.localtime(entry.at, zone)
        when = f"{date_format(local, 'SHORT_DATE_FORMAT')} {local:%H:%M:%S}"
        rows.append([when, entry.actor, entry.get_action_display(), entry.object_repr, entry.query, entry.ip or ""])
    return rows


#: Urgent notes and messages older than this are history, not "to do": not counted as pending.
PENDING_WINDOW_DAYS = 7


@dataclass
class SiteFigures:
    site: Site
    staff_without_2fa: list = field(default_factory=list)
    staff_count: int = 0
    current_shift: object = None
    urgent_notes_pending: int = 0
    urgent_messages_pending: int = 0
    handovers_missing: list = field(default_factory=list)
    must_read_unread: int = 0
    family_accounts: int = 0
    notes_per_day: list[tuple[datetime.date, int]] = field(default_factory=list)


def dashboard_figures(*, user, days: int | None = None) -> list[SiteFigures]:
    """Per site the coordinator manages: what needs attention today.

    A fixed number of queries whatever the number of sites (grouped by site).
    """
    days = days or settings.BACKOFFICE_CHART_DAYS
    sites = list(Site.objects.managed_by(user).filter(is_active=True).order_by("name"))
    figures = {s.pk: SiteFigures(site=s) for s in sites}
    if not figures:
        return []
    site_ids = list(figures)
    today = timezone.localdate()
    recent = timezone.now() - datetime.timedelta(days=PENDING_WINDOW_DAYS)

    # Staff without 2FA: people with a current assignment at the site and no confirmed authenticator.
    current = (
        Assignment.objects.active()
        .filter(site_id__in=site_ids, user__kind=User.Kind.STAFF)
        .annotate(has_2fa=Exists(TOTPDevice.objects.filter(user=OuterRef("user_id"), confirmed=True)))
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )
    seen = set()
    for assignment in current:
        key = (assignment.site_id, assignment.user_id)
        if key in seen:
            continue
        seen.add(key)
        figures[assignment.site_id].staff_count += 1
        if not assignment.has_2fa:
            figures[assignment.site_id].staff_without_2fa.append(assignment.user)

    pending = (
        CareNote.objects.filter(
            site_id__in=site_ids,
            priority=CareNote.Priority.URGENT,
            acknowledged_at__isnull=True,
            created_at__gte=recent,
        )
        .filter(retracted_at__isnull=True)
        .values("site_id")
        .annotate(n=Count("id"))
    )
    for row in pending:
        figures[row["site_id"]].urgent_notes_pending = row["n"]
    start = today - datetime.timedelta(days=days - 1)
    zone = timezone.get_current_timezone()
    since = datetime.datetime.combine(start, datetime.time.min, tzinfo=zone)
    per_day = (
        CareNote.objects.filter(site_id__in=site_ids, created_at__gte=since)
        .annotate(day=TruncDate("created_at", tzinfo=zone))
        .values("site_id", "day")
        .annotate(n=Count("id"))
    )
    counts = {(row["site_id"], row["day"]): row["n"] for row in per_day}
    for f in figures.values():
        f.notes_per_day = [
            (start + datetime.timedelta(days=i), counts.get((f.site.pk, start + datetime.timedelta(days=i)), 0))
            for i in range(days)
        ]

    _handovers(figures, site_ids)

    # Every urgent message nobody acknowledged, direct and group ones too: a message belongs to its
    # conversation's site, else to its sender's site (primary assignment first), as its escalation does.
    sender_site = Subquery(
        Assignment.objects.active()
        .filter(user=OuterRef("sender_id"))
        .order_by("-is_primary", "pk")
        .values("site_id")[:1]
    )
    urgent = (
        Message.objects.filter(priority=Message.Priority.URGENT, created_at__gte=recent, deleted_at__isnull=True)
        .filter(~Exists(Acknowledgement.objects.filter(message=OuterRef("pk")).exclude(user=OuterRef("sender_id"))))
        .annotate(site_key=Coalesce("conversation__site_id", sender_site, output_field=BigIntegerField()))
        .filter(site_key__in=site_ids)
        .values("site_key")
        .annotate(n=Count("id"))
    )
    for message_row in urgent:
        figures[message_row["site_key"]].urgent_messages_pending = message_row["n"]

    _must_read(figures, site_ids)

    links = (
        FamilyLink.objects.filter(
            resident__site_id__in=site_ids, is_active=True, revoked_at__isnull=True, user__is_active=True
        )
        .values("resident__site_id")
        .annotate(n=Count("user_id", distinct=True))
    )
    for link_row in links:
        figures[link_row["resident__site_id"]].family_accounts = link_row["n"]

    return [figures[s.pk] for s in sites]


def _handovers(figures, site_ids):
    """Units whose handover of the shift in progress nobody has taken yet (in each site's zone)."""
    now = timezone.now()
    stored = {s.site_id: s for s in SiteCareSettings.objects.filter(site_id__in=site_ids)}
    slots = {}
    for site_id, f in figures.items():
        care_settings = stored.get(site_id) or SiteCareSettings(site=f.site)
        care_settings.site = f.site
        slots[site_id] = shift_at(now, care_settings.hours)
        f.current_shift = slots[site_id]
    taken = set()
    days = {slot.day for slot in slots.values()}
    for site_id, unit_id, shift, day in HandoverAcknowledgement.objects.filter(
        site_id__in=site_ids, shift_date__in=days
    ).values_list("site_id", "unit_id", "shift", "shift_date"):
        if slots[site_id].shift == shift and slots[site_id].day == day:
            taken.add(unit_id)
    for unit in Unit.objects.filter(site_id__in=site_ids).order_by("name"):
        if unit.pk not in taken:
            figures[unit.site_id].handovers_missing.append(unit)


def _must_read(figures, site_ids):
    """Readings required of the site's current staff (unit, job) not confirmed on the current version."""
    requirements = list(
        ReadingRequirement.objects.filter(site_id__in=site_ids).values_list(
            "site_id", "unit_id", "job", "document__current_version_id"
        )
    )
    staff = list(
        Assignment.objects.active()
        .filter(site_id__in=site_ids, user__kind=User.Kind.STAFF)
        .values_list("site_id", "unit_id", "user_id", "user__staff_profile__job")
    )
    versions = {r[3] for r in requirements if r[3]}
    confirmed = set(ReadConfirmation.objects.filter(version_id__in=versions).values_list("version_id", "user_id"))
    per_site: dict[int, int] = {}
    for site_id, unit_id, job, version_id in requirements:
        if not version_id:
            continue
        people = {
            user_id
            for s_id, u_id, user_id, user_job in staff
            if s_id == site_id and (not unit_id or u_id == unit_id) and (not job or user_job == job)
        }
        per_site[site_id] = per_site.get(site_id, 0) + sum(1 for p in people if (version_id, p) not in confirmed)
    for f in figures.values():
        f.must_read_unread = per_site.get(f.site.pk, 0)
