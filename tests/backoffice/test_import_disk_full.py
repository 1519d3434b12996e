"""A CSV import sent while the temporary disk is full: the CSRF check's reading of the form writes the
file; the answer is a clear 507 with Retry-After, never the generic 500."""

from http import HTTPStatus

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.conftest import login_verified
from tests.disks import files_under, tiny_disk

STAFF_URL = reverse("backoffice:import_upload", args=["staff"])


def _post_large_csv(settings, tmp_path, user, left=None):
    client = login_verified(Client(enforce_csrf_checks=True), user)
    page = client.get(STAFF_URL)
    assert page.status_code == 200, (page.status_code, page.get("Location"))
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024  # larger files go to a temporary file, on the tiny disk
    with tiny_disk(tmp_path / "uploads-tmp") as disk:
        settings.FILE_UPLOAD_TEMP_DIR = str(disk)
        csv = "Matricule;Nom;Prénom;Email\n" + "RH-1;Durand;Léa;lea.durand@carehub.test\n" * 5000
        response = client.post(
            STAFF_URL,
            {
                "csrfmiddlewaretoken": str(page.context["csrf_token"]),
                "file": SimpleUploadedFile("export.csv", csv.encode(), content_type="text/csv"),
            },
            HTTP_ACCEPT_LANGUAGE="en",
        )
        if left is not None:
            left.extend(files_under(disk))
    return response


def test_an_import_on_a_full_temporary_disk_answers_507(settings, tmp_path, coordinator_a):
    response = _post_large_csv(settings, tmp_path, coordinator_a)
    assert (response.status_code, response["Retry-After"]) == (HTTPStatus.INSUFFICIENT_STORAGE, "300")


def test_an_import_on_a_full_temporary_disk_says_what_happened(settings, tmp_path, coordinator_a):
    response = _post_large_csv(settings, tmp_path, coordinator_a)
    assert "The file storage is full" in response.content.decode()


def test_an_import_on_a_full_temporary_disk_leaves_no_partial_file(settings, tmp_path, coordinator_a):
    left: list = []
    _post_large_csv(settings, tmp_path, coordinator_a, left)
    assert left == []
