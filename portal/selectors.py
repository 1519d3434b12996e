"""Reads of the family portal. Every family read starts from
``carehub.policy.family_resident_ids``: a relative reaches a resident only through
an active family link, and each kind of content only with the link's right for it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.urls import reverse

from carehub import policy
from carehub.models import AccessLog
from messaging.selectors import messages_page

from . import presentation
from .models import FamilyLink, FamilyPreferences, Invitation, SiteFamilyInfo

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

SIGN_IN_ACTIONS = (AccessLog.Action.LOGIN, AccessLog.Action.LOGOUT, AccessLog.Action.LOGIN_FAILED)


def resident_first_name(resident) -> str:
    """How families and e-mails name the resident: the preferred name when the team set one."""
    return getattr(resident, "preferred_name", "") or resident.first_name


# --- Links and residents ------------------------------------------------------------------


def family_links(user) -> list[FamilyLink]:
    """The active links of a relative, with their residents and sites (home page)."""
    ids = policy.family_resident_ids(user)
    if not ids:
        return []
    return list(
        FamilyLink.objects.filter(user=user, resident_id__in=ids, is_active=True, revoked_at__isnull=True)
        .select_related("resident", "resident__site")
        .order_by("resident__first_name", "resident__last_name")
    )


def family_link_for(user, public_id, *, right: str | None = None) -> FamilyLink:
    """The relative's link to the resident ``public_id``; 404 when absent, revoked or without ``right``.

    Staff get 404 as well: the portal is not their way to a resident.
    """
    ids = policy.family_resident_ids(user, right=right)
    if not ids:
        raise Http404
    return get_object_or_404(
        FamilyLink.objects.select_related("resident", "resident__site"),
        user=user,
        resident_id__in=ids,
        resident__public_id=public_id,
        is_active=True,
        revoked_at__isnull=True,
    )


def site_family_info(site) -> SiteFamilyInfo:
    """The site's information for families, or an empty unsaved one."""
    try:
        return site.family_info
    except SiteFamilyInfo.DoesNotExist:
        return SiteFamilyInfo(site=site)


def phone_for_families(site) -> str:
    """The number a relative calls: the one the site gives families, else its main number."""
    return site_family_info(site).family_phone or site.phone


def landing_url(links: list[FamilyLink]) -> str | None:
    """Where a relative following one resident starts: that resident's first section they may see
    (a page holding a single button is a step for nothing). None with several residents: the list."""
    if len(links) != 1:
        return None
    link = links[0]
    for right, name in (("may_see_news", "news"), ("may_see_documents", "documents"), ("may_see_messages", "messages")):
        if getattr(link, right):
            return reverse(f"portal:{name}", kwargs={"public_id": link.resident.public_id})
    return reverse("portal:practical", kwargs={"public_id": link.resident.public_id})


# --- News feed ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class NewsItem:
    """What a relative sees of a shared note: nothing else of the note leaves this module."""

    public_id: str
    written_at: datetime
    author_label: str
    title: str
    data: str
    action: str
    result: str


@dataclass
class NewsPage:
    items: list[NewsItem]
    next_cursor: str | None


def encode_cursor(written_at: datetime, pk: int) -> str:
    delta = written_at - _EPOCH
    micros = (delta.days * 86_400 + delta.seconds) * 1_000_000 + delta.microseconds
    return f"{micros}.{pk}"


def decode_cursor(raw: str | None) -> tuple[datetime, int] | None:
    """Parse a cursor from the URL; a malformed one means "from the start"."""
    if not raw:
        return None
    try:
        micros, pk = (int(part) for part in raw.split(".", 1))
        return _EPOCH + timedelta(microseconds=micros), pk
    except (ValueError, OverflowError):
        return None


def news_page(user, resident, *, cursor: str | None = None, day: date | None = None, size: int = 20) -> NewsPage:
    """Family-visible notes of one followed resident, newest first, by cursor (or from a day back)."""
    from coordination.models import CareNote

    if resident.pk not in policy.family_resident_ids(user, right="news"):
        return NewsPage([], None)
    qs = (
        CareNote.objects.family_visible()
        .filter(resident_id=resident.pk)
        .select_related("author", "author__staff_profile", "target")
        .only(
            "public_id",
            "created_at",
            "data",
            "action",
            "result",
            "target_detail",
            "author__first_name",
            "author__staff_profile__job",
            "target__name_fr",
            "target__name_en",
        )
        .order_by("-created_at", "-id")
    )
    position = decode_cursor(cursor)
    if position is not None:
        at, pk = position
        # The plain range on created_at lets the (resident, -created_at) index bound the scan.
        qs = qs.filter(Q(created_at__lte=at), Q(created_at__lt=at) | Q(id__lt=pk))
    elif day is not None:
        # "From this day back", the day as the resident's site counts it.
        end_of_day = datetime.combine(day + timedelta(days=1), datetime.min.time(), tzinfo=resident.site.zone)
        qs = qs.filter(created_at__lt=end_of_day)
    notes = list(qs[: size + 1])
    more = len(notes) > size
    notes = notes[:size]
    items = [news_item(note) for note in notes]
    next_cursor = encode_cursor(notes[-1].created_at, notes[-1].pk) if more and notes else None
    return NewsPage(items, next_cursor)


def news_item(note) -> NewsItem:
    """A note as the feed shows it. Also takes an unsaved note (the note form's preview:
    its time is when it was built, its target may still be missing)."""
    target = note.target.label if note.target_id else ""
    title = " — ".join(part for part in (target, note.target_detail) if part)
    return NewsItem(
        public_id=str(note.public_id),
        written_at=note.created_at,
        author_label=presentation.staff_as_family_sees(note.author),
        title=title,
        data=note.data,
        action=note.action,
        result=note.result,
    )


def news_count_between(user, start: datetime, end: datetime) -> dict[int, int]:
    """{resident id: number of family-visible notes written in [start, end)} for the digest."""
    from django.db.models import Count

    from coordination.models import CareNote

    ids = policy.family_resident_ids(user, right="news")
    if not ids:
        return {}
    rows = (
        CareNote.objects.family_visible()
        .filter(resident_id__in=ids, created_at__gte=start, created_at__lt=end)
        .values("resident_id")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {row["resident_id"]: row["n"] for row in rows}


# --- Documents --------------------------------------------------------------------------------------


def family_documents(user, resident) -> list:
    """Shared documents of one followed resident (with their current version)."""
    from documents.models import Document

    if resident.pk not in policy.family_resident_ids(user, right="documents"):
        return []
    return list(
        Document.objects.family_visible()
        .filter(folder__resident_id=resident.pk)
        .select_related("current_version")
        .order_by("-updated_at", "-id")
    )


def family_document(user, resident, public_id):
    """One shared document of a followed resident; 404 when not shared or not allowed."""
    from documents.models import Document

    if resident.pk not in policy.family_resident_ids(user, right="documents"):
        raise Http404
    return get_object_or_404(
        Document.objects.family_visible().select_related("current_version", "folder", "folder__resident"),
        folder__resident_id=resident.pk,
        public_id=public_id,
    )


# --- Messages -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThreadMessage:
    """A message as a relative sees it: staff by first name and job only."""

    pk: int
    sent_at: datetime
    mine: bool
    sender_label: str
    body: str
    deleted: bool


def family_thread(user, resident):
    """The family thread of a followed resident (None when not created yet); needs the messages right."""
    from messaging.models import Conversation, Kind

    if resident.pk not in policy.family_resident_ids(user, right="messages"):
        raise Http404
    return Conversation.objects.visible_to(user).filter(kind=Kind.FAMILY, resident_id=resident.pk).first()


def thread_messages(user, conversation, *, before: int | None = None, size: int = 50) -> list[ThreadMessage]:
    """The thread's messages (messaging's page of them), each as the relative sees it."""
    return [_thread_message(user, m) for m in messages_page(conversation, before=before, size=size)]


def _thread_message(user, message) -> ThreadMessage:
    deleted = message.is_deleted
    return ThreadMessage(
        pk=message.pk,
        sent_at=message.created_at,
        mine=message.sender_id == user.pk,
        sender_label=presentation.person_as_family_sees(message.sender, viewer=user),
        body="" if deleted else message.body,
        deleted=deleted,
    )


# --- Account ------------------------------------------------------------------------------------------


def family_preferences(user) -> FamilyPreferences:
    return FamilyPreferences.objects.filter(user=user).first() or FamilyPreferences(user=user)


def sign_ins(user, *, limit: int = 50) -> list[AccessLog]:
    return list(
        AccessLog.objects.filter(user=user, action__in=SIGN_IN_ACTIONS).only("at", "action", "ip", "user_agent")[:limit]
    )


# --- Staff side ---------------------------------------------------------------------------------------


def resident_family_overview(resident) -> tuple[list[FamilyLink], list[Invitation]]:
    links = list(
        FamilyLink.objects.filter(resident=resident).select_related("user").order_by("-is_active", "user__last_name")
    )
    invitations = list(
        Invitation.objects.filter(resident=resident, accepted_at__isnull=True).order_by("-created_at")[:50]
    )
    return links, invitations
