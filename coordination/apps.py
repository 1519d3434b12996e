from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CoordinationConfig(AppConfig):
    name = "coordination"
    verbose_name = _("Residents and care notes")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Resident

        auditlog.register(Resident, m2m_fields={"referents"})
