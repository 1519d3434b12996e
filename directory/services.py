"""Writes of the directory: own profile, photos, on-call roster, search columns."""

from __future__ import annotations

import datetime
import uuid
from collections.abc import Iterable

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Prefetch
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carehub import policy

from . import search
from .models import Assignment, CalendarFeed, OnCallShift, Site, StaffProfile, Unit, calendar_token_hash
from .photos import process_photo

User = get_user_model()


# --- Search columns ---------------------------------------------------------------------
def _current_assignments_prefetch() -> Prefetch:
    return Prefetch(
        "user__assignments",
        queryset=Assignment.objects.active().select_related("site", "unit"),
        to_attr="current_assignments",
    )


def search_columns_for(profile: StaffProfile, assignments) -> tuple[str, str]:
    user = profile.user
    name = search.build_search_name(first_name=user.first_name, last_name=user.last_name)
    document = search.build_search_document(
        first_name=user.first_name,
        last_name=user.last_name,
        job=profile.job,
        phone_extension=profile.phone_extension,
        languages=profile.languages or [],
        places=search.places_of(assignments),
    )
    return name, document


def search_documents_refresh(*, user_ids: Iterable[int]) -> int:
    """Recompute the search columns of these people's profiles; return how many changed."""
    ids = list({i for i in user_ids if i is not None})
    if not ids:
        return 0
    changed = []
    for start in range(0, len(ids), 1000):
        profiles = (
            StaffProfile.objects.filter(user_id__in=ids[start : start + 1000])
            .select_related("user")
            .prefetch_related(_current_assignments_prefetch())
        )
        for profile in profiles:
            assignments = profile.user.current_assignments  # type: ignore[attr-defined]  # the prefetch's to_attr
            name, document = search_columns_for(profile, assignments)
            if (name, document) != (profile.search_name, profile.search_document):
                profile.search_name, profile.search_document = name, document
                changed.append(profile)
    StaffProfile.objects.bulk_update(changed, ["search_name", "search_document"], batch_size=500)
    return len(changed)


def search_documents_refresh_for_site(*, site_id: int) -> int:
    user_ids = Assignment.objects.filter(site_id=site_id).values_list("user_id", flat=True)
    return search_documents_refresh(user_ids=list(user_ids))


def search_documents_refresh_recent_changes(*, days: int = 2) -> int:
    """Nightly: people whose assignment started or ended lately (their places changed by the calendar)."""
    today = timezone.localdate()
    since = today - datetime.timedelta(days=days)
    user_ids = Assignment.objects.filter(start_date__range=(since, today)).values_list("user_id", flat=True)
    ended = Assignment.objects.filter(end_date__range=(since, today)).values_list("user_id", flat=True)
    return search_documents_refresh(user_ids=[*user_ids, *ended])


# --- Own profile ----------------------------------------------------------------------------
CONTACT_FIELDS = ("phone_extension", "mobile", "mobile_visibility", "languages")


@transaction.atomic
def staff_profile_update(
    *,
    profile: StaffProfile,
    phone_extension: str,
    mobile: str,
    mobile_visibility: str,
    languages: list[str],
    photo=None,
    remove_photo: bool = False,
) -> StaffProfile:
    """Update a person's own contact fields and photo.

    The photo is checked and re-encoded before anything is written: a bad file
    raises ValidationError and leaves the profile as it was.
    """
    clean_photo = process_photo(photo) if photo is not None else None
    if mobile_visibility not in StaffProfile.MobileVisibility.values:
        raise ValidationError({"mobile_visibility": _("Choose who may see your mobile number.")})
    unknown = set(languages) - set(search.SPOKEN_LANGUAGE_CODES)
    if unknown:
        raise ValidationError({"languages": _("Unknown language.")})
    profile.phone_extension = phone_extension.strip()
    profile.mobile = mobile.strip()
    profile.mobile_visibility = mobile_visibility
    profile.languages = sorted(set(languages), key=search.SPOKEN_LANGUAGE_CODES.index)
    fields = list(CONTACT_FIELDS)
    old_photo_name = profile.photo.name if profile.photo else ""
    if clean_photo is not None:
        profile.photo.save(f"{uuid.uuid4().hex}.jpg", clean_photo, save=False)
        fields.append("photo")
    elif remove_photo and profile.photo:
        profile.photo = ""
        fields.append("photo")
    profile.save(update_fields=fields)  # the post_save signal refreshes the search columns
    if "photo" in fields and old_photo_name:
        storage = profile.photo.storage
        transaction.on_commit(lambda: storage.delete(old_photo_name))
    return profile


def staff_profile_for(*, user) -> StaffProfile:
    """The user's profile, created empty the first time a staff member opens it."""
    if user.is_family:
        raise PermissionDenied
    profile, _ = StaffProfile.objects.select_related("user").get_or_create(user=user)
    return profile


# --- On-call roster -------------------------------------------------------------------------
def _require_manager(actor, site: Site) -> None:
    if not policy.can(actor, policy.Scope.MANAGE, site.pk):
        raise PermissionDenied


@transaction.atomic
def on_call_shift_create(
    *, actor, site: Site, user, date: datetime.date, unit: Unit | None = None, note: str = ""
) -> OnCallShift:
    """Put a staff member on call for a site on a day. The actor must manage the site."""
    _require_manager(actor, site)
    shift = OnCallShift(site=site, user=user, date=date, unit=unit, note=note.strip(), created_by=actor)
    shift.full_clean(exclude=["created_by"], validate_unique=False)
    if OnCallShift.objects.filter(site=site, user=user, date=date).exists():
        raise ValidationError({"user": _("This person is already on call for this site on that day.")})
    try:
        with transaction.atomic():
            shift.save()
    except IntegrityError:  # a colleague entered the same shift at the same moment
        raise ValidationError({"user": _("This person is already on call for this site on that day.")}) from None
    return shift


@transaction.atomic
def on_call_shift_delete(*, actor, shift: OnCallShift) -> None:
    """Remove an entry of the roster (a mistake, a swap). Past days stay as a record."""
    _require_manager(actor, shift.site)
    if shift.date < timezone.localdate(timezone=shift.site.zone):
        raise ValidationError(_("Past on-call days are kept as a record and cannot be removed."))
    shift.delete()


@transaction.atomic
def on_call_shift_revise(*, shift: OnCallShift, fields: Iterable[str]) -> OnCallShift:
    """Save a changed entry of the roster (the admin's change form) so that calendar apps take the change:
    its SEQUENCE grows by one, its LAST-MODIFIED moves (``updated_at``)."""
    shift.sequence = F("sequence") + 1
    shift.save(update_fields=[*fields, "sequence", "updated_at"])
    shift.refresh_from_db(fields=["sequence"])
    return shift


# --- On-call calendar feeds -----------------------------------------------------------------
def _feed_language(language: str | None) -> str:
    return language if language in dict(settings.LANGUAGES) else settings.LANGUAGE_CODE


@transaction.atomic
def calendar_feed_issue(*, user, site: Site | None, language: str | None) -> tuple[CalendarFeed, str]:
    """Make the person's secret link to a feed (a site's on-call roster, or their own shifts when
    ``site`` is None), or renew it: the former link stops working at once.

    Returns the feed and the token of its address; the token is not kept (only its hash), so the
    caller shows the address now or never.
    """
    if not policy.is_active_staff(user):
        raise PermissionDenied
    if site is not None and not (site.is_active and policy.can(user, policy.Scope.DIRECTORY, site.pk)):
        raise PermissionDenied
    token = CalendarFeed.new_token()
    feed = CalendarFeed.objects.select_for_update().filter(user=user, site=site).first()
    if feed is None:
        feed = CalendarFeed(user=user, site=site)
    else:
        feed.renewed_at = timezone.now()
    feed.token_hash = calendar_token_hash(token)
    feed.language = _feed_language(language)
    try:
        with transaction.atomic():
            feed.save()
    except IntegrityError:  # the same feed made at the same moment (a double click): renew that one
        feed = CalendarFeed.objects.select_for_update().get(user=user, site=site)
        feed.token_hash, feed.renewed_at = calendar_token_hash(token), timezone.now()
        feed.save(update_fields=["token_hash", "renewed_at"])
    return feed, token


@transaction.atomic
def calendar_feed_delete(*, user, feed: CalendarFeed) -> None:
    """Stop a feed: its link answers 404 from now on."""
    if feed.user_id != user.pk:
        raise PermissionDenied
    feed.delete()
