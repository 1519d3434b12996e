"""Sending, reading, acknowledging, editing and deleting messages; duty-role messages."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import DatabaseError, IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from carehub.ids import parse_uuid
from outbox import services as outbox
from portal import presentation

from .. import duty, realtime, selectors
from ..formatting import handle_of, mentioned_handles
from ..models import Acknowledgement, Conversation, Kind, Membership, Message
from .conversations import (
    care_team_memberships_ensure,
    conversation_direct_get_or_create,
    membership_ensure,
    resident_thread_open,
)
from .errors import AttachmentRefused, MessagingError, NotAllowed, RateLimited


def rate_limit_check(*, user) -> None:
    """At most MESSAGING_RATE_LIMIT messages per MESSAGING_RATE_WINDOW seconds per person."""
    window = settings.MESSAGING_RATE_WINDOW
    now = time.time()
    bucket = int(now // window)
    key = f"msg-rate:{user.pk}:{bucket}"
    cache.add(key, 0, timeout=window + 1)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=window + 1)
        count = 1
    if count is None:
        # The cache (Redis) is unreachable: django-redis ignores the error and counts nothing.
        # Fails open: staff are signed in with a second factor, and a message must get through.
        return
    if count > settings.MESSAGING_RATE_LIMIT:
        retry_after = max(1, int((bucket + 1) * window - now) + 1)
        raise RateLimited(
            _("You are sending messages too fast. Wait %(seconds)d seconds, then send again: nothing was lost.")
            % {"seconds": retry_after},
            retry_after=retry_after,
        )


def clean_body(body: str, *, allow_empty: bool = False) -> str:
    body = (body or "").replace("\r\n", "\n").strip()
    if not body and allow_empty:
        return ""
    if not body:
        raise MessagingError(_("The message is empty."), code="empty")
    if "\x00" in body:  # PostgreSQL stores no NUL in text; the forms refuse it with the same words
        raise MessagingError(_("Null characters are not allowed."), code="invalid")
    if len(body) > settings.MESSAGING_MAX_BODY_CHARS:
        raise MessagingError(
            _("The message is too long (%(length)d characters, at most %(max)d).")
            % {"length": len(body), "max": settings.MESSAGING_MAX_BODY_CHARS},
            code="too_long",
        )
    return body


def parse_client_token(raw) -> uuid.UUID:
    token = parse_uuid(raw)
    if token is None:
        raise MessagingError(_("The form is out of date: reload the page and send again."), code="bad_token")
    return token


@dataclass
class SendResult:
    message: Message
    created: bool


def message_send(
    *,
    conversation: Conversation,
    sender,
    body: str,
    client_token,
    urgent: bool = False,
    duty_role: duty.DutyRole | None = None,
    reached=(),
    files=(),
) -> SendResult:
    """Save a message, then (after commit) broadcast it to the conversation's sockets.

    Idempotent on (sender, client_token): a retried or double-clicked send
    returns the message already stored and broadcasts nothing more.

    ``files`` (uploaded files) go through the documents app's checks; if one is
    refused, ``AttachmentRefused`` says why and nothing at all is stored.
    """
    token = parse_client_token(client_token)
    existing = Message.objects.filter(sender=sender, client_token=token).select_related("conversation").first()
    if existing is not None:
        if existing.conversation_id != conversation.pk:
            raise MessagingError(_("This send was already used for another conversation."), code="bad_token")
        return SendResult(existing, False)
    if not selectors.conversation_is_visible(conversation, sender):
        raise NotAllowed(_("You are not a member of this conversation."))
    files = list(files)
    body = clean_body(body, allow_empty=bool(files))
    rate_limit_check(user=sender)
    pending = []
    if files:
        from .. import attachments

        try:
            pending = attachments.check_and_store(files)
        except attachments.UploadRefused as exc:
            raise AttachmentRefused(str(exc)) from exc
    try:
        with transaction.atomic():
            message = _message_create(conversation, sender, body, token, urgent, duty_role, reached, pending)
    except IntegrityError:
        if pending:
            attachments.discard(pending)
        # The same token raced in on another socket or process: that one won.
        existing = Message.objects.filter(sender=sender, client_token=token).first()
        if existing is None:
            raise
        return SendResult(existing, False)
    except BaseException:
        # Work after commit may raise once the message is in: its files are then never removed.
        if pending and not _stored(sender, token):
            attachments.discard(pending)
        raise
    return SendResult(message, True)


def _stored(sender, token) -> bool:
    try:
        return Message.objects.filter(sender=sender, client_token=token).exists()
    except DatabaseError:  # unsure: an orphan file is harmless, a message without its file is not
        return True


def _message_create(conversation, sender, body, token, urgent, duty_role, reached, pending=()) -> Message:
    message = Message.objects.create(
        conversation=conversation,
        sender=sender,
        body=body,
        client_token=token,
        priority=Message.Priority.URGENT if urgent else Message.Priority.NORMAL,
        duty_role=duty_role.key if duty_role else "",
        duty_role_label=duty_role.label[:255] if duty_role else "",
    )
    if reached:
        message.reached.set(reached)
    if pending:
        from .. import attachments

        attachments.create_rows(message=message, pending=pending, user=sender)
    Conversation.objects.filter(pk=conversation.pk, last_message_id__lt=message.pk).update(
        last_message_id=message.pk, last_message_at=message.created_at
    )
    membership = membership_ensure(conversation, sender)
    Membership.objects.filter(pk=membership.pk, last_read_message_id__lt=message.pk).update(
        last_read_message_id=message.pk
    )
    # Resident and family threads reach the resident's care team as it is today.
    care_team_memberships_ensure(conversation=conversation)
    mentioned = _mentions(conversation, message)
    if mentioned:
        message.mentioned.set(mentioned)
    _message_frame_on_commit(message, "message")
    if mentioned:
        _mentioned_notify(message, mentioned)
    if urgent:
        from ..tasks import escalate_urgent_message

        outbox.enqueue(
            escalate_urgent_message,
            [message.pk],
            key=f"messaging:escalation:{message.pk}",
            countdown=settings.MESSAGING_ESCALATION_DELAY,
        )
    return message


def _message_frame_on_commit(message: Message, kind: str) -> None:
    """Broadcast a "message" or "updated" frame; family threads carry its family form too."""
    frame = {"type": kind, "message": selectors.message_payload(message)}
    realtime.conversation_frame_on_commit(
        message.conversation_id, frame, family_frame=_family_form(message.conversation, frame, message=message)
    )


def _family_form(conversation: Conversation, frame: dict, **about) -> dict | None:
    """The family form of a conversation's frame (portal.presentation's allow-list), for
    the only conversations a family can be in; None elsewhere: families get nothing."""
    if conversation.kind != Kind.FAMILY:
        return None
    return presentation.family_frame(frame, **about)


def _mentioned_notify(message: Message, mentioned: list) -> None:
    """Staff read the sender's full name and open the conversation; relatives (mentioned in
    their family thread) read the sender as the portal shows people and open the portal's thread."""
    from notifications.services import notify

    conversation = message.conversation
    dedup_key = f"messaging:mention:{message.pk}"
    staff = [user for user in mentioned if not user.is_family]
    relatives = [user for user in mentioned if user.is_family]
    if staff:
        notify(
            users=staff,
            kind="mention",
            title=_("%(name)s mentioned you in a conversation") % {"name": message.sender},
            url=reverse("messaging:conversation", kwargs={"public_id": conversation.public_id}) + f"#m-{message.pk}",
            dedup_key=dedup_key,
        )
    if relatives and conversation.resident is not None:  # relatives are only in family threads
        notify(
            users=relatives,
            kind="mention",
            title=_("%(name)s mentioned you in a conversation")
            % {"name": presentation.person_as_family_sees(message.sender)},
            url=reverse("portal:messages", kwargs={"public_id": conversation.resident.public_id}),
            dedup_key=dedup_key,
        )


def _mentions(conversation, message) -> list:
    handles = mentioned_handles(message.body)
    if not handles:
        return []
    candidates = selectors.conversation_members(conversation)
    found = []
    for user in candidates:
        if user.pk != message.sender_id and handle_of(user) in handles:
            found.append(user)
    return found


def _first_message_send(open_conversation, *, sender, body: str, client_token, urgent: bool) -> SendResult:
    """The first message of a conversation opened from a link: the conversation is made with
    it, in one transaction (a refused send leaves no empty conversation). Idempotent on the
    client token: a resent form returns the message already stored."""
    token = parse_client_token(client_token)
    existing = Message.objects.filter(sender=sender, client_token=token).select_related("conversation").first()
    if existing is not None:
        return SendResult(existing, False)
    body = clean_body(body)
    with transaction.atomic():
        conversation = open_conversation()
        return message_send(conversation=conversation, sender=sender, body=body, client_token=token, urgent=urgent)


def direct_message_send(*, sender, other, body: str, client_token, urgent: bool = False) -> SendResult:
    """Write to a colleague: their direct conversation, made by this message if it is the first."""
    return _first_message_send(
        lambda: conversation_direct_get_or_create(user=sender, other=other),
        sender=sender,
        body=body,
        client_token=client_token,
        urgent=urgent,
    )


def resident_thread_message_send(*, sender, resident, body: str, client_token, urgent: bool = False) -> SendResult:
    """Write in the care team's thread about a resident, made by this message if it is the first."""
    return _first_message_send(
        lambda: resident_thread_open(resident=resident, user=sender),
        sender=sender,
        body=body,
        client_token=client_token,
        urgent=urgent,
    )


def duty_role_message_send(*, sender, role: duty.DutyRole, body: str, client_token, urgent: bool) -> SendResult:
    """Address a message to whoever holds ``role`` now: a group conversation with
    them, the message recording whom the role reached."""
    token = parse_client_token(client_token)
    existing = Message.objects.filter(sender=sender, client_token=token).first()
    if existing is not None:
        return SendResult(existing, False)
    body = clean_body(body)
    resolution = duty.resolve(role)
    people = [u for u in resolution.users if u.pk != sender.pk]
    if not people:
        raise MessagingError(
            _("Nobody holds the role “%(role)s” right now. Call the site or choose a person.") % {"role": role.label},
            code="nobody",
        )
    with transaction.atomic():
        title = _("%(role)s — %(when)s") % {
            "role": role.label,
            "when": timezone.localtime(timezone=role.site.zone).strftime("%d/%m %H:%M"),
        }
        conversation = Conversation.objects.create(kind=Kind.GROUP, title=title[:150], created_by=sender)
        membership_ensure(conversation, sender, last_read=0)
        for user in people:
            membership_ensure(conversation, user, last_read=0)
        if resolution.note:
            body = f"{body}\n\n({resolution.note})"[: settings.MESSAGING_MAX_BODY_CHARS]
        return message_send(
            conversation=conversation,
            sender=sender,
            body=body,
            client_token=token,
            urgent=urgent,
            duty_role=role,
            reached=people,
        )


def message_mark_read(*, conversation: Conversation, user, last_id: int) -> int:
    """Move the person's read position forward (never back). Returns the new position."""
    last_id = min(int(last_id), conversation.last_message_id or 0)
    with transaction.atomic():
        membership = membership_ensure(conversation, user)
        moved = Membership.objects.filter(pk=membership.pk, last_read_message_id__lt=last_id).update(
            last_read_message_id=last_id
        )
        if moved:
            realtime.conversation_frame_on_commit(
                conversation.pk,
                {"type": "read", "conversation": str(conversation.public_id), "user": user.pk, "last_read": last_id},
            )
            realtime.user_frame_on_commit(
                user.pk,
                {"type": "unread", "conversation": str(conversation.public_id), "count": 0},
            )
    return max(last_id, membership.last_read_message_id)


@transaction.atomic
def message_acknowledge(*, message: Message, user) -> bool:
    """Acknowledge an urgent message (once per person). Returns True on the first time."""
    if not message.is_urgent:
        raise MessagingError(_("Only urgent messages are acknowledged."), code="not_urgent")
    if message.sender_id == user.pk:
        raise MessagingError(_("You sent this message."), code="own_message")
    _ack, created = Acknowledgement.objects.get_or_create(message=message, user=user)
    if created:
        frame = {
            "type": "ack",
            "conversation": str(message.conversation.public_id),
            "message": message.pk,
            "user": user.pk,
            "name": str(user),
        }
        realtime.conversation_frame_on_commit(
            message.conversation_id,
            frame,
            family_frame=_family_form(message.conversation, frame, acknowledged_by=user),
        )
    return created


@transaction.atomic
def message_edit(*, message: Message, editor, body: str) -> Message:
    """The sender corrects a message within the edit window (audited by django-auditlog)."""
    message = Message.objects.select_for_update().select_related("conversation", "sender").get(pk=message.pk)
    if message.sender_id != editor.pk:
        raise NotAllowed(_("Only the sender may edit a message."))
    if message.is_deleted:
        raise MessagingError(_("This message was deleted."), code="deleted")
    if timezone.now() - message.created_at > timedelta(seconds=settings.MESSAGING_EDIT_WINDOW):
        raise MessagingError(
            _("A message can only be edited within %(minutes)d minutes of sending.")
            % {"minutes": settings.MESSAGING_EDIT_WINDOW // 60},
            code="edit_window",
        )
    message.body = clean_body(body)
    message.edited_at = timezone.now()
    message.save(update_fields=["body", "edited_at"])
    _message_frame_on_commit(message, "updated")
    return message


@transaction.atomic
def message_delete(*, message: Message, actor) -> Message:
    """Leave a visible tombstone; the text stays only in the audit trail."""
    message = Message.objects.select_for_update().select_related("conversation", "sender").get(pk=message.pk)
    if message.sender_id != actor.pk:
        raise NotAllowed(_("Only the sender may delete a message."))
    if message.is_deleted:
        return message
    message.body = ""
    message.deleted_at = timezone.now()
    message.save(update_fields=["body", "deleted_at"])
    _message_frame_on_commit(message, "updated")
    return message
