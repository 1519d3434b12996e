"""The bin: coordinators move documents there, restore them, and they are erased after retention."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.conf import settings as django_settings
from django.urls import reverse
from django.utils import timezone

from documents import services
from documents.models import Document, DocumentVersion
from documents.previews import version_preview_make
from documents.tasks import purge_bin
from tests.documents.factories import make_document, pdf_bytes, upload

pytestmark = pytest.mark.django_db


def test_bin_and_restore(verified_client, coordinator_a, staff_a, folder_a):
    from auditlog.models import LogEntry

    document = make_document(folder_a, coordinator_a, title="Ancien protocole")
    client = verified_client(coordinator_a)
    assert (
        verified_client(staff_a)
        .post(reverse("documents:document_bin", kwargs={"public_id": document.public_id}))
        .status_code
        == HTTPStatus.FORBIDDEN
    )
    response = client.post(reverse("documents:document_bin", kwargs={"public_id": document.public_id}))
    assert response.status_code == HTTPStatus.FOUND
    document.refresh_from_db()
    assert document.binned_at is not None and document.binned_by == coordinator_a
    assert document.get_absolute_url() not in client.get(folder_a.get_absolute_url()).content.decode()
    assert client.get(document.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND
    assert "Ancien protocole" in client.get(reverse("documents:bin")).content.decode()
    assert "Ancien protocole" not in verified_client(staff_a).get(reverse("documents:index")).content.decode()
    assert LogEntry.objects.get_for_object(document).filter(action=LogEntry.Action.UPDATE).exists()

    response = client.post(reverse("documents:document_restore", kwargs={"public_id": document.public_id}))
    assert response.status_code == HTTPStatus.FOUND
    document.refresh_from_db()
    assert document.binned_at is None
    assert client.get(document.get_absolute_url()).status_code == HTTPStatus.OK


def test_purge_erases_after_retention_only(coordinator_a, folder_a, open_folder_a, media_root):
    old = make_document(folder_a, coordinator_a, content=pdf_bytes("old"))
    services.document_version_add(document=old, uploaded=upload("v2.pdf", pdf_bytes("old v2")), user=coordinator_a)
    version_preview_make(version_id=old.versions.get(number=1).pk)
    shared_blob = make_document(folder_a, coordinator_a, name="shared.pdf", content=pdf_bytes("shared"))
    also_shared = make_document(open_folder_a, coordinator_a, name="copy.pdf", content=pdf_bytes("shared"))
    recent = make_document(folder_a, coordinator_a, name="recent.pdf", content=pdf_bytes("recent"))
    for document in (old, shared_blob, recent):
        services.document_bin(document=document, user=coordinator_a)
    long_ago = timezone.now() - timedelta(days=django_settings.DOCUMENTS_BIN_RETENTION_DAYS + 1)
    Document.objects.filter(pk__in=[old.pk, shared_blob.pk]).update(binned_at=long_ago)
    old_files = [media_root / v.file.name for v in old.versions.all()]
    old_thumbs = [media_root / v.thumbnail.name for v in old.versions.all() if v.thumbnail]
    assert old_thumbs and all(p.exists() for p in old_files + old_thumbs)

    from django.test import TestCase

    with TestCase.captureOnCommitCallbacks(execute=True):
        assert purge_bin.delay().get() == 2
    assert set(Document.objects.values_list("pk", flat=True)) == {also_shared.pk, recent.pk}
    assert not DocumentVersion.objects.filter(document_id=old.pk).exists()
    assert not any(p.exists() for p in old_files + old_thumbs)
    # The blob shared with a document that stays is kept.
    assert (media_root / also_shared.current_version.file.name).exists()
    with TestCase.captureOnCommitCallbacks(execute=True):
        assert services.bin_purge() == 0  # idempotent


def test_purge_is_scheduled():
    entry = django_settings.CELERY_BEAT_SCHEDULE["documents-purge-bin"]
    assert entry["task"] == "documents.tasks.purge_bin"
    from carehub.celery import app

    app.loader.import_default_modules()
    assert "documents.tasks.purge_bin" in app.tasks


def test_restore_by_other_site_is_404(verified_client, coordinator_a, staff_b, folder_a):
    document = make_document(folder_a, coordinator_a)
    services.document_bin(document=document, user=coordinator_a)
    response = verified_client(staff_b).post(
        reverse("documents:document_restore", kwargs={"public_id": document.public_id})
    )
    assert response.status_code == HTTPStatus.NOT_FOUND
    document.refresh_from_db()
    assert document.binned_at is not None
