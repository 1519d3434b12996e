"""The messaging socket: one JSON consumer per browser tab, dispatching on ``type``.

Connection: session authentication (AuthMiddlewareStack) and origin check
(AllowedHostsOriginValidator) happen in carehub/asgi.py; here the consumer
refuses people without a verified second factor (OTPMiddleware does not run
for sockets, so the session's device is checked here), and anyone who may not
use messaging. Every subscription (``group_add``) and every inbound frame asks
the access policy again, from the database, never from what the socket knew.

Frames from the client:
  {"type": "send", "conversation": <public id>, "body": "...", "client_token": <uuid>, "urgent": false}
  {"type": "sync", "conversation": <public id>, "after_seq": <last seq seen>} → the missed messages, in order
      (``after``: a message id, from clients that knew no numbers)
  {"type": "read", "conversation": <public id>, "last_id": <id>}
  {"type": "ack", "message": <message public id>}
  {"type": "heartbeat", "state": "online" | "away"}
Frames to the client: hello, message, updated, read, ack, unread, escalated,
removed, sent, synced, heartbeat, conversations_changed, joined (a conversation
that entered the person's list while the socket was open: a duty-role message,
a new group), presence (a member's dot), error (with a ``code`` and a translated
``message``; ``retry``: the database was briefly unreachable, nothing was saved, the same socket
takes the frame again; ``live_unavailable``: Redis or the database cannot be reached, the server
closes with 4503 and the page works without live delivery until it reconnects). A message's ``time`` is written here, in its conversation's zone and
the reader's language, as the page writes it (never the browser's zone). Every frame leaves through ``_send``: a family
socket gets only the family form of a frame (portal.presentation), or nothing.

Delivery repair: a broadcast is a nudge that can be lost (Redis restarted, a stale connection of
the sender's process), so each socket keeps, per conversation, the number (``Message.seq``) up to
which its client has every message. A live message numbered beyond the next one first brings the
missing ones from the database; every heartbeat compares with the conversation's latest number and
delivers what never came (``repaired`` frames); a message already delivered is not sent twice.
"""

from __future__ import annotations

import functools
import json
import logging
from datetime import datetime
from types import SimpleNamespace

from channels.db import database_sync_to_async as _database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.db import close_old_connections
from django.utils import translation
from django.utils.translation import gettext as _

from accounts import sessions
from accounts.services import second_factor_passed
from carehub import live_status, logs, metrics, policy, presence
from carehub.access_log import log_access, log_resident_reads
from carehub.errors import DATABASE_ERRORS, RETRY_AFTER_SECONDS
from carehub.ids import parse_uuid
from carehub.live_status import LAYER_ERRORS
from carehub.models import AccessLog
from carehub.sockets import person_group
from portal import presentation

from . import realtime, selectors, services
from .formatting import message_time
from .models import Conversation, Message, conversation_group

logger = logging.getLogger(__name__)


def database_sync_to_async(func):
    """Run ORM work in the thread pool rather than the one shared "thread-sensitive" thread:
    sends of different sockets then wait on PostgreSQL in parallel. Each socket still
    handles its frames one after the other (the consumer awaits each), so its order holds.

    Old connections are closed inside the call too: channels closes them around it, outside the
    context the ORM runs in, where it sees none. Without this, a backend terminated by a
    PostgreSQL restart stayed that thread's connection for good, every later frame failing."""

    @functools.wraps(func)
    def with_fresh_connection(*args, **kwargs):
        close_old_connections()  # and arms CONN_HEALTH_CHECKS for this call's first query
        try:
            return func(*args, **kwargs)
        finally:
            close_old_connections()

    return _database_sync_to_async(with_fresh_connection, thread_sensitive=False)


#: Close codes (4000-4999 are the application's).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_SESSION_ENDED = 4408
#: Redis (the channel layer) or the database could not be reached: the page still works, the client retries later.
CLOSE_UNAVAILABLE = 4503
#: Channel-layer event to the sockets of a person one of whose sockets closed (handled by ``presence_reassert``).
PRESENCE_REASSERT = "presence.reassert"


def _may_use_messaging(user) -> bool:
    # A socket lives for hours: its rights are read afresh, never from what it knew at connect time.
    policy.forget(user)
    return bool(user.is_active and (user.is_family or policy.is_active_staff(user)))


def _session_still_valid(user, session) -> bool:
    return session is not None and sessions.session_is_current(user, session.session_key)


class MessagingConsumer(AsyncJsonWebsocketConsumer):
    async def __call__(self, scope, receive, send):
        try:
            await super().__call__(scope, receive, send)
        except LAYER_ERRORS:
            # The loop reading this socket's channel from Redis failed (Redis down or hung).
            await self._live_unavailable(layer_failed=True)

    async def dispatch(self, message):
        try:
            await super().dispatch(message)
        except LAYER_ERRORS:
            await self._live_unavailable(layer_failed=True)
        except DATABASE_ERRORS:
            if message.get("type") != "websocket.connect":
                # A channel-layer event (frames sent to the client) could not read the database: it
                # is a nudge only, the client's next sync replays what it missed.
                logger.warning("messaging socket: database unavailable during %s", message.get("type"))
                return
            await self._live_unavailable(layer_failed=False)

    async def _live_unavailable(self, *, layer_failed: bool) -> None:
        """Tell the client that live messaging is down for now (it shows it; the page still works,
        sends fall back to the plain form) and close: it reconnects later, by itself."""
        if getattr(self, "closing", False):
            return
        self.closing = True
        if layer_failed:
            live_status.mark(available=False)  # this process's pages show the banner at once
        logger.warning("messaging socket: channel layer or database unreachable, closing with %s", CLOSE_UNAVAILABLE)
        self._count_closed()
        if getattr(self, "user", None) is not None and self.user.is_authenticated:
            if not getattr(self, "accepted", False):
                await self.accept()
            with translation.override(self._language()):
                await self._error(
                    "live_unavailable",
                    _("Live messaging is unavailable for now. The page still works: reload it to see new messages."),
                )
        await self.close(code=CLOSE_UNAVAILABLE)

    def _count_closed(self) -> None:
        if getattr(self, "counted_open", False):
            self.counted_open = False
            metrics.SOCKETS_OPEN.labels("messaging").dec()

    async def connect(self):
        self.user = self.scope.get("user")
        self.subscribed: dict[int, str] = {}  # conversation id → public id
        self.delivered: dict[int, int] = {}  # conversation id → seq up to which the client has every message
        self.by_public: dict[str, int] = {}
        self.joined_person_group = False
        self.presence_state = presence.ONLINE
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        # This socket's log lines carry an id of their own and name the person (its task keeps the context).
        logs.request_id_var.set(logs.new_request_id())
        logs.bind_user(self.user)
        allowed = await database_sync_to_async(self._connect_checks)()
        if not allowed:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.accept()
        self.accepted = True
        self.counted_open = True
        metrics.SOCKETS_OPEN.labels("messaging").inc()
        await self.channel_layer.group_add(person_group(self.user.pk), self.channel_name)
        live_status.mark(available=True)  # Redis answers: this process's broadcasts resume at once
        self.joined_person_group = True
        await self._resubscribe()
        changed = await database_sync_to_async(presence.presence_beat)(self.user.pk, self.channel_name, presence.ONLINE)
        await self._presence_tell(changed)
        unread = await database_sync_to_async(selectors.unread_counts)(self.user)
        await self._send(
            {
                "type": "hello",
                "user": self.user.pk,
                "heartbeat": settings.MESSAGING_HEARTBEAT,
                "unread": {self.subscribed[c]: n for c, n in unread.items() if c in self.subscribed},
            }
        )

    def _connect_checks(self) -> bool:
        session = self.scope.get("session")
        return (
            second_factor_passed(self.user, session)
            and _session_still_valid(self.user, session)
            and _may_use_messaging(self.user)
        )

    async def disconnect(self, code):
        self._count_closed()
        try:
            await self._leave()
        except LAYER_ERRORS + DATABASE_ERRORS:
            # Group memberships expire in Redis by themselves, presence entries with their TTL.
            logger.warning("messaging socket: could not leave the channel layer cleanly")

    async def _leave(self) -> None:
        for conversation_id in list(getattr(self, "subscribed", {})):
            await self.channel_layer.group_discard(conversation_group(conversation_id), self.channel_name)
        if getattr(self, "joined_person_group", False):
            await self.channel_layer.group_discard(person_group(self.user.pk), self.channel_name)
            changed = await database_sync_to_async(presence.presence_leave)(self.user.pk, self.channel_name)
            await self._presence_tell(changed)
            # Another tab of the person may have written its entry at the same instant (one cache key,
            # read-modify-write: see carehub.presence); the person's other sockets write theirs again.
            await self.channel_layer.group_send(person_group(self.user.pk), {"type": PRESENCE_REASSERT})

    async def presence_reassert(self, event):
        """Write this socket's state again and tell the person's state, whatever the closed
        socket told (it may have said "offline" from a list that missed this socket)."""
        state = await database_sync_to_async(self._reassert_sync)()
        await self._presence_tell(state)

    def _reassert_sync(self) -> str:
        presence.presence_beat(self.user.pk, self.channel_name, self.presence_state)
        return presence.presence_of([self.user.pk])[self.user.pk]

    async def _presence_tell(self, state: str | None) -> None:
        """Tell the open pages of this person's direct and group conversations their new state."""
        if state is None or self.user.is_family:
            return
        audience = await database_sync_to_async(selectors.presence_audience)(self.user)
        frame = {"type": "presence", "user": self.user.pk, "state": state}
        for conversation_id in audience:
            await self.channel_layer.group_send(
                conversation_group(conversation_id),
                {"type": realtime.EVENT, "conversation_id": conversation_id, "frame": frame},
            )

    # --- subscriptions -------------------------------------------------------------------

    async def _resubscribe(self, *, repair: bool = False) -> list[str]:
        """Follow exactly the conversations the policy gives now; returns those dropped. With
        ``repair``, deliver what the followed conversations hold beyond what this socket delivered."""
        wanted = await database_sync_to_async(self._subscriptions)()
        dropped = []
        for conversation_id in set(self.subscribed) - set(wanted):
            await self.channel_layer.group_discard(conversation_group(conversation_id), self.channel_name)
            dropped.append(self.subscribed.pop(conversation_id))
            self.delivered.pop(conversation_id, None)
        joined = set(wanted) - set(self.subscribed)
        for conversation_id in joined:
            await self.channel_layer.group_add(conversation_group(conversation_id), self.channel_name)
            self.subscribed[conversation_id] = wanted[conversation_id].public_id
        if joined:
            # Read once in the group: a later message is broadcast to this socket; the client has the
            # earlier ones (its page and its sync, the "joined" frame or the unread count of "hello").
            self.delivered.update(await database_sync_to_async(selectors.last_seqs)(joined))
        self.by_public = {public: pk for pk, public in self.subscribed.items()}
        if repair:
            for conversation_id, followed in wanted.items():
                if conversation_id not in joined and followed.last_seq > self.delivered.get(conversation_id, 0):
                    await self._repair(conversation_id, up_to=followed.last_seq)
        return dropped

    def _subscriptions(self) -> dict[int, selectors.Followed]:
        policy.forget(self.user)
        return selectors.conversation_subscriptions(self.user)

    async def _repair(self, conversation_id: int, *, up_to: int) -> None:
        """Deliver the messages numbered after what this socket delivered, up to ``up_to``: their
        broadcast was lost, or has not come yet (it is then dropped as already delivered)."""
        after = self.delivered.get(conversation_id, 0)
        frames, last = await database_sync_to_async(self._missed_sync)(conversation_id, after, up_to)
        if frames:
            logger.warning("messaging socket: %s message(s) repaired in conversation %s", len(frames), conversation_id)
        for frame, family_frame in frames:
            await self._send(frame, family_frame=family_frame)
        self.delivered[conversation_id] = max(after, last)

    def _missed_sync(self, conversation_id: int, after: int, up_to: int):
        messages = selectors.messages_after(
            conversation_id, after_seq=after, up_to_seq=up_to, limit=settings.MESSAGING_REPLAY_LIMIT
        )
        if messages:
            log_resident_reads(self._as_request(), AccessLog.Action.VIEW, messages[:1], query="socket repair")
        return self._frames(messages, repaired=True), (messages[-1].seq if messages else after)

    def _frames(self, messages, **flags) -> list[tuple[dict, dict | None]]:
        """Message frames (with their family form for a family socket) for replayed or repaired messages."""
        frames = []
        for message in messages:
            frame = {"type": "message", **flags, "message": selectors.message_payload(message)}
            family_frame = presentation.family_frame(frame, message=message) if self.user.is_family else None
            frames.append((frame, family_frame))
        return frames

    def _conversation_for(self, public_id) -> Conversation | None:
        """The conversation if the policy lets this person reach it now (fresh from the DB)."""
        public_id = parse_uuid(public_id)
        if public_id is None:
            return None
        policy.forget(self.user)
        return Conversation.objects.visible_to(self.user).filter(public_id=public_id).first()

    # --- inbound -------------------------------------------------------------------------

    async def websocket_receive(self, message):
        text = message.get("text") or ""
        if message.get("bytes") is not None or len(text.encode()) > settings.MESSAGING_MAX_FRAME_BYTES:
            await self._error("too_large", _("This message is too large to be sent."))
            return
        await super().websocket_receive(message)

    @classmethod
    async def decode_json(cls, text_data):
        try:
            return json.loads(text_data)
        except ValueError:
            return None

    async def receive_json(self, content, **kwargs):
        if not isinstance(content, dict):
            await self._error("invalid", _("Unreadable frame."))
            return
        handler = {
            "send": self._on_send,
            "sync": self._on_sync,
            "read": self._on_read,
            "ack": self._on_ack,
            "heartbeat": self._on_heartbeat,
        }.get(str(content.get("type")))
        if handler is None:
            await self._error("invalid", _("Unknown frame type."), ref=content.get("type"))
            return
        with translation.override(self._language()):
            try:
                await handler(content)
            except DATABASE_ERRORS as exc:
                # The database went away (restart, failover, terminated backend): not the person's
                # fault nor a refusal. The socket stays open; the next frame gets a fresh connection.
                logger.warning(
                    "messaging socket: database unavailable during a %s frame (%s)",
                    content.get("type"),
                    type(exc).__name__,  # not its text, which could quote a query's values
                )
                if content.get("type") == "send":
                    message = _(
                        "The message was not sent: the service is briefly unavailable. Its text is kept: send it again in a moment."
                    )
                else:
                    message = _("Live messaging is briefly interrupted: it resumes by itself in a moment.")
                await self._error(
                    "retry",
                    message,
                    client_token=content.get("client_token"),
                    conversation=content.get("conversation"),
                    retry_after=RETRY_AFTER_SECONDS,
                )

    def _language(self) -> str:
        cookie = (self.scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME, "")
        return cookie if cookie in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE

    async def _send(self, frame: dict, *, family_frame: dict | None = None) -> None:
        """Send a frame. A family socket gets ``family_frame`` (the form an event built from
        its objects) or else the allow-listed form of a frame that names nobody; when there
        is none, it gets nothing (fail closed)."""
        if self.user.is_family:
            allowed = presentation.family_frame(frame) if family_frame is None else family_frame
            if allowed is None:
                return
            frame = allowed
        else:
            frame = self._with_times(frame)
        await self.send_json(frame)
        if frame.get("type") == "message":
            metrics.MESSAGES_DELIVERED.inc()

    def _with_times(self, frame: dict) -> dict:
        """The frame with each message's ``time`` written as this reader's page writes it."""
        timed = {}
        for key in ("message", "urgent_message"):
            payload = frame.get(key)
            if isinstance(payload, dict) and payload.get("created_at") and payload.get("time_zone"):
                moment = datetime.fromisoformat(payload["created_at"])
                with translation.override(self._language()):
                    timed[key] = {**payload, "time": message_time(moment, payload["time_zone"])}
        return {**frame, **timed} if timed else frame

    async def _error(self, code: str, message: str, **extra):
        await self._send({"type": "error", "code": code, "message": str(message), **extra})

    async def _on_send(self, content):
        token = content.get("client_token")
        result = await database_sync_to_async(self._send_sync)(content)
        if isinstance(result, services.MessagingError):
            await self._error(result.code, result.message, client_token=token, retry_after=result.retry_after)
            return
        message, conversation = result
        if conversation.pk not in self.subscribed:
            await self._resubscribe()
        await self._send({"type": "sent", "client_token": str(token), "id": message.pk})

    def _send_sync(self, content):
        conversation = self._conversation_for(content.get("conversation"))
        if conversation is None:
            return services.NotAllowed(_("You are not a member of this conversation."))
        body = content.get("body")
        if not isinstance(body, str):
            return services.MessagingError(_("The message is empty."), code="empty")
        try:
            result = services.message_send(
                conversation=conversation,
                sender=self.user,
                body=body,
                client_token=content.get("client_token"),
                urgent=content.get("urgent") is True,
            )
        except services.MessagingError as exc:
            return exc
        return result.message, conversation

    async def _on_sync(self, content):
        """Replay what the client missed after ``after_seq`` (or the message id ``after``), in order."""
        by_seq = "after_seq" in content
        try:
            after = max(0, int(content.get("after_seq" if by_seq else "after") or 0))
        except (TypeError, ValueError):
            after = 0
        public_id = str(content.get("conversation") or "")
        result = await database_sync_to_async(self._sync_sync)(public_id, after, by_seq)
        if result is None:
            await self._error("forbidden", _("You are not a member of this conversation."), conversation=public_id)
            return
        conversation_id, frames, last, complete = result
        if conversation_id not in self.subscribed:
            await self.channel_layer.group_add(conversation_group(conversation_id), self.channel_name)
            self.subscribed[conversation_id] = public_id
            self.by_public[public_id] = conversation_id
            self.delivered[conversation_id] = last
        for frame, family_frame in frames:
            await self._send(frame, family_frame=family_frame)
        if complete:
            self.delivered[conversation_id] = max(self.delivered.get(conversation_id, 0), last)
        await self._send({"type": "synced", "conversation": public_id, "complete": complete})

    def _sync_sync(self, public_id, after, by_seq):
        """The replayed frames, with their family form for a family socket."""
        conversation = self._conversation_for(public_id)
        if conversation is None:
            log_access(self._as_request(), AccessLog.Action.REFUSED, query=f"socket sync {public_id}"[:500])
            return None
        limit = settings.MESSAGING_REPLAY_LIMIT
        after_seq = after if by_seq else selectors.seq_after_id(conversation.pk, after)
        messages = selectors.messages_after(conversation.pk, after_seq=after_seq, limit=limit + 1)
        complete = len(messages) <= limit
        messages = messages[:limit]
        if messages:  # a replay shows the thread's messages: a read, as the conversation's page is
            log_resident_reads(self._as_request(), AccessLog.Action.VIEW, [conversation], query="socket replay")
        last = messages[-1].seq if messages else after_seq
        return conversation.pk, self._frames(messages, replay=True), last, complete

    def _as_request(self) -> SimpleNamespace:
        """What the access log reads of a request (who, from where), from this socket's scope."""
        headers = dict(self.scope.get("headers") or [])
        client = self.scope.get("client") or (None,)
        return SimpleNamespace(
            user=self.user,
            META={"REMOTE_ADDR": client[0], "HTTP_USER_AGENT": headers.get(b"user-agent", b"").decode("latin-1")},
        )

    async def _on_read(self, content):
        try:
            last_id = int(content.get("last_id"))
        except (TypeError, ValueError):
            await self._error("invalid", _("Unreadable frame."))
            return
        ok = await database_sync_to_async(self._read_sync)(content.get("conversation"), last_id)
        if not ok:
            await self._error("forbidden", _("You are not a member of this conversation."))

    def _read_sync(self, public_id, last_id) -> bool:
        conversation = self._conversation_for(public_id)
        if conversation is None:
            return False
        services.message_mark_read(conversation=conversation, user=self.user, last_id=last_id)
        return True

    async def _on_ack(self, content):
        error = await database_sync_to_async(self._ack_sync)(content.get("message"))
        if error is not None:
            await self._error(error.code, error.message)

    def _ack_sync(self, public_id):
        public_id = parse_uuid(public_id)
        message = None
        if public_id is not None:
            policy.forget(self.user)
            message = (
                Message.objects.visible_to(self.user).select_related("conversation").filter(public_id=public_id).first()
            )
        if message is None:
            return services.NotAllowed(_("This message does not exist or is not yours to see."))
        try:
            services.message_acknowledge(message=message, user=self.user)
        except services.MessagingError as exc:
            return exc
        return None

    async def _on_heartbeat(self, content):
        state = content.get("state") if content.get("state") in presence.STATES else presence.ONLINE
        self.presence_state = state
        still_valid, changed = await database_sync_to_async(self._heartbeat_sync)(state)
        if not still_valid:
            await self.close(code=CLOSE_SESSION_ENDED)
            return
        await self._presence_tell(changed)
        dropped = await self._resubscribe(repair=True)
        for public_id in dropped:
            await self._send({"type": "removed", "conversation": public_id})
        await self._send({"type": "heartbeat"})

    def _heartbeat_sync(self, state) -> tuple[bool, str | None]:
        if not self._still_allowed():
            return False, None
        return True, presence.presence_beat(self.user.pk, self.channel_name, state)

    # --- channel-layer events --------------------------------------------------------------

    async def chat_event(self, event):
        conversation_id = event.get("conversation_id")
        if conversation_id is not None and conversation_id not in self.subscribed:
            return  # removed meanwhile: deliver nothing more
        frame = event["frame"]
        if frame.get("type") == "presence" and frame.get("user") == self.user.pk:
            return  # one's own tabs know
        if frame.get("type") == "message" and conversation_id is not None:
            seq = frame["message"].get("seq") or 0
            if seq <= self.delivered.get(conversation_id, 0):
                return  # delivered already, by a repair or the client's sync
            if seq > self.delivered.get(conversation_id, 0) + 1:
                await self._repair(conversation_id, up_to=seq - 1)  # the ones before it were lost
            if self.delivered.get(conversation_id, 0) == seq - 1:
                self.delivered[conversation_id] = seq  # else the next heartbeat repairs the rest
        if frame.get("type") == "removed":
            # Stop at once, before any later event of that conversation is handled.
            removed = self.by_public.pop(frame.get("conversation"), None)
            if removed is not None:
                self.subscribed.pop(removed, None)
                await self.channel_layer.group_discard(conversation_group(removed), self.channel_name)
        await self._send(frame, family_frame=event.get("family_frame"))

    async def chat_resync(self, event):
        """The person's list changed. A conversation made for them (a duty-role message, a new
        group) is followed from now on and announced with what it holds already: its first
        message may have been broadcast before this socket joined its group. A person left with no
        right to messaging (her last assignment ended) is disconnected now, not at the next heartbeat."""
        if not await database_sync_to_async(self._still_allowed)():
            await self.close(code=CLOSE_SESSION_ENDED)
            return
        before = set(self.subscribed)
        dropped = await self._resubscribe()
        for public_id in dropped:
            await self._send({"type": "removed", "conversation": public_id})
        joined = [pk for pk in self.subscribed if pk not in before]
        if joined:
            for frame in await database_sync_to_async(self._joined_frames)(joined):
                await self._send(frame)
        await self._send({"type": "conversations_changed"})

    def _joined_frames(self, conversation_ids) -> list[dict]:
        with translation.override(self._language()):
            return [
                {"type": "joined", **summary}
                for summary in selectors.conversation_summaries(self.user, conversation_ids)
            ]

    async def sockets_check(self, event):
        """The person's sessions or rights changed (sign-out, deactivation, revoked access): check this socket's."""
        if not await database_sync_to_async(self._still_allowed)():
            await self.close(code=CLOSE_SESSION_ENDED)

    def _still_allowed(self) -> bool:
        return _session_still_valid(self.user, self.scope.get("session")) and _may_use_messaging(self.user)
