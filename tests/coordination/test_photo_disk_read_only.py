"""A resident's photo given in the admin while the media are read-only: a clear 503 with Retry-After,
the resident unchanged (the admin's change is one transaction)."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from tests.coordination.test_photo_pipeline import _form_data
from tests.directory.factories import jpeg_bytes
from tests.disks import tiny_disk
from tests.messaging.factories import ResidentFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def resident(site_a, unit_a):
    return ResidentFactory(site=site_a, unit=unit_a, room="12")


def _photo_on_read_only_media(client, resident, media_root):
    url = reverse("admin:coordination_resident_change", args=[resident.pk])
    data = {**_form_data(client.get(url)), "room": "14"}
    data["photo"] = SimpleUploadedFile("IMG_0042.jpg", jpeg_bytes(), content_type="image/jpeg")
    with tiny_disk(media_root, read_only=True):
        return client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")


def test_a_resident_photo_on_read_only_media_answers_503(coordinator_a, resident, verified_client, media_root):
    response = _photo_on_read_only_media(verified_client(coordinator_a), resident, media_root)
    assert (response.status_code, response["Retry-After"]) == (HTTPStatus.SERVICE_UNAVAILABLE, "300")


def test_a_resident_photo_on_read_only_media_leaves_the_resident_as_it_was(
    coordinator_a, resident, verified_client, media_root
):
    _photo_on_read_only_media(verified_client(coordinator_a), resident, media_root)
    resident.refresh_from_db()
    assert (resident.room, resident.photo.name) == ("12", "")
