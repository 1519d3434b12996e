"""The same upload sent twice at the same moment, on PostgreSQL: two real requests on two connections.

The test holds the inserts (a table lock taken on its own connection) until both requests have passed
every check made before the insert and wait on it: the race the database constraint must settle.
"""

import secrets
import uuid
from http import HTTPStatus

import pytest
from django.urls import reverse

from documents.models import Document, DocumentVersion
from tests.concurrency import both_at_once, writes_held
from tests.documents.factories import make_document, pdf_bytes, upload
from tests.documents.pieces import send_piece

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _form_post(client, folder, content, form_id):
    url = reverse("documents:folder_upload", kwargs={"public_id": folder.public_id})
    return lambda: client.post(url, {"files": [upload("canicule.pdf", content)], "upload_id": form_id})


def test_the_same_form_sent_twice_at_once_answers_success_twice(verified_client, coordinator_a, folder_a, media_root):
    content = pdf_bytes("Protocole canicule")
    form_id = uuid.uuid4().hex
    client = verified_client(coordinator_a)
    answers = both_at_once("documents_document", *[_form_post(client, folder_a, content, form_id) for _ in range(2)])
    assert [a.status_code for a in answers] == [HTTPStatus.FOUND, HTTPStatus.FOUND]


def test_the_same_form_sent_twice_at_once_stores_one_version_and_no_orphan_file(
    verified_client, coordinator_a, folder_a, media_root
):
    content = pdf_bytes("Protocole canicule")
    form_id = uuid.uuid4().hex
    client = verified_client(coordinator_a)
    both_at_once("documents_document", *[_form_post(client, folder_a, content, form_id) for _ in range(2)])
    version = DocumentVersion.objects.get()
    stored = {str(p.relative_to(media_root)) for p in media_root.rglob("*") if p.is_file()}
    assert stored == {version.file.name, version.thumbnail.name}  # no file of the request that lost


def test_the_same_bytes_from_two_tabs_at_once_store_one_document_and_say_why(
    verified_client, coordinator_a, folder_a, media_root
):
    content = pdf_bytes("Protocole canicule")
    client = verified_client(coordinator_a)
    answers = both_at_once(
        "documents_document", *[_form_post(client, folder_a, content, uuid.uuid4().hex) for _ in range(2)]
    )
    assert sorted(a.status_code for a in answers) == [HTTPStatus.FOUND, HTTPStatus.BAD_REQUEST]


def test_a_retry_overtaking_the_last_piece_answers_the_same_success(
    verified_client, coordinator_a, folder_a, media_root
):
    """The last piece is being stored when the browser, its answer lost, sends the retry the server asks
    for (the offset it reports: the end): both requests store from the same pieces, both end on success."""
    content = pdf_bytes("Protocole douleur")
    upload_id = secrets.token_hex(16)
    client = verified_client(coordinator_a)

    def piece(data, offset):
        return lambda: send_piece(
            client, folder_a, data, upload_id=upload_id, offset=offset, total=len(content), name="douleur.pdf"
        )

    with writes_held("documents_document") as held:
        held.start(piece(content, 0))
        held.wait_until_waiting(1)
        held.start(piece(b"", len(content)))
    results = [answer.json()["results"][0] for answer in held.answers]
    assert [(r["ok"], r["url"]) for r in results] == [(True, Document.objects.get().get_absolute_url())] * 2


def test_a_new_version_sent_twice_at_once_is_stored_once(verified_client, coordinator_a, folder_a, media_root):
    document = make_document(folder_a, coordinator_a, content=pdf_bytes("v1"))
    url = reverse("documents:document_new_version", kwargs={"public_id": document.public_id})
    form_id = uuid.uuid4().hex
    client = verified_client(coordinator_a)

    def post():
        return client.post(url, {"file": upload("v2.pdf", pdf_bytes("v2")), "upload_id": form_id})

    answers = both_at_once("documents_documentversion", post, post)
    assert ([a.status_code for a in answers], DocumentVersion.objects.filter(document=document).count()) == (
        [HTTPStatus.FOUND, HTTPStatus.FOUND],
        2,
    )
