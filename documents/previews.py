"""Thumbnails and searchable text, made after upload by a Celery task.

Images: Pillow. PDFs: the first page rendered and the text of every page
(up to a limit) extracted with pdfium (pypdfium2, a PyPI wheel). Running
twice does nothing the second time: only a version still "pending" is worked on.
"""

from __future__ import annotations

import io
import logging

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from .detection import KINDS
from .models import DocumentVersion

logger = logging.getLogger(__name__)

#: Pixels above which an image is not decoded (decompression bombs).
MAX_IMAGE_PIXELS = 80_000_000


def _open_source(version: DocumentVersion):
    """The stored file, through the storage API: the worker may run on another machine than the upload.

    A seekable file object whatever the backend (S3: spooled to a temporary file).
    """
    return version.file.storage.open(version.file.name, "rb")


def _png(image) -> bytes:
    size = settings.DOCUMENTS_THUMBNAIL_SIZE
    image.thumbnail((size, size))
    if image.mode not in ("RGB", "L"):
        image = image.convert("RGB")
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()


def image_thumbnail(source) -> bytes:
    from PIL import Image, ImageOps

    with Image.open(source) as image:
        if image.width * image.height > MAX_IMAGE_PIXELS:
            raise ValueError(f"image too large to preview: {image.width}x{image.height}")
        size = settings.DOCUMENTS_THUMBNAIL_SIZE
        image.draft("RGB", (size, size))  # JPEG: decode at a reduced scale
        image = ImageOps.exif_transpose(image)
        return _png(image)


def pdf_preview(source) -> tuple[bytes, str, int]:
    """(thumbnail PNG of page 1, text of the pages, page count)."""
    import pypdfium2 as pdfium

    pdf = pdfium.PdfDocument(source)
    try:
        pages = len(pdf)
        thumbnail = b""
        texts, total = [], 0
        for index in range(min(pages, settings.DOCUMENTS_TEXT_MAX_PAGES)):
            page = pdf[index]
            try:
                if index == 0:
                    width = page.get_width() or 1
                    scale = min(2.0, settings.DOCUMENTS_THUMBNAIL_SIZE / width)
                    thumbnail = _png(page.render(scale=scale).to_pil())
                textpage = page.get_textpage()
                try:
                    text = textpage.get_text_range()
                finally:
                    textpage.close()
            finally:
                page.close()
            text = text.replace("\x00", " ").replace("\r\n", "\n")
            texts.append(text)
            total += len(text)
            if total >= settings.DOCUMENTS_TEXT_MAX_CHARS:
                break
        return thumbnail, "\n".join(texts)[: settings.DOCUMENTS_TEXT_MAX_CHARS], pages
    finally:
        pdf.close()


def version_preview_make(*, version_id: int) -> str:
    """Make the preview of one version; returns the resulting status."""
    version = DocumentVersion.objects.filter(pk=version_id).first()
    if version is None or version.preview_status != DocumentVersion.Preview.PENDING:
        return version.preview_status if version else "missing"
    kind = KINDS.get(version.kind)
    if kind is None or not (kind.image or kind.code == "pdf"):
        DocumentVersion.objects.filter(pk=version.pk).update(preview_status=DocumentVersion.Preview.NONE)
        return DocumentVersion.Preview.NONE
    text, pages = "", None
    try:
        with _open_source(version) as source:
            if kind.code == "pdf":
                thumbnail, text, pages = pdf_preview(source)
            else:
                thumbnail = image_thumbnail(source)
    except Exception:  # a damaged file must not block the queue: record and move on
        logger.warning("preview failed for document version %s", version.pk, exc_info=True)
        DocumentVersion.objects.filter(pk=version.pk, preview_status=DocumentVersion.Preview.PENDING).update(
            preview_status=DocumentVersion.Preview.FAILED
        )
        return DocumentVersion.Preview.FAILED
    name = f"previews/{version.public_id.hex[:2]}/{version.public_id.hex}.png"
    if thumbnail:
        if default_storage.exists(name):  # a retried task: replace what a crashed run left
            default_storage.delete(name)
        name = default_storage.save(name, ContentFile(thumbnail))
    with transaction.atomic():
        updated = DocumentVersion.objects.filter(pk=version.pk, preview_status=DocumentVersion.Preview.PENDING).update(
            preview_status=DocumentVersion.Preview.READY if thumbnail else DocumentVersion.Preview.NONE,
            thumbnail=name if thumbnail else "",
            extracted_text=text,
            page_count=pages,
        )
    return DocumentVersion.Preview.READY if updated and thumbnail else DocumentVersion.Preview.NONE
