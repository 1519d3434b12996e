"""Receiving files: a size limit enforced while the body streams in, and safe names.

The handler writes each file to a temporary file on disk (never to memory),
hashes it on the way, and skips a file as soon as it passes the limit, so
that an oversize file is never buffered whole. Views also refuse a request
whose declared length is already too large before reading a byte of it.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import re
import time
import unicodedata
from pathlib import Path

from django.conf import settings
from django.core.files.uploadhandler import SkipFile, TemporaryFileUploadHandler
from django.utils.translation import gettext as _

from carehub.storage import StorageUnavailable, remove_quietly

logger = logging.getLogger(__name__)

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
        try:
            self.file.write(raw_data)
        except OSError as exc:  # the temporary folder is full: closing removes the partial file
            with contextlib.suppress(OSError):  # flushing fails the same way; the file is removed all the same
                self.file.close()
            raise StorageUnavailable.from_os_error(exc) from exc

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


# --- Chunked uploads (the drag-and-drop page) -------------------------------------------
#
# Daphne reads a whole request body into memory before Django runs (see
# documents/README.md), so the drag-and-drop page sends each file in pieces of
# CHUNK_SIZE, one request each; the pieces are appended to a partial file in
# UPLOAD_PIECES_DIR, and the file is checked and saved into the storage when the
# last one arrives. The pieces of one upload may reach different web nodes: the
# folder must be shared by them all (or the load balancer must keep sessions sticky).
#
# Pieces abandoned for a day are removed by the bin purge task (on the worker) and,
# because a node's folder may be its own, by each web process when an upload starts,
# at most once per PARTIAL_CLEAN_INTERVAL.

CHUNK_SIZE = 1024 * 1024
PARTIAL_MAX_AGE = 24 * 3600
PARTIAL_CLEAN_INTERVAL = 3600
UPLOAD_ID = re.compile(r"^[0-9a-f]{32}$")
_last_clean: float | None = None  # time.monotonic() of this process's last clean


class ChunkError(Exception):
    def __init__(self, status: int, message: str, offset: int | None = None):
        super().__init__(message)
        self.status = status
        self.offset = offset


def partial_dir() -> Path:
    base = Path(settings.UPLOAD_PIECES_DIR)
    base.mkdir(mode=0o700, parents=True, exist_ok=True)
    return base


def partial_path(user_pk: int, upload_id: str) -> Path:
    if not UPLOAD_ID.match(upload_id or ""):
        raise ChunkError(400, "bad upload id")
    return partial_dir() / f"{int(user_pk)}-{upload_id}.part"


def append_chunk(path: Path, stream, *, offset: int, length: int, total: int) -> int:
    """Append one piece read from ``stream``; returns the new size of the partial file.

    The offset must be the current size (a retried piece is answered with the
    size to resume from); nothing past ``total`` is accepted.
    """
    current = path.stat().st_size if path.exists() else 0
    if offset != current:
        raise ChunkError(409, "offset mismatch", offset=current)
    if length > CHUNK_SIZE + 1024 or offset + length > total:
        raise ChunkError(400, "piece too large")
    received = 0
    try:
        with path.open("ab") as out:
            while received < length:
                block = stream.read(min(64 * 1024, length - received))
                if not block:
                    break
                out.write(block)
                received += len(block)
    except OSError as exc:
        # The pieces' disk is full or read-only: the upload cannot go on; keep nothing of it.
        logger.error("could not write an upload piece to %s: %s", path, exc)
        remove_quietly(path)
        raise StorageUnavailable.from_os_error(exc) from exc
    if received != length:
        with path.open("r+b") as out:  # an interrupted piece: drop it, the client resends it
            out.truncate(current)
        raise ChunkError(400, "incomplete piece", offset=current)
    return current + received


def partial_cleanup(max_age: int = PARTIAL_MAX_AGE) -> int:
    """Remove pieces of uploads abandoned for ``max_age`` seconds; returns how many were removed."""
    limit = time.time() - max_age
    removed = 0
    for path in partial_dir().glob("*.part"):
        try:
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
        except FileNotFoundError:  # finished or removed by another process meanwhile
            continue
    return removed


def partial_cleanup_throttled() -> int:
    """``partial_cleanup`` at most once per PARTIAL_CLEAN_INTERVAL in this process (called as uploads start)."""
    global _last_clean
    now = time.monotonic()
    if _last_clean is not None and now - _last_clean < PARTIAL_CLEAN_INTERVAL:
        return 0
    _last_clean = now
    try:
        return partial_cleanup()
    except OSError:  # housekeeping must never fail an upload
        logger.warning("could not clean the upload pieces folder", exc_info=True)
        return 0


def too_large_message(name: str) -> str:
    """What a person reads when one of their files is over the upload limit."""
    return _("“%(name)s” is larger than the limit of %(limit)s MB; it was not stored.") % {
        "name": name,
        "limit": settings.DOCUMENTS_MAX_UPLOAD_SIZE // 1_048_576,
    }
