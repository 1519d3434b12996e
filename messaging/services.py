"""Writes of the messaging app. Each change is one transaction; events to open
sockets and Celery tasks leave after commit (see realtime.py)."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carehub import policy
from carehub.ids import parse_uuid
from directory.selectors import resident_care_team_ids
from portal import presentation

from . import duty, realtime, selectors
from .formatting import handle_of, mentioned_handles
from .models import EXPLICIT_KINDS, Acknowledgement, Conversation, Kind, Membership, Message


class MessagingError(Exception):
    """A refusal the person can understand; ``code`` goes into socket error frames."""

    code = "invalid"

    def __init__(self, message, *, code: str | None = None, retry_after: int | None = None):
        super().__init__(str(message))
        self.message = str(message)
        if code:
            self.code = code
        self.retry_after = retry_after


class RateLimited(MessagingError):
    code = "rate_limited"


class NotAllowed(MessagingError):
    code = "forbidden"


class AttachmentRefused(MessagingError):
    code = "file_refused"


# --- Conversations -------------------------------------------------------------------------


def _can_message(user) -> bool:
    return bool(user and user.is_active and not user.is_family and policy.is_active_staff(user))


def _add_member(conversation: Conversation, user, *, last_read: int | None = None) -> Membership:
    membership, created = Membership.objects.get_or_create(
        conversation=conversation,
        user=user,
        defaults={"last_read_message_id": conversation.last_message_id if last_read is None else last_read},
    )
    if created:
        realtime.resync_on_commit(user.pk)
    return membership


@transaction.atomic
def conversation_direct_get_or_create(*, user, other) -> Conversation:
    """The one direct conversation between two staff members, made on first use."""
    if other.pk == user.pk:
        raise NotAllowed(_("You cannot start a conversation with yourself."))
    if not _can_message(user) or not _can_message(other):
        raise NotAllowed(_("This person cannot receive messages."))
    low, high = sorted((user.pk, other.pk))
    key = f"{low}:{high}"
    conversation = Conversation.objects.filter(kind=Kind.DIRECT, direct_key=key).first()
    if conversation is None:
        try:
            with transaction.atomic():
                conversation = Conversation.objects.create(kind=Kind.DIRECT, direct_key=key, created_by=user)
        except IntegrityError:  # the other person opened it at the same instant
            conversation = Conversation.objects.get(kind=Kind.DIRECT, direct_key=key)
    for person in (user, other):
        _add_member(conversation, person, last_read=0)
    return conversation


@transaction.atomic
def conversation_group_create(*, creator, title: str, members) -> Conversation:
    if not _can_message(creator):
        raise NotAllowed(_("You cannot start conversations."))
    title = (title or "").strip()
    if not title:
        raise MessagingError(_("Give the group a name."))
    conversation = Conversation.objects.create(kind=Kind.GROUP, title=title[:150], created_by=creator)
    _add_member(conversation, creator, last_read=0)
    for user in members:
        if user.pk != creator.pk and _can_message(user):
            _add_member(conversation, user, last_read=0)
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
    return _add_member(conversation, user, last_read=0)


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


@transaction.atomic
def resident_thread_open(*, resident, user) -> Conversation:
    """The care team's thread about a resident, made on first use; the opener joins it."""
    conversation = _get_or_create_unique(
        Kind.RESIDENT, site_id=resident.site_id, resident=resident, title=str(resident)
    )
    if not selectors.conversation_is_visible(conversation, user):
        raise NotAllowed(_("You cannot open this thread."))
    _add_member(conversation, user, last_read=0)
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
    return _add_member(conversation, user, last_read=0)


@transaction.atomic
def conversation_join(*, conversation: Conversation, user) -> Membership:
    """Put a visible channel or thread in the person's list (first open)."""
    if not selectors.conversation_is_visible(conversation, user):
        raise NotAllowed(_("You cannot open this conversation."))
    return _add_member(conversation, user)


def channel_memberships_sync(*, user) -> None:
    """Make the person's list follow their assignments in force today.

    Adds the site and unit channels of their current assignments (creating the
    channel on first use) and drops channel rows they no longer reach. Access
    itself never depends on this: it is decided at read time.
    """
    from directory.models import Assignment

    if user.is_family or not user.is_active:
        wanted = set()
    else:
        wanted = set()
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
            _add_member(channel, user)
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


# --- Messages ------------------------------------------------------------------------------


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
        from . import attachments

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
        if pending:
            attachments.discard(pending)
        raise
    return SendResult(message, True)


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
        from . import attachments

        attachments.create_rows(message=message, pending=pending, user=sender)
    Conversation.objects.filter(pk=conversation.pk, last_message_id__lt=message.pk).update(
        last_message_id=message.pk, last_message_at=message.created_at
    )
    membership = _add_member(conversation, sender)
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
        from .tasks import escalate_urgent_message

        delay = settings.MESSAGING_ESCALATION_DELAY
        transaction.on_commit(lambda: escalate_urgent_message.apply_async((message.pk,), countdown=delay))
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
    if relatives:
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
            "when": timezone.localtime().strftime("%d/%m %H:%M"),
        }
        conversation = Conversation.objects.create(kind=Kind.GROUP, title=title[:150], created_by=sender)
        _add_member(conversation, sender, last_read=0)
        for user in people:
            _add_member(conversation, user, last_read=0)
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
        membership = _add_member(conversation, user)
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


# --- Background work (called by tasks) -----------------------------------------------------------


ESCALATION_TITLE = gettext_lazy("An urgent message has not been acknowledged")


def urgent_message_escalate(*, message_id: int, now=None) -> list:
    """Tell the site's on-call (or its coordinators) that an urgent message is still
    unacknowledged. Does nothing before the delay, once acknowledged, or when
    already escalated: safe to run any number of times. Returns who was told."""
    from notifications.services import notify

    now = now or timezone.now()
    with transaction.atomic():
        message = (
            Message.objects.select_for_update(of=("self",))
            .select_related("conversation", "sender")
            .filter(pk=message_id)
            .first()
        )
        if message is None or not message.is_urgent or message.escalated_at or message.is_deleted:
            return []
        if message.created_at + timedelta(seconds=settings.MESSAGING_ESCALATION_DELAY) > now:
            return []
        if message.acknowledgements.exclude(user=message.sender_id).exists():
            return []
        site = selectors.site_of(message)
        people = []
        if site is not None:
            people = (
                duty.resolve(duty.DutyRole(duty.ON_CALL, site)).users
                or duty.resolve(duty.DutyRole(duty.COORDINATOR, site)).users
            )
        message.escalated_at = now
        message.save(update_fields=["escalated_at"])
        if people:
            url = reverse("messaging:conversation", kwargs={"public_id": message.conversation.public_id})
            # Those told must be able to open it: duty people join groups; channels and
            # threads are already open to the site's staff.
            if message.conversation.kind in EXPLICIT_KINDS:
                for user in people:
                    _add_member(message.conversation, user, last_read=0)
            notify(
                users=people,
                kind="urgent_message",
                title=str(ESCALATION_TITLE),
                url=f"{url}#m-{message.pk}",
                email_subject=str(ESCALATION_TITLE),
                email_body=_(
                    "An urgent message sent in CareHub at %(time)s has not been acknowledged by anyone. "
                    "Sign in to read it."
                )
                % {"time": timezone.localtime(message.created_at).strftime("%H:%M")},
                dedup_key=f"messaging:escalation:{message.pk}",
            )
            realtime.conversation_frame_on_commit(
                message.conversation_id,
                {
                    "type": "escalated",
                    "conversation": str(message.conversation.public_id),
                    "message": message.pk,
                    "names": [str(u) for u in people],
                },
            )
        return people


def urgent_messages_overdue(*, now=None) -> list[int]:
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.MESSAGING_ESCALATION_DELAY)
    return list(
        Message.objects.filter(
            priority=Message.Priority.URGENT, escalated_at__isnull=True, deleted_at__isnull=True, created_at__lte=cutoff
        ).values_list("pk", flat=True)[:500]
    )


def unread_digest_send(*, user_id: int, now=None) -> int:
    """E-mail a person how many messages wait unread for longer than the threshold —
    never what they say. Once per unread streak (by the oldest unread message)."""
    from notifications.services import notify

    now = now or timezone.now()
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if user is None or user.is_family:
        return 0
    if not policy.is_active_staff(user):
        return 0
    cutoff = now - timedelta(seconds=settings.MESSAGING_UNREAD_EMAIL_AFTER)
    with transaction.atomic():
        memberships = list(
            Membership.objects.select_for_update()
            .filter(user=user, conversation__kind__in=selectors.DIGEST_KINDS)
            .filter(conversation__last_message_id__gt=F("last_read_message_id"))
        )
        total, oldest_overdue, fresh = 0, None, False
        for membership in memberships:
            unread = Message.objects.filter(
                conversation_id=membership.conversation_id,
                id__gt=membership.last_read_message_id,
                deleted_at__isnull=True,
            ).exclude(sender=user)
            overdue = unread.filter(created_at__lte=cutoff).order_by("id").values_list("id", flat=True).first()
            if overdue is None:
                continue
            total += unread.count()
            oldest_overdue = overdue if oldest_overdue is None else min(oldest_overdue, overdue)
            if membership.unread_emailed_upto_id < overdue:
                fresh = True
        if not total or not fresh:
            return 0
        for membership in memberships:
            Membership.objects.filter(pk=membership.pk).update(
                unread_emailed_upto_id=membership.conversation.last_message_id
            )
        title = _("You have %(count)d unread messages") % {"count": total}
        notify(
            users=[user],
            kind="unread_messages",
            title=title,
            url=reverse("messaging:index"),
            email_subject=title,
            email_body=_("Messages are waiting for you in CareHub. Sign in to read them."),
            dedup_key=f"messaging:unread:{user.pk}:{oldest_overdue}",
        )
    return total


def messages_purge(*, older_than_days: int, batch_size: int = 500, now=None) -> int:
    """Erase messages older than the retention period, in batches. django-auditlog
    records each deletion (the audit trail of the purge)."""
    if older_than_days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=older_than_days)
    purged = 0
    while True:
        with transaction.atomic():
            ids = list(
                Message.objects.filter(created_at__lt=cutoff).order_by("id").values_list("pk", flat=True)[:batch_size]
            )
            if not ids:
                break
            for message in Message.objects.filter(pk__in=ids):
                message.delete()  # one by one: each deletion lands in the audit trail
            purged += len(ids)
    return purged
