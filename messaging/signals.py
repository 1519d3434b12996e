"""Channels follow assignments: when an assignment changes, the person's list is
resynced and their open sockets re-check what they follow.

Access never waits for this (it is decided at read time from the assignments
in force today, so an end date passing at midnight needs no event); the sync
only keeps the list and unread counts in step, and makes open sockets stop
delivering a channel the person just lost.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from coordination.models import Resident
from directory.models import Assignment


def _resync(user_id: int) -> None:
    from django.contrib.auth import get_user_model

    from . import realtime, services

    user = get_user_model().objects.filter(pk=user_id).first()
    if user is None:
        return
    services.channel_memberships_sync(user=user)
    realtime.resync_on_commit(user.pk)


@receiver(post_save, sender=Assignment, dispatch_uid="messaging_assignment_saved")
@receiver(post_delete, sender=Assignment, dispatch_uid="messaging_assignment_deleted")
def assignment_changed(sender, instance, **kwargs):
    user_id = instance.user_id
    transaction.on_commit(lambda: _resync(user_id))


@receiver(post_save, sender=Resident, dispatch_uid="messaging_resident_saved")
def resident_moved(sender, instance, **kwargs):
    """A resident transferred to another site: her threads move with her.

    The threads' site column follows, the new care team finds them in its list, and every member's
    open sockets re-check what they follow, so the old site's staff stop receiving them now.
    """
    from . import realtime
    from .models import Conversation, Kind, Membership
    from .services import care_team_memberships_ensure

    moved = Conversation.objects.filter(resident=instance, kind__in=[Kind.RESIDENT, Kind.FAMILY]).exclude(
        site_id=instance.site_id
    )
    conversations = list(moved)
    if not conversations:
        return
    moved.update(site_id=instance.site_id)
    for conversation in conversations:
        conversation.site_id = instance.site_id
        care_team_memberships_ensure(conversation=conversation)
    members = set(Membership.objects.filter(conversation__in=conversations).values_list("user_id", flat=True))
    for user_id in members:
        realtime.resync_on_commit(user_id)
