"""An export made while the media are full or read-only: the job fails cleanly, no partial file is kept
or offered; the request that asked for it answered normally."""

from __future__ import annotations

import pytest
from django.urls import reverse

from coordination.models import Resident
from jobs.models import Job
from tests.disks import files_under, tiny_disk
from tests.jobs.helpers import submit


@pytest.fixture
def resident_a(site_a, unit_a):
    return Resident.objects.create(site=site_a, unit=unit_a, first_name="Rose", last_name="Martin", room="12")


def _export_on(disk_options, media_root, client, resident):
    url = reverse("backoffice:gdpr_export", args=[resident.public_id])
    with tiny_disk(media_root, **disk_options) as disk:
        response = submit(client, url)
        left = files_under(disk)
    return Job.objects.get(public_id=response.url.rstrip("/").rsplit("/", 1)[-1]), left


@pytest.mark.parametrize("disk_options", [{"size": "4k"}, {"read_only": True}], ids=["full", "read-only"])
def test_an_export_to_unwritable_media_fails_cleanly_and_leaves_no_file(
    disk_options, coordinator_a, resident_a, verified_client, media_root
):
    job, left = _export_on(disk_options, media_root, verified_client(coordinator_a), resident_a)
    assert (job.status, job.result_file.name, left) == (Job.Status.FAILED, "", [])
