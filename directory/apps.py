from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "directory"
    verbose_name = _("Organisation and staff directory")

    def ready(self):
        from auditlog.registry import auditlog

        from . import signals  # noqa: F401  (connects the search-column receivers)
        from .models import Assignment, CalendarFeed, OnCallShift, Site, StaffProfile, Unit

        for model in (Site, Unit, Assignment):
            auditlog.register(model)
        # Calendar bookkeeping (when, how many changes) follows every edit already in the trail.
        auditlog.register(OnCallShift, exclude_fields=["updated_at", "sequence"])
        auditlog.register(CalendarFeed, exclude_fields=["token_hash"])
        # The derived search columns change with every edit: keep them out of the trail.
        auditlog.register(StaffProfile, exclude_fields=["search_name", "search_document"])
