from allauth.account.adapter import DefaultAccountAdapter
from allauth.core.exceptions import ImmediateHttpResponse
from django.core.exceptions import ValidationError

from .throttling import refusal

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
