import logging

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.providers.base import AuthError
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from . import external_signin, throttling
from .throttling import refusal

logger = logging.getLogger(__name__)

#: allauth's "Successfully signed in as …", sent when the password is accepted.
LOGGED_IN_MESSAGE = "account/messages/logged_in.txt"


class AccountAdapter(DefaultAccountAdapter):
    """No open sign-up: staff accounts are made by coordinators, families come by invitation."""

    def is_open_for_signup(self, request):
        return False

    def add_message(self, request, level, message_template=None, message_context=None, extra_tags="", message=None):
        # The password alone does not sign in when a second factor is asked: saying "signed in"
        # before the code would be false (and tells a passer-by the password was right).
        if message_template == LOGGED_IN_MESSAGE:
            from .services import two_factor_required

            user = (message_context or {}).get("user")
            if user is not None and two_factor_required(user):
                return
        super().add_message(request, level, message_template, message_context, extra_tags, message)

    def post_login(self, request, user, **kwargs):
        # Signed in through the identity provider: its second factor, when it vouches for one, is
        # this session's (accounts/external_signin.py); otherwise the middleware asks for ours.
        sociallogin = (kwargs.get("signal_kwargs") or {}).get("sociallogin")
        if sociallogin is not None:
            claims = (sociallogin.account.extra_data or {}).get("id_token") or {}
            if asserted := external_signin.second_factor_asserted(claims):
                external_signin.second_factor_mark_passed(
                    request, provider=sociallogin.account.get_provider().name, asserted=asserted
                )
        return super().post_login(request, user, **kwargs)

    def pre_authenticate(self, request, **credentials):
        # allauth counts the attempt here (``login_failed``: per address, per account) and, over the
        # limit, puts an error on the form with a 200: CareHub answers 429 with Retry-After instead,
        # logged (accounts/throttling.py). Sign-in and re-authentication both pass here.
        try:
            super().pre_authenticate(request, **credentials)
        except ValidationError:
            key = self._get_login_attempts_cache_key(request, **credentials)
            identifier = (credentials.get("email") or credentials.get("username") or "")[:254]
            raise ImmediateHttpResponse(
                refusal(request, action="login_failed", key=key, identifier=identifier)
            ) from None


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    """The group's OpenID Connect provider signs in EXISTING staff only (accounts/external_signin.py)."""

    def is_open_for_signup(self, request, sociallogin):
        return False

    def pre_social_login(self, request, sociallogin):
        provider = sociallogin.account.get_provider().name
        # Every return from the provider counts as a sign-in attempt of this address, as a password form does.
        if throttling.attempt(request, action="login") is None:
            raise ImmediateHttpResponse(throttling.refusal(request, action="login"))
        try:
            if sociallogin.is_existing:
                external_signin.account_still_usable(sociallogin.user)
            else:
                data = sociallogin.account.extra_data or {}
                # The ID token, completed by userinfo (which may carry more claims): amr and acr are read
                # from the ID token alone (accounts.adapter.AccountAdapter.post_login).
                claims = {**(data.get("id_token") or {}), **(data.get("userinfo") or {})}
                link_claim = settings.OIDC_LINK_CLAIM
                user = external_signin.staff_for_identity(
                    email=str(claims.get("email") or ""),
                    email_verified=claims.get("email_verified") in (True, "true", "True", "1", 1),
                    link_value=str(claims.get(link_claim) or "") if link_claim else "",
                )
                sociallogin.connect(request, user)
        except external_signin.SignInRefused as refused:
            raise ImmediateHttpResponse(external_signin.refused_response(request, refused, provider=provider)) from None

    def on_authentication_error(self, request, provider, error=None, exception=None, extra_context=None):
        # allauth's own error pages are English-only and generic: ours say what to do next.
        if error == AuthError.CANCELLED:
            messages.info(request, _("Sign-in through %(provider)s was cancelled.") % {"provider": provider.name})
            raise ImmediateHttpResponse(redirect("account_login"))
        logger.warning("sign-in through %s failed: %s (%r)", provider.name, error, exception)
        raise ImmediateHttpResponse(sign_in_failed_page(request, provider.name))


def sign_in_failed_page(request, provider: str):
    """The provider's flow broke (an error it sent back, a state that does not match, no answer): 400."""
    message = _(
        "The sign-in through %(provider)s did not complete. Try again; if it keeps failing, "
        "sign in with your e-mail address and password."
    ) % {"provider": provider}
    return render(
        request, "accounts/external_signin_refused.html", {"provider": provider, "message": message}, status=400
    )
