"""Shared documents: folders by scope, documents, their versions, required reading and the bin.

Files live in Django's storage under random names (``documents/ab/<uuid>``),
never under static/ and never with a public URL: they leave only through the
permission-checked views of this app (or the family portal's, for documents
marked family-visible).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from carehub import policy
from directory.models import Job


def _resident_model():
    from coordination.models import Resident

    return Resident


def folder_q(user, prefix: str = "") -> Q | None:
    """The folders a user may read, as a filter on ``prefix`` (None: nothing at all).

    Group folders: every current staff member. Site and unit folders: staff of
    that site (care scope). Resident folders: whoever may read the resident.
    Families never reach this app's pages; the portal uses ``family_visible()``.
    """
    if not policy.is_active_staff(user):
        return None
    residents = _resident_model().objects.visible_to(user).values("pk")
    q = Q(**{f"{prefix}scope": Folder.Scope.GROUP}) | Q(
        **{f"{prefix}scope": Folder.Scope.RESIDENT, f"{prefix}resident__in": residents}
    )
    allowed = policy.site_ids(user, policy.Scope.CARE)
    site_scopes = {f"{prefix}scope__in": [Folder.Scope.SITE, Folder.Scope.UNIT]}
    if allowed is policy.ALL_SITES:
        q |= Q(**site_scopes)
    elif allowed:
        q |= Q(**site_scopes, **{f"{prefix}site_id__in": allowed})
    return q


class FolderQuerySet(models.QuerySet):
    def visible_to(self, user):
        q = folder_q(user)
        return self.none() if q is None else self.filter(q)

    def roots(self):
        return self.filter(parent__isnull=True)

    def managed_by(self, user):
        """Folders whose tree a user manages (admin pickers): their sites' folders; everything for group admins."""
        return policy.restrict(self, user, policy.Scope.MANAGE, "site")


class Folder(models.Model):
    class Scope(models.TextChoices):
        GROUP = "group", _("Whole group")
        SITE = "site", _("Site")
        UNIT = "unit", _("Unit")
        RESIDENT = "resident", _("Resident")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices)
    parent = models.ForeignKey(
        "self", on_delete=models.PROTECT, null=True, blank=True, related_name="children", verbose_name=_("parent")
    )
    name = models.CharField(_("name"), max_length=150)
    site = models.ForeignKey(
        "directory.Site",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="document_folders",
        verbose_name=_("site"),
    )
    unit = models.ForeignKey(
        "directory.Unit",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="document_folders",
        verbose_name=_("unit"),
    )
    resident = models.ForeignKey(
        "coordination.Resident",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="document_folders",
        verbose_name=_("resident"),
    )
    staff_may_upload = models.BooleanField(
        _("all staff may upload"),
        default=False,
        help_text=_("Otherwise only coordinators of the site (group folders: head office) add documents."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    objects = FolderQuerySet.as_manager()

    class Meta:
        verbose_name = _("folder")
        verbose_name_plural = _("folders")
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                name="folder_scope_consistent",
                condition=(
                    Q(scope="group", site__isnull=True, unit__isnull=True, resident__isnull=True)
                    | Q(scope="site", site__isnull=False, unit__isnull=True, resident__isnull=True)
                    | Q(scope="unit", site__isnull=False, unit__isnull=False, resident__isnull=True)
                    | Q(scope="resident", site__isnull=False, unit__isnull=True, resident__isnull=False)
                ),
            ),
            models.UniqueConstraint(
                fields=["parent", "name"], condition=Q(parent__isnull=False), name="folder_unique_name_in_parent"
            ),
            models.UniqueConstraint(
                fields=["resident"],
                condition=Q(scope="resident", parent__isnull=True),
                name="folder_one_root_per_resident",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("documents:folder_detail", kwargs={"public_id": self.public_id})

    @property
    def access_log_site_id(self):
        return self.site_id

    @property
    def access_log_subject_id(self):
        # Only resident folders concern a resident; callers select_related("resident").
        return self.resident.public_id if self.resident_id else None


class DocumentQuerySet(models.QuerySet):
    def visible_to(self, user):
        q = folder_q(user, "folder__")
        return self.none() if q is None else self.filter(q)

    def active(self):
        return self.filter(binned_at__isnull=True)

    def binned(self):
        return self.filter(binned_at__isnull=False)

    def family_visible(self):
        """Documents of resident folders the team chose to share with families (not in the bin).

        The family portal narrows this to the residents a family member is linked to.
        """
        return self.active().filter(
            is_family_visible=True, folder__scope=Folder.Scope.RESIDENT, current_version__isnull=False
        )

    def for_resident(self, resident):
        return self.filter(folder__resident=resident)


class Document(models.Model):
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    folder = models.ForeignKey(Folder, on_delete=models.PROTECT, related_name="documents", verbose_name=_("folder"))
    title = models.CharField(_("title"), max_length=255)
    description = models.TextField(_("description"), blank=True)
    current_version = models.ForeignKey(
        "DocumentVersion",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("current version"),
    )
    #: The SHA-256 of the current version, copied here so that the database itself refuses the same
    #: bytes twice in a folder (``document_unique_content_in_folder``); empty for older duplicates.
    content_sha256 = models.CharField(_("SHA-256 of the current version"), max_length=64, blank=True, editable=False)
    is_family_visible = models.BooleanField(
        _("visible to the family"),
        default=False,
        help_text=_("Only for documents of a resident's folder; shown in the family portal."),
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("created by"),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), default=timezone.now)
    binned_at = models.DateTimeField(_("moved to the bin"), null=True, blank=True, db_index=True)
    binned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("moved to the bin by"),
    )

    objects = DocumentQuerySet.as_manager()

    class Meta:
        verbose_name = _("document")
        verbose_name_plural = _("documents")
        ordering = ["title"]
        indexes = [models.Index(fields=["folder", "binned_at"], name="document_folder_bin")]
        constraints = [
            models.UniqueConstraint(
                fields=["folder", "content_sha256"],
                condition=Q(binned_at__isnull=True) & ~Q(content_sha256=""),
                name="document_unique_content_in_folder",
            ),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("documents:document_detail", kwargs={"public_id": self.public_id})

    @property
    def access_log_site_id(self):
        return self.folder.site_id

    @property
    def access_log_subject_id(self):
        return self.folder.resident.public_id if self.folder.resident_id else None

    @property
    def is_binned(self) -> bool:
        return self.binned_at is not None


def version_upload_to(instance, filename):
    # Random name, sharded: nothing of the original name reaches the storage.
    key = uuid.uuid4().hex
    return f"documents/{key[:2]}/{key}"


class DocumentVersionQuerySet(models.QuerySet):
    def visible_to(self, user):
        q = folder_q(user, "document__folder__")
        return self.none() if q is None else self.filter(q, document__binned_at__isnull=True)


class DocumentVersion(models.Model):
    class Preview(models.TextChoices):
        PENDING = "pending", _("Preview being prepared")
        READY = "ready", _("Preview ready")
        NONE = "none", _("No preview for this type")
        FAILED = "failed", _("Preview could not be made")

    class Scan(models.TextChoices):
        NOT_SCANNED = "not_scanned", _("Not scanned (no virus scanner configured)")
        CLEAN = "clean", _("Scanned, nothing found")

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="versions", verbose_name=_("document")
    )
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("file"), upload_to=version_upload_to, max_length=255)
    original_name = models.CharField(_("file name"), max_length=255)
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    size = models.BigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=120)
    kind = models.CharField(_("detected type"), max_length=10)
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    #: The id the uploader's browser gave this upload (pieces, or one form): a retry finds it stored.
    upload_key = models.CharField(_("upload id"), max_length=64, blank=True, editable=False)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by")
    )
    uploaded_at = models.DateTimeField(_("uploaded"), default=timezone.now)
    scan_status = models.CharField(_("virus scan"), max_length=20, choices=Scan.choices, default=Scan.NOT_SCANNED)
    preview_status = models.CharField(_("preview"), max_length=10, choices=Preview.choices, default=Preview.PENDING)
    thumbnail = models.FileField(_("thumbnail"), max_length=255, blank=True)
    page_count = models.PositiveIntegerField(_("pages"), null=True, blank=True)
    extracted_text = models.TextField(_("extracted text"), blank=True)

    objects = DocumentVersionQuerySet.as_manager()

    class Meta:
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        ordering = ["document", "-number"]
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="docversion_unique_number"),
            models.UniqueConstraint(fields=["document", "sha256"], name="docversion_unique_content"),
            models.UniqueConstraint(
                fields=["uploaded_by", "upload_key"], condition=~Q(upload_key=""), name="docversion_unique_upload_key"
            ),
        ]

    def __str__(self):
        return f"{self.original_name} (v{self.number})"

    @property
    def access_log_site_id(self):
        return self.document.folder.site_id

    @property
    def access_log_subject_id(self):
        folder = self.document.folder
        return folder.resident.public_id if folder.resident_id else None


class ReadingRequirement(models.Model):
    """A coordinator asks the staff of a site (optionally one unit, one job) to read a document."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    document = models.ForeignKey(
        Document, on_delete=models.CASCADE, related_name="reading_requirements", verbose_name=_("document")
    )
    site = models.ForeignKey("directory.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site"))
    unit = models.ForeignKey(
        "directory.Unit", on_delete=models.PROTECT, null=True, blank=True, related_name="+", verbose_name=_("unit")
    )
    job = models.CharField(_("job"), max_length=40, choices=Job.choices, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by")
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("required reading")
        verbose_name_plural = _("required readings")
        indexes = [models.Index(fields=["site", "unit"], name="reading_requirement_site_unit")]
        # Two constraints: NULL units are distinct in a plain unique index.
        constraints = [
            models.UniqueConstraint(
                fields=["document", "site", "unit", "job"],
                condition=Q(unit__isnull=False),
                name="reading_requirement_once_per_unit",
            ),
            models.UniqueConstraint(
                fields=["document", "site", "job"],
                condition=Q(unit__isnull=True),
                name="reading_requirement_once_per_site",
            ),
        ]

    def __str__(self):
        return f"{self.document} → {self.site}"


class ReadConfirmation(models.Model):
    """“I have read it”, for one version: a new version needs a new confirmation."""

    version = models.ForeignKey(
        DocumentVersion, on_delete=models.CASCADE, related_name="read_confirmations", verbose_name=_("version")
    )
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    confirmed_at = models.DateTimeField(_("confirmed"), default=timezone.now)

    class Meta:
        verbose_name = _("read confirmation")
        verbose_name_plural = _("read confirmations")
        constraints = [models.UniqueConstraint(fields=["version", "user"], name="read_confirmation_once")]

    def __str__(self):
        return f"{self.user} — {self.version}"
