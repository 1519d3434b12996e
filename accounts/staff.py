"""The staff account lifecycle: create, welcome e-mail, deactivate, second-factor reset.

Used by the admin panel's user pages and the CSV import. Each write is one
transaction; e-mails leave after commit. Ending sessions and sockets is
``accounts.sessions``'s job.
"""

from __future__ import annotations

import datetime

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from carehub import policy
from directory.models import Assignment, Job, Site, StaffProfile, Unit
from outbox import services as outbox

from . import sessions
from .services import two_factor_reset

User = get_user_model()


def set_password_url(user) -> str:
    """An absolute link to choose a password: allauth's password-reset token flow."""
    from allauth.account.forms import default_token_generator
    from allauth.account.utils import user_pk_to_url_str

    path = reverse(
        "account_reset_password_from_key",
        kwargs={"uidb36": user_pk_to_url_str(user), "key": default_token_generator.make_token(user)},
    )
    return settings.SITE_BASE_URL.rstrip("/") + path


def welcome_email_send(*, user, site: Site | None = None) -> None:
    """The welcome e-mail with a link to choose a password (valid PASSWORD_RESET_TIMEOUT)."""
    context = {
        "user": user,
        "site": site,
        "set_password_url": set_password_url(user),
        "login_url": settings.SITE_BASE_URL.rstrip("/") + reverse("account_login"),
        "valid_days": max(1, settings.PASSWORD_RESET_TIMEOUT // 86400),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + _("Your CareHub account")
        body = render_to_string("accounts/email/welcome.txt", context)
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [user.email])


def _check_manages(by, site: Site) -> None:
    if not policy.can(by, policy.Scope.MANAGE, site.pk):
        raise PermissionDenied(_("You do not manage this site."))


ACCOUNT_BEYOND_YOUR_SITES = gettext_lazy(
    "This account holds rights beyond the sites you manage: only head office may change it."
)


def _check_manages_account(by, user) -> None:
    if not policy.may_manage_account(by, user):
        raise PermissionDenied(ACCOUNT_BEYOND_YOUR_SITES)


@transaction.atomic
def staff_create(
    *,
    by,
    email: str,
    first_name: str,
    last_name: str,
    job: str,
    site: Site,
    unit: Unit | None = None,
    role: str = Assignment.Role.STAFF,
    start_date: datetime.date | None = None,
    end_date: datetime.date | None = None,
    external_id: str = "",
    phone_extension: str = "",
    send_welcome: bool = True,
):
    """Create the account, its profile and its first (primary) assignment, then e-mail a welcome.

    The account has no usable password: the person chooses one from the e-mail link.
    """
    _check_manages(by, site)
    if unit is not None and unit.site_id != site.pk:
        raise ValidationError({"unit": _("This unit belongs to another site.")})
    email = User.objects.normalize_email(email).lower()
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError({"email": _("An account with this e-mail address already exists.")})
    user = User(
        email=email,
        first_name=first_name,
        last_name=last_name,
        kind=User.Kind.STAFF,
        is_staff=role == Assignment.Role.COORDINATOR,
    )
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user.save()
    StaffProfile.objects.create(
        user=user, job=job or Job.CARE_ASSISTANT, external_id=external_id, phone_extension=phone_extension
    )
    assignment = Assignment(
        user=user, site=site, unit=unit, role=role, is_primary=True, start_date=start_date, end_date=end_date
    )
    assignment.full_clean()
    assignment.save()
    if send_welcome:
        from .tasks import send_welcome_email

        outbox.enqueue(send_welcome_email, [user.pk, site.pk], key=f"accounts:welcome:{user.pk}")
    return user


@transaction.atomic
def staff_deactivate(*, by, user) -> int:
    """Deactivate an account: it can no longer sign in; its sessions and sockets end at once.

    Returns the number of sessions ended.
    """
    if user.pk == by.pk:
        raise ValidationError(_("You cannot deactivate your own account."))
    _check_manages_account(by, user)
    user = User.objects.select_for_update().get(pk=user.pk)
    ended = sessions.sessions_count(user=user)
    if user.is_active:
        user.is_active = False
        user.save(update_fields=["is_active"])  # accounts.signals ends the sessions and sockets
    else:
        sessions.sessions_end(user=user)
    return ended


@transaction.atomic
def staff_two_factor_reset(*, by, user) -> None:
    """Remove the person's authenticator and backup codes: they set 2FA up again at next sign-in.

    Their open sessions end too: a session verified with the old device must not live on.
    """
    _check_manages_account(by, user)
    two_factor_reset(user=user)
    sessions.sessions_end(user=user)
