"""The messaging socket: one JSON consumer per browser tab, dispatching on ``type``.

Connection: session authentication (AuthMiddlewareStack) and origin check
(AllowedHostsOriginValidator) happen in carehub/asgi.py; here the consumer
refuses people without a verified second factor (OTPMiddleware does not run
for sockets, so the session's device is checked here), and anyone who may not
use messaging. Every subscription (``group_add``) and every inbound frame asks
the access policy again, from the database, never from what the socket knew.

Frames from the client:
  {"type": "send", "conversation": <public id>, "body": "...", "client_token": <uuid>, "urgent": false}
  {"type": "sync", "conversation": <public id>, "after": <last id seen>}     → the missed messages, in order
  {"type": "read", "conversation": <public id>, "last_id": <id>}
  {"type": "ack", "message": <message public id>}
  {"type": "heartbeat", "state": "online" | "away"}
Frames to the client: hello, message, updated, read, ack, unread, escalated,
removed, sent, synced, error (with a ``code`` and a translated ``message``).
"""

from __future__ import annotations

import json
import logging
import time

from channels.db import database_sync_to_async as _database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from carehub import policy

from . import presence, selectors, services
from .models import Conversation, Message, conversation_group, user_group

logger = logging.getLogger(__name__)


def database_sync_to_async(func):
    """Run ORM work in the thread pool rather than the one shared "thread-sensitive" thread:
    sends of different sockets then wait on PostgreSQL in parallel. Each socket still
    handles its frames one after the other (the consumer awaits each), so its order holds."""
    return _database_sync_to_async(func, thread_sensitive=False)


#: Close codes (4000-4999 are the application's).
CLOSE_UNAUTHENTICATED = 4401
CLOSE_FORBIDDEN = 4403
CLOSE_SESSION_ENDED = 4408


def _second_factor_ok(user, session) -> bool:
    """Mirror of django-otp's OTPMiddleware for a socket: the session names a
    confirmed device of this very user."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.models import Device

    from accounts.services import two_factor_required

    if not two_factor_required(user):
        return True
    persistent_id = session.get(DEVICE_ID_SESSION_KEY) if session is not None else None
    if not persistent_id:
        return False
    if persistent_id.count(".") > 1:  # legacy full import path, as OTPMiddleware accepts
        parts = persistent_id.split(".")
        persistent_id = ".".join((parts[-3], parts[-1]))
    device = Device.from_persistent_id(persistent_id)
    return bool(device is not None and device.user_id == user.pk and device.confirmed)


def _may_use_messaging(user) -> bool:
    policy.forget(user)
    return bool(user.is_active and (user.is_family or policy.is_active_staff(user)))


def _session_still_valid(user, session) -> bool:
    """The session still exists, is the user's, and is not idle past its timeout."""
    from importlib import import_module

    from carehub.middleware import LAST_SEEN_KEY, STARTED_KEY, idle_timeout_for

    if session is None or not session.session_key:
        return False
    store = import_module(settings.SESSION_ENGINE).SessionStore(session.session_key)
    data = store.load()
    if not data or str(data.get("_auth_user_id")) != str(user.pk):
        return False
    now = int(time.time())
    started = data.get(STARTED_KEY, now)
    last_seen = data.get(LAST_SEEN_KEY, now)
    if now - started > settings.SESSION_ABSOLUTE_LIFETIME or now - last_seen > idle_timeout_for(user):
        return False
    user.refresh_from_db(fields=["is_active"])
    return user.is_active


class MessagingConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self):
        self.user = self.scope.get("user")
        self.subscribed: dict[int, str] = {}  # conversation id → public id
        self.by_public: dict[str, int] = {}
        self.joined_user_group = False
        if self.user is None or not self.user.is_authenticated:
            await self.close(code=CLOSE_UNAUTHENTICATED)
            return
        allowed = await database_sync_to_async(self._connect_checks)()
        if not allowed:
            await self.close(code=CLOSE_FORBIDDEN)
            return
        await self.accept()
        await self.channel_layer.group_add(user_group(self.user.pk), self.channel_name)
        self.joined_user_group = True
        await self._resubscribe()
        await database_sync_to_async(presence.presence_beat)(self.user.pk, self.channel_name, presence.ONLINE)
        unread = await database_sync_to_async(selectors.unread_counts)(self.user)
        await self.send_json(
            {
                "type": "hello",
                "user": self.user.pk,
                "heartbeat": settings.MESSAGING_HEARTBEAT,
                "unread": {self.subscribed[c]: n for c, n in unread.items() if c in self.subscribed},
            }
        )

    def _connect_checks(self) -> bool:
        return _second_factor_ok(self.user, self.scope.get("session")) and _may_use_messaging(self.user)

    async def disconnect(self, code):
        for conversation_id in list(getattr(self, "subscribed", {})):
            await self.channel_layer.group_discard(conversation_group(conversation_id), self.channel_name)
        if getattr(self, "joined_user_group", False):
            await self.channel_layer.group_discard(user_group(self.user.pk), self.channel_name)
            await database_sync_to_async(presence.presence_leave)(self.user.pk, self.channel_name)

    # --- subscriptions -------------------------------------------------------------------

    async def _resubscribe(self) -> list[str]:
        """Follow exactly the conversations the policy gives now; returns those dropped."""
        wanted = await database_sync_to_async(selectors.conversation_subscriptions)(self.user)
        dropped = []
        for conversation_id in set(self.subscribed) - set(wanted):
            await self.channel_layer.group_discard(conversation_group(conversation_id), self.channel_name)
            dropped.append(self.subscribed.pop(conversation_id))
        for conversation_id in set(wanted) - set(self.subscribed):
            await self.channel_layer.group_add(conversation_group(conversation_id), self.channel_name)
            self.subscribed[conversation_id] = wanted[conversation_id]
        self.by_public = {public: pk for pk, public in self.subscribed.items()}
        return dropped

    def _conversation_for(self, public_id) -> Conversation | None:
        """The conversation if the policy lets this person reach it now (fresh from the DB)."""
        policy.forget(self.user)
        try:
            return Conversation.objects.visible_to(self.user).filter(public_id=public_id).first()
        except Exception:  # malformed UUID
            return None

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
        }.get(content.get("type"))
        if handler is None:
            await self._error("invalid", _("Unknown frame type."), ref=content.get("type"))
            return
        with translation.override(self._language()):
            await handler(content)

    def _language(self) -> str:
        cookie = (self.scope.get("cookies") or {}).get(settings.LANGUAGE_COOKIE_NAME, "")
        return cookie if cookie in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE

    async def _error(self, code: str, message: str, **extra):
        await self.send_json({"type": "error", "code": code, "message": str(message), **extra})

    async def _on_send(self, content):
        token = content.get("client_token")
        result = await database_sync_to_async(self._send_sync)(content)
        if isinstance(result, services.MessagingError):
            await self._error(result.code, result.message, client_token=token, retry_after=result.retry_after)
            return
        message, conversation = result
        if conversation.pk not in self.subscribed:
            await self._resubscribe()
        await self.send_json({"type": "sent", "client_token": str(token), "id": message.pk})

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
        """Replay what the client missed after ``after``, in server order."""
        try:
            after = max(0, int(content.get("after") or 0))
        except (TypeError, ValueError):
            after = 0
        public_id = str(content.get("conversation") or "")
        result = await database_sync_to_async(self._sync_sync)(public_id, after)
        if result is None:
            await self._error("forbidden", _("You are not a member of this conversation."), conversation=public_id)
            return
        conversation_id, payloads, complete = result
        if conversation_id not in self.subscribed:
            await self.channel_layer.group_add(conversation_group(conversation_id), self.channel_name)
            self.subscribed[conversation_id] = public_id
            self.by_public[public_id] = conversation_id
        for payload in payloads:
            frame = {"type": "message", "replay": True, "message": payload}
            await self.send_json(selectors.redact_for_family(frame) if self.user.is_family else frame)
        await self.send_json({"type": "synced", "conversation": public_id, "complete": complete})

    def _sync_sync(self, public_id, after):
        conversation = self._conversation_for(public_id)
        if conversation is None:
            return None
        limit = settings.MESSAGING_REPLAY_LIMIT
        messages = selectors.messages_after(conversation.pk, after, limit=limit + 1)
        complete = len(messages) <= limit
        return conversation.pk, [selectors.message_payload(m) for m in messages[:limit]], complete

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
        policy.forget(self.user)
        try:
            message = (
                Message.objects.visible_to(self.user).select_related("conversation").filter(public_id=public_id).first()
            )
        except Exception:
            message = None
        if message is None:
            return services.NotAllowed(_("This message does not exist or is not yours to see."))
        try:
            services.message_acknowledge(message=message, user=self.user)
        except services.MessagingError as exc:
            return exc
        return None

    async def _on_heartbeat(self, content):
        state = content.get("state") if content.get("state") in presence.STATES else presence.ONLINE
        still_valid = await database_sync_to_async(self._heartbeat_sync)(state)
        if not still_valid:
            await self.close(code=CLOSE_SESSION_ENDED)
            return
        dropped = await self._resubscribe()
        for public_id in dropped:
            await self.send_json({"type": "removed", "conversation": public_id})
        await self.send_json({"type": "heartbeat"})

    def _heartbeat_sync(self, state) -> bool:
        if not _session_still_valid(self.user, self.scope.get("session")) or not _may_use_messaging(self.user):
            return False
        presence.presence_beat(self.user.pk, self.channel_name, state)
        return True

    # --- channel-layer events --------------------------------------------------------------

    async def chat_event(self, event):
        conversation_id = event.get("conversation_id")
        if conversation_id is not None and conversation_id not in self.subscribed:
            return  # removed meanwhile: deliver nothing more
        frame = event["frame"]
        if self.user.is_family:
            frame = selectors.redact_for_family(frame)
        if frame.get("type") == "removed":
            # Stop at once, before any later event of that conversation is handled.
            removed = self.by_public.pop(frame.get("conversation"), None)
            if removed is not None:
                self.subscribed.pop(removed, None)
                await self.channel_layer.group_discard(conversation_group(removed), self.channel_name)
        await self.send_json(frame)

    async def chat_resync(self, event):
        dropped = await self._resubscribe()
        for public_id in dropped:
            await self.send_json({"type": "removed", "conversation": public_id})
        await self.send_json({"type": "conversations_changed"})

    async def chat_close(self, event):
        await self.close(code=CLOSE_SESSION_ENDED)
