"""API tokens of the FHIR API: a piece of software (the admission system…) reading and writing for some sites.

Only a hash of the secret is stored (SHA-256: the secret is 256 random bits, nothing to brute-force);
the raw token is shown once, to the group admin who creates it (fhirapi/admin.py).
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

#: The resources a token may be given, and what it may do with each.
RESOURCES = (
    "Organization",
    "Location",
    "Practitioner",
    "PractitionerRole",
    "Patient",
    "Communication",
    "DocumentReference",
)
#: Resources the API writes (the admission software's conditional update).
WRITABLE = ("Patient",)


class Access(models.TextChoices):
    READ = "read", _("read access")
    WRITE = "write", _("write access")


def scope(resource: str, access: str) -> str:
    return f"{resource}.{access}"


# Lazy labels: the admin shows them in the reader's language.
SCOPE_CHOICES = [(scope(r, Access.READ), format_lazy("{} ({})", r, Access.READ.label)) for r in RESOURCES] + [
    (scope(r, Access.WRITE), format_lazy("{} ({})", r, Access.WRITE.label)) for r in WRITABLE
]


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now=None):
        now = now or timezone.now()
        return self.filter(revoked_at__isnull=True).filter(
            models.Q(expires_at__isnull=True) | models.Q(expires_at__gt=now)
        )


class ApiToken(models.Model):
    name = models.CharField(_("name"), max_length=100, unique=True, help_text=_("The software that uses it."))
    #: The public part of the token (its first characters), to find the row without the secret.
    key_prefix = models.CharField(_("token prefix"), max_length=16, unique=True, editable=False)
    secret_hash = models.CharField(max_length=64, editable=False)
    sites = models.ManyToManyField("directory.Site", related_name="+", verbose_name=_("sites"))
    scopes = models.JSONField(_("rights"), default=list, blank=True)
    expires_at = models.DateTimeField(_("expires"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("created by"),
        editable=False,
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True, editable=False)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["name"]

    def __str__(self):
        return self.name

    def allows(self, resource: str, access: str) -> bool:
        return scope(resource, access) in self.scopes

    @property
    def is_usable(self) -> bool:
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > timezone.now())
