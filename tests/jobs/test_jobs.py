"""Background jobs as a coordinator lives them: ask for an export, follow its progress, download it once ready."""

from __future__ import annotations

import csv
import datetime
import io
import zipfile
from http import HTTPStatus

import pypdfium2
import pytest
from django.core.files.storage import default_storage
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from carehub.access_log import log_access
from carehub.models import AccessLog
from coordination.models import Resident
from directory.models import Assignment
from jobs import services
from jobs.models import Job
from jobs.tasks import purge_expired_jobs, run_job
from tests.factories import make_staff
from tests.jobs.helpers import content, download_export, reauthenticated, submit

EN = {"headers": {"accept-language": "en"}}


@pytest.fixture(autouse=True)
def _files_in_tmp(media_root):
    """Every test writes its files under its own temporary directory."""


@pytest.fixture
def resident_a(site_a, unit_a):
    return Resident.objects.create(site=site_a, unit=unit_a, first_name="Rose", last_name="Martin", room="12")


def _url(name, resident):
    return reverse(f"backoffice:{name}", args=[resident.public_id])


def _job_of(response) -> Job:
    return Job.objects.get(public_id=response.url.rstrip("/").rsplit("/", 1)[-1])


@pytest.mark.parametrize("name", ["history_csv", "history_pdf", "gdpr_export"])
def test_the_form_redirects_to_the_job_page_which_offers_a_valid_file(
    name, coordinator_a, staff_a, resident_a, verified_client
):
    log_access(None, AccessLog.Action.VIEW, resident_a, user=staff_a)
    body = content(download_export(verified_client(coordinator_a), _url(name, resident_a)))
    if name == "history_csv":
        rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig")), delimiter=";"))
        assert [row[1] for row in rows[1:]] == [staff_a.email]
    elif name == "history_pdf":
        assert len(pypdfium2.PdfDocument(body)) >= 1
    else:
        archive = zipfile.ZipFile(io.BytesIO(body))
        assert archive.testzip() is None and "synthese.pdf" in archive.namelist()


def test_request_and_download_are_in_the_access_log(coordinator_a, resident_a, verified_client):
    client = verified_client(coordinator_a)
    download_export(client, _url("history_pdf", resident_a))
    entries = AccessLog.objects.filter(user=coordinator_a, subject_id=resident_a.public_id).order_by("id")
    assert list(entries.values_list("action", "subject_id")) == [
        (AccessLog.Action.EXPORT, resident_a.public_id),
        (AccessLog.Action.VIEW, resident_a.public_id),  # the job's page, naming the file made
        (AccessLog.Action.DOWNLOAD, resident_a.public_id),
    ]
    assert set(entries.values_list("query", flat=True)) == {"access history (PDF)"}


def test_only_the_requester_sees_and_downloads_the_job(coordinator_a, site_a, resident_a, verified_client):
    job = _job_of(submit(verified_client(coordinator_a), _url("history_csv", resident_a)))
    assert job.status == Job.Status.DONE
    colleague = make_staff(site_a, coordinator=True, email="idec2.a@carehub.test")
    client = verified_client(colleague)
    for name in ("jobs:detail", "jobs:download"):
        assert client.get(reverse(name, args=[job.public_id])).status_code == HTTPStatus.NOT_FOUND
    assert job not in client.get(reverse("jobs:list")).context["jobs"]
    assert not AccessLog.objects.filter(user=colleague, action=AccessLog.Action.DOWNLOAD).exists()


def test_a_requester_who_no_longer_manages_the_site_cannot_download(coordinator_a, resident_a, verified_client):
    client = verified_client(coordinator_a)
    job = _job_of(submit(client, _url("gdpr_export", resident_a)))
    Assignment.objects.filter(user=coordinator_a).update(role=Assignment.Role.STAFF)
    assert client.get(reverse("jobs:download", args=[job.public_id])).status_code == HTTPStatus.NOT_FOUND
    assert not AccessLog.objects.filter(action=AccessLog.Action.DOWNLOAD).exists()


def test_the_same_export_asked_twice_while_it_runs_is_one_job(coordinator_a, resident_a, verified_client):
    client = reauthenticated(verified_client(coordinator_a))
    first = client.post(_url("history_pdf", resident_a))  # the task waits for the commit: still queued
    second = client.post(_url("history_pdf", resident_a))
    assert first.status_code == second.status_code == HTTPStatus.SEE_OTHER
    assert first.url == second.url
    assert Job.objects.count() == 1
    page = client.get(first.url, **EN)
    assert b'http-equiv="refresh"' in page.content and b"Waiting to start" in page.content
    run_job(_job_of(first).pk)
    page = client.get(first.url, **EN)
    assert b'http-equiv="refresh"' not in page.content
    assert reverse("jobs:download", args=[_job_of(first).public_id]).encode() in page.content
    assert client.post(_url("history_pdf", resident_a)).url != first.url  # finished: a new request, a new file


@pytest.mark.parametrize(("entries", "writes"), [(450, 11), (2001, 12)])
def test_progress_is_counted_and_written_every_200_rows_or_tenth(
    entries, writes, coordinator_a, staff_a, resident_a, verified_client
):
    for _ in range(entries):
        log_access(None, AccessLog.Action.VIEW, resident_a, user=staff_a)
    job = _job_of(reauthenticated(verified_client(coordinator_a)).post(_url("history_csv", resident_a)))
    with CaptureQueriesContext(connection) as queries:
        run_job(job.pk)
    job.refresh_from_db()
    assert (job.status, job.progress_done, job.progress_total, job.percent) == (
        Job.Status.DONE,
        entries,
        entries,
        100,
    )
    progress_writes = [q for q in queries.captured_queries if 'UPDATE "jobs_job" SET "progress_done"' in q["sql"]]
    assert len(progress_writes) == writes  # 450: 0, 45, …, 450; 2001: 0, 200, …, 2000, 2001


def test_a_failed_job_says_so_and_offers_no_file(coordinator_a, resident_a, verified_client, monkeypatch, caplog):
    from backoffice import gdpr

    def broken(*args, **kwargs):
        raise RuntimeError("disk on fire")

    monkeypatch.setattr(gdpr, "access_history_pdf", broken)
    client = verified_client(coordinator_a)
    job = _job_of(submit(client, _url("history_pdf", resident_a)))
    assert (job.status, job.error, job.result_file.name) == (Job.Status.FAILED, "failed", "")
    page = client.get(job.get_absolute_url(), **EN)
    assert b"The file could not be made" in page.content
    assert b"disk on fire" not in page.content and "disk on fire" in caplog.text  # details in the log only
    download = client.get(reverse("jobs:download", args=[job.public_id]))
    assert (download.status_code, download.url) == (HTTPStatus.FOUND, job.get_absolute_url())
    assert not default_storage.exists(f"jobs/{job.public_id}")


def test_expired_files_are_purged_and_the_page_says_expired(coordinator_a, resident_a, verified_client, settings):
    settings.EXPORTS_KEEP_HOURS = 6
    client = verified_client(coordinator_a)
    job = _job_of(submit(client, _url("history_csv", resident_a)))
    stored = job.result_file.name
    assert default_storage.exists(stored)
    assert job.expires_at - job.finished_at == datetime.timedelta(hours=6)
    assert services.jobs_purge_expired(now=job.expires_at - datetime.timedelta(minutes=1)) == 0
    assert default_storage.exists(stored)

    Job.objects.filter(pk=job.pk).update(expires_at=timezone.now() - datetime.timedelta(seconds=1))
    assert purge_expired_jobs() == 1
    assert not default_storage.exists(stored)
    page = client.get(job.get_absolute_url(), **EN)
    assert b"File expired" in page.content
    assert reverse("jobs:download", args=[job.public_id]).encode() not in page.content
    assert client.get(reverse("jobs:download", args=[job.public_id])).status_code == HTTPStatus.FOUND


def test_a_job_left_running_by_a_dead_worker_is_marked_interrupted(coordinator_a, resident_a, verified_client):
    job = _job_of(reauthenticated(verified_client(coordinator_a)).post(_url("history_csv", resident_a)))
    Job.objects.filter(pk=job.pk).update(
        status=Job.Status.RUNNING, created_at=timezone.now() - datetime.timedelta(days=2)
    )
    purge_expired_jobs()
    job.refresh_from_db()
    assert (job.status, job.error) == (Job.Status.FAILED, "interrupted")
    assert run_job(job.pk) == "skipped"  # a redelivered task does not run it again


def test_my_exports_lists_mine_in_a_fixed_number_of_queries(
    coordinator_a, resident_a, verified_client, django_assert_num_queries
):
    client = verified_client(coordinator_a)

    def add_jobs(n):
        for i in range(n):
            Job.objects.create(
                requester=coordinator_a,
                kind="backoffice.access_history_csv",
                request_key=f"k{Job.objects.count()}",
                title=f"Export {i}",
                status=Job.Status.DONE,
            )

    add_jobs(2)
    client.get(reverse("jobs:list"))  # session, user, device: warmed up
    with CaptureQueriesContext(connection) as few:
        response = client.get(reverse("jobs:list"))
    assert len(response.context["jobs"]) == 2
    add_jobs(6)
    with django_assert_num_queries(len(few.captured_queries)):
        response = client.get(reverse("jobs:list"))
    assert len(response.context["jobs"]) == 8
