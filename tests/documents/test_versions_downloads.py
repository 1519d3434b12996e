"""Versions, de-duplication, and the permission-checked, logged, streamed downloads."""

from http import HTTPStatus

import pytest
from django.core.files.storage import default_storage
from django.urls import reverse

from carehub.models import AccessLog
from documents import services
from documents.models import Document, DocumentVersion
from tests.documents.factories import make_document, pdf_bytes, png_bytes, upload

pytestmark = pytest.mark.django_db


def _stored_files(media_root):
    return sorted(p for p in (media_root / "documents").rglob("*") if p.is_file())


def test_new_version_keeps_older_ones_downloadable(verified_client, coordinator_a, folder_a):
    document = make_document(folder_a, coordinator_a, content=pdf_bytes("v1"))
    client = verified_client(coordinator_a)
    response = client.post(
        reverse("documents:document_new_version", kwargs={"public_id": document.public_id}),
        {"file": upload("protocole-v2.pdf", pdf_bytes("v2")), "comment": "Nouvelle conduite à tenir"},
    )
    assert response.status_code == HTTPStatus.FOUND
    document.refresh_from_db()
    v1, v2 = document.versions.order_by("number")
    assert document.current_version == v2
    assert (v2.number, v2.comment, v2.uploaded_by) == (2, "Nouvelle conduite à tenir", coordinator_a)
    old = client.get(reverse("documents:version_download", kwargs={"public_id": v1.public_id}))
    assert old.status_code == HTTPStatus.OK
    assert b"".join(old.streaming_content) == pdf_bytes("v1")
    page = client.get(document.get_absolute_url()).content.decode()
    assert "protocole-v2.pdf" in page and "Nouvelle conduite à tenir" in page


def test_identical_new_version_is_noticed_and_not_stored(verified_client, coordinator_a, folder_a, media_root):
    document = make_document(folder_a, coordinator_a, content=pdf_bytes("même"))
    before = _stored_files(media_root)
    response = verified_client(coordinator_a).post(
        reverse("documents:document_new_version", kwargs={"public_id": document.public_id}),
        {"file": upload("copie.pdf", pdf_bytes("même"))},
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "identical to version 1" in response.content.decode()
    assert document.versions.count() == 1
    assert _stored_files(media_root) == before


def test_identical_upload_in_the_same_folder_is_noticed(coordinator_a, folder_a):
    make_document(folder_a, coordinator_a, name="a.pdf", content=pdf_bytes("x"))
    with pytest.raises(services.Duplicate) as exc:
        make_document(folder_a, coordinator_a, name="b.pdf", content=pdf_bytes("x"))
    assert exc.value.document.title == "a.pdf"
    assert Document.objects.count() == 1


def test_same_bytes_in_two_folders_share_one_stored_file(coordinator_a, folder_a, open_folder_a, media_root):
    first = make_document(folder_a, coordinator_a, content=pdf_bytes("partagé"))
    second = make_document(open_folder_a, coordinator_a, content=pdf_bytes("partagé"))
    assert first.current_version.file.name == second.current_version.file.name
    assert len(_stored_files(media_root)) == 1


def test_download_headers_and_access_log(verified_client, staff_a, coordinator_a, folder_a):
    document = make_document(folder_a, coordinator_a, name="Conduite à tenir.pdf")
    version = document.current_version
    response = verified_client(staff_a).get(
        reverse("documents:version_download", kwargs={"public_id": version.public_id})
    )
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''Conduite%20%C3%A0%20tenir.pdf" in response["Content-Disposition"]
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "default-src 'none'" in response["Content-Security-Policy"]
    assert "sandbox" in response["Content-Security-Policy"]
    assert "no-store" in response["Cache-Control"] or "private" in response["Cache-Control"]
    assert b"".join(response.streaming_content) == version.file.open("rb").read()
    entry = AccessLog.objects.get(action=AccessLog.Action.DOWNLOAD)
    assert (entry.user, entry.object_id, entry.site_id) == (staff_a, str(version.public_id), folder_a.site_id)


def test_inline_preview_has_restrictive_csp_and_is_logged_as_view(verified_client, staff_a, coordinator_a, folder_a):
    version = make_document(folder_a, coordinator_a).current_version
    response = verified_client(staff_a).get(
        reverse("documents:version_preview", kwargs={"public_id": version.public_id})
    )
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Disposition"].startswith("inline;")
    csp = response["Content-Security-Policy"]
    assert "default-src 'none'" in csp and "script-src" not in csp
    assert AccessLog.objects.filter(action=AccessLog.Action.VIEW, object_id=str(version.public_id)).count() == 1


def test_text_is_never_shown_inline(verified_client, coordinator_a, folder_a):
    version = make_document(folder_a, coordinator_a, name="n.txt", content=b"<b>texte</b> simple").current_version
    response = verified_client(coordinator_a).get(
        reverse("documents:version_preview", kwargs={"public_id": version.public_id})
    )
    assert response["Content-Disposition"].startswith("attachment;")
    assert AccessLog.objects.get(object_id=str(version.public_id)).action == AccessLog.Action.DOWNLOAD


def test_resident_document_download_names_the_resident(verified_client, staff_a, resident_folder_a, resident_a):
    version = make_document(resident_folder_a, staff_a, name="PAP.pdf").current_version
    verified_client(staff_a).get(reverse("documents:version_download", kwargs={"public_id": version.public_id}))
    entry = AccessLog.objects.get(action=AccessLog.Action.DOWNLOAD)
    assert entry.subject_id == resident_a.public_id


@pytest.mark.parametrize("who", ["staff_b", "family_user"])
def test_other_site_and_family_get_404_on_files(request, verified_client, coordinator_a, folder_a, who):
    version = make_document(folder_a, coordinator_a, name="p.png", content=png_bytes()).current_version
    client = verified_client(request.getfixturevalue(who))
    for name in ("version_download", "version_preview", "version_thumbnail"):
        response = client.get(reverse(f"documents:{name}", kwargs={"public_id": version.public_id}))
        assert response.status_code == HTTPStatus.NOT_FOUND, name
    assert not AccessLog.objects.filter(action__in=["download", "view"]).exists()


def test_binned_document_files_are_not_served(verified_client, coordinator_a, folder_a):
    document = make_document(folder_a, coordinator_a)
    services.document_bin(document=document, user=coordinator_a)
    response = verified_client(coordinator_a).get(
        reverse("documents:version_download", kwargs={"public_id": document.current_version.public_id})
    )
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_asgi_download_streams_with_an_async_iterator(coordinator_a, folder_a):
    """Under Daphne a sync iterator would be turned into a list (the whole file in memory)."""
    import asyncio

    from django.test import AsyncRequestFactory

    from documents import views

    content = pdf_bytes("asgi") + b"%" + b"0" * 1_000_000
    version = make_document(folder_a, coordinator_a, content=content).current_version
    request = AsyncRequestFactory().get("/")
    request.user = coordinator_a
    response = views.version_download(request, public_id=version.public_id)
    assert response.status_code == HTTPStatus.OK
    assert response.is_async
    assert int(response["Content-Length"]) == len(content)

    async def consume():
        return [chunk async for chunk in response.streaming_content]

    chunks = asyncio.run(consume())
    assert len(chunks) > 1  # streamed in blocks, not read whole
    assert b"".join(chunks) == content
    assert AccessLog.objects.filter(action=AccessLog.Action.DOWNLOAD, object_id=str(version.public_id)).count() == 1
    for close in response._resource_closers:  # the file; response.close() would also end the test's DB connection
        close()


def test_default_storage_has_no_public_url(coordinator_a, folder_a):
    version = make_document(folder_a, coordinator_a).current_version
    assert default_storage.url(version.file.name).startswith("/no-public-media/")
    from django.test import Client

    assert Client().get(default_storage.url(version.file.name)).status_code in (HTTPStatus.FOUND, HTTPStatus.NOT_FOUND)
    assert DocumentVersion.objects.count() == 1


def test_x_accel_redirect_hands_the_file_to_nginx_after_the_checks(
    settings, verified_client, staff_a, staff_b, coordinator_a, folder_a
):
    settings.DOCUMENTS_X_ACCEL_REDIRECT = "/protected-media/"
    version = make_document(folder_a, coordinator_a, name="Procédure.pdf").current_version
    url = reverse("documents:version_download", kwargs={"public_id": version.public_id})
    response = verified_client(staff_a).get(url)
    assert response.status_code == HTTPStatus.OK
    assert response["X-Accel-Redirect"] == f"/protected-media/{version.file.name}"
    assert response.content == b""
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"].startswith("attachment;")
    assert AccessLog.objects.filter(action=AccessLog.Action.DOWNLOAD, user=staff_a).count() == 1
    assert verified_client(staff_b).get(url).status_code == HTTPStatus.NOT_FOUND
