"""Sending a stored file: permission already checked by the caller, access logged, streamed.

Memory stays flat whatever the file size: under WSGI the file object is read
in blocks (or handed to the server's file wrapper); under ASGI (Daphne) it is
read in a thread by an asynchronous iterator, because Django would otherwise
turn a synchronous iterator into a list, i.e. the whole file in memory.
Daphne has no back-pressure towards slow clients, so production behind nginx
should set DOCUMENTS_X_ACCEL_REDIRECT and let nginx send the bytes (README.md),
which only applies to files on disk: object storage is streamed through Django.
"""

from __future__ import annotations

import asyncio
from urllib.parse import quote

from django.conf import settings
from django.core.files.storage import FileSystemStorage
from django.core.handlers.asgi import ASGIRequest
from django.http import FileResponse, Http404, HttpResponse
from django.utils.http import content_disposition_header

from carehub.access_log import log_access
from carehub.models import AccessLog

from .detection import KINDS
from .models import DocumentVersion

BLOCK_SIZE = 256 * 1024

#: Inline previews: the file may show itself and nothing else (no script, no frame, no form).
INLINE_CSP = (
    "default-src 'none'; img-src 'self' data:; style-src 'unsafe-inline'; object-src 'self'; "
    "base-uri 'none'; form-action 'none'; frame-ancestors 'self'"
)
ATTACHMENT_CSP = "default-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; sandbox"


async def _aiter_file(fileobj, block_size: int = BLOCK_SIZE):
    while chunk := await asyncio.to_thread(fileobj.read, block_size):
        yield chunk


def _secure(response, *, inline: bool):
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = INLINE_CSP if inline else ATTACHMENT_CSP
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "SAMEORIGIN" if inline else "DENY"
    return response


def stream_file(request, fileobj, *, filename: str, content_type: str, inline: bool) -> FileResponse:
    response = FileResponse(fileobj, as_attachment=not inline, filename=filename, content_type=content_type)
    response.block_size = BLOCK_SIZE
    if isinstance(request, ASGIRequest):
        length = response.headers.get("Content-Length")
        response.streaming_content = _aiter_file(fileobj)
        if length:
            response.headers["Content-Length"] = length
    return _secure(response, inline=inline)


def accel_redirect(storage_name: str, *, filename: str, content_type: str, inline: bool) -> HttpResponse:
    """Let the reverse proxy send the file (nginx ``X-Accel-Redirect`` to an ``internal`` location).

    Django still decides who may download and writes the access log; the proxy
    only copies bytes, with back-pressure, whatever the application server.
    """
    response = HttpResponse(content_type=content_type)
    response.headers["X-Accel-Redirect"] = quote(settings.DOCUMENTS_X_ACCEL_REDIRECT.rstrip("/") + "/" + storage_name)
    response.headers["Content-Disposition"] = content_disposition_header(not inline, filename)
    return _secure(response, inline=inline)


def accel_redirect_applies(storage) -> bool:
    """Whether nginx can send this storage's files itself: only files under MEDIA_ROOT on disk.

    With object storage (MEDIA_STORAGE=s3) there is no file for nginx to read:
    the bytes are streamed through Django, still after the access checks.
    """
    return bool(settings.DOCUMENTS_X_ACCEL_REDIRECT) and isinstance(storage, FileSystemStorage)


def stored_file_response(request, field_file, *, filename: str, content_type: str, inline: bool) -> HttpResponse:
    """A stored file (a FieldFile) sent to someone already allowed to have it; 404 if the bytes are gone."""
    if accel_redirect_applies(field_file.storage):
        return accel_redirect(field_file.name, filename=filename, content_type=content_type, inline=inline)
    try:
        fileobj = field_file.storage.open(field_file.name, "rb")
    except FileNotFoundError:
        raise Http404 from None
    return stream_file(request, fileobj, filename=filename, content_type=content_type, inline=inline)


def version_response(request, version: DocumentVersion, *, inline: bool, user=None, client=None) -> HttpResponse:
    """The file of one version, logged as a download (attachment) or a view (inline preview).

    Used by this app's views, by the family portal (after its own access check) and by the FHIR API
    (``client``: the API token, named in the access log).
    Only PDFs and images are ever shown inline; everything else is downloaded.
    """
    kind = KINDS.get(version.kind)
    inline = inline and kind is not None and kind.inline
    log_access(
        request,
        AccessLog.Action.VIEW if inline else AccessLog.Action.DOWNLOAD,
        version,
        user=user,
        client=client,
    )
    content_type = kind.mime if kind else "application/octet-stream"
    return stored_file_response(
        request, version.file, filename=version.original_name, content_type=content_type, inline=inline
    )
