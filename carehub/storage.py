"""Media files on disk that fail cleanly: a write the kernel refuses leaves no partial file.

Django's FileSystemStorage leaves what it had written when the disk fills up or
the media are remounted read-only. ``MediaStorage`` removes it and raises
``StorageUnavailable``, which the upload views (and, for every other path, the
middleware below) answer with a translated 507 or 503 and a Retry-After, never 500.
"""

from __future__ import annotations

import errno
import logging
import os
from http import HTTPStatus

from django.core.files.storage import FileSystemStorage
from django.http import JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

#: The media are full: nothing will be stored until someone frees space.
FULL = frozenset({errno.ENOSPC, errno.EDQUOT, errno.EFBIG})
#: Seconds a person is asked to wait before trying again.
RETRY_AFTER = 300


class StorageUnavailable(Exception):
    """A file could not be written (media full or not writable); nothing of it was kept."""

    def __init__(self, *, full: bool):
        super().__init__("media storage full" if full else "media storage not writable")
        self.full = full

    @classmethod
    def from_os_error(cls, exc: OSError) -> StorageUnavailable:
        return cls(full=exc.errno in FULL)

    @property
    def status(self) -> int:
        return HTTPStatus.INSUFFICIENT_STORAGE if self.full else HTTPStatus.SERVICE_UNAVAILABLE

    @property
    def message(self) -> str:
        if self.full:
            return _("The file storage is full: this file was not stored. Try again later, once space has been freed.")
        return _(
            "The file storage cannot be written to right now: this file was not stored. Try again in a few minutes."
        )


def remove_quietly(path) -> None:
    """Remove a file written in part; a read-only disk may refuse this too (logged, not raised)."""
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass
    except OSError:
        logger.exception("could not remove the partial file %s", path)


class MediaStorage(FileSystemStorage):
    def _save(self, name, content):
        try:
            return super()._save(name, content)
        except FileExistsError:
            raise
        except OSError as exc:
            # The name was free when the write began (get_available_name, O_EXCL): what is there is ours.
            logger.error("could not write %s to the media storage: %s", name, exc)
            remove_quietly(self.path(name))
            raise StorageUnavailable.from_os_error(exc) from exc


def unavailable_response(request, exc: StorageUnavailable, *, json: bool | None = None):
    """The answer to an upload that could not be stored: JSON for the page's script, else a page."""
    if json is None:
        json = "application/json" in request.headers.get("Accept", "")
    if json:
        response = JsonResponse({"results": [{"ok": False, "message": exc.message}]}, status=exc.status)
    else:
        response = render(request, "storage_unavailable.html", {"message": exc.message}, status=exc.status)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


#: What the kernel says when a disk cannot take a write: full, or mounted read-only.
REFUSED_WRITE = FULL | {errno.EROFS}


def refused_write(exception) -> StorageUnavailable | None:
    if isinstance(exception, StorageUnavailable):
        return exception
    if isinstance(exception, OSError) and exception.errno in REFUSED_WRITE:
        return StorageUnavailable.from_os_error(exception)
    return None


def _remove_partial_uploads(request) -> None:
    """The file being received when the disk refused: Django's parser leaves it open until collected."""
    for handler in request.upload_handlers:
        try:
            handler.upload_interrupted()
        except OSError:  # closing flushes what is buffered, refused the same way; the file is removed all the same
            logger.warning("could not close a refused upload cleanly", exc_info=True)


class StorageUnavailableMiddleware:
    """Every upload path (admin forms, photos, attachments, imports…) answers a refused write the same way.

    Listed before CsrfViewMiddleware: a form's files are written to temporary files when the body is
    first read, which is the CSRF check's reading of the POST (a full disk there would be a 500).
    Views that read their body themselves (csrf_exempt: the documents' uploads) are left to do it.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, callback, callback_args, callback_kwargs):
        if request.method != "POST" or getattr(callback, "csrf_exempt", False):
            return None
        if not request.content_type.startswith("multipart/"):
            return None
        try:
            request.POST  # noqa: B018 - reads the body (and writes its files) now, where a refusal is caught
        except OSError as exc:
            refused = refused_write(exc)
            if refused is None:
                raise
            logger.error("could not receive the files of %s: %s", request.path, exc)
            _remove_partial_uploads(request)
            return unavailable_response(request, refused)
        return None

    def process_exception(self, request, exception):
        refused = refused_write(exception)
        return None if refused is None else unavailable_response(request, refused)
