"""Urgent messages nobody acknowledged in time: told to the site's on-call (run by tasks)."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carehub.times import clock

from .. import duty, realtime, selectors
from ..models import EXPLICIT_KINDS, Message
from .conversations import membership_ensure

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
                    membership_ensure(message.conversation, user, last_read=0)
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
                % {"time": clock(message.created_at, site.zone if site else None)},
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
