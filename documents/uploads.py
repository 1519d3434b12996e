"""Receiving files: a size limit enforced while the body streams in, and safe names.

The handler writes each file to a temporary file on disk (never to memory),
hashes it on the way, and skips a file as soon as it passes the limit, so
that an oversize file is never buffered whole. Views also refuse a request
whose declared length is already too large before reading a byte of it.
"""

from __future__ import annotations

import hashlib
import unicodedata

from django.conf import settings
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler

MULTIPART_OVERHEAD = 64 * 1024  # boundaries, headers and the small form fields


def max_request_size(files: int) -> int:
    return settings.DOCUMENTS_MAX_UPLOAD_SIZE * files + MULTIPART_OVERHEAD


def declared_length(request) -> int:
    try:
        return int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return 0


class LimitedUploadHandler(TemporaryFileUploadHandler):
    """Temporary files on disk, a SHA-256 computed while receiving, oversize files skipped."""

    def __init__(self, request=None, *, max_size: int, max_files: int):
        super().__init__(request)
        self.max_size = max_size
        self.max_files = max_files
        self.too_large: list[str] = []
        self.too_many: list[str] = []
        self.count = 0

    def new_file(self, field_name, file_name, *args, **kwargs):
        self.count += 1
        if self.count > self.max_files:
            self.too_many.append(file_name)
            raise SkipFile
        super().new_file(field_name, file_name, *args, **kwargs)
        self._received = 0
        self._sha = hashlib.sha256()

    def receive_data_chunk(self, raw_data, start):
        self._received += len(raw_data)
        if self._received > self.max_size:
            self.too_large.append(self.file_name)
            self.file.close()  # a NamedTemporaryFile: closing removes it
            raise SkipFile
        self._sha.update(raw_data)
        self.file.write(raw_data)

    def file_complete(self, file_size):
        uploaded = super().file_complete(file_size)
        uploaded.sha256 = self._sha.hexdigest()
        # The parser closes every handler's ``file`` when a later file is skipped:
        # forget the finished one so that it survives a skipped file after it.
        del self.file
        return uploaded


def sanitize_filename(name: str, *, max_length: int = 180) -> str:
    """A display name safe anywhere: no directories, no control characters, no leading dots.

    The original is kept as far as possible (accents, spaces); this is never
    used as a storage path (files are stored under random names).
    """
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(" " if unicodedata.category(ch).startswith(("C", "Z")) and ch != " " else ch for ch in name)
    name = " ".join(name.split())
    name = name.lstrip(". ").rstrip(". ")
    for forbidden in '<>:"|?*':
        name = name.replace(forbidden, "_")
    if len(name) > max_length:
        stem, dot, ext = name.rpartition(".")
        if dot and 0 < len(ext) <= 10:
            name = stem[: max_length - len(ext) - 1].rstrip() + "." + ext
        else:
            name = name[:max_length]
    return name or "document"
