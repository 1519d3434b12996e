"""Keep the derived search columns of staff profiles in step with what they are built from.

Names live on the user, places on assignments, sites and units: a change to any
of them re-derives the columns of the people concerned, in the same transaction.
"""

from django.contrib.auth import get_user_model
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from . import services
from .models import Assignment, Site, StaffProfile, Unit

#: User fields that appear in the search columns.
_USER_SEARCH_FIELDS = frozenset({"first_name", "last_name"})
_PROFILE_SEARCH_FIELDS = frozenset({"job", "phone_extension", "languages"})
_PLACE_FIELDS = frozenset({"name", "city"})


def _touches(update_fields, relevant) -> bool:
    return update_fields is None or bool(set(update_fields) & relevant)


@receiver(post_save, sender=get_user_model(), dispatch_uid="directory_user_saved")
def _user_saved(sender, instance, created, update_fields=None, raw=False, **kwargs):
    # Sign-ins save last_login only: nothing to do then.
    if raw or created or not _touches(update_fields, _USER_SEARCH_FIELDS):
        return
    services.search_documents_refresh(user_ids=[instance.pk])


@receiver(post_save, sender=StaffProfile, dispatch_uid="directory_profile_saved")
def _profile_saved(sender, instance, raw=False, update_fields=None, **kwargs):
    if raw or not _touches(update_fields, _PROFILE_SEARCH_FIELDS):
        return
    services.search_documents_refresh(user_ids=[instance.user_id])


@receiver(post_save, sender=Assignment, dispatch_uid="directory_assignment_saved")
@receiver(post_delete, sender=Assignment, dispatch_uid="directory_assignment_deleted")
def _assignment_changed(sender, instance, raw=False, **kwargs):
    if raw:
        return
    services.search_documents_refresh(user_ids=[instance.user_id])


@receiver(post_save, sender=Site, dispatch_uid="directory_site_saved")
def _site_saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw or created or not _touches(update_fields, _PLACE_FIELDS | {"is_active"}):
        return
    services.search_documents_refresh_for_site(site_id=instance.pk)


@receiver(post_save, sender=Unit, dispatch_uid="directory_unit_saved")
def _unit_saved(sender, instance, created, raw=False, update_fields=None, **kwargs):
    if raw or created or not _touches(update_fields, {"name", "site"}):
        return
    services.search_documents_refresh_for_site(site_id=instance.site_id)
