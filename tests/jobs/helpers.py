"""Asking for an export as a user does: the form's POST (303 to the job's page), then the download.

Celery is eager in tests: the job runs when the request's transaction commits, so the
job's page already offers the file.
"""

from __future__ import annotations

from http import HTTPStatus

from django.test import TestCase
from django.urls import reverse

from tests.accounts.flows import reauthenticate


def reauthenticated(client):
    """The client, its password just given again: what an export asks first."""
    reauthenticate(client)
    return client


def submit(client, url: str):
    """POST the export form, the password given again just before as the page asks (see
    backoffice.views); the job runs on commit (eager Celery). Returns the 303 response."""
    reauthenticate(client)
    with TestCase.captureOnCommitCallbacks(execute=True):
        response = client.post(url)
    assert response.status_code == HTTPStatus.SEE_OTHER, response.status_code
    return response


def download_export(client, url: str):
    """POST the export form, open the job's page, download the file: the download's response."""
    job_page = client.get(submit(client, url).url)
    assert job_page.status_code == HTTPStatus.OK
    job = job_page.context["job"]
    assert job.is_ready, (job.status, job.error)
    response = client.get(reverse("jobs:download", args=[job.public_id]))
    assert response.status_code == HTTPStatus.OK
    return response


def content(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content
