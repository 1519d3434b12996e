"""Disk full or media read-only, for real (a tiny tmpfs, a file size limit): every upload path of the
documents answers a translated 507 or 503 with Retry-After, keeps no row and no partial file."""

import secrets
import subprocess
import sys
from http import HTTPStatus

import pytest
from django.conf import settings as django_settings
from django.urls import reverse

from documents.models import Document
from documents.uploads import CHUNK_SIZE, partial_dir
from tests.disks import files_under, tiny_disk
from tests.documents.factories import make_document, pdf_bytes, upload
from tests.documents.pieces import send_piece

pytestmark = pytest.mark.django_db

#: Larger than the tiny disk (16 KB): the write fails part-way, after some bytes reached it.
LARGE = pdf_bytes("Protocole de nuit") + b"%" + b"7" * 200_000


@pytest.fixture
def full_media(media_root):
    with tiny_disk(media_root) as root:
        yield root


@pytest.fixture
def read_only_media(media_root):
    with tiny_disk(media_root, read_only=True) as root:
        yield root


def _form_upload(client, folder, content=LARGE, **headers):
    url = reverse("documents:folder_upload", kwargs={"public_id": folder.public_id})
    return client.post(url, {"files": [upload("protocole.pdf", content)]}, **headers)


def test_a_form_upload_to_full_media_answers_507(verified_client, coordinator_a, folder_a, full_media):
    response = _form_upload(verified_client(coordinator_a), folder_a)
    assert response.status_code == HTTPStatus.INSUFFICIENT_STORAGE


def test_a_form_upload_to_full_media_asks_to_retry_later(verified_client, coordinator_a, folder_a, full_media):
    response = _form_upload(verified_client(coordinator_a), folder_a)
    assert response["Retry-After"] == "300"


def test_a_form_upload_to_full_media_says_so(verified_client, coordinator_a, folder_a, full_media):
    response = _form_upload(verified_client(coordinator_a), folder_a, HTTP_ACCEPT="application/json")
    assert response.json()["results"][0]["message"] == (
        "The file storage is full: this file was not stored. Try again later, once space has been freed."
    )


def test_a_form_upload_to_full_media_keeps_no_row_and_no_partial_file(
    verified_client, coordinator_a, folder_a, full_media
):
    _form_upload(verified_client(coordinator_a), folder_a)
    assert (Document.objects.count(), files_under(full_media)) == (0, [])


def test_the_upload_works_again_once_there_is_room(verified_client, coordinator_a, folder_a, full_media):
    client = verified_client(coordinator_a)
    _form_upload(client, folder_a)
    response = _form_upload(client, folder_a, content=pdf_bytes("court"))
    assert response.status_code == HTTPStatus.FOUND


def test_a_form_upload_to_read_only_media_answers_503(verified_client, coordinator_a, folder_a, read_only_media):
    response = _form_upload(verified_client(coordinator_a), folder_a)
    assert (response.status_code, response["Retry-After"]) == (HTTPStatus.SERVICE_UNAVAILABLE, "300")


def test_the_resident_folder_form_to_full_media_answers_507(verified_client, staff_a, resident_a, full_media):
    url = reverse("documents:resident_folder", kwargs={"public_id": resident_a.public_id})
    response = verified_client(staff_a).post(url, {"files": [upload("pap.pdf", LARGE)]})
    assert (response.status_code, Document.objects.count()) == (HTTPStatus.INSUFFICIENT_STORAGE, 0)


def test_the_last_piece_to_full_media_answers_507_as_json(verified_client, coordinator_a, folder_a, full_media):
    response = send_piece(
        verified_client(coordinator_a), folder_a, LARGE, upload_id=secrets.token_hex(16), offset=0, total=len(LARGE)
    )
    assert (response.status_code, response.json()["results"][0]["ok"]) == (HTTPStatus.INSUFFICIENT_STORAGE, False)


def test_the_last_piece_to_full_media_keeps_no_row_no_piece_and_no_partial_file(
    verified_client, coordinator_a, folder_a, full_media
):
    send_piece(
        verified_client(coordinator_a), folder_a, LARGE, upload_id=secrets.token_hex(16), offset=0, total=len(LARGE)
    )
    assert (Document.objects.count(), files_under(full_media), files_under(partial_dir())) == (0, [], [])


def test_a_piece_to_a_full_pieces_disk_answers_507_and_keeps_no_partial_file(
    settings, verified_client, coordinator_a, folder_a, tmp_path
):
    with tiny_disk(tmp_path / "pieces") as pieces:
        settings.UPLOAD_PIECES_DIR = pieces
        content = LARGE + b"8" * CHUNK_SIZE
        response = send_piece(
            verified_client(coordinator_a),
            folder_a,
            content[:CHUNK_SIZE],
            upload_id=secrets.token_hex(16),
            offset=0,
            total=len(content),
        )
        assert (response.status_code, files_under(pieces)) == (HTTPStatus.INSUFFICIENT_STORAGE, [])


def test_a_new_version_to_full_media_answers_507_and_keeps_the_current_one(
    verified_client, coordinator_a, folder_a, media_root
):
    document = make_document(folder_a, coordinator_a, content=pdf_bytes("v1"))
    url = reverse("documents:document_new_version", kwargs={"public_id": document.public_id})
    with tiny_disk(media_root):  # mounted over the first version's file: only new writes meet it
        response = verified_client(coordinator_a).post(url, {"file": upload("v2.pdf", LARGE)})
    document.refresh_from_db()
    assert (response.status_code, document.current_version.number) == (HTTPStatus.INSUFFICIENT_STORAGE, 1)


def test_a_new_version_in_pieces_to_full_media_answers_507_and_keeps_nothing(
    verified_client, coordinator_a, folder_a, media_root
):
    document = make_document(folder_a, coordinator_a, content=pdf_bytes("v1"))
    url = reverse("documents:document_version_chunk", kwargs={"public_id": document.public_id})
    with tiny_disk(media_root) as disk:
        response = verified_client(coordinator_a).generic(
            "POST",
            url,
            LARGE,
            content_type="application/octet-stream",
            HTTP_ACCEPT="application/json",
            HTTP_X_UPLOAD_ID=secrets.token_hex(16),
            HTTP_X_UPLOAD_OFFSET="0",
            HTTP_X_UPLOAD_TOTAL=str(len(LARGE)),
            HTTP_X_UPLOAD_NAME="v2.pdf",
        )
        assert (response.status_code, files_under(disk)) == (HTTPStatus.INSUFFICIENT_STORAGE, [])


FILE_SIZE_LIMIT = """
import resource, signal, sys
import django
django.setup()
from django.core.files.base import ContentFile
from carehub.storage import MediaStorage, StorageUnavailable
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write then fails with EFBIG instead of killing us
resource.setrlimit(resource.RLIMIT_FSIZE, (64 * 1024, resource.getrlimit(resource.RLIMIT_FSIZE)[1]))
storage = MediaStorage(location=sys.argv[1])
try:
    storage.save("documents/ab/blob", ContentFile(b"x" * 1_000_000))
except StorageUnavailable as exc:
    print("full" if exc.full else "unavailable")
"""


def test_a_write_past_the_file_size_limit_is_refused_as_full_and_leaves_nothing(tmp_path):
    """No root needed: the kernel refuses the write (EFBIG) in a process with a small RLIMIT_FSIZE."""
    done = subprocess.run(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", FILE_SIZE_LIMIT, str(tmp_path)],
        cwd=django_settings.BASE_DIR,
        env={"DJANGO_SETTINGS_MODULE": "tests.settings", "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert (done.stdout.strip(), files_under(tmp_path)) == ("full", [])


def test_a_form_upload_on_a_full_temporary_disk_answers_507_and_keeps_no_partial_file(
    settings, verified_client, coordinator_a, folder_a, tmp_path
):
    """The file is refused while it is received (the streaming handler's temporary file)."""
    with tiny_disk(tmp_path / "uploads-tmp") as disk:
        settings.FILE_UPLOAD_TEMP_DIR = str(disk)
        response = _form_upload(verified_client(coordinator_a), folder_a)
        assert (response.status_code, files_under(disk)) == (HTTPStatus.INSUFFICIENT_STORAGE, [])
