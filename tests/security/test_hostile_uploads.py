"""Every hostile file of the corpus on every upload path: refused with a clear French 4xx answer and
nothing left behind, or kept only in a neutralised form (safe name, no GPS, served as a download
with nosniff and a restrictive CSP).

The paths: a folder's upload form, its uploader in pieces, a resident's folder created by its first
file, a new version by form and in pieces, a message's attachments, a person's own photo, a staff
photo and a resident photo in the admin (change and admission), the staff and resident CSV imports.
"""

from __future__ import annotations

import io
import re
import secrets
import unicodedata
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from html.parser import HTMLParser
from http import HTTPStatus
from urllib.parse import quote

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.translation import trans_real
from PIL import Image

from coordination.models import Resident
from directory.models import StaffProfile
from documents.detection import KINDS
from documents.models import Document, DocumentVersion, Folder
from messaging.models import Attachment, Message
from tests.carehub.admin_forms import admin_form_data
from tests.documents.factories import FolderFactory, make_document
from tests.messaging.factories import ResidentFactory, group_with
from tests.security.corpus import CORPUS, GPS_IFD, LIMIT, Hostile

pytestmark = pytest.mark.django_db

FR = {"HTTP_ACCEPT_LANGUAGE": "fr"}
#: Types a browser runs or renders as a page (script, markup).
UNSAFE_TYPES = re.compile(r"html|svg|^(text|application)/xml|javascript|ecmascript")


# --- What the person reads: a sentence of the French catalogue ------------------------------------


class _Errors(HTMLParser):
    """The text of a page's error messages (Django's error lists, the app's error notices, alerts)."""

    def __init__(self):
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        is_error = {"errorlist", "errornote", "message--error"} & set(classes) or (
            attrs.get("role") == "alert" and "hidden" not in attrs
        )
        if self.depth or is_error:
            self.depth += 1

    def handle_endtag(self, tag):
        if self.depth:
            self.depth -= 1

    def handle_data(self, data):
        if self.depth:
            self.parts.append(data)


def error_text(response) -> str:
    if response["Content-Type"].startswith("application/json"):
        return " ".join(result["message"] for result in response.json().get("results", []))
    parser = _Errors()
    parser.feed(response.content.decode())
    return " ".join(" ".join(parser.parts).split())


_PLACEHOLDER = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\w*\}")


def _french_sentences() -> list[tuple[str, re.Pattern]]:
    catalog = trans_real.translation("fr")._catalog
    sentences = []
    for key, text in catalog.items():
        if isinstance(key, tuple) or len(text) < 12:
            continue
        pieces = _PLACEHOLDER.split(text)
        literal = max(pieces, key=len)
        pattern = ".+?".join(re.escape(" ".join(piece.split())) for piece in pieces)
        sentences.append((" ".join(literal.split()), re.compile(pattern, re.DOTALL)))
    return sentences


_SENTENCES: list[tuple[str, re.Pattern]] = []


def is_french_sentence(text: str) -> bool:
    if not _SENTENCES:
        _SENTENCES.extend(_french_sentences())
    return any(literal in text and pattern.search(text) for literal, pattern in _SENTENCES)


# --- What was kept --------------------------------------------------------------------------------


def safe_display_name(name: str) -> bool:
    return not (
        not name
        or name.startswith(".")
        or any(ch in name for ch in '/\\<>:"|?*')
        or any(unicodedata.category(ch).startswith("C") for ch in name)
    )


def without_location(data: bytes) -> bool:
    """No EXIF GPS block, no XMP GPS property, in what was stored."""
    if b"GPSLatitude" in data or b"GPSLongitude" in data:
        return False
    try:
        with Image.open(io.BytesIO(data)) as image:
            return GPS_IFD not in image.getexif()
    except Exception:  # not an image: no picture metadata to leak
        return True


def served_safely(response, *, inline_ok: bool) -> list[str]:
    problems = []
    disposition = response.get("Content-Disposition", "")
    content_type = response.get("Content-Type", "")
    if response.get("X-Content-Type-Options") != "nosniff":
        problems.append("no nosniff")
    if "default-src 'none'" not in response.get("Content-Security-Policy", ""):
        problems.append("no restrictive CSP")
    if not inline_ok and not disposition.startswith("attachment"):
        problems.append(f"not a download: {disposition!r}")
    if UNSAFE_TYPES.search(content_type.split(";")[0]):
        problems.append(f"served as {content_type}")
    if "\r" in disposition or "\n" in disposition:
        problems.append("header injection")
    return problems


def media_files(settings) -> set[str]:
    from pathlib import Path

    found = set()
    for root in (Path(settings.MEDIA_ROOT), Path(settings.UPLOAD_PIECES_DIR)):
        if root.exists():
            found |= {str(p) for p in root.rglob("*") if p.is_file()}
    return found


def database_state() -> tuple:
    """What an upload may add. Not folders: a resident's folder is made on the first attempt, as its
    "Create the folder" button makes it, whatever becomes of the file."""
    return (
        Document.objects.count(),
        DocumentVersion.objects.count(),
        Message.objects.count(),
        Attachment.objects.count(),
        tuple(Resident.objects.order_by("pk").values_list("pk", "photo")),
        tuple(StaffProfile.objects.order_by("pk").values_list("pk", "photo")),
    )


# --- The paths -------------------------------------------------------------------------------------


@dataclass
class World:
    client: object
    user: object
    folder: Folder
    document: Document
    conversation: object
    resident: Resident
    site: object


def _as_upload(hostile: Hostile) -> SimpleUploadedFile:
    return SimpleUploadedFile(hostile.name, hostile.content, content_type=hostile.content_type)


def _pieces(world, url, hostile):
    return world.client.generic(
        "POST",
        url,
        hostile.content,
        content_type="application/octet-stream",
        HTTP_ACCEPT="application/json",
        HTTP_X_UPLOAD_ID=secrets.token_hex(16),
        HTTP_X_UPLOAD_OFFSET="0",
        HTTP_X_UPLOAD_TOTAL=str(len(hostile.content)),
        HTTP_X_UPLOAD_NAME=quote(hostile.name),
        **FR,
    )


def folder_form(world, hostile):
    url = reverse("documents:folder_upload", kwargs={"public_id": world.folder.public_id})
    return world.client.post(url, {"files": [_as_upload(hostile)]}, **FR)


def folder_pieces(world, hostile):
    return _pieces(
        world, reverse("documents:folder_upload_chunk", kwargs={"public_id": world.folder.public_id}), hostile
    )


def resident_folder(world, hostile):
    url = reverse("documents:resident_folder", kwargs={"public_id": world.resident.public_id})
    return world.client.post(url, {"files": [_as_upload(hostile)]}, **FR)


def version_form(world, hostile):
    url = reverse("documents:document_new_version", kwargs={"public_id": world.document.public_id})
    return world.client.post(url, {"file": _as_upload(hostile)}, **FR)


def version_pieces(world, hostile):
    url = reverse("documents:document_version_chunk", kwargs={"public_id": world.document.public_id})
    return _pieces(world, url, hostile)


def message_attachment(world, hostile):
    url = reverse("messaging:conversation", kwargs={"public_id": world.conversation.public_id})
    data = {"body": "Voir la pièce jointe", "client_token": str(uuid.uuid4()), "files": [_as_upload(hostile)]}
    return world.client.post(url, data, **FR)


def own_photo(world, hostile):
    data = {"phone_extension": "", "mobile": "", "mobile_visibility": "site", "photo": _as_upload(hostile)}
    return world.client.post(reverse("directory:profile_edit"), data, **FR)


def _admin_change(world, url, hostile):
    data = {k: v for k, v in admin_form_data(world.client.get(url, **FR)).items() if k != "photo"}
    data["photo"] = _as_upload(hostile)
    return world.client.post(url, data, **FR)


def staff_photo_admin(world, hostile):
    profile = StaffProfile.objects.get(user=world.user)
    return _admin_change(world, reverse("admin:directory_staffprofile_change", args=[profile.pk]), hostile)


def resident_photo_admin(world, hostile):
    return _admin_change(world, reverse("admin:coordination_resident_change", args=[world.resident.pk]), hostile)


def resident_admission_admin(world, hostile):
    data = {
        "site": world.site.pk,
        "last_name": "Martin",
        "first_name": "Odette",
        "room": "31",
        "status": "present",
        "admission_date": "2026-01-05",
        "photo": _as_upload(hostile),
        "alerts-TOTAL_FORMS": "0",
        "alerts-INITIAL_FORMS": "0",
    }
    return world.client.post(reverse("admin:coordination_resident_add"), data, **FR)


def _import(kind):
    def send(world, hostile):
        return world.client.post(reverse("backoffice:import_upload", args=[kind]), {"file": _as_upload(hostile)}, **FR)

    return send


@dataclass(frozen=True)
class UploadPath:
    name: str
    send: Callable
    kind: str  # "document", "attachment", "photo" or "import"


PATHS = [
    UploadPath("folder upload form", folder_form, "document"),
    UploadPath("folder upload in pieces", folder_pieces, "document"),
    UploadPath("resident folder's first file", resident_folder, "document"),
    UploadPath("new version form", version_form, "document"),
    UploadPath("new version in pieces", version_pieces, "document"),
    UploadPath("message attachment", message_attachment, "attachment"),
    UploadPath("own profile photo", own_photo, "photo"),
    UploadPath("staff photo in the admin", staff_photo_admin, "photo"),
    UploadPath("resident photo in the admin", resident_photo_admin, "photo"),
    UploadPath("resident admitted in the admin with a photo", resident_admission_admin, "photo"),
    UploadPath("staff CSV import", _import("staff"), "import"),
    UploadPath("resident CSV import", _import("residents"), "import"),
]


@pytest.fixture
def world(site_a, unit_a, coordinator_a, verified_client, media_root, settings, tmp_path):
    settings.LANGUAGE_CODE = "fr"
    settings.UPLOAD_PIECES_DIR = tmp_path / "upload-pieces"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path)
    settings.DOCUMENTS_MAX_UPLOAD_SIZE = LIMIT
    settings.DIRECTORY_PHOTO_MAX_BYTES = LIMIT
    settings.BACKOFFICE_IMPORT_MAX_BYTES = LIMIT
    folder = FolderFactory(scope=Folder.Scope.SITE, site=site_a, name="Protocoles", created_by=coordinator_a)
    document = make_document(folder, coordinator_a, name="protocole.pdf")
    resident = ResidentFactory(site=site_a, unit=unit_a, room="12")
    StaffProfile.objects.get_or_create(user=coordinator_a)
    return World(
        client=verified_client(coordinator_a),
        user=coordinator_a,
        folder=folder,
        document=document,
        conversation=group_with(coordinator_a),
        resident=resident,
        site=site_a,
    )


# --- What was kept, path by path ------------------------------------------------------------------


def _kept_document(world, before) -> list[str]:
    version = DocumentVersion.objects.order_by("-pk").first()
    problems = []
    if not safe_display_name(version.original_name):
        problems.append(f"unsafe name {version.original_name!r}")
    if not re.fullmatch(r"documents/[0-9a-f]{2}/[0-9a-f]{32}", version.file.name):
        problems.append(f"storage name {version.file.name!r}")
    if version.kind not in KINDS:
        problems.append(f"kind {version.kind}")
    with version.file.open("rb") as handle:
        if not without_location(handle.read()):
            problems.append("GPS position kept")
    download = world.client.get(reverse("documents:version_download", kwargs={"public_id": version.public_id}))
    problems += served_safely(download, inline_ok=False)
    preview = world.client.get(reverse("documents:version_preview", kwargs={"public_id": version.public_id}))
    if preview.status_code == HTTPStatus.OK:
        problems += [f"preview: {p}" for p in served_safely(preview, inline_ok=True)]
    return problems


def _kept_attachment(world, before) -> list[str]:
    attachment = Attachment.objects.order_by("-pk").get()
    problems = []
    if not safe_display_name(attachment.name):
        problems.append(f"unsafe name {attachment.name!r}")
    if "\0" in attachment.original_name:
        problems.append("NUL kept in the name as sent (PostgreSQL refuses it)")
    if not re.fullmatch(r"messaging/[0-9a-f]{2}/[0-9a-f]{32}", attachment.file.name):
        problems.append(f"storage name {attachment.file.name!r}")
    with attachment.file.open("rb") as handle:
        if not without_location(handle.read()):
            problems.append("GPS position kept")
    download = world.client.get(reverse("messaging:attachment", kwargs={"public_id": attachment.public_id}))
    return problems + served_safely(download, inline_ok=False)


def _kept_photo(world, before) -> list[str]:
    photos = dict(before[-2] + before[-1])
    changed = [
        row
        for row in [
            *Resident.objects.values_list("pk", "photo", flat=False),
            *StaffProfile.objects.values_list("pk", "photo"),
        ]
        if row[1] and photos.get(row[0]) != row[1]
    ]
    problems = []
    resident = Resident.objects.exclude(photo="").order_by("-pk").first()
    profile = StaffProfile.objects.exclude(photo="").first()
    field = resident.photo if resident is not None else profile.photo
    if not changed:
        problems.append("no photo kept")
    if not re.fullmatch(r"(resident|staff)-photos/[\w-]+\.jpg", field.name):
        problems.append(f"storage name {field.name!r}")
    with field.open("rb") as handle:
        data = handle.read()
    with Image.open(io.BytesIO(data)) as image:
        if image.format != "JPEG" or dict(image.getexif()):
            problems.append(f"not re-encoded: {image.format}, {dict(image.getexif())}")
    if not without_location(data):
        problems.append("GPS position kept")
    return problems


KEPT = {"document": _kept_document, "attachment": _kept_attachment, "photo": _kept_photo}


def _accepted(path: UploadPath, before, response) -> bool:
    if path.kind == "import":  # nothing is written before "apply": a preview without errors is the yes
        plan = (response.context or {}).get("plan") if response.status_code == HTTPStatus.OK else None
        return plan is not None and not plan.errors
    return database_state() != before


@pytest.mark.parametrize("path", PATHS, ids=[p.name for p in PATHS])
@pytest.mark.parametrize("hostile", CORPUS, ids=[h.id for h in CORPUS])
def test_a_hostile_file_is_refused_cleanly_or_kept_harmless(world, settings, path, hostile):
    before, files_before = database_state(), media_files(settings)
    response = path.send(world, hostile)
    assert response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR
    if _accepted(path, before, response):
        assert response.status_code < HTTPStatus.BAD_REQUEST
        problems = KEPT[path.kind](world, before) if path.kind in KEPT else []
        assert problems == []
        return
    assert HTTPStatus.BAD_REQUEST <= response.status_code < HTTPStatus.INTERNAL_SERVER_ERROR
    message = error_text(response)
    assert is_french_sentence(message), message
    assert (database_state(), media_files(settings)) == (before, files_before)
