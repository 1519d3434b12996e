"""Reads of the messaging app: lists, unread counts, members, payloads for sockets."""

from __future__ import annotations

from typing import Any, NamedTuple

from django.contrib.auth import get_user_model
from django.db.models import Count, F, IntegerField, OuterRef, Prefetch, Subquery, Sum
from django.db.models.functions import Coalesce

from carehub import textsearch

from .formatting import handle_of
from .models import Conversation, Kind, Membership, Message

#: Conversations whose unread messages are e-mailed about (channels are broadcasts: not them).
DIGEST_KINDS = (Kind.DIRECT, Kind.GROUP)
#: Up to this many members, "seen by" names people; above, it counts them.
SEEN_BY_NAMES_UP_TO = 10


def conversation_is_visible(conversation: Conversation, user) -> bool:
    return Conversation.objects.visible_to(user).filter(pk=conversation.pk).exists()


def _unread_subquery(user):
    return Subquery(
        Message.objects.filter(
            conversation=OuterRef("conversation_id"),
            id__gt=OuterRef("last_read_message_id"),
            deleted_at__isnull=True,
        )
        .exclude(sender=user)
        .order_by()
        .values("conversation")
        .annotate(n=Count("id"))
        .values("n"),
        output_field=IntegerField(),
    )


def unread_counts(user) -> dict[int, int]:
    """Unread messages per conversation id, for the conversations in the person's list."""
    if not user.is_authenticated:
        return {}
    rows = (
        Membership.objects.filter(
            user=user,
            conversation__in=Conversation.objects.visible_to(user).values("pk"),
            conversation__last_message_id__gt=F("last_read_message_id"),
        )
        .annotate(unread=_unread_subquery(user))
        .values_list("conversation_id", "unread")
    )
    return {conversation_id: unread for conversation_id, unread in rows if unread}


def unread_total(user) -> int:
    if not user.is_authenticated:
        return 0
    total = (
        Membership.objects.filter(
            user=user,
            conversation__in=Conversation.objects.visible_to(user).values("pk"),
            conversation__last_message_id__gt=F("last_read_message_id"),
        )
        .annotate(unread=Coalesce(_unread_subquery(user), 0))
        .aggregate(total=Sum("unread"))["total"]
    )
    return total or 0


def _urgent_pending(user, conversation=None):
    """Messages of a conversation (by default the outer query's) that are urgent, from someone
    else, and that ``user`` has not acknowledged."""
    return (
        Message.objects.filter(
            conversation=OuterRef("pk") if conversation is None else conversation,
            priority=Message.Priority.URGENT,
            deleted_at__isnull=True,
        )
        .exclude(sender=user)
        .exclude(acknowledgements__user=user)
    )


def conversation_list(user, *, limit: int = 200, only=None) -> list[Conversation]:
    """The person's conversations, latest activity first, each with ``unread``, ``urgent``
    (urgent messages they have still to acknowledge) and ``other_user`` (for direct
    conversations) — a fixed number of queries. ``only``: just these conversation ids."""
    members = Membership.objects.select_related("user").order_by("pk")
    listed = Conversation.objects.listed_for(user)
    if only is not None:
        listed = listed.filter(pk__in=list(only))
    conversations = list(
        listed.annotate(
            urgent=Coalesce(
                Subquery(
                    _urgent_pending(user).order_by().values("conversation").annotate(n=Count("id")).values("n"),
                    output_field=IntegerField(),
                ),
                0,
            )
        )
        .annotate(
            unread=Coalesce(
                Subquery(
                    Membership.objects.filter(conversation=OuterRef("pk"), user=user)
                    .annotate(n=_unread_subquery(user))
                    .values("n")[:1],
                    output_field=IntegerField(),
                ),
                0,
            )
        )
        .select_related("site", "unit", "resident")
        .prefetch_related(Prefetch("memberships", queryset=members.filter(conversation__kind=Kind.DIRECT)))
        .order_by("-last_message_id", "-id")[:limit]
    )
    for conversation in conversations:
        conversation.title_for_viewer = conversation.display_title(user)
        others = [m.user for m in conversation.memberships.all() if m.user_id != user.pk]
        conversation.other_user = others[0] if others else None
    return conversations


def conversation_summaries(user, conversation_ids) -> list[dict]:
    """What a socket tells its page of conversations that just entered the person's list
    (a duty-role message, a new group): enough to list them and raise an urgent banner."""
    from django.urls import reverse

    summaries = []
    listed: list[Any] = conversation_list(user, only=conversation_ids)  # with the annotations above
    for conversation in listed:
        urgent = None
        if conversation.urgent:
            latest = (
                _urgent_pending(user, conversation)
                .select_related("sender__staff_profile", "conversation__site")
                .order_by("-id")
                .first()
            )
            urgent = message_payload(latest) if latest else None
        summaries.append(
            {
                "conversation": str(conversation.public_id),
                "title": conversation.title_for_viewer,
                "kind": str(conversation.get_kind_display()),
                "url": reverse("messaging:conversation", kwargs={"public_id": conversation.public_id}),
                "unread": conversation.unread,
                "urgent": conversation.urgent,
                "last_id": conversation.last_message_id or 0,
                "urgent_message": urgent,
            }
        )
    return summaries


def presence_audience(user) -> list[int]:
    """Conversations whose open pages show this person's presence live: direct and group
    conversations (channels are too wide to tell every member of every coming and going)."""
    return list(
        Conversation.objects.listed_for(user)
        .filter(kind__in=[Kind.DIRECT, Kind.GROUP])
        .values_list("pk", flat=True)
        .order_by()[:1000]
    )


class Followed(NamedTuple):
    public_id: str
    last_seq: int


def conversation_subscriptions(user) -> dict[int, Followed]:
    """{conversation id: (public id, number of its latest message)} of the conversations a socket follows."""
    rows = Conversation.objects.listed_for(user).values_list("pk", "public_id", "last_seq")[:1000]
    return {pk: Followed(str(public_id), last_seq) for pk, public_id, last_seq in rows}


def last_seqs(conversation_ids) -> dict[int, int]:
    """{conversation id: number of its latest message}."""
    return dict(Conversation.objects.filter(pk__in=conversation_ids).values_list("pk", "last_seq"))


def conversation_members(conversation: Conversation) -> list:
    """People holding a membership row who still reach the conversation."""
    users = list(
        get_user_model()
        .objects.filter(conversation_memberships__conversation=conversation, is_active=True)
        .order_by("last_name", "first_name")
    )
    return [u for u in users if conversation_is_visible(conversation, u)]


def memberships_with_users(conversation: Conversation) -> list[Membership]:
    return list(
        Membership.objects.filter(conversation=conversation, user__is_active=True)
        .select_related("user")
        .order_by("user__last_name", "user__first_name")
    )


def messages_page(conversation: Conversation, *, before: int | None = None, size: int = 100) -> list[Message]:
    qs = Message.objects.filter(conversation=conversation)
    if before:
        qs = qs.filter(id__lt=before)
    page = list(
        qs.select_related("sender__staff_profile")
        .prefetch_related("reached__staff_profile", "acknowledgements__user__staff_profile", "attachments")
        .order_by("-id")[:size]
    )
    page.reverse()
    for message in page:
        message.conversation = conversation  # one conversation: its zone without a query per message
    return page


def messages_after(conversation_id: int, *, after_seq: int, limit: int, up_to_seq: int | None = None) -> list[Message]:
    """The conversation's messages numbered after ``after_seq`` (up to ``up_to_seq``), in order."""
    messages = Message.objects.filter(conversation_id=conversation_id, seq__gt=after_seq)
    if up_to_seq is not None:
        messages = messages.filter(seq__lte=up_to_seq)
    return list(
        messages.select_related("sender__staff_profile", "conversation__site")
        .prefetch_related("reached", "acknowledgements__user__staff_profile", "attachments")
        .order_by("seq")[:limit]
    )


def seq_after_id(conversation_id: int, after_id: int) -> int:
    """The number of the conversation's latest message with an id up to ``after_id`` (clients that
    knew only ids: their sync still replays by number)."""
    seq = (
        Message.objects.filter(conversation_id=conversation_id, id__lte=after_id)
        .order_by("-seq")
        .values_list("seq", flat=True)
        .first()
    )
    return seq or 0


def seen_by(message: Message, memberships: list[Membership]) -> dict:
    readers = [m.user for m in memberships if m.user_id != message.sender_id and m.last_read_message_id >= message.pk]
    others = [m for m in memberships if m.user_id != message.sender_id]
    return {
        "names": [str(u) for u in readers] if len(memberships) <= SEEN_BY_NAMES_UP_TO else None,
        "count": len(readers),
        "of": len(others),
    }


def message_payload(message: Message) -> dict:
    """What a staff socket receives for one message (the client escapes it on render).

    Family sockets never get it: they get ``portal.presentation.family_message_payload``,
    built from its own allow-list. ``attachments`` (name, size, download link) are for
    everyone who may read the conversation (the download view checks membership again)."""
    from .attachments import payload as attachment_payload

    deleted = message.is_deleted
    acks = [a.user for a in message.acknowledgements.all()] if message.is_urgent else []
    reached = list(message.reached.all()) if message.duty_role else []
    return {
        "id": message.pk,
        "public_id": str(message.public_id),
        "seq": message.seq,
        "conversation": str(message.conversation.public_id),
        "sender": {
            "id": message.sender_id,
            "name": str(message.sender),
            "initials": message.sender.initials,
            "handle": handle_of(message.sender),
        },
        "body": "" if deleted else message.body,
        "urgent": message.is_urgent,
        "created_at": message.created_at.isoformat(),
        # The socket writes the time in this zone, in its reader's language (formatting.message_time).
        "time_zone": message.conversation.time_zone,
        "edited": bool(message.edited_at),
        "deleted": deleted,
        "duty_role": message.duty_role_label,
        "reached": [str(u) for u in reached],
        "acks": [str(u) for u in acks],
        "escalated": bool(message.escalated_at),
        "attachments": [] if deleted else [attachment_payload(a) for a in message.attachments.all()],
    }


def site_of(message: Message):
    """The site whose on-call answers for an urgent message: the conversation's site,
    else the sender's primary (or first) current assignment."""
    if message.conversation.site_id:
        return message.conversation.site
    from directory.models import Assignment

    assignment = (
        Assignment.objects.active()
        .filter(user_id=message.sender_id)
        .select_related("site")
        .order_by("-is_primary", "pk")
        .first()
    )
    return assignment.site if assignment else None


def search_messages(user, query: str, *, limit: int = 50) -> list[Message]:
    """Messages with words starting with the query's words, accents and case aside (the rule of every
    search: carehub.textsearch): "hygiene" finds "Hygiène des mains"."""
    words = textsearch.tokens(query or "")
    if not words or len((query or "").strip()) < 2:
        return []
    return list(
        Message.objects.visible_to(user)
        .filter(deleted_at__isnull=True)
        .alias(search_text=textsearch.Normalised("body"))
        .filter(textsearch.every_word_start("search_text", words))
        .select_related("sender__staff_profile", "conversation__site")
        .order_by("-id")[:limit]
    )
