from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = _("Organisation and staff directory")

    def ready(self):
        from auditlog.registry import auditlog

        from .models import Assignment, Site, StaffProfile, Unit

        for model in (Site, Unit, StaffProfile, Assignment):
            auditlog.register(model)
