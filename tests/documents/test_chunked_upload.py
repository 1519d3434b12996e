"""The drag-and-drop path: files sent in pieces, appended, checked and stored at the last piece."""

import secrets
from http import HTTPStatus
from urllib.parse import quote

import pytest
from django.urls import reverse

from documents.models import Document
from documents.uploads import CHUNK_SIZE, partial_cleanup, partial_dir
from tests.documents.factories import pdf_bytes
from tests.documents.pieces import send_piece as _send

pytestmark = pytest.mark.django_db


def test_file_in_pieces_is_stored_once_complete(verified_client, coordinator_a, folder_a, media_root):
    content = pdf_bytes("pièces") + b"%" + b"7" * (2 * CHUNK_SIZE + 1234)
    client = verified_client(coordinator_a)
    upload_id = secrets.token_hex(16)
    offset = 0
    while offset < len(content):
        piece = content[offset : offset + CHUNK_SIZE]
        response = _send(
            client, folder_a, piece, upload_id=upload_id, offset=offset, total=len(content), comment="v1 é"
        )
        assert response.status_code == HTTPStatus.OK, response.content
        offset += len(piece)
        if offset < len(content):
            assert response.json() == {"offset": offset, "chunk_size": CHUNK_SIZE}
            assert not Document.objects.exists()
    result = response.json()["results"][0]
    assert result["ok"] is True
    version = Document.objects.get().current_version
    assert (version.original_name, version.size, version.comment) == ("gros protocole.pdf", len(content), "v1 é")
    assert (media_root / version.file.name).read_bytes() == content
    assert not list(partial_dir().glob("*.part"))


def test_a_resent_piece_is_answered_with_the_offset_to_resume_from(verified_client, coordinator_a, folder_a):
    client = verified_client(coordinator_a)
    upload_id = secrets.token_hex(16)
    content = b"Consignes de nuit\n" * 100_000
    first = content[:CHUNK_SIZE]
    assert (
        _send(client, folder_a, first, upload_id=upload_id, offset=0, total=len(content), name="c.txt").status_code
        == 200
    )
    again = _send(client, folder_a, first, upload_id=upload_id, offset=0, total=len(content), name="c.txt")
    assert again.status_code == HTTPStatus.CONFLICT
    assert again.json()["offset"] == CHUNK_SIZE
    last = _send(
        client, folder_a, content[CHUNK_SIZE:], upload_id=upload_id, offset=CHUNK_SIZE, total=len(content), name="c.txt"
    )
    assert last.json()["results"][0]["ok"] is True
    assert Document.objects.get().current_version.size == len(content)


def test_refused_content_is_reported_at_the_last_piece_and_not_kept(verified_client, coordinator_a, folder_a):
    client = verified_client(coordinator_a)
    content = b"<html><script>alert(1)</script></html>"
    response = _send(client, folder_a, content, upload_id=secrets.token_hex(16), offset=0, total=len(content))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "web page" in response.json()["results"][0]["message"]
    assert not Document.objects.exists()
    assert not list(partial_dir().glob("*.part"))


def test_declared_total_over_the_limit_is_refused_before_reading(settings, verified_client, coordinator_a, folder_a):
    settings.DOCUMENTS_MAX_UPLOAD_SIZE = 1000
    response = _send(
        verified_client(coordinator_a), folder_a, b"x" * 10, upload_id=secrets.token_hex(16), offset=0, total=5000
    )
    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert not list(partial_dir().glob("*.part"))


def test_pieces_past_the_declared_total_or_bad_headers_are_refused(verified_client, coordinator_a, folder_a):
    client = verified_client(coordinator_a)
    response = _send(client, folder_a, b"x" * 100, upload_id=secrets.token_hex(16), offset=0, total=50)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    response = _send(client, folder_a, b"x", upload_id="../../etc/passwd", offset=0, total=1)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "not understood" in response.json()["results"][0]["message"]


def test_another_user_cannot_append_to_my_upload(verified_client, coordinator_a, group_admin, folder_a):
    upload_id = secrets.token_hex(16)
    content = b"a" * (CHUNK_SIZE + 10)
    _send(
        verified_client(coordinator_a),
        folder_a,
        content[:CHUNK_SIZE],
        upload_id=upload_id,
        offset=0,
        total=len(content),
        name="a.txt",
    )
    # The same id from someone else is a different partial file: their offset 1 MB does not match 0.
    response = _send(
        verified_client(group_admin),
        folder_a,
        content[CHUNK_SIZE:],
        upload_id=upload_id,
        offset=CHUNK_SIZE,
        total=len(content),
        name="a.txt",
    )
    assert response.status_code == HTTPStatus.CONFLICT
    assert response.json()["offset"] == 0


@pytest.mark.parametrize(("who", "status"), [("staff_a", 403), ("staff_b", 404), ("family_user", 404)])
def test_chunk_endpoint_permissions(request, verified_client, folder_a, who, status):
    response = _send(
        verified_client(request.getfixturevalue(who)),
        folder_a,
        b"x",
        upload_id=secrets.token_hex(16),
        offset=0,
        total=1,
    )
    assert response.status_code == status
    assert not list(partial_dir().glob("*.part"))


def test_abandoned_pieces_are_cleaned_up(verified_client, coordinator_a, folder_a):
    import os
    import time

    _send(
        verified_client(coordinator_a),
        folder_a,
        b"x" * 10,
        upload_id=secrets.token_hex(16),
        offset=0,
        total=100,
        name="a.txt",
    )
    (partial,) = partial_dir().glob("*.part")
    assert partial_cleanup() == 0
    old = time.time() - 2 * 24 * 3600
    os.utime(partial, (old, old))
    assert partial_cleanup() == 1
    assert not partial.exists()


def test_new_version_in_pieces(verified_client, coordinator_a, folder_a):
    from tests.documents.factories import make_document

    document = make_document(folder_a, coordinator_a, content=pdf_bytes("v1"))
    client = verified_client(coordinator_a)
    url = reverse("documents:document_version_chunk", kwargs={"public_id": document.public_id})
    content = pdf_bytes("v2") + b"%" + b"2" * (CHUNK_SIZE + 10)

    def send(piece, offset, body=content):
        return client.generic(
            "POST",
            url,
            piece,
            content_type="application/octet-stream",
            HTTP_X_UPLOAD_ID=upload_id,
            HTTP_X_UPLOAD_OFFSET=str(offset),
            HTTP_X_UPLOAD_TOTAL=str(len(body)),
            HTTP_X_UPLOAD_NAME=quote("v2.pdf"),
            HTTP_X_UPLOAD_COMMENT=quote("corrigée"),
        )

    upload_id = secrets.token_hex(16)
    assert send(content[:CHUNK_SIZE], 0).json() == {"offset": CHUNK_SIZE, "chunk_size": CHUNK_SIZE}
    result = send(content[CHUNK_SIZE:], CHUNK_SIZE).json()["results"][0]
    assert result["ok"] is True and result["url"] == document.get_absolute_url()
    document.refresh_from_db()
    assert (document.current_version.number, document.current_version.comment) == (2, "corrigée")
    # The same bytes again: noticed, not stored.
    upload_id = secrets.token_hex(16)
    send(content[:CHUNK_SIZE], 0)
    again = send(content[CHUNK_SIZE:], CHUNK_SIZE)
    assert again.status_code == HTTPStatus.BAD_REQUEST
    assert "identical to version 2" in again.json()["results"][0]["message"]
    assert document.versions.count() == 2


@pytest.mark.parametrize(("who", "status"), [("staff_a", 403), ("staff_b", 404), ("family_user", 404)])
def test_version_chunk_permissions(request, verified_client, coordinator_a, folder_a, who, status):
    from tests.documents.factories import make_document

    document = make_document(folder_a, coordinator_a)
    response = verified_client(request.getfixturevalue(who)).generic(
        "POST",
        reverse("documents:document_version_chunk", kwargs={"public_id": document.public_id}),
        b"x",
        content_type="application/octet-stream",
        HTTP_X_UPLOAD_ID=secrets.token_hex(16),
        HTTP_X_UPLOAD_OFFSET="0",
        HTTP_X_UPLOAD_TOTAL="1",
    )
    assert response.status_code == status
    assert document.versions.count() == 1
