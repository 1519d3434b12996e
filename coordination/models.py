"""Residents and their care notes."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from carehub import policy


class ResidentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Residents whose file the user may read: staff of their site, group admins.

        Families reach residents only through the family portal's own queries.
        """
        return policy.restrict(self, user, policy.Scope.CARE, "site")

    def managed_by(self, user):
        return policy.restrict(self, user, policy.Scope.MANAGE, "site")

    def current(self):
        return self.filter(status=Resident.Status.PRESENT)


class Resident(models.Model):
    class Status(models.TextChoices):
        PRESENT = "present", _("Present")
        HOSPITALISED = "hospitalised", _("In hospital")
        DISCHARGED = "discharged", _("Discharged")
        DECEASED = "deceased", _("Deceased")

    #: Archived residents: read-only record, searchable by those allowed.
    ARCHIVED_STATUSES = frozenset({Status.DISCHARGED, Status.DECEASED})

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    site = models.ForeignKey(
        "directory.Site", on_delete=models.PROTECT, related_name="residents", verbose_name=_("site")
    )
    unit = models.ForeignKey(
        "directory.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="residents",
        verbose_name=_("unit"),
    )
    first_name = models.CharField(_("first name"), max_length=100)
    last_name = models.CharField(_("last name"), max_length=100)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True)
    room = models.CharField(_("room"), max_length=20, blank=True)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PRESENT)
    admission_date = models.DateField(_("admission date"), null=True, blank=True)
    discharge_date = models.DateField(_("discharge date"), null=True, blank=True)
    external_id = models.CharField(_("admission software id"), max_length=64, blank=True, db_index=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    referents = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="referent_for", verbose_name=_("referent staff")
    )

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = _("resident")
        verbose_name_plural = _("residents")
        ordering = ["last_name", "first_name"]
        indexes = [models.Index(fields=["site", "status"], name="resident_site_status")]

    def __str__(self):
        return f"{self.last_name.upper()} {self.first_name}"

    @property
    def is_archived(self) -> bool:
        return self.status in self.ARCHIVED_STATUSES

    @property
    def access_log_subject_id(self):
        return self.public_id
