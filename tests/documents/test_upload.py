"""Uploading: plain form and one-file-per-request (drag and drop), limits, names, permissions."""

import io
import json
from http import HTTPStatus

import pytest
from django.test import RequestFactory
from django.urls import reverse

from carehub.models import AccessLog
from documents import views
from documents.models import Document, DocumentVersion
from documents.uploads import sanitize_filename
from tests.conftest import login_verified
from tests.documents.factories import pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db


def _url(folder, single=False):
    url = reverse("documents:folder_upload", kwargs={"public_id": folder.public_id})
    return url + "?single=1" if single else url


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\system32\\boot.ini", "boot.ini"),
        ("C:\\Users\\idec\\Mes documents\\PAP Durand.pdf", "PAP Durand.pdf"),
        ("rapport\x00\x1b[31m.pdf", "rapport [31m.pdf"),
        ("facture\u202egpj.exe", "facture gpj.exe"),
        (".htaccess", "htaccess"),
        ("...", "document"),
        ("a" * 300 + ".pdf", "a" * 176 + ".pdf"),
        ("Projet d’accompagnement – été.pdf", "Projet d’accompagnement – été.pdf"),
        ('bad<>:"|?*.pdf', "bad_______.pdf"),
    ],
)
def test_sanitize_filename(raw, clean):
    assert sanitize_filename(raw) == clean


def test_plain_form_upload_of_several_files(verified_client, coordinator_a, folder_a, media_root):
    client = verified_client(coordinator_a)
    response = client.post(
        _url(folder_a),
        {
            "files": [upload("Protocole chutes.pdf", pdf_bytes("chutes")), upload("plan.png", png_bytes())],
            "comment": "Mise à jour 2026",
        },
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == folder_a.get_absolute_url()
    documents = {d.title: d for d in Document.objects.filter(folder=folder_a).select_related("current_version")}
    assert set(documents) == {"Protocole chutes.pdf", "plan.png"}
    version = documents["Protocole chutes.pdf"].current_version
    assert version.kind == "pdf"
    assert version.uploaded_by == coordinator_a
    assert version.comment == "Mise à jour 2026"
    assert len(version.sha256) == 64
    # Stored under a random name, outside static/, inside MEDIA_ROOT.
    assert version.file.name.startswith("documents/")
    assert "Protocole" not in version.file.name
    assert (media_root / version.file.name).read_bytes() == pdf_bytes("chutes")


def _raw_multipart(filename: str, content: bytes) -> tuple[bytes, str]:
    boundary = "carehubboundary"
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="files"; filename="{filename}"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + content
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return body, f"multipart/form-data; boundary={boundary}"


@pytest.mark.parametrize(
    ("filename", "title"),
    [
        ("..\\..\\..\\etc\\cron.d\\evil.pdf", "evil.pdf"),
        ("../../../../var/www/évasion.pdf", "évasion.pdf"),
        ("rapport\x7f\x1b.pdf", "rapport.pdf"),
    ],
)
def test_traversal_names_are_only_display_names(verified_client, coordinator_a, folder_a, media_root, filename, title):
    body, content_type = _raw_multipart(filename, pdf_bytes("évasion"))
    response = verified_client(coordinator_a).generic(
        "POST", _url(folder_a, single=True), body, content_type=content_type, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == HTTPStatus.OK, response.content
    version = DocumentVersion.objects.get()
    assert version.document.title == title
    assert version.original_name == title
    stored = (media_root / version.file.name).resolve()
    assert stored.is_relative_to((media_root / "documents").resolve())
    assert stored.read_bytes() == pdf_bytes("évasion")


def test_drag_and_drop_request_answers_json(verified_client, coordinator_a, folder_a):
    client = verified_client(coordinator_a)
    response = client.post(
        _url(folder_a, single=True), {"files": [upload("note.txt", b"Bonjour")]}, HTTP_ACCEPT="application/json"
    )
    assert response.status_code == HTTPStatus.OK
    result = response.json()["results"][0]
    assert result["ok"] is True
    document = Document.objects.get()
    assert result["url"] == document.get_absolute_url()


def test_refused_file_gives_reason_and_others_are_kept(verified_client, coordinator_a, folder_a):
    client = verified_client(coordinator_a)
    response = client.post(
        _url(folder_a),
        {"files": [upload("bon.pdf", pdf_bytes()), upload("piege.pdf", b"<html><script>x</script></html>")]},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    content = response.content.decode()
    assert "piege.pdf" in content
    assert Document.objects.filter(folder=folder_a).count() == 1
    assert Document.objects.get().title == "bon.pdf"


def test_oversize_file_is_skipped_while_streaming(settings, verified_client, coordinator_a, folder_a, media_root):
    settings.DOCUMENTS_MAX_UPLOAD_SIZE = 10_000
    client = verified_client(coordinator_a)
    big = pdf_bytes("gros") + b"%" + b"0" * 20_000
    response = client.post(_url(folder_a), {"files": [upload("gros.pdf", big), upload("petit.pdf", pdf_bytes())]})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "gros.pdf" in response.content.decode()
    assert list(Document.objects.values_list("title", flat=True)) == ["petit.pdf"]
    stored = [p for p in (media_root / "documents").rglob("*") if p.is_file()]
    assert len(stored) == 1


class CountingInput(io.BytesIO):
    def __init__(self, data):
        super().__init__(data)
        self.bytes_read = 0

    def read(self, size=-1):
        chunk = super().read(size)
        self.bytes_read += len(chunk)
        return chunk

    def readline(self, size=-1):
        line = super().readline(size)
        self.bytes_read += len(line)
        return line


def test_declared_oversize_body_is_refused_before_reading_it(settings, coordinator_a, folder_a):
    settings.DOCUMENTS_MAX_UPLOAD_SIZE = 10_000
    body = b"x" * 200_000
    stream = CountingInput(body)
    request = RequestFactory().generic(
        "POST",
        _url(folder_a, single=True),
        data=b"",
        content_type="multipart/form-data; boundary=zzz",
        HTTP_ACCEPT="application/json",
    )
    request.META["wsgi.input"] = stream
    request.META["CONTENT_LENGTH"] = str(len(body))
    request._stream = None
    from django.core.handlers.wsgi import LimitedStream

    request._stream = LimitedStream(stream, len(body))
    request.user = coordinator_a
    response = views.folder_upload(request, public_id=folder_a.public_id)
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert stream.bytes_read == 0
    assert "larger than the limit" in json.loads(response.content)["results"][0]["message"]
    assert not Document.objects.exists()


def test_empty_submission_says_what_to_do(verified_client, coordinator_a, folder_a):
    response = verified_client(coordinator_a).post(_url(folder_a), {"comment": "x"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Choose at least one file" in response.content.decode()


def test_too_many_files_in_one_request(settings, verified_client, coordinator_a, folder_a):
    settings.DOCUMENTS_MAX_FILES_PER_REQUEST = 2
    files = [upload(f"f{i}.txt", f"texte {i}".encode()) for i in range(3)]
    response = verified_client(coordinator_a).post(_url(folder_a), {"files": files})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "Too many files" in response.content.decode()
    assert sorted(Document.objects.values_list("title", flat=True)) == ["f0.txt", "f1.txt"]


def test_file_after_an_oversize_one_is_kept(settings, verified_client, coordinator_a, folder_a):
    settings.DOCUMENTS_MAX_UPLOAD_SIZE = 10_000
    files = [upload("a.txt", b"premier"), upload("b.txt", b"x" * 20_000), upload("c.txt", b"dernier")]
    response = verified_client(coordinator_a).post(_url(folder_a), {"files": files})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert sorted(Document.objects.values_list("title", flat=True)) == ["a.txt", "c.txt"]


def test_upload_page_states_the_checks_and_no_virus_scan(verified_client, coordinator_a, folder_a):
    response = verified_client(coordinator_a).get(_url(folder_a))
    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "No virus scanning is configured" in content
    assert "25 MB" in content
    assert 'src="/static/js/documents.js"' in content
    assert "<script>" not in content.replace('<script src="', "")


def test_staff_cannot_upload_to_a_coordinators_folder(verified_client, staff_a, folder_a):
    response = verified_client(staff_a).post(_url(folder_a), {"files": [upload("x.pdf", pdf_bytes())]})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Document.objects.exists()


def test_staff_can_upload_where_the_folder_allows(verified_client, staff_a, open_folder_a):
    response = verified_client(staff_a).post(_url(open_folder_a), {"files": [upload("x.pdf", pdf_bytes())]})
    assert response.status_code == HTTPStatus.FOUND
    assert Document.objects.get().created_by == staff_a


def test_staff_of_another_site_gets_404(verified_client, staff_b, open_folder_a):
    response = verified_client(staff_b).post(_url(open_folder_a), {"files": [upload("x.pdf", pdf_bytes())]})
    assert response.status_code == HTTPStatus.NOT_FOUND
    assert not Document.objects.exists()


def test_family_gets_404(verified_client, family_user, open_folder_a):
    response = verified_client(family_user).get(_url(open_folder_a))
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_upload_without_csrf_token_is_refused(coordinator_a, folder_a):
    from django.test import Client

    client = login_verified(Client(enforce_csrf_checks=True), coordinator_a)
    response = client.post(_url(folder_a), {"files": [upload("x.pdf", pdf_bytes())]})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Document.objects.exists()


def test_upload_is_in_the_audit_trail(verified_client, coordinator_a, folder_a):
    from auditlog.models import LogEntry

    verified_client(coordinator_a).post(_url(folder_a), {"files": [upload("x.pdf", pdf_bytes())]})
    document = Document.objects.get()
    entries = LogEntry.objects.get_for_object(document)
    assert entries.filter(action=LogEntry.Action.CREATE).exists()
    assert entries.first().actor == coordinator_a
    assert LogEntry.objects.get_for_object(document.current_version).exists()
    assert not AccessLog.objects.filter(action=AccessLog.Action.DOWNLOAD).exists()


# --- Pictures shared as documents: the place they were taken is not shared with them --------------


def _phone_photo(fmt: str) -> bytes:
    from PIL import Image

    exif = Image.Exif()
    exif[0x0112] = 6  # "rotate 90°", as a phone held upright writes it
    exif[0x8825] = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 3.0)}
    out = io.BytesIO()
    Image.new("RGB", (64, 32), (200, 30, 30)).save(out, fmt, exif=exif.tobytes())
    return out.getvalue()


def _stored_picture(client, folder, name, content):
    from PIL import Image

    client.post(
        reverse("documents:folder_upload", kwargs={"public_id": folder.public_id}), {"files": [upload(name, content)]}
    )
    with DocumentVersion.objects.get().file.open("rb") as handle:
        data = handle.read()
    image = Image.open(io.BytesIO(data))
    return data, image


@pytest.mark.parametrize(("name", "fmt"), [("IMG_0042.jpg", "JPEG"), ("capture.png", "PNG"), ("photo.webp", "WEBP")])
def test_a_shared_picture_is_stored_without_its_gps_position(
    verified_client, coordinator_a, folder_a, media_root, name, fmt
):
    _data, image = _stored_picture(verified_client(coordinator_a), folder_a, name, _phone_photo(fmt))
    assert 0x8825 not in image.getexif()


def test_a_shared_photo_keeps_its_pixels_and_its_orientation(verified_client, coordinator_a, folder_a, media_root):
    from PIL import Image

    content = _phone_photo("JPEG")
    data, image = _stored_picture(verified_client(coordinator_a), folder_a, "IMG_0042.jpg", content)
    original = Image.open(io.BytesIO(content))
    assert (dict(image.getexif()), image.tobytes() == original.tobytes()) == ({0x0112: 6}, True)
