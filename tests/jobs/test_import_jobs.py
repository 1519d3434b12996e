"""A large CSV import runs as a background job: progress, then the row-by-row report; a small one is unchanged."""

from __future__ import annotations

import csv
import io
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase
from django.urls import reverse

from backoffice.views import IMPORT_BACKGROUND_ROWS
from coordination.models import Resident
from jobs.models import Job
from tests.jobs.helpers import content

UPLOAD = reverse("backoffice:import_upload", args=["residents"])
APPLY = reverse("backoffice:import_apply", args=["residents"])


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root):
    """Every test writes its files under its own temporary directory."""


def _residents_csv(site, count: int, *, bad_rows: int = 0) -> str:
    rows = [f"B-{i:04d},Nom{i},Prénom,1931-04-02,{site.name},,{i}" for i in range(count)]
    rows += [f"X-{i:04d},Futur{i},Bébé,2999-01-01,{site.name},,1" for i in range(bad_rows)]
    return "IPP,Nom,Prénom,Date de naissance,Établissement,Unité,Chambre\n" + "\n".join(rows) + "\n"


def _preview_and_apply(client, text):
    upload = SimpleUploadedFile("admissions.csv", text.encode(), content_type="text/csv")
    preview = client.post(UPLOAD, {"file": upload})
    assert preview.status_code == HTTPStatus.OK
    with TestCase.captureOnCommitCallbacks(execute=True):
        return client.post(APPLY, {"digest": preview.context["digest"]})


def test_a_large_import_runs_as_a_job_with_a_row_by_row_report(coordinator_a, site_a, verified_client):
    client = verified_client(coordinator_a)
    count = IMPORT_BACKGROUND_ROWS + 1
    response = _preview_and_apply(client, _residents_csv(site_a, count, bad_rows=2))
    assert response.status_code == HTTPStatus.SEE_OTHER
    job = Job.objects.get(requester=coordinator_a)
    assert response.url == job.get_absolute_url()
    assert (job.status, job.progress_done, job.progress_total) == (Job.Status.DONE, count, count)
    assert "text" not in job.parameters  # the uploaded file is not kept once written
    assert Resident.objects.filter(external_id__startswith="B-").count() == count

    # The report is in the language of the person who asked (French here).
    assert (
        job.result_summary
        == f"Import terminé\u00a0: {count} nouvelles fiches, 0 mise à jour, 0 inchangée, 2 lignes ignorées."
    )
    assert job.result_summary in client.get(job.get_absolute_url()).content.decode()
    report = client.get(reverse("jobs:download", args=[job.public_id]))
    rows = list(csv.reader(io.StringIO(content(report).decode("utf-8-sig")), delimiter=";"))
    assert len(rows) == 1 + count + 2
    skipped = [row for row in rows[1:] if row[0] in {str(count + 2), str(count + 3)}]
    assert [row[1] for row in skipped] == ["X-0000", "X-0001"]
    assert all(row[5] for row in skipped)  # each skipped row says why


def test_a_small_import_is_written_at_once_as_before(coordinator_a, site_a, verified_client):
    response = _preview_and_apply(verified_client(coordinator_a), _residents_csv(site_a, 3))
    assert (response.status_code, response.url) == (HTTPStatus.FOUND, reverse("admin:coordination_resident_changelist"))
    assert Resident.objects.filter(external_id__startswith="B-").count() == 3
    assert not Job.objects.exists()
