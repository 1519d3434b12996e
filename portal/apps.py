from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PortalConfig(AppConfig):
    name = "portal"
    verbose_name = _("Family portal")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import FamilyLink, FamilyPreferences, Invitation, SiteFamilyInfo

        auditlog.register(FamilyLink)
        auditlog.register(Invitation, exclude_fields=["token_hash"])
        auditlog.register(SiteFamilyInfo)
        auditlog.register(FamilyPreferences)
