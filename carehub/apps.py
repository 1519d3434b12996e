from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CareHubConfig(AppConfig):
    default = True
    name = "carehub"
    verbose_name = _("CareHub")

    def ready(self) -> None:
        from django.conf import settings

        from . import (
            errors_reporting,
            metrics,  # noqa: F401 (its receiver counts every connection's queries)
            textsearch,
        )

        textsearch.register()
        errors_reporting.init(settings.SENTRY_DSN)


class CareHubAdminConfig(admin_apps.AdminConfig):
    default = False
    default_site = "carehub.admin_site.CareHubAdminSite"
