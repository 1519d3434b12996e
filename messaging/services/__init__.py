"""Writes of the messaging app, one module per feature. Each change is one transaction;
events to open sockets and Celery tasks leave after commit (see ``messaging.realtime``).

Callers use ``from messaging import services`` and the names below.
"""

from .conversations import (
    care_team_memberships_ensure,
    channel_memberships_sync,
    conversation_direct_check,
    conversation_direct_get_or_create,
    conversation_group_create,
    conversation_join,
    conversation_member_add,
    conversation_member_remove,
    family_member_add,
    family_thread_get_or_create,
    membership_ensure,
    resident_thread_find,
    resident_thread_open,
    site_channel_get_or_create,
    unit_channel_get_or_create,
)
from .digests import unread_digest_send
from .errors import AttachmentRefused, MessagingError, NotAllowed, RateLimited
from .escalation import ESCALATION_TITLE, urgent_message_escalate, urgent_messages_overdue
from .messages import (
    SendResult,
    clean_body,
    direct_message_send,
    duty_role_message_send,
    message_acknowledge,
    message_delete,
    message_edit,
    message_mark_read,
    message_send,
    parse_client_token,
    rate_limit_check,
    resident_thread_message_send,
)
from .retention import messages_purge

__all__ = [
    "ESCALATION_TITLE",
    "AttachmentRefused",
    "MessagingError",
    "NotAllowed",
    "RateLimited",
    "SendResult",
    "care_team_memberships_ensure",
    "channel_memberships_sync",
    "clean_body",
    "conversation_direct_check",
    "conversation_direct_get_or_create",
    "conversation_group_create",
    "conversation_join",
    "conversation_member_add",
    "conversation_member_remove",
    "direct_message_send",
    "duty_role_message_send",
    "family_member_add",
    "family_thread_get_or_create",
    "membership_ensure",
    "message_acknowledge",
    "message_delete",
    "message_edit",
    "message_mark_read",
    "message_send",
    "messages_purge",
    "parse_client_token",
    "rate_limit_check",
    "resident_thread_find",
    "resident_thread_message_send",
    "resident_thread_open",
    "site_channel_get_or_create",
    "unit_channel_get_or_create",
    "unread_digest_send",
    "urgent_message_escalate",
    "urgent_messages_overdue",
]
