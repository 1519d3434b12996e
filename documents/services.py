"""Writes of the documents app: every change in one transaction, audited by django-auditlog.

Permission checks live in ``documents.permissions`` and are made by the views
before calling these; the services check the invariants of the data itself.
"""

from __future__ import annotations

import functools
import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import DatabaseError, IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from . import detection, selectors
from .image_metadata import strip_metadata
from .models import Document, DocumentVersion, Folder, ReadConfirmation, ReadingRequirement, version_upload_to
from .scanning import ScanUnavailable, get_scanner
from .uploads import sanitize_filename

logger = logging.getLogger(__name__)


class UploadRefused(Exception):
    """The file was not stored; ``str(exc)`` is a translated reason for the person."""


@dataclass
class Duplicate(Exception):
    """The same bytes are already there: nothing was stored twice."""

    document: Document
    version: DocumentVersion | None = None


def _sha256_of(fileobj) -> str:
    existing = getattr(fileobj, "sha256", None)
    if existing:
        return existing
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


@dataclass
class _Checked:
    name: str
    kind: detection.Kind
    sha256: str
    size: int
    scanned: bool
    #: What to store: the upload itself, or a picture without its metadata (image_metadata).
    file: object = None


def upload_check(uploaded) -> _Checked:
    """Name, size, content type and virus scan: everything before the file is stored."""
    name = sanitize_filename(uploaded.name)
    size = uploaded.size
    if size > settings.DOCUMENTS_MAX_UPLOAD_SIZE:
        raise UploadRefused(
            _("“%(name)s” is larger than the limit of %(limit)s MB.")
            % {"name": name, "limit": settings.DOCUMENTS_MAX_UPLOAD_SIZE // 1_048_576}
        )
    if size == 0:
        raise UploadRefused(_("“%(name)s” is empty.") % {"name": name})
    try:
        kind = detection.detect(uploaded, name, size)
    except detection.Refused as exc:
        raise UploadRefused(str(exc)) from exc
    if kind.image:
        uploaded = _without_metadata(uploaded, kind)
        size = uploaded.size
    scanner = get_scanner()
    scanned = False
    if scanner is not None:
        try:
            result = scanner.scan(uploaded)
        except ScanUnavailable as exc:
            logger.error("virus scanner unavailable: %s", exc)
            raise UploadRefused(
                _("“%(name)s” could not be checked for viruses right now; nothing was stored. Please try again later.")
                % {"name": name}
            ) from exc
        if result.infected:
            logger.warning("upload refused: virus %s in %s", result.signature, name)
            raise UploadRefused(
                _("“%(name)s” was refused: the virus scanner found “%(signature)s”.")
                % {"name": name, "signature": result.signature}
            )
        scanned = True
    return _Checked(name=name, kind=kind, sha256=_sha256_of(uploaded), size=size, scanned=scanned, file=uploaded)


def _without_metadata(uploaded, kind: detection.Kind):
    """The picture to store: the same file when it holds no metadata, else a copy without it."""
    uploaded.seek(0)
    data = uploaded.read()
    clean = strip_metadata(data, kind.code)
    uploaded.seek(0)
    if clean == data:
        return uploaded
    return ContentFile(clean, name=uploaded.name)


def _store_blob(uploaded, sha256: str) -> tuple[str, bool]:
    """The storage name holding these bytes; reuses an existing one (same SHA-256) when there is one.

    Returns (name, created). Called outside the database transaction so that a
    failed write leaves no row (the storage removes what it had written and raises
    ``StorageUnavailable``); the caller removes a new blob if the rows fail.
    """
    existing = DocumentVersion.objects.filter(sha256=sha256).values_list("file", flat=True).first()
    if existing and default_storage.exists(existing):
        return existing, False
    uploaded.seek(0)
    name = default_storage.save(version_upload_to(None, ""), File(uploaded, name="upload"))
    return name, True


def _discard_blob(blob: str, created: bool, version: DocumentVersion | None) -> None:
    """Remove a blob written for rows that were not committed; never one that committed rows hold.

    Work after commit (on_commit callbacks) may raise once the rows are in: hence the look.
    """
    if not created:
        return
    try:
        if version is not None and version.pk and DocumentVersion.objects.filter(pk=version.pk).exists():
            return
        default_storage.delete(blob)
    except (DatabaseError, OSError):  # unsure, or a read-only disk: an orphan file is harmless, a missing one is not
        logger.exception("could not remove the unused blob %s", blob)


def _new_version(
    *, document, checked: _Checked, blob: str, user, comment: str, number: int, upload_key: str = ""
) -> DocumentVersion:
    return DocumentVersion.objects.create(
        document=document,
        number=number,
        file=blob,
        original_name=checked.name,
        sha256=checked.sha256,
        size=checked.size,
        content_type=checked.kind.mime,
        kind=checked.kind.code,
        comment=comment[:500],
        upload_key=upload_key,
        uploaded_by=user,
        scan_status=DocumentVersion.Scan.CLEAN if checked.scanned else DocumentVersion.Scan.NOT_SCANNED,
        preview_status=DocumentVersion.Preview.PENDING,
    )


def _enqueue_preview(version: DocumentVersion) -> None:
    from outbox import services as outbox

    from .tasks import make_preview

    version_id = version.pk
    outbox.enqueue(make_preview, [version_id], key=f"documents:preview:{version_id}")


def _same_content(folder: Folder, sha256: str, *, exclude: Document | None = None) -> Document | None:
    """The active document of ``folder`` whose current version has these bytes (the constraint's rule)."""
    documents = Document.objects.active().filter(folder=folder, content_sha256=sha256)
    if exclude is not None:
        documents = documents.exclude(pk=exclude.pk)
    return documents.select_related("current_version").first()


def document_upload(
    *, folder: Folder, uploaded, user, title: str = "", comment: str = "", upload_key: str = ""
) -> Document:
    """Store a new document in ``folder``. Raises UploadRefused, Duplicate (same bytes already in the
    folder) or StorageUnavailable (nothing stored).

    ``upload_key`` is the id the browser gave this upload: the same upload sent again (its answer
    was lost) returns the document it stored, as the first answer did.
    """
    earlier = selectors.version_by_upload_key(user=user, upload_key=upload_key)
    if earlier is not None and earlier.document.folder_id == folder.pk:
        return earlier.document
    if earlier is not None:  # the browser reused its id for another folder: not a retry
        upload_key = ""
    checked = upload_check(uploaded)
    same = _same_content(folder, checked.sha256)
    if same is not None:
        raise Duplicate(document=same, version=same.current_version)
    blob, created = _store_blob(checked.file, checked.sha256)
    version = None
    try:
        with transaction.atomic():
            document = Document.objects.create(
                folder=folder,
                title=(title.strip() or checked.name)[:255],
                content_sha256=checked.sha256,
                created_by=user,
                is_family_visible=False,
            )
            version = _new_version(
                document=document,
                checked=checked,
                blob=blob,
                user=user,
                comment=comment,
                number=1,
                upload_key=upload_key,
            )
            document.current_version = version
            document.save(update_fields=["current_version"])
            _enqueue_preview(version)
    except IntegrityError:
        _discard_blob(blob, created, version)
        # The same upload, or the same bytes, committed a moment earlier by a concurrent request.
        earlier = selectors.version_by_upload_key(user=user, upload_key=upload_key)
        if earlier is not None:
            return earlier.document
        same = _same_content(folder, checked.sha256)
        if same is None:
            raise
        raise Duplicate(document=same, version=same.current_version) from None
    except BaseException:
        _discard_blob(blob, created, version)
        raise
    return document


def document_version_add(
    *, document: Document, uploaded, user, comment: str = "", upload_key: str = ""
) -> DocumentVersion:
    """A new version becomes current; older ones stay downloadable. Same bytes as a version of this
    document, or as another document of the folder: Duplicate. A retried upload (same ``upload_key``)
    returns the version it stored."""
    earlier = selectors.version_by_upload_key(user=user, upload_key=upload_key)
    if earlier is not None and earlier.document_id == document.pk:
        return earlier
    if earlier is not None:  # the browser reused its id for another document: not a retry
        upload_key = ""
    checked = upload_check(uploaded)
    duplicate = _version_duplicate(document, checked.sha256)
    if duplicate is not None:
        raise duplicate
    blob, created = _store_blob(checked.file, checked.sha256)
    version = None
    try:
        with transaction.atomic():
            locked = Document.objects.select_for_update().get(pk=document.pk)
            number = (locked.versions.aggregate(n=Max("number"))["n"] or 0) + 1
            version = _new_version(
                document=locked,
                checked=checked,
                blob=blob,
                user=user,
                comment=comment,
                number=number,
                upload_key=upload_key,
            )
            locked.current_version = version
            locked.content_sha256 = "" if locked.is_binned else checked.sha256
            locked.updated_at = timezone.now()
            locked.save(update_fields=["current_version", "content_sha256", "updated_at"])
            _enqueue_preview(version)
            _notify_readers(locked, version)
    except IntegrityError:
        _discard_blob(blob, created, version)
        # The same upload or the same bytes, committed a moment earlier by a concurrent request.
        earlier = selectors.version_by_upload_key(user=user, upload_key=upload_key)
        if earlier is not None:
            return earlier
        duplicate = _version_duplicate(document, checked.sha256)
        if duplicate is None:
            raise
        raise duplicate from None
    except BaseException:
        _discard_blob(blob, created, version)
        raise
    document.current_version = version
    document.content_sha256 = locked.content_sha256
    return version


def _version_duplicate(document: Document, sha256: str) -> Duplicate | None:
    same = document.versions.filter(sha256=sha256).first()
    if same is not None:
        return Duplicate(document=document, version=same)
    other = None if document.is_binned else _same_content(document.folder, sha256, exclude=document)
    if other is not None:
        return Duplicate(document=other, version=other.current_version)
    return None


def _name_taken(parent: Folder, name: str, exclude: Folder | None = None) -> bool:
    # Compared in Python: SQLite's case-insensitive match ignores accents' case ("Été"/"été").
    folders = parent.children.all()
    if exclude is not None:
        folders = folders.exclude(pk=exclude.pk)
    return any(sibling.casefold() == name.casefold() for sibling in folders.values_list("name", flat=True))


@transaction.atomic
def folder_create(
    *,
    user,
    name: str,
    scope: str,
    parent: Folder | None = None,
    site=None,
    unit=None,
    resident=None,
    staff_may_upload: bool = False,
) -> Folder:
    name = " ".join(name.split())[:150]
    if not name:
        raise ValidationError({"name": _("Give the folder a name.")})
    if parent is not None:
        scope, site, unit, resident = parent.scope, parent.site, parent.unit, parent.resident
        if _name_taken(parent, name):
            raise ValidationError({"name": _("A folder with this name already exists here.")})
    elif scope == Folder.Scope.UNIT:
        site = unit.site
    elif scope == Folder.Scope.RESIDENT:
        site = resident.site
    folder = Folder(
        scope=scope,
        parent=parent,
        name=name,
        site=site if scope != Folder.Scope.GROUP else None,
        unit=unit if scope == Folder.Scope.UNIT else None,
        resident=resident if scope == Folder.Scope.RESIDENT else None,
        staff_may_upload=staff_may_upload,
        created_by=user,
    )
    folder.full_clean(exclude=["created_by"])
    folder.save()
    return folder


def resident_folder_draft(*, resident, user=None) -> Folder:
    """The root folder of a resident's documents as it will be made (unsaved): what the permissions judge
    before it exists. Any care staff member of the resident's site may add documents to it."""
    return Folder(
        scope=Folder.Scope.RESIDENT,
        resident=resident,
        site_id=resident.site_id,
        name=str(resident),
        staff_may_upload=True,
        created_by=user,
    )


def resident_folder_get_or_create(*, resident, user=None) -> Folder:
    """The root folder of a resident's documents (care plan, DLU, consents…), made on first use.

    Called by writes only (an upload, the explicit "create" of the empty folder page): a visit
    finds it with ``selectors.resident_folder`` and never makes it.
    """
    folder = selectors.resident_folder(resident)
    if folder is not None:
        return folder
    try:
        with transaction.atomic():
            folder = resident_folder_draft(resident=resident, user=user)
            folder.save()
            return folder
    except IntegrityError:  # created at the same moment by another request
        return Folder.objects.get(resident=resident, scope=Folder.Scope.RESIDENT, parent__isnull=True)


@transaction.atomic
def folder_update(*, folder: Folder, name: str, staff_may_upload: bool | None = None) -> Folder:
    """Rename a folder and, when given, say whether care staff may upload into it."""
    name = " ".join(name.split())[:150]
    if not name:
        raise ValidationError({"name": _("Give the folder a name.")})
    if folder.parent is not None and _name_taken(folder.parent, name, exclude=folder):
        raise ValidationError({"name": _("A folder with this name already exists here.")})
    folder.name = name
    fields = ["name"]
    if staff_may_upload is not None:
        folder.staff_may_upload = staff_may_upload
        fields.append("staff_may_upload")
    folder.save(update_fields=fields)
    return folder


@transaction.atomic
def document_rename(*, document: Document, title: str, description: str | None = None) -> Document:
    title = " ".join(title.split())[:255]
    if not title:
        raise ValidationError({"title": _("Give the document a title.")})
    document.title = title
    fields = ["title", "updated_at"]
    if description is not None:
        document.description = description.strip()
        fields.append("description")
    document.updated_at = timezone.now()
    document.save(update_fields=fields)
    return document


@transaction.atomic
def document_move(*, document: Document, folder: Folder) -> Document:
    """Move to another folder. Leaving a resident's folder ends family visibility."""
    if document.folder.resident_id and folder.resident_id != document.folder.resident_id:
        # A resident's document never lands in another resident's or a shared folder by a slip.
        raise ValidationError({"folder": _("A resident's document can only move within that resident's folders.")})
    if not document.folder.resident_id and folder.resident_id:
        raise ValidationError({"folder": _("A shared document cannot move into a resident's folder.")})
    identical = _identical_error(folder, document)
    if identical is not None:
        raise ValidationError({"folder": identical})
    document.folder = folder
    document.updated_at = timezone.now()
    if folder.scope != Folder.Scope.RESIDENT:
        document.is_family_visible = False
    _save_or_identical(document, ["folder", "updated_at", "is_family_visible"])
    return document


def _identical_error(folder: Folder, document: Document) -> str | None:
    same = _same_content(folder, document.content_sha256, exclude=document) if document.content_sha256 else None
    if same is None:
        return None
    return _("“%(title)s”, identical to this document, is already in “%(folder)s”.") % {
        "title": same.title,
        "folder": folder.name,
    }


def _save_or_identical(document: Document, fields: list[str]) -> None:
    """Save; the same bytes put in the folder at the same moment by someone else is a clear refusal."""
    try:
        with transaction.atomic():
            document.save(update_fields=fields)
    except IntegrityError as exc:
        message = _identical_error(document.folder, document)
        if message is None:
            raise
        raise ValidationError(message) from exc


@transaction.atomic
def document_set_family_visible(*, document: Document, visible: bool) -> Document:
    if visible and document.folder.scope != Folder.Scope.RESIDENT:
        raise ValidationError(_("Only documents of a resident's folder can be shared with the family."))
    document.is_family_visible = visible
    document.save(update_fields=["is_family_visible"])
    return document


@transaction.atomic
def document_bin(*, document: Document, user) -> Document:
    """Move to the bin: hidden everywhere, erased after the retention period unless restored."""
    if document.binned_at is None:
        document.binned_at = timezone.now()
        document.binned_by = user
        document.is_family_visible = False
        document.save(update_fields=["binned_at", "binned_by", "is_family_visible"])
    return document


@transaction.atomic
def document_restore(*, document: Document) -> Document:
    """Back from the bin; refused (ValidationError) when an identical document is in its folder now."""
    identical = _identical_error(document.folder, document)
    if identical is not None:
        raise ValidationError(identical)
    document.binned_at = None
    document.binned_by = None
    _save_or_identical(document, ["binned_at", "binned_by"])
    return document


def bin_purge(*, now=None) -> int:
    """Erase documents binned longer ago than the retention period, files included. Idempotent."""
    limit = (now or timezone.now()) - timedelta(days=settings.DOCUMENTS_BIN_RETENTION_DAYS)
    erased = 0
    for document_id in Document.objects.filter(binned_at__lt=limit).values_list("pk", flat=True).iterator():
        with transaction.atomic():
            document = Document.objects.select_for_update().filter(pk=document_id, binned_at__lt=limit).first()
            if document is None:
                continue
            versions = list(document.versions.all())
            blobs = {v.file.name for v in versions if v.file.name} | {
                v.thumbnail.name for v in versions if v.thumbnail.name
            }
            Document.objects.filter(pk=document.pk).update(current_version=None)
            for version in versions:
                version.delete()  # one audit entry per version
            document.current_version = None
            document.delete()
            still_used = set(DocumentVersion.objects.filter(file__in=blobs).values_list("file", flat=True))
            for blob in blobs - still_used:
                transaction.on_commit(functools.partial(default_storage.delete, blob))
            erased += 1
    return erased


@transaction.atomic
def reading_requirement_add(*, document: Document, user, site, unit=None, job: str = "") -> ReadingRequirement:
    """Ask the staff of ``site`` (one unit, one job if given) to read ``document``; notifies them."""
    if document.folder.scope == Folder.Scope.RESIDENT:
        raise ValidationError(_("Required reading is for procedures and shared documents, not residents' files."))
    if unit is not None and unit.site_id != site.pk:
        raise ValidationError({"unit": _("This unit belongs to another site.")})
    requirement, _created = ReadingRequirement.objects.get_or_create(  # a race: get_or_create finds the other's
        document=document, site=site, unit=unit, job=job, defaults={"created_by": user}
    )
    if document.current_version is not None:
        _notify_readers(document, document.current_version, requirements=[requirement])
    return requirement


@transaction.atomic
def reading_requirement_remove(*, requirement: ReadingRequirement) -> None:
    requirement.delete()


def read_confirm(*, document: Document, user) -> ReadConfirmation:
    """“I have read it” for the current version; confirming twice keeps the first time."""
    confirmation, _created = ReadConfirmation.objects.get_or_create(version_id=document.current_version_id, user=user)
    return confirmation


def _notify_readers(document: Document, version: DocumentVersion, requirements=None) -> None:
    from notifications.models import Notification
    from notifications.services import notify

    from .selectors import reading_audience

    audience = reading_audience(document, requirements=requirements)
    if not audience:
        return
    notify(
        users=audience,
        kind=Notification.Kind.MUST_READ,
        title=_("Document to read: %(title)s") % {"title": document.title},
        url=document.get_absolute_url(),
        dedup_key=f"documents:must-read:{version.public_id}",
    )
