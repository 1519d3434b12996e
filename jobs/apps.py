from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules
from django.utils.translation import gettext_lazy as _


class JobsConfig(AppConfig):
    name = "jobs"
    verbose_name = _("Background exports and imports")

    def ready(self):
        # Each app declares its kinds of job in its own ``job_kinds`` module (backoffice/job_kinds.py).
        autodiscover_modules("job_kinds")
