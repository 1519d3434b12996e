"""Files sent with messages: checked and served by the documents app's own functions.

The checks (size limit, name sanitising, content detection with the allowed
types, virus scan when configured) are ``documents.services.upload_check``,
the very function behind a document upload, so that a file refused in the
documents app is refused here with the same sentence. Files are stored under a
random name through Django's storage API and served by the documents app's
streaming helpers (Content-Disposition, nosniff, restrictive CSP).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models.signals import post_delete
from django.dispatch import receiver
from django.template.defaultfilters import filesizeformat
from django.urls import reverse

from documents import detection
from documents.downloads import stored_file_response
from documents.services import UploadRefused, upload_check

from .models import Attachment, attachment_upload_to

logger = logging.getLogger(__name__)

__all__ = ["UploadRefused", "Pending", "check_and_store", "discard", "create_rows", "payload", "response"]


@dataclass
class Pending:
    """A checked file already written to storage, waiting for its message row."""

    original_name: str
    name: str
    blob: str
    size: int
    sha256: str
    kind: str
    content_type: str
    scanned: bool


def check_and_store(files) -> list[Pending]:
    """Check every file first (nothing is stored if one is refused), then store them.

    Raises ``UploadRefused`` (translated reason). Called outside the database
    transaction; the caller removes the blobs with ``discard`` if the rows fail.
    """
    checked = [(uploaded, upload_check(uploaded)) for uploaded in files]
    pending: list[Pending] = []
    try:
        for uploaded, result in checked:
            result.file.seek(0)
            blob = default_storage.save(attachment_upload_to(None, ""), File(result.file, name="upload"))
            pending.append(
                Pending(
                    original_name=(uploaded.name or "")[:255],
                    name=result.name[:255],
                    blob=blob,
                    size=result.size,
                    sha256=result.sha256,
                    kind=result.kind.code,
                    content_type=result.kind.mime,
                    scanned=result.scanned,
                )
            )
    except Exception:
        discard(pending)
        raise
    return pending


def discard(pending: list[Pending]) -> None:
    for item in pending:
        try:
            default_storage.delete(item.blob)
        except OSError:
            logger.exception("could not remove the stored attachment %s", item.blob)


def create_rows(*, message, pending: list[Pending], user) -> list[Attachment]:
    return Attachment.objects.bulk_create(
        [
            Attachment(
                message=message,
                original_name=item.original_name,
                name=item.name,
                file=item.blob,
                size=item.size,
                sha256=item.sha256,
                kind=item.kind,
                content_type=item.content_type,
                scanned=item.scanned,
                uploaded_by=user,
            )
            for item in pending
        ]
    )


def payload(attachment: Attachment) -> dict:
    return {
        "public_id": str(attachment.public_id),
        "name": attachment.name,
        "size": attachment.size,
        "size_label": str(filesizeformat(attachment.size)),
        "url": reverse("messaging:attachment", kwargs={"public_id": attachment.public_id}),
    }


def response(request, attachment: Attachment):
    """The file, always as a download (never shown inline in the messaging page's origin).

    The caller checked access and wrote the access log.
    """
    kind = detection.KINDS.get(attachment.kind)
    content_type = kind.mime if kind else "application/octet-stream"
    return stored_file_response(
        request, attachment.file, filename=attachment.name, content_type=content_type, inline=False
    )


@receiver(post_delete, sender=Attachment, dispatch_uid="messaging_attachment_file_delete")
def _delete_file(sender, instance, **kwargs):
    """A purged message takes its files with it, once the deletion is committed."""
    name = instance.file.name
    if name:
        transaction.on_commit(lambda: default_storage.delete(name))
