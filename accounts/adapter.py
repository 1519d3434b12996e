from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """No open sign-up: staff accounts are made by coordinators, families come by invitation."""

    def is_open_for_signup(self, request):
        return False
