"""Previews: thumbnails and PDF text made by the Celery task, eagerly and by a real worker."""

import time

import pytest
from django.conf import settings as django_settings
from django.db import connection
from django.urls import reverse

from documents.models import DocumentVersion
from documents.previews import version_preview_make
from documents.tasks import make_preview
from tests.documents.factories import make_document, pdf_bytes, png_bytes
from tests.processes import celery_worker, output

pytestmark = pytest.mark.django_db


def test_upload_enqueues_preview_on_commit_and_task_makes_thumbnail_and_text(
    django_capture_on_commit_callbacks, coordinator_a, folder_a, media_root
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        document = make_document(folder_a, coordinator_a, content=pdf_bytes("Prévention des escarres", "Matelas"))
    assert len(callbacks) == 1
    version = DocumentVersion.objects.get(pk=document.current_version_id)
    assert version.preview_status == DocumentVersion.Preview.READY
    assert version.page_count == 1
    assert "escarres" in version.extracted_text
    thumbnail = media_root / version.thumbnail.name
    assert thumbnail.read_bytes().startswith(b"\x89PNG")


def test_image_thumbnail(coordinator_a, folder_a, media_root):
    from PIL import Image

    version = make_document(folder_a, coordinator_a, name="plan.png", content=png_bytes()).current_version
    assert make_preview.delay(version.pk).get() == DocumentVersion.Preview.READY
    version.refresh_from_db()
    with Image.open(media_root / version.thumbnail.name) as image:
        assert image.size[0] <= django_settings.DOCUMENTS_THUMBNAIL_SIZE


def test_preview_task_is_idempotent(coordinator_a, folder_a, media_root):
    version = make_document(folder_a, coordinator_a).current_version
    assert version_preview_make(version_id=version.pk) == DocumentVersion.Preview.READY
    version.refresh_from_db()
    first_thumbnail = version.thumbnail.name
    assert version_preview_make(version_id=version.pk) == DocumentVersion.Preview.READY
    version.refresh_from_db()
    assert version.thumbnail.name == first_thumbnail
    assert len(list((media_root / "previews").rglob("*.png"))) == 1
    assert version_preview_make(version_id=987654) == "missing"


def test_types_without_preview_and_damaged_pdf(coordinator_a, folder_a):
    text = make_document(folder_a, coordinator_a, name="n.txt", content=b"notes").current_version
    assert version_preview_make(version_id=text.pk) == DocumentVersion.Preview.NONE
    damaged = make_document(folder_a, coordinator_a, name="d.pdf", content=b"%PDF-1.4\n garbage").current_version
    assert version_preview_make(version_id=damaged.pk) == DocumentVersion.Preview.FAILED
    damaged.refresh_from_db()
    assert damaged.preview_status == DocumentVersion.Preview.FAILED


def test_search_finds_words_inside_pdfs(verified_client, staff_a, staff_b, coordinator_a, folder_a):
    from carehub.models import AccessLog

    document = make_document(folder_a, coordinator_a, title="Protocole 12", content=pdf_bytes("Conduite hémorragie"))
    version_preview_make(version_id=document.current_version_id)
    found = verified_client(staff_a).get(reverse("documents:search"), {"q": "hémorragie"})
    assert "Protocole 12" in found.content.decode()
    assert AccessLog.objects.filter(action=AccessLog.Action.SEARCH, query="hémorragie").exists()
    hidden = verified_client(staff_b).get(reverse("documents:search"), {"q": "hémorragie"})
    assert "Protocole 12" not in hidden.content.decode()


@pytest.mark.postgres
def test_postgres_search_uses_french_stemming(staff_a, coordinator_a, folder_a):
    from documents.selectors import document_search

    document = make_document(
        folder_a, coordinator_a, title="P", content=pdf_bytes("Prévenir les chutes des résidents la nuit")
    )
    version_preview_make(version_id=document.current_version_id)
    # French stemming: "chute" finds "chutes", "résident" finds "résidents".
    assert list(document_search(staff_a, "chute")) == [document]
    assert list(document_search(staff_a, "résident")) == [document]
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'docversion_text_fts'")
        (definition,) = cursor.fetchone()
    assert "gin" in definition and "french" in definition


@pytest.mark.redis
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_real_celery_worker_makes_the_preview(coordinator_a, folder_a, media_root, django_capture_on_commit_callbacks):
    """A real worker process, the Redis broker, the test database: the task runs out of process."""
    with celery_worker(env={"MEDIA_ROOT": str(media_root)}) as worker:
        document = make_document(folder_a, coordinator_a, content=pdf_bytes("Dénutrition : peser chaque mois"))
        # The upload enqueued the task on commit (autocommit here): nothing else is sent.
        version = DocumentVersion.objects.get(pk=document.current_version_id)
        deadline = time.monotonic() + 60
        while version.preview_status == DocumentVersion.Preview.PENDING and time.monotonic() < deadline:
            time.sleep(0.5)
            version.refresh_from_db()
        assert version.preview_status == DocumentVersion.Preview.READY, output(worker)
        assert "Dénutrition" in version.extracted_text
        assert (media_root / version.thumbnail.name).exists()
