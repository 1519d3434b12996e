"""E-mails about unread messages: how many, never what (run by tasks)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from carehub import policy

from .. import selectors
from ..models import Membership, Message


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
