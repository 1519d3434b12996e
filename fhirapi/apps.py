from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FhirApiConfig(AppConfig):
    name = "fhirapi"
    verbose_name = _("Connected software (FHIR API)")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import ApiToken

        auditlog.register(ApiToken, m2m_fields={"sites"}, exclude_fields=["secret_hash", "last_used_at"])
