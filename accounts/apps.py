from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self):
        from auditlog.registry import auditlog

        from . import signals  # noqa: F401
        from .models import User

        auditlog.register(User, exclude_fields=["password", "last_login"])
        self._close_provider_admins()

    @staticmethod
    def _close_provider_admins():
        # The identity provider is configured from the environment (settings, "OIDC_*"), and its tokens
        # are not stored: a client added in the admin would be a second, unreviewed way in. The links
        # of identities to accounts (socialaccount.SocialAccount) stay visible to superusers.
        # The admin registered every app's models in its own ready(), earlier in INSTALLED_APPS.
        from allauth.socialaccount.models import SocialApp, SocialToken
        from django.contrib import admin

        for model in (SocialApp, SocialToken):
            if admin.site.is_registered(model):
                admin.site.unregister(model)
