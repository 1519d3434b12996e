"""Writes of the family portal: invitations, family links, sessions, preferences.

Each function is one transaction; e-mails and socket events leave after commit.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model, password_validation
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from accounts.sessions import sessions_end
from carehub import policy
from carehub.mail import render_subject

from .models import (
    DigestFrequency,
    FamilyLink,
    FamilyPreferences,
    Invitation,
    SiteFamilyInfo,
    hash_token,
    new_token,
)
from .selectors import resident_first_name

logger = logging.getLogger(__name__)


class InvitationError(ValidationError):
    """An invitation cannot be used (unknown, expired, used, revoked)."""


def _require_manage(actor, resident) -> None:
    if not policy.can(actor, policy.Scope.MANAGE, resident.site_id):
        raise PermissionDenied(_("You do not manage this resident's site."))


# --- E-mail ------------------------------------------------------------------------------


def invitation_url(token: str) -> str:
    return settings.SITE_BASE_URL.rstrip("/") + reverse("portal:invitation_accept", kwargs={"token": token})


def _send_invitation_email(invitation_id: int, token: str) -> None:
    """Send the link; record the send only when the mail server accepted it.

    Runs after commit and outside Celery on purpose: the clear token exists only
    in this process's memory and in the e-mail, never in a broker queue.
    """
    invitation = Invitation.objects.select_related("resident", "resident__site", "created_by").get(pk=invitation_id)
    context = {
        "invitation": invitation,
        "resident_first_name": resident_first_name(invitation.resident),
        "site": invitation.resident.site,
        "url": invitation_url(token),
        "valid_days": settings.PORTAL_INVITATION_VALID_DAYS,
        "has_account": get_user_model().objects.filter(email__iexact=invitation.email).exists(),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = render_subject("portal/email/invitation_subject.txt", context)
        body = render_to_string("portal/email/invitation_body.txt", context)
    try:
        send_mail(subject, body, None, [invitation.email])
    except Exception:  # the coordinator sees "not sent" and can resend; nothing else is lost
        logger.exception("portal: invitation %s could not be e-mailed", invitation.public_id)
        return
    Invitation.objects.filter(pk=invitation_id).update(sent_at=timezone.now(), send_count=invitation.send_count + 1)


# --- Invitations ----------------------------------------------------------------------------


def _normalise_email(email: str) -> str:
    return (email or "").strip().lower()


@transaction.atomic
def invitation_create(
    *,
    actor,
    resident,
    email: str,
    relationship: str,
    may_see_news: bool,
    may_see_documents: bool,
    may_see_messages: bool,
) -> Invitation:
    """Invite a relative by e-mail to follow ``resident``; the link is e-mailed after commit.

    "One waiting invitation per address" depends on the time (expiry), so no constraint can hold it:
    the resident's row is locked instead, and a second invitation sent at the same moment (a double
    click, two coordinators) waits for the first and is then refused as already waiting.
    """
    _require_manage(actor, resident)
    list(type(resident).objects.select_for_update().filter(pk=resident.pk).values_list("pk", flat=True))
    email = _normalise_email(email)
    existing_user = get_user_model().objects.filter(email__iexact=email).first()
    if existing_user is not None and not existing_user.is_family:
        raise ValidationError(
            {"email": _("This address belongs to a staff account. Ask the relative for their personal address.")}
        )
    if existing_user is not None and FamilyLink.objects.active().filter(user=existing_user, resident=resident).exists():
        raise ValidationError({"email": _("This relative already follows this resident.")})
    if Invitation.objects.pending().filter(resident=resident, email__iexact=email).exists():
        raise ValidationError(
            {"email": _("An invitation to this address is already waiting. Resend it from the list below.")}
        )
    token = new_token()
    invitation = Invitation.objects.create(
        email=email,
        resident=resident,
        relationship=relationship,
        may_see_news=may_see_news,
        may_see_documents=may_see_documents,
        may_see_messages=may_see_messages,
        token_hash=hash_token(token),
        expires_at=timezone.now() + timedelta(days=settings.PORTAL_INVITATION_VALID_DAYS),
        created_by=actor,
    )
    transaction.on_commit(lambda: _send_invitation_email(invitation.pk, token))
    return invitation


@transaction.atomic
def invitation_resend(*, actor, invitation: Invitation) -> Invitation:
    """A new link (the old one stops working) valid for a fresh 7 days."""
    invitation = Invitation.objects.select_for_update().select_related("resident").get(pk=invitation.pk)
    _require_manage(actor, invitation.resident)
    if invitation.accepted_at or invitation.revoked_at:
        raise ValidationError(_("This invitation was already accepted or revoked: it cannot be sent again."))
    token = new_token()
    invitation.token_hash = hash_token(token)
    invitation.expires_at = timezone.now() + timedelta(days=settings.PORTAL_INVITATION_VALID_DAYS)
    invitation.save(update_fields=["token_hash", "expires_at"])
    transaction.on_commit(lambda: _send_invitation_email(invitation.pk, token))
    return invitation


@transaction.atomic
def invitation_revoke(*, actor, invitation: Invitation) -> Invitation:
    invitation = Invitation.objects.select_for_update().select_related("resident").get(pk=invitation.pk)
    _require_manage(actor, invitation.resident)
    if invitation.accepted_at:
        raise ValidationError(_("This invitation was already accepted: revoke the relative's access instead."))
    if not invitation.revoked_at:
        invitation.revoked_at = timezone.now()
        invitation.revoked_by = actor
        invitation.save(update_fields=["revoked_at", "revoked_by"])
    return invitation


def invitation_for_token(token: str, *, lock: bool = False) -> Invitation:
    """The pending invitation of a link, or InvitationError with the reason a person can act on."""
    qs = Invitation.objects.by_token(token).select_related("resident", "resident__site")
    if lock:
        qs = qs.select_for_update(of=("self",))
    invitation = qs.first()
    if invitation is None:
        raise InvitationError(_("This invitation link is not valid. Check that you copied the whole link."))
    if invitation.accepted_at:
        raise InvitationError(_("This invitation was already used. Sign in with your e-mail address and password."))
    if invitation.revoked_at:
        raise InvitationError(_("This invitation was withdrawn by the care home. Contact them for a new one."))
    if invitation.expires_at <= timezone.now():
        raise InvitationError(
            _(
                "This invitation has expired. Ask the care home to send it again: the new link is valid for %(days)d days."
            )
            % {"days": settings.PORTAL_INVITATION_VALID_DAYS}
        )
    return invitation


def validate_new_password(password: str, *, email: str, first_name: str = "", last_name: str = "") -> None:
    """Django's password validators, against a user that does not exist yet."""
    candidate = get_user_model()(email=email, first_name=first_name, last_name=last_name)
    password_validation.validate_password(password, user=candidate)


@transaction.atomic
def invitation_accept_new_account(*, token: str, first_name: str, last_name: str, password: str):
    """Create the relative's account from an invitation (single use) and link it to the resident.

    The e-mail address is verified by the very use of the link that was sent to it.
    """
    invitation = invitation_for_token(token, lock=True)
    User = get_user_model()
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise InvitationError(_("An account already exists for this address: sign in first, then open the link again."))
    validate_new_password(password, email=invitation.email, first_name=first_name, last_name=last_name)
    user = User.objects.create_user(
        email=invitation.email,
        password=password,
        first_name=first_name.strip()[:150],
        last_name=last_name.strip()[:150],
        kind=User.Kind.FAMILY,
    )
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    FamilyPreferences.objects.get_or_create(user=user)
    _accept(invitation, user)
    return user


@transaction.atomic
def invitation_accept_existing_account(*, token: str, user) -> FamilyLink:
    """A relative who already has an account (several residents) accepts one more invitation."""
    invitation = invitation_for_token(token, lock=True)
    if not user.is_family or user.email.lower() != invitation.email.lower():
        raise InvitationError(_("This invitation was sent to another e-mail address."))
    EmailAddress.objects.filter(user=user, email__iexact=invitation.email).update(verified=True)
    return _accept(invitation, user)


def _accept(invitation: Invitation, user) -> FamilyLink:
    invitation.accepted_at = timezone.now()
    invitation.accepted_by = user
    invitation.save(update_fields=["accepted_at", "accepted_by"])
    return family_link_grant(
        actor=invitation.created_by,
        user=user,
        resident=invitation.resident,
        relationship=invitation.relationship,
        may_see_news=invitation.may_see_news,
        may_see_documents=invitation.may_see_documents,
        may_see_messages=invitation.may_see_messages,
        checked=True,
    )


# --- Links ---------------------------------------------------------------------------------


@transaction.atomic
def family_link_grant(
    *,
    actor,
    user,
    resident,
    relationship: str,
    may_see_news: bool,
    may_see_documents: bool,
    may_see_messages: bool,
    checked: bool = False,
) -> FamilyLink:
    """Create (or reactivate) the link of a relative to a resident with these rights.

    ``checked``: the caller already established the right to do so (an accepted
    invitation made by a coordinator); otherwise ``actor`` must manage the site.
    """
    if not checked:
        _require_manage(actor, resident)
    if not user.is_family:
        raise ValidationError(_("Only family accounts can follow a resident."))
    link, created = FamilyLink.objects.select_for_update().get_or_create(
        user=user,
        resident=resident,
        defaults={
            "relationship": relationship,
            "may_see_news": may_see_news,
            "may_see_documents": may_see_documents,
            "may_see_messages": may_see_messages,
            "created_by": actor,
        },
    )
    if not created:
        link.relationship = relationship
        link.may_see_news, link.may_see_documents, link.may_see_messages = (
            may_see_news,
            may_see_documents,
            may_see_messages,
        )
        link.is_active, link.revoked_at, link.revoked_by = True, None, None
        link.save()
    policy.forget(user)
    _family_thread_sync(link)
    return link


@transaction.atomic
def family_link_update_rights(
    *, actor, link: FamilyLink, may_see_news: bool, may_see_documents: bool, may_see_messages: bool
) -> FamilyLink:
    link = FamilyLink.objects.select_for_update().select_related("resident", "user").get(pk=link.pk)
    _require_manage(actor, link.resident)
    link.may_see_news, link.may_see_documents, link.may_see_messages = may_see_news, may_see_documents, may_see_messages
    link.save(update_fields=["may_see_news", "may_see_documents", "may_see_messages"])
    policy.forget(link.user)
    _family_thread_sync(link)
    return link


@transaction.atomic
def family_link_revoke(*, actor, link: FamilyLink) -> FamilyLink:
    """End a relative's access to a resident now: their open sessions and sockets close too."""
    link = FamilyLink.objects.select_for_update().select_related("resident", "user").get(pk=link.pk)
    if actor is not None:
        _require_manage(actor, link.resident)
    if link.revoked_at is None:
        link.is_active = False
        link.revoked_at = timezone.now()
        link.revoked_by = actor
        link.save(update_fields=["is_active", "revoked_at", "revoked_by"])
    policy.forget(link.user)
    _family_thread_sync(link)
    sessions_end(user=link.user)
    return link


@transaction.atomic
def family_account_deactivate(*, actor, user) -> None:
    """Close a relative's account: no sign-in, every session and socket ended at once."""
    if not user.is_family:
        raise ValidationError(_("Only family accounts are deactivated here."))
    residents = FamilyLink.objects.filter(user=user).values_list("resident__site_id", flat=True)
    if not policy.is_group_admin(actor) and not any(policy.can(actor, policy.Scope.MANAGE, site) for site in residents):
        raise PermissionDenied(_("You do not manage any resident this relative follows."))
    # Links stay as they are (a group admin may reactivate the account); an
    # inactive account follows nobody (policy.family_resident_ids). Saving it
    # inactive ends its sessions and sockets (accounts.signals).
    user.is_active = False
    user.save(update_fields=["is_active"])
    policy.forget(user)


@transaction.atomic
def family_thread_ensure(*, link: FamilyLink):
    """The resident's family thread, with this relative in it (their link grants messages)."""
    from messaging.models import Conversation, Kind

    if not (link.is_active and link.may_see_messages):
        raise PermissionDenied(_("You may not write to the care team about this resident."))
    _family_thread_sync(link)
    return Conversation.objects.get(kind=Kind.FAMILY, resident=link.resident)


def _family_thread_sync(link: FamilyLink) -> None:
    """Membership of the family thread follows the link: active with the messages right."""
    from messaging import services as messaging_services
    from messaging.models import Conversation, Kind

    wanted = link.is_active and link.revoked_at is None and link.may_see_messages and link.user.is_active
    if wanted:
        conversation = messaging_services.family_thread_get_or_create(resident=link.resident)
        messaging_services.family_member_add(conversation=conversation, user=link.user)
        return
    thread = Conversation.objects.filter(kind=Kind.FAMILY, resident=link.resident).first()
    if thread is not None:
        messaging_services.conversation_member_remove(conversation=thread, actor=None, user=link.user)


# --- Preferences and site information ----------------------------------------------------------------


@transaction.atomic
def family_preferences_update(*, user, digest: str) -> FamilyPreferences:
    if digest not in DigestFrequency.values:
        raise ValidationError({"digest": _("Choose how often you want the summary e-mail.")})
    prefs, _created = FamilyPreferences.objects.get_or_create(user=user)
    prefs.digest = digest
    prefs.save(update_fields=["digest", "updated_at"])
    return prefs


@transaction.atomic
def site_family_info_update(
    *, actor, site, visiting_hours: str, family_phone: str = "", practical_notes: str = ""
) -> SiteFamilyInfo:
    if not policy.can(actor, policy.Scope.MANAGE, site.pk):
        raise PermissionDenied(_("You do not manage this site."))
    info, _created = SiteFamilyInfo.objects.get_or_create(site=site)
    info.visiting_hours = visiting_hours.strip()
    info.family_phone = family_phone.strip()
    info.practical_notes = practical_notes.strip()
    info.save()
    return info
