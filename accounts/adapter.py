from allauth.account.adapter import DefaultAccountAdapter

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
