"""Pages of the shared documents: thin views over selectors, services and the access policy."""

from __future__ import annotations

from http import HTTPStatus
from urllib.parse import unquote

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files import File
from django.db import transaction
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_POST

from carehub import policy
from carehub.access_log import log_access, log_resident_reads
from carehub.decorators import staff_required
from carehub.models import AccessLog
from carehub.storage import RETRY_AFTER, StorageUnavailable, unavailable_response
from coordination.models import Resident
from directory.models import Site

from . import permissions, selectors, services
from .detection import allowed_kinds
from .downloads import version_response
from .forms import (
    DocumentEditForm,
    FolderForm,
    MoveForm,
    NewVersionForm,
    ReadingRequirementForm,
    RootFolderForm,
    UploadForm,
)
from .models import Document, DocumentVersion, Folder, ReadingRequirement
from .scanning import get_scanner
from .uploads import (
    CHUNK_SIZE,
    UPLOAD_ID,
    ChunkError,
    LimitedUploadHandler,
    append_chunk,
    declared_length,
    max_request_size,
    partial_cleanup_throttled,
    partial_path,
    too_large_message,
)


def _folder(user, public_id) -> Folder:
    return get_object_or_404(
        Folder.objects.visible_to(user).select_related("site", "unit", "resident", "parent"), public_id=public_id
    )


def _document(user, public_id, *, binned: bool = False) -> Document:
    qs = Document.objects.visible_to(user).select_related(
        "folder", "folder__site", "folder__unit", "folder__resident", "current_version", "binned_by"
    )
    qs = qs.binned() if binned else qs.active()
    return get_object_or_404(qs, public_id=public_id)


def _wants_json(request) -> bool:
    return "application/json" in request.headers.get("Accept", "")


def upload_checks() -> dict:
    """What the upload page tells people about the checks made (and not made)."""
    scanner = get_scanner()
    return {
        "max_size_mb": settings.DOCUMENTS_MAX_UPLOAD_SIZE // 1_048_576,
        "max_files": settings.DOCUMENTS_MAX_FILES_PER_REQUEST,
        "kinds": allowed_kinds(),
        "scanner_name": scanner.name if scanner else "",
        "accept": ",".join(f".{ext}" for kind in allowed_kinds() for ext in kind.extensions),
    }


# --- Browsing -------------------------------------------------------------------------


@staff_required
def index(request):
    user = request.user
    roots = selectors.root_folders(user)
    return render(
        request,
        "documents/index.html",
        {
            "group_folders": roots[Folder.Scope.GROUP],
            "site_folders": roots[Folder.Scope.SITE],
            "unit_folders": roots[Folder.Scope.UNIT],
            "to_read": list(selectors.must_read_pending(user)[:50]),
            "can_create_root": permissions.can_create_root(user),
        },
    )


def folder_detail(request, public_id):
    user = request.user
    folder = _folder(user, public_id)
    log_resident_reads(request, AccessLog.Action.VIEW, [folder])
    return render(
        request,
        "documents/folder_detail.html",
        {
            "folder": folder,
            "ancestors": selectors.folder_ancestors(folder),
            "children": selectors.folder_children(folder, user),
            "documents": selectors.folder_documents(folder, user),
            "can_upload": permissions.can_upload(user, folder),
            "can_manage": permissions.can_manage_folder(user, folder),
        },
    )


@csrf_exempt
def resident_folder(request, public_id):
    """The resident page's link: the resident's own documents.

    Once the folder exists this leads to it. Before, the page says there is no document yet and,
    to those who may add some, offers the upload form and a "create the folder" button: the folder
    is made by that POST (the first upload or the button), never by a visit.
    """
    resident = get_object_or_404(Resident.objects.visible_to(request.user), public_id=public_id)
    folder = selectors.resident_folder(resident)
    if folder is not None and request.method != "POST":
        return redirect(folder)
    draft = folder or services.resident_folder_draft(resident=resident, user=request.user)
    can_upload = permissions.can_upload(request.user, draft)
    handler = None
    if request.method == "POST":
        if not can_upload:
            raise PermissionDenied
        handler = _limited_upload(request, settings.DOCUMENTS_MAX_FILES_PER_REQUEST)
        if handler is None:
            return _resident_folder_empty(
                request,
                resident,
                draft,
                can_upload,
                status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
                error=_too_large_text(),
            )
    return _resident_folder(request, resident, draft, can_upload, handler)


@csrf_protect
def _resident_folder(request, resident, draft, can_upload, handler):
    if request.method == "POST":
        if request.FILES.getlist("files"):
            # The folder is made by its first upload: when every file is refused, it is not made.
            with transaction.atomic():
                folder = services.resident_folder_get_or_create(resident=resident, user=request.user)
                response = _folder_upload(request, folder, handler)
                if draft.pk is None and not folder.documents.exists():
                    transaction.set_rollback(True)
            return response
        refused = [too_large_message(name) for name in handler.too_large]
        refused += [_("Too many files at once: “%(name)s” was not sent.") % {"name": name} for name in handler.too_many]
        if not refused and not request.POST.get("create"):
            refused = [_("Choose at least one file.")]
        if refused:
            status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE if handler.too_large else HTTPStatus.BAD_REQUEST
            return _resident_folder_empty(request, resident, draft, can_upload, status=status, error=" ".join(refused))
        folder = services.resident_folder_get_or_create(resident=resident, user=request.user)
        if draft.pk is None:
            messages.success(request, _("Folder created."))
        return redirect(folder)
    return _resident_folder_empty(request, resident, draft, can_upload)


def _resident_folder_empty(request, resident, draft, can_upload, *, status=HTTPStatus.OK, error=""):
    log_access(request, AccessLog.Action.VIEW, resident)
    context = {"resident": resident, "folder": draft, "can_upload": can_upload, "form": UploadForm(), "error": error}
    return render(request, "documents/resident_folder_empty.html", {**context, **upload_checks()}, status=status)


@staff_required
def search(request):
    query = request.GET.get("q", "").strip()[:200]
    results = []
    if query:
        results = list(selectors.document_search(request.user, query))
        log_resident_reads(request, AccessLog.Action.SEARCH, results, query=query)
    return render(request, "documents/search.html", {"query": query, "results": results})


# --- Folders ----------------------------------------------------------------------------


def folder_create(request):
    user = request.user
    if not permissions.can_create_root(user):
        raise PermissionDenied
    sites = list(selectors.manageable_sites(user))
    units = list(selectors.manageable_units(user))
    form = RootFolderForm(request.POST or None, sites=sites, units=units, group=policy.is_group_admin(user))
    if request.method == "POST" and form.is_valid():
        kind, _sep, key = form.cleaned_data["place"].partition(":")
        kwargs = {"scope": Folder.Scope.GROUP}
        if kind == "site":
            kwargs = {"scope": Folder.Scope.SITE, "site": next(s for s in sites if str(s.public_id) == key)}
        elif kind == "unit":
            unit = next(u for u in units if str(u.public_id) == key)
            kwargs = {"scope": Folder.Scope.UNIT, "unit": unit, "site": unit.site}
        try:
            folder = services.folder_create(
                user=user,
                name=form.cleaned_data["name"],
                staff_may_upload=form.cleaned_data["staff_may_upload"],
                **kwargs,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Folder created."))
            return redirect(folder)
    status = HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK
    return render(request, "documents/folder_form.html", {"form": form, "parent": None}, status=status)


def folder_new_child(request, public_id):
    user = request.user
    parent = _folder(user, public_id)
    if not permissions.can_manage_folder(user, parent):
        raise PermissionDenied
    form = FolderForm(request.POST or None, initial={"staff_may_upload": parent.staff_may_upload})
    if request.method == "POST" and form.is_valid():
        try:
            folder = services.folder_create(
                user=user,
                name=form.cleaned_data["name"],
                scope=parent.scope,
                parent=parent,
                staff_may_upload=form.cleaned_data["staff_may_upload"],
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Folder created."))
            return redirect(folder)
    status = HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK
    log_resident_reads(request, AccessLog.Action.VIEW, [parent])
    return render(request, "documents/folder_form.html", {"form": form, "parent": parent}, status=status)


def folder_edit(request, public_id):
    user = request.user
    folder = _folder(user, public_id)
    if not permissions.can_manage_folder(user, folder):
        raise PermissionDenied
    form = FolderForm(request.POST or None, initial={"name": folder.name, "staff_may_upload": folder.staff_may_upload})
    if request.method == "POST" and form.is_valid():
        try:
            services.folder_update(
                folder=folder, name=form.cleaned_data["name"], staff_may_upload=form.cleaned_data["staff_may_upload"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Folder updated."))
            return redirect(folder)
    status = HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK
    log_resident_reads(request, AccessLog.Action.VIEW, [folder])
    return render(request, "documents/folder_form.html", {"form": form, "folder": folder}, status=status)


# --- Uploads ----------------------------------------------------------------------------


def _too_large_text() -> str:
    return _("The upload is larger than the limit of %(limit)s MB per file; nothing was stored.") % {
        "limit": settings.DOCUMENTS_MAX_UPLOAD_SIZE // 1_048_576
    }


def _too_large_response(request, folder, limit_files: int):
    message = _too_large_text()
    if _wants_json(request):
        return JsonResponse(
            {"results": [{"ok": False, "message": message}]}, status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE
        )
    context = {"folder": folder, "form": UploadForm(), "results": [], "error": message, **upload_checks()}
    return render(request, "documents/upload.html", context, status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE)


def _limited_upload(request, max_files: int):
    """Refuse an oversize body before reading it; otherwise install the streaming handler.

    Must run before anything reads request.POST/FILES (hence csrf_exempt on the
    outer view and csrf_protect on the inner one, as Django's docs advise).
    """
    if declared_length(request) > max_request_size(max_files):
        return None
    handler = LimitedUploadHandler(request, max_size=settings.DOCUMENTS_MAX_UPLOAD_SIZE, max_files=max_files)
    request.upload_handlers = [handler]
    return handler


@csrf_exempt
def folder_upload(request, public_id):
    folder = _folder(request.user, public_id)
    if not permissions.can_upload(request.user, folder):
        raise PermissionDenied
    handler = None
    if request.method == "POST":
        # The drag-and-drop page sends one file per request and says so: a tighter limit.
        max_files = 1 if request.GET.get("single") else settings.DOCUMENTS_MAX_FILES_PER_REQUEST
        handler = _limited_upload(request, max_files)
        if handler is None:
            return _too_large_response(request, folder, max_files)
    return _folder_upload(request, folder, handler)


@csrf_protect
def _folder_upload(request, folder, handler):
    form = UploadForm()
    results = []
    unavailable = None
    if request.method == "POST":
        form = UploadForm(request.POST)
        comment = request.POST.get("comment", "")[:500]
        results = [{"name": name, "ok": False, "message": too_large_message(name)} for name in handler.too_large]
        results += [
            {
                "name": name,
                "ok": False,
                "message": _("Too many files at once: “%(name)s” was not sent.") % {"name": name},
            }
            for name in handler.too_many
        ]
        for uploaded in request.FILES.getlist("files"):
            try:
                results.append(_store_one(request, folder, uploaded, comment, form_upload_key(request, uploaded)))
            except StorageUnavailable as exc:  # the next files would fail the same way
                unavailable = exc
                results.append({"name": uploaded.name, "ok": False, "message": exc.message})
                break
        if not results:
            results.append({"ok": False, "message": _("Choose at least one file.")})
        ok = all(r["ok"] for r in results)
        if _wants_json(request):
            status = HTTPStatus.OK if ok else HTTPStatus.BAD_REQUEST
            if handler.too_large and not ok:
                status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
            if unavailable is not None:
                status = unavailable.status
            return _retry_later(JsonResponse({"results": results}, status=status), unavailable)
        if ok:
            for result in results:
                messages.success(request, result["message"])
            return redirect(folder)
    context = {"folder": folder, "form": form, "results": results, **upload_checks()}
    status = HTTPStatus.BAD_REQUEST if results and not all(r["ok"] for r in results) else HTTPStatus.OK
    if unavailable is not None:
        status = unavailable.status
    log_resident_reads(request, AccessLog.Action.VIEW, [folder])
    return _retry_later(render(request, "documents/upload.html", context, status=status), unavailable)


def _retry_later(response, unavailable: StorageUnavailable | None):
    if unavailable is not None:
        response["Retry-After"] = str(RETRY_AFTER)
    return response


def form_upload_key(request, uploaded) -> str:
    """The key of one file of a form post: the form's random id and the file's bytes, so that the
    same form sent twice stores each file once, and a different file sent from the same form is new."""
    upload_id = request.POST.get("upload_id", "")
    sha256 = getattr(uploaded, "sha256", "")
    if not UPLOAD_ID.match(upload_id) or not sha256:
        return ""
    return f"{upload_id}:{sha256[:31]}"


def _store_one(request, folder, uploaded, comment, upload_key="") -> dict:
    """One file into ``folder``, as a result for the page. StorageUnavailable is left to the caller."""
    try:
        document = services.document_upload(
            folder=folder, uploaded=uploaded, user=request.user, comment=comment, upload_key=upload_key
        )
    except services.UploadRefused as exc:
        return {"name": uploaded.name, "ok": False, "message": str(exc)}
    except services.Duplicate as dup:
        return {
            "name": uploaded.name,
            "ok": False,
            "duplicate": True,
            "url": dup.document.get_absolute_url(),
            "message": _("“%(name)s” is identical to “%(title)s”, already in this folder; it was not stored twice.")
            % {"name": uploaded.name, "title": dup.document.title},
        }
    return _added(uploaded.name, document)


def _added(name, document) -> dict:
    return {
        "name": name,
        "ok": True,
        "url": document.get_absolute_url(),
        "message": _("“%(title)s” was added.") % {"title": document.title},
    }


def _receive_piece(request, store, stored) -> JsonResponse:
    """One piece of a file sent in pieces by the page's JavaScript (see uploads.append_chunk).

    Headers: X-Upload-Id (32 hex characters), X-Upload-Offset, X-Upload-Total,
    X-Upload-Name and X-Upload-Comment (URL-encoded); the body is the raw piece.
    Answers {"offset": n} until the last piece, then ``store(file, name, comment, upload_id)``'s
    result, as {"results": [result]}. A piece of an upload already stored (the answer to its
    last piece was lost, the browser sends it again) gets ``stored(version, name)``'s result,
    the success the first answer carried. The media full or read-only: 507 or 503, nothing kept.
    """
    name = unquote(request.headers.get("X-Upload-Name", ""))[:500]
    try:
        offset = int(request.headers.get("X-Upload-Offset", ""))
        total = int(request.headers.get("X-Upload-Total", ""))
        upload_id = request.headers.get("X-Upload-Id", "")
        path = partial_path(request.user.pk, upload_id)
    except (ValueError, ChunkError):
        return JsonResponse(
            {"results": [{"name": name, "ok": False, "message": _("The upload request was not understood.")}]},
            status=HTTPStatus.BAD_REQUEST,
        )
    if total > settings.DOCUMENTS_MAX_UPLOAD_SIZE:
        return JsonResponse(
            {"results": [{"name": name, "ok": False, "message": too_large_message(name)}]},
            status=HTTPStatus.REQUEST_ENTITY_TOO_LARGE,
        )
    if total <= 0 or offset < 0:
        message = _("“%(name)s” is empty.") % {"name": name}
        return JsonResponse({"results": [{"name": name, "ok": False, "message": message}]}, status=400)
    if offset == 0:
        partial_cleanup_throttled()  # this node's folder may be its own: the worker's purge never sees it
    try:
        size = append_chunk(path, request, offset=offset, length=declared_length(request), total=total)
    except ChunkError as exc:
        earlier = None
        if exc.status == HTTPStatus.CONFLICT:  # the pieces are gone: were they stored?
            earlier = selectors.version_by_upload_key(user=request.user, upload_key=upload_id)
        if earlier is not None:
            result = stored(earlier, name)
            return JsonResponse({"results": [result]}, status=HTTPStatus.OK if result["ok"] else HTTPStatus.BAD_REQUEST)
        return JsonResponse({"error": str(exc), "offset": exc.offset}, status=exc.status)
    except StorageUnavailable as exc:
        return unavailable_response(request, exc, json=True)
    if size < total:
        return JsonResponse({"offset": size, "chunk_size": CHUNK_SIZE})
    try:
        with path.open("rb") as handle:
            comment = unquote(request.headers.get("X-Upload-Comment", ""))[:500]
            result = store(File(handle, name=name), name, comment, upload_id)
    except StorageUnavailable as exc:
        return unavailable_response(request, exc, json=True)
    finally:
        path.unlink(missing_ok=True)
    return JsonResponse({"results": [result]}, status=HTTPStatus.OK if result["ok"] else HTTPStatus.BAD_REQUEST)


@require_POST
def folder_upload_chunk(request, public_id):
    """The drag-and-drop page: a new document, sent in pieces."""
    folder = _folder(request.user, public_id)
    if not permissions.can_upload(request.user, folder):
        raise PermissionDenied
    return _receive_piece(
        request,
        lambda file, name, comment, upload_id: _store_one(request, folder, file, comment, upload_id),
        lambda version, name: (
            _added(name, version.document)
            if version.document.folder_id == folder.pk
            else {"name": name, "ok": False, "message": _("The upload request was not understood.")}
        ),
    )


@require_POST
def document_version_chunk(request, public_id):
    """The new-version form with JavaScript: the file sent in pieces."""
    document = _document(request.user, public_id)
    if not permissions.can_upload(request.user, document.folder):
        raise PermissionDenied

    def store(file, name, comment, upload_id):
        try:
            version = services.document_version_add(
                document=document, uploaded=file, user=request.user, comment=comment, upload_key=upload_id
            )
        except services.UploadRefused as exc:
            return {"name": name, "ok": False, "message": str(exc)}
        except services.Duplicate as dup:
            return {
                "name": name,
                "ok": False,
                "duplicate": True,
                "message": _duplicate_version_text(document, dup, name),
            }
        return added(version, name)

    def added(version, name):
        if version.document_id != document.pk:  # the id of an upload to another document: not this one's
            message = _("The upload request was not understood.")
            return {"name": name, "ok": False, "message": message}
        message = _("Version %(number)s added.") % {"number": version.number}
        messages.success(request, message)  # shown on the document page the script opens next
        return {"name": name, "ok": True, "url": document.get_absolute_url(), "message": message}

    return _receive_piece(request, store, added)


def _duplicate_version_text(document, dup, name) -> str:
    if dup.document.pk != document.pk:
        return _("“%(name)s” is identical to “%(title)s”, already in this folder; it was not stored twice.") % {
            "name": name,
            "title": dup.document.title,
        }
    return _("This file is identical to version %(number)s; it was not stored twice.") % {
        "number": dup.version.number if dup.version else "?"
    }


@csrf_exempt
def document_new_version(request, public_id):
    document = _document(request.user, public_id)
    if not permissions.can_upload(request.user, document.folder):
        raise PermissionDenied
    handler = None
    if request.method == "POST":
        handler = _limited_upload(request, 1)
        if handler is None:
            return _too_large_response(request, document.folder, 1)
    return _document_new_version(request, document, handler)


@csrf_protect
def _document_new_version(request, document, handler):
    form = NewVersionForm(request.POST or None)
    error = ""
    if request.method == "POST":
        uploaded = request.FILES.get("file")
        if handler.too_large:
            error = too_large_message(handler.too_large[0])
        elif uploaded is None:
            error = _("Choose the file of the new version.")
        else:
            try:
                version = services.document_version_add(
                    document=document,
                    uploaded=uploaded,
                    user=request.user,
                    comment=request.POST.get("comment", ""),
                    upload_key=form_upload_key(request, uploaded),
                )
            except services.UploadRefused as exc:
                error = str(exc)
            except services.Duplicate as dup:
                error = _duplicate_version_text(document, dup, uploaded.name)
            except StorageUnavailable as exc:
                return unavailable_response(request, exc, json=False)
            else:
                messages.success(request, _("Version %(number)s added.") % {"number": version.number})
                return redirect(document)
    context = {"document": document, "form": form, "error": error, **upload_checks()}
    status = HTTPStatus.BAD_REQUEST if error else HTTPStatus.OK
    if error and handler and handler.too_large:
        status = HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    log_resident_reads(request, AccessLog.Action.VIEW, [document])
    return render(request, "documents/new_version.html", context, status=status)


# --- Documents ----------------------------------------------------------------------------


def document_detail(request, public_id):
    user = request.user
    document = _document(user, public_id)
    log_resident_reads(request, AccessLog.Action.VIEW, [document])
    must_read = selectors.must_read_applies(document, user)
    confirmed = (
        must_read
        and document.current_version_id
        and document.current_version.read_confirmations.filter(user=user).exists()
    )
    return render(
        request,
        "documents/document_detail.html",
        {
            "document": document,
            "folder": document.folder,
            "ancestors": [*selectors.folder_ancestors(document.folder), document.folder],
            "versions": selectors.version_list(document),
            "must_read": must_read,
            "confirmed": confirmed,
            "can_upload": permissions.can_upload(user, document.folder),
            "can_manage": permissions.can_manage_folder(user, document.folder),
            "can_manage_reading": permissions.can_manage_reading(user)
            and document.folder.scope != Folder.Scope.RESIDENT,
            "version_form": NewVersionForm(),
            **upload_checks(),
        },
    )


def _managed_document(request, public_id) -> Document:
    document = _document(request.user, public_id)
    if not permissions.can_manage_folder(request.user, document.folder):
        raise PermissionDenied
    return document


def document_edit(request, public_id):
    document = _managed_document(request, public_id)
    form = DocumentEditForm(
        request.POST or None, initial={"title": document.title, "description": document.description}
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.document_rename(
                document=document, title=form.cleaned_data["title"], description=form.cleaned_data["description"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Document updated."))
            return redirect(document)
    status = HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK
    log_resident_reads(request, AccessLog.Action.VIEW, [document])
    return render(request, "documents/document_edit.html", {"document": document, "form": form}, status=status)


def document_move(request, public_id):
    document = _managed_document(request, public_id)
    user = request.user
    targets = [
        f
        for f in selectors.upload_targets(user)
        if f.pk != document.folder_id
        and permissions.can_manage_folder(user, f)
        and bool(f.resident_id) == bool(document.folder.resident_id)
        and (not f.resident_id or f.resident_id == document.folder.resident_id)
    ]
    form = MoveForm(request.POST or None, folders=targets)
    if request.method == "POST" and form.is_valid():
        target = next(f for f in targets if str(f.public_id) == form.cleaned_data["folder"])
        try:
            services.document_move(document=document, folder=target)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Document moved to “%(folder)s”.") % {"folder": target.name})
            return redirect(document)
    status = HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK
    log_resident_reads(request, AccessLog.Action.VIEW, [document])
    return render(
        request, "documents/document_move.html", {"document": document, "form": form, "targets": targets}, status=status
    )


@require_POST
def document_family(request, public_id):
    document = _managed_document(request, public_id)
    visible = request.POST.get("visible") == "1"
    try:
        services.document_set_family_visible(document=document, visible=visible)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(document)
    if visible:
        messages.success(request, _("The family can now see this document in the family portal."))
    else:
        messages.success(request, _("The family no longer sees this document."))
    return redirect(document)


@require_POST
def document_bin(request, public_id):
    document = _managed_document(request, public_id)
    services.document_bin(document=document, user=request.user)
    messages.success(
        request,
        _("“%(title)s” was moved to the bin. It can be restored for %(days)s days.")
        % {"title": document.title, "days": settings.DOCUMENTS_BIN_RETENTION_DAYS},
    )
    return redirect(document.folder)


@require_POST
def document_restore(request, public_id):
    document = _document(request.user, public_id, binned=True)
    if not permissions.can_manage_folder(request.user, document.folder):
        raise PermissionDenied
    try:
        services.document_restore(document=document)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("documents:bin")
    messages.success(request, _("“%(title)s” was restored.") % {"title": document.title})
    return redirect(document)


def bin_list(request):
    user = request.user
    if not permissions.can_create_root(user):  # coordinators and group admins
        raise PermissionDenied
    binned = (
        Document.objects.visible_to(user)
        .binned()
        .select_related("folder", "folder__site", "folder__resident", "binned_by", "current_version")
        .order_by("-binned_at", "pk")
    )
    documents = [d for d in binned[:500] if permissions.can_manage_folder(user, d.folder)]
    log_resident_reads(request, AccessLog.Action.VIEW, documents)
    return render(
        request,
        "documents/bin.html",
        {"documents": documents, "retention_days": settings.DOCUMENTS_BIN_RETENTION_DAYS},
    )


# --- Required reading ----------------------------------------------------------------------


def document_reading(request, public_id):
    """Coordinators: ask sites/units/jobs to read a document; see who has and who has not."""
    user = request.user
    document = _document(user, public_id)
    if not permissions.can_manage_reading(user) or document.folder.scope == Folder.Scope.RESIDENT:
        raise PermissionDenied
    sites = list(selectors.manageable_sites(user))
    units = list(selectors.manageable_units(user))
    form = ReadingRequirementForm(request.POST or None, sites=sites, units=units)
    if request.method == "POST" and form.is_valid():
        site = next(s for s in sites if str(s.public_id) == form.cleaned_data["site"])
        unit = next((u for u in units if str(u.public_id) == form.cleaned_data["unit"]), None)
        try:
            services.reading_requirement_add(
                document=document, user=user, site=site, unit=unit, job=form.cleaned_data["job"]
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, _("Required reading saved; the people concerned were notified."))
            return redirect("documents:document_reading", public_id=document.public_id)
    requirements, rows = selectors.reading_status(document, user)
    status = HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK
    return render(
        request,
        "documents/reading.html",
        {
            "document": document,
            "form": form,
            "requirements": requirements,
            "rows": rows,
            "read_count": sum(1 for _person, at in rows if at),
        },
        status=status,
    )


@require_POST
def reading_remove(request, public_id):
    user = request.user
    requirement = get_object_or_404(
        ReadingRequirement.objects.select_related("document").filter(
            document__in=Document.objects.visible_to(user),
            site__in=Site.objects.managed_by(user),
        ),
        public_id=public_id,
    )
    services.reading_requirement_remove(requirement=requirement)
    messages.success(request, _("Required reading removed."))
    return redirect("documents:document_reading", public_id=requirement.document.public_id)


@require_POST
def document_read_confirm(request, public_id):
    document = _document(request.user, public_id)
    if document.current_version_id is None:
        raise Http404
    services.read_confirm(document=document, user=request.user)
    messages.success(request, _("Thank you: your reading of “%(title)s” is recorded.") % {"title": document.title})
    return redirect(document)


# --- Files ----------------------------------------------------------------------------


def _version(user, public_id) -> DocumentVersion:
    return get_object_or_404(
        DocumentVersion.objects.visible_to(user).select_related("document__folder__resident"),
        public_id=public_id,
    )


def version_download(request, public_id):
    return version_response(request, _version(request.user, public_id), inline=False)


def version_preview(request, public_id):
    return version_response(request, _version(request.user, public_id), inline=True)


def version_thumbnail(request, public_id):
    """The small image shown in lists, part of the page that showed it (not logged on its own)."""
    from .downloads import stored_file_response

    version = _version(request.user, public_id)
    if not version.thumbnail:
        raise Http404
    return stored_file_response(
        request, version.thumbnail, filename="preview.png", content_type="image/png", inline=True
    )
