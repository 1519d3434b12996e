"""Once means once: the database refuses the same bytes twice in a folder, and an upload sent again
(a lost answer, a double click) is answered as the first time, with the document it stored."""

import secrets
import uuid
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from documents import services
from documents.models import Document, DocumentVersion, ReadingRequirement
from documents.uploads import CHUNK_SIZE, partial_dir
from tests.documents.factories import make_document, pdf_bytes, upload
from tests.documents.pieces import send_piece

pytestmark = pytest.mark.django_db


def _send_all(client, folder, content, upload_id):
    """Every piece of ``content``; returns the answer to the last one."""
    offset = 0
    while offset < len(content):
        piece = content[offset : offset + CHUNK_SIZE]
        response = send_piece(client, folder, piece, upload_id=upload_id, offset=offset, total=len(content))
        offset += len(piece)
    return response


def _big_pdf(text: str) -> bytes:
    return pdf_bytes(text) + b"%" + b"7" * (CHUNK_SIZE + 500)


# --- the constraints themselves ----------------------------------------------------------


def test_the_database_refuses_a_second_active_document_with_the_same_content(coordinator_a, folder_a):
    first = make_document(folder_a, coordinator_a, content=pdf_bytes("Chutes"))
    with pytest.raises(IntegrityError), transaction.atomic():
        Document.objects.create(folder=folder_a, title="copie", content_sha256=first.content_sha256)


def test_the_same_content_is_allowed_once_the_first_is_in_the_bin(coordinator_a, folder_a):
    first = make_document(folder_a, coordinator_a, content=pdf_bytes("Chutes"))
    services.document_bin(document=first, user=coordinator_a)
    again = Document.objects.create(folder=folder_a, title="copie", content_sha256=first.content_sha256)
    assert again.pk


def test_the_database_refuses_one_upload_id_twice_for_one_person(coordinator_a, folder_a):
    document = make_document(folder_a, coordinator_a)
    DocumentVersion.objects.filter(pk=document.current_version_id).update(upload_key="a" * 32)
    version = document.current_version
    with pytest.raises(IntegrityError), transaction.atomic():
        DocumentVersion.objects.create(
            document=make_document(folder_a, coordinator_a, name="autre.pdf"),
            number=2,
            file=version.file.name,
            original_name="x.pdf",
            sha256="0" * 64,
            size=1,
            content_type="application/pdf",
            kind="pdf",
            upload_key="a" * 32,
            uploaded_by=coordinator_a,
        )


def test_the_database_refuses_the_same_required_reading_twice_for_a_whole_site(coordinator_a, folder_a, site_a):
    document = make_document(folder_a, coordinator_a)
    ReadingRequirement.objects.create(document=document, site=site_a, unit=None, job="", created_by=coordinator_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReadingRequirement.objects.create(document=document, site=site_a, unit=None, job="", created_by=coordinator_a)


def test_the_database_refuses_the_same_required_reading_twice_for_a_unit(coordinator_a, folder_a, site_a, unit_a):
    document = make_document(folder_a, coordinator_a)
    ReadingRequirement.objects.create(document=document, site=site_a, unit=unit_a, job="", created_by=coordinator_a)
    with pytest.raises(IntegrityError), transaction.atomic():
        ReadingRequirement.objects.create(document=document, site=site_a, unit=unit_a, job="", created_by=coordinator_a)


# --- what people see ---------------------------------------------------------------------------


def test_a_last_piece_sent_again_after_its_answer_was_lost_gets_the_stored_document(
    verified_client, coordinator_a, folder_a
):
    client = verified_client(coordinator_a)
    content = _big_pdf("Protocole hydratation")
    upload_id = secrets.token_hex(16)
    first = _send_all(client, folder_a, content, upload_id)
    last_offset = CHUNK_SIZE
    again = send_piece(
        client, folder_a, content[last_offset:], upload_id=upload_id, offset=last_offset, total=len(content)
    )
    assert (again.status_code, again.json()) == (HTTPStatus.OK, first.json())


def test_an_upload_restarted_from_the_start_with_its_id_is_not_reported_identical(
    verified_client, coordinator_a, folder_a
):
    client = verified_client(coordinator_a)
    content = _big_pdf("Protocole contention")
    upload_id = secrets.token_hex(16)
    first = _send_all(client, folder_a, content, upload_id)
    again = _send_all(client, folder_a, content, upload_id)
    assert again.json() == first.json()


def test_a_retried_upload_stores_one_document_and_leaves_no_pieces(verified_client, coordinator_a, folder_a):
    client = verified_client(coordinator_a)
    content = _big_pdf("Protocole douleur")
    upload_id = secrets.token_hex(16)
    _send_all(client, folder_a, content, upload_id)
    _send_all(client, folder_a, content, upload_id)
    assert (Document.objects.count(), list(partial_dir().glob("*.part"))) == (1, [])


def test_the_same_bytes_with_another_upload_id_are_still_identical(verified_client, coordinator_a, folder_a):
    client = verified_client(coordinator_a)
    content = _big_pdf("Protocole escarres")
    _send_all(client, folder_a, content, secrets.token_hex(16))
    again = _send_all(client, folder_a, content, secrets.token_hex(16))
    assert again.json()["results"][0]["duplicate"] is True


def test_a_new_version_piece_sent_again_gets_the_stored_version(verified_client, coordinator_a, folder_a):
    document = make_document(folder_a, coordinator_a, content=pdf_bytes("v1"))
    client = verified_client(coordinator_a)
    url = reverse("documents:document_version_chunk", kwargs={"public_id": document.public_id})
    content = pdf_bytes("v2")
    upload_id = secrets.token_hex(16)
    answers = [
        client.generic(
            "POST",
            url,
            content,
            content_type="application/octet-stream",
            HTTP_ACCEPT="application/json",
            HTTP_X_UPLOAD_ID=upload_id,
            HTTP_X_UPLOAD_OFFSET="0",
            HTTP_X_UPLOAD_TOTAL=str(len(content)),
            HTTP_X_UPLOAD_NAME="v2.pdf",
        ).json()["results"][0]["message"]
        for _ in range(2)
    ]
    assert answers == ["Version 2 added.", "Version 2 added."]


def test_the_plain_form_sent_twice_answers_the_second_time_as_the_first(verified_client, coordinator_a, folder_a):
    client = verified_client(coordinator_a)
    url = reverse("documents:folder_upload", kwargs={"public_id": folder_a.public_id})
    form_id = uuid.uuid4().hex
    content = pdf_bytes("Protocole canicule")
    answers = [
        client.post(
            url, {"files": [upload("canicule.pdf", content)], "upload_id": form_id}, HTTP_ACCEPT="application/json"
        ).json()
        for _ in range(2)
    ]
    assert answers[1] == answers[0]


def test_the_plain_form_sent_twice_stores_one_document(verified_client, coordinator_a, folder_a):
    client = verified_client(coordinator_a)
    url = reverse("documents:folder_upload", kwargs={"public_id": folder_a.public_id})
    form_id = uuid.uuid4().hex
    for _ in range(2):
        client.post(url, {"files": [upload("canicule.pdf", pdf_bytes("Protocole canicule"))], "upload_id": form_id})
    assert Document.objects.filter(folder=folder_a).count() == 1


def test_another_file_sent_from_the_same_form_is_a_new_document(verified_client, coordinator_a, folder_a):
    client = verified_client(coordinator_a)
    url = reverse("documents:folder_upload", kwargs={"public_id": folder_a.public_id})
    form_id = uuid.uuid4().hex
    client.post(url, {"files": [upload("a.pdf", pdf_bytes("Premier"))], "upload_id": form_id})
    client.post(url, {"files": [upload("b.pdf", pdf_bytes("Second"))], "upload_id": form_id})
    assert Document.objects.filter(folder=folder_a).count() == 2


def test_the_upload_page_draws_a_fresh_id_for_each_form(verified_client, coordinator_a, folder_a):
    client = verified_client(coordinator_a)
    url = reverse("documents:folder_upload", kwargs={"public_id": folder_a.public_id})
    ids = {client.get(url).context["form"]["upload_id"].value() for _ in range(2)}
    assert len(ids) == 2


# --- keeping the copied hash right ----------------------------------------------------------------


def test_a_new_version_carries_its_content_to_the_document(coordinator_a, folder_a):
    document = make_document(folder_a, coordinator_a, content=pdf_bytes("v1"))
    version = services.document_version_add(
        document=document, uploaded=upload("v2.pdf", pdf_bytes("v2")), user=coordinator_a
    )
    document.refresh_from_db()
    assert document.content_sha256 == version.sha256


def test_a_new_version_identical_to_another_document_of_the_folder_is_refused(coordinator_a, folder_a):
    make_document(folder_a, coordinator_a, name="a.pdf", content=pdf_bytes("A"))
    b = make_document(folder_a, coordinator_a, name="b.pdf", content=pdf_bytes("B"))
    with pytest.raises(services.Duplicate) as refused:
        services.document_version_add(document=b, uploaded=upload("a.pdf", pdf_bytes("A")), user=coordinator_a)
    assert refused.value.document.title == "a.pdf"


def test_restoring_a_document_identical_to_one_uploaded_since_is_refused_clearly(coordinator_a, folder_a):
    first = make_document(folder_a, coordinator_a, name="a.pdf", content=pdf_bytes("A"))
    services.document_bin(document=first, user=coordinator_a)
    make_document(folder_a, coordinator_a, name="a bis.pdf", content=pdf_bytes("A"))
    first.refresh_from_db()
    with pytest.raises(services.ValidationError):
        services.document_restore(document=first)


def test_the_restore_page_says_why_rather_than_failing(verified_client, coordinator_a, folder_a):
    first = make_document(folder_a, coordinator_a, name="a.pdf", content=pdf_bytes("A"))
    services.document_bin(document=first, user=coordinator_a)
    make_document(folder_a, coordinator_a, name="a bis.pdf", content=pdf_bytes("A"))
    response = verified_client(coordinator_a).post(
        reverse("documents:document_restore", kwargs={"public_id": first.public_id})
    )
    assert (response.status_code, response.url) == (HTTPStatus.FOUND, reverse("documents:bin"))


def test_moving_a_document_onto_an_identical_one_is_refused(coordinator_a, folder_a, open_folder_a):
    make_document(open_folder_a, coordinator_a, name="a.pdf", content=pdf_bytes("A"))
    moving = make_document(folder_a, coordinator_a, name="a.pdf", content=pdf_bytes("A"))
    with pytest.raises(services.ValidationError):
        services.document_move(document=moving, folder=open_folder_a)


def test_the_migration_keeps_older_identical_documents_outside_the_rule(coordinator_a, folder_a):
    """Rows from before the constraint: the oldest keeps its hash, the others none (and all are kept);
    documents in the bin get theirs, for the check made when one is restored."""
    from importlib import import_module

    from django.apps import apps

    migration = import_module("documents.migrations.0005_unique_content_and_upload_key")
    first = make_document(folder_a, coordinator_a, name="a.pdf", content=pdf_bytes("A"))
    copy = make_document(folder_a, coordinator_a, name="b.pdf", content=pdf_bytes("B"))
    # What the table could hold before: two documents whose current version has the same bytes.
    DocumentVersion.objects.filter(pk=copy.current_version_id).update(sha256=first.current_version.sha256)
    Document.objects.update(content_sha256="", created_at=timezone.now())
    Document.objects.filter(pk=first.pk).update(created_at=timezone.now() - timedelta(days=1))
    binned = make_document(folder_a, coordinator_a, name="c.pdf", content=pdf_bytes("C"))
    services.document_bin(document=binned, user=coordinator_a)
    Document.objects.update(content_sha256="")
    migration.fill_content_and_dedupe(apps, None)
    hashes = dict(Document.objects.values_list("title", "content_sha256"))
    assert hashes == {"a.pdf": first.current_version.sha256, "b.pdf": "", "c.pdf": binned.current_version.sha256}


# --- after the commit ----------------------------------------------------------------------------


class _AfterCommitFailure(Exception):
    pass


def _fail():
    raise _AfterCommitFailure


@pytest.fixture
def work_after_commit_fails():
    """Once armed, work queued for after the commit of a new version fails (a broker down, say)."""
    from django.db.models.signals import post_save

    armed: list[bool] = []

    def queue_failing_work(sender, instance, created, **kwargs):
        if created and armed:
            transaction.on_commit(_fail)

    post_save.connect(queue_failing_work, sender=DocumentVersion, dispatch_uid="test-after-commit-failure")
    yield lambda: armed.append(True)
    post_save.disconnect(sender=DocumentVersion, dispatch_uid="test-after-commit-failure")


@pytest.mark.django_db(transaction=True)
def test_a_failure_after_commit_never_removes_the_file_of_committed_rows(
    coordinator_a, folder_a, media_root, work_after_commit_fails
):
    work_after_commit_fails()
    content = pdf_bytes("Protocole chutes")
    with pytest.raises(_AfterCommitFailure):
        make_document(folder_a, coordinator_a, content=content)
    version = DocumentVersion.objects.get()
    assert (media_root / version.file.name).read_bytes() == content


@pytest.mark.django_db(transaction=True)
def test_a_failure_after_commit_never_removes_the_file_of_a_committed_version(
    coordinator_a, folder_a, media_root, work_after_commit_fails
):
    document = make_document(folder_a, coordinator_a, content=pdf_bytes("v1"))
    work_after_commit_fails()
    content = pdf_bytes("v2")
    with pytest.raises(_AfterCommitFailure):
        services.document_version_add(document=document, uploaded=upload("v2.pdf", content), user=coordinator_a)
    version = DocumentVersion.objects.get(number=2)
    assert (media_root / version.file.name).read_bytes() == content


def test_an_upload_id_of_another_folder_is_not_taken_for_a_retry(
    verified_client, coordinator_a, folder_a, open_folder_a
):
    client = verified_client(coordinator_a)
    upload_id = secrets.token_hex(16)
    _send_all(client, folder_a, _big_pdf("Dans A"), upload_id)
    _send_all(client, open_folder_a, _big_pdf("Dans B"), upload_id)
    assert Document.objects.filter(folder=open_folder_a).count() == 1
