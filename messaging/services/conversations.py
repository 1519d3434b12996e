"""Conversations and their members: direct, groups, channels, resident and family threads."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from carehub import policy
from directory.selectors import resident_care_team_ids

from .. import realtime, selectors
from ..models import Conversation, Kind, Membership
from .errors import MessagingError, NotAllowed


def _can_message(user) -> bool:
    return bool(user and user.is_active and not user.is_family and policy.is_active_staff(user))


def membership_ensure(conversation: Conversation, user, *, last_read: int | None = None) -> Membership:
    membership, created = Membership.objects.get_or_create(
        conversation=conversation,
        user=user,
        defaults={"last_read_message_id": conversation.last_message_id if last_read is None else last_read},
    )
    if created:
        realtime.resync_on_commit(user.pk)
    return membership


def _direct_key(user, other) -> str:
    low, high = sorted((user.pk, other.pk))
    return f"{low}:{high}"


def conversation_direct_check(*, user, other) -> Conversation | None:
    """Whether ``user`` may write to ``other``, without writing anything (raises NotAllowed);
    returns their direct conversation if it exists already."""
    if other.pk == user.pk:
        raise NotAllowed(_("You cannot start a conversation with yourself."))
    if not _can_message(user) or not _can_message(other):
        raise NotAllowed(_("This person cannot receive messages."))
    return Conversation.objects.filter(kind=Kind.DIRECT, direct_key=_direct_key(user, other)).first()


@transaction.atomic
def conversation_direct_get_or_create(*, user, other) -> Conversation:
    """The one direct conversation between two staff members, made on first use (its first
    message: see ``direct_message_send``; opening a link never makes one)."""
    conversation = conversation_direct_check(user=user, other=other)
    key = _direct_key(user, other)
    if conversation is None:
        try:
            with transaction.atomic():
                conversation = Conversation.objects.create(kind=Kind.DIRECT, direct_key=key, created_by=user)
        except IntegrityError:  # the other person opened it at the same instant
            conversation = Conversation.objects.get(kind=Kind.DIRECT, direct_key=key)
    for person in (user, other):
        membership_ensure(conversation, person, last_read=0)
    return conversation


@transaction.atomic
def conversation_group_create(*, creator, title: str, members) -> Conversation:
    if not _can_message(creator):
        raise NotAllowed(_("You cannot start conversations."))
    title = (title or "").strip()
    if not title:
        raise MessagingError(_("Give the group a name."))
    conversation = Conversation.objects.create(kind=Kind.GROUP, title=title[:150], created_by=creator)
    membership_ensure(conversation, creator, last_read=0)
    for user in members:
        if user.pk != creator.pk and _can_message(user):
            membership_ensure(conversation, user, last_read=0)
    return conversation


@transaction.atomic
def conversation_member_add(*, conversation: Conversation, actor, user) -> Membership:
    """Add someone to a group (any member may; family threads are managed by the portal)."""
    if conversation.kind != Kind.GROUP:
        raise NotAllowed(_("Members of this conversation follow the assignments; they cannot be added by hand."))
    if not selectors.conversation_is_visible(conversation, actor):
        raise NotAllowed(_("You are not a member of this conversation."))
    if not _can_message(user):
        raise NotAllowed(_("This person cannot receive messages."))
    return membership_ensure(conversation, user, last_read=0)


@transaction.atomic
def conversation_member_remove(*, conversation: Conversation, actor, user) -> bool:
    """Remove someone from a group (or a family member from a family thread): their
    sockets stop receiving it at once (the removal reaches them before any later message)."""
    if conversation.kind not in (Kind.GROUP, Kind.FAMILY):
        raise NotAllowed(_("Members of this conversation follow the assignments; they cannot be removed by hand."))
    if actor is not None and actor.pk != user.pk and not selectors.conversation_is_visible(conversation, actor):
        raise NotAllowed(_("You are not a member of this conversation."))
    deleted, _count = Membership.objects.filter(conversation=conversation, user=user).delete()
    if deleted:
        realtime.user_frame_on_commit(user.pk, {"type": "removed", "conversation": str(conversation.public_id)})
        realtime.resync_on_commit(user.pk)
    return bool(deleted)


def _get_or_create_unique(kind: str, **fields) -> Conversation:
    lookup = {k: v for k, v in fields.items() if k in ("site", "unit", "resident")}
    conversation = Conversation.objects.filter(kind=kind, **lookup).first()
    if conversation:
        return conversation
    try:
        with transaction.atomic():
            return Conversation.objects.create(kind=kind, **fields)
    except IntegrityError:
        return Conversation.objects.get(kind=kind, **lookup)


def site_channel_get_or_create(*, site) -> Conversation:
    return _get_or_create_unique(Kind.SITE, site=site, title=site.name)


def unit_channel_get_or_create(*, unit) -> Conversation:
    return _get_or_create_unique(Kind.UNIT, site=unit.site, unit=unit, title=str(unit))


def resident_thread_find(*, resident, user) -> Conversation | None:
    """The care team's thread about a resident if it exists and ``user`` reaches it (nothing written)."""
    conversation = Conversation.objects.filter(kind=Kind.RESIDENT, resident=resident).first()
    if conversation is None:
        return None
    if not selectors.conversation_is_visible(conversation, user):
        raise NotAllowed(_("You cannot open this thread."))
    return conversation


@transaction.atomic
def resident_thread_open(*, resident, user) -> Conversation:
    """The care team's thread about a resident, made on first use; the opener joins it."""
    conversation = _get_or_create_unique(
        Kind.RESIDENT, site_id=resident.site_id, resident=resident, title=str(resident)
    )
    if not selectors.conversation_is_visible(conversation, user):
        raise NotAllowed(_("You cannot open this thread."))
    membership_ensure(conversation, user, last_read=0)
    return conversation


@transaction.atomic
def family_thread_get_or_create(*, resident) -> Conversation:
    """The thread between a resident's family and the care team (used by the portal).

    Family users join with :func:`family_member_add`; staff of the resident's
    site reach it by the access policy, and the resident's care team finds it in
    their list (see :func:`care_team_memberships_ensure`).
    """
    conversation = _get_or_create_unique(Kind.FAMILY, site_id=resident.site_id, resident=resident, title=str(resident))
    care_team_memberships_ensure(conversation=conversation)
    return conversation


def care_team_memberships_ensure(*, conversation: Conversation) -> None:
    """Put a resident or family thread in the list of the resident's care team, so that
    a message there is seen (unread badge, live delivery) without anyone opening it first."""
    if conversation.kind not in (Kind.RESIDENT, Kind.FAMILY) or not conversation.resident_id:
        return
    team = resident_care_team_ids(conversation.resident)
    already = set(
        Membership.objects.filter(conversation=conversation, user_id__in=team).values_list("user_id", flat=True)
    )
    new = [user_id for user_id in team if user_id not in already]
    if not new:
        return
    Membership.objects.bulk_create(
        [Membership(conversation=conversation, user_id=user_id, last_read_message_id=0) for user_id in new],
        ignore_conflicts=True,
    )
    for user_id in new:
        realtime.resync_on_commit(user_id)


@transaction.atomic
def family_member_add(*, conversation: Conversation, user) -> Membership:
    if conversation.kind != Kind.FAMILY or not user.is_family:
        raise NotAllowed(_("Only family accounts join a family thread."))
    return membership_ensure(conversation, user, last_read=0)


@transaction.atomic
def conversation_join(*, conversation: Conversation, user) -> Membership:
    """Put a visible channel or thread in the person's list (first open)."""
    if not selectors.conversation_is_visible(conversation, user):
        raise NotAllowed(_("You cannot open this conversation."))
    return membership_ensure(conversation, user)


def channel_memberships_sync(*, user) -> None:
    """Make the person's list follow their assignments in force today.

    Adds the site and unit channels of their current assignments (creating the
    channel on first use) and drops channel rows they no longer reach. Access
    itself never depends on this: it is decided at read time.
    """
    from directory.models import Assignment

    wanted: set[tuple[str, int]] = set()
    if not user.is_family and user.is_active:
        for site_id, unit_id in Assignment.objects.active().filter(user=user).values_list("site_id", "unit_id"):
            wanted.add(("site", site_id))
            if unit_id:
                wanted.add(("unit", unit_id))
    with transaction.atomic():
        existing = {
            (
                m.conversation.kind,
                m.conversation.unit_id if m.conversation.kind == Kind.UNIT else m.conversation.site_id,
            ): m
            for m in Membership.objects.filter(user=user, conversation__kind__in=[Kind.SITE, Kind.UNIT]).select_related(
                "conversation"
            )
        }
        from directory.models import Site, Unit

        for kind, pk in wanted - set(existing):
            if kind == "site":
                channel = site_channel_get_or_create(site=Site.objects.get(pk=pk))
            else:
                channel = unit_channel_get_or_create(unit=Unit.objects.select_related("site").get(pk=pk))
            membership_ensure(channel, user)
        stale = [m for key, m in existing.items() if key not in wanted]
        for membership in stale:
            # A coordinator keeps the unit channels of the sites they manage if they joined them.
            if (
                selectors.conversation_is_visible(membership.conversation, user)
                and membership.conversation.kind == Kind.UNIT
            ):
                continue
            membership.delete()
            realtime.user_frame_on_commit(
                user.pk, {"type": "removed", "conversation": str(membership.conversation.public_id)}
            )
        if stale:
            realtime.resync_on_commit(user.pk)
