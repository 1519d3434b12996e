"""A profile photo sent while the media are read-only: a clear 503 with Retry-After, the profile unchanged."""

from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from directory.models import StaffProfile
from tests.directory.factories import jpeg_bytes
from tests.disks import tiny_disk

pytestmark = pytest.mark.django_db


def _post_photo(client):
    return client.post(
        reverse("directory:profile_edit"),
        {
            "phone_extension": "30 12",
            "mobile": "",
            "mobile_visibility": "group",
            "languages": ["fr"],
            "photo": SimpleUploadedFile("moi.jpg", jpeg_bytes(), content_type="image/jpeg"),
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_a_photo_to_read_only_media_answers_503(verified_client, staff_a, media_root):
    with tiny_disk(media_root, read_only=True):
        response = _post_photo(verified_client(staff_a))
    assert (response.status_code, response["Retry-After"]) == (HTTPStatus.SERVICE_UNAVAILABLE, "300")


def test_a_photo_to_read_only_media_leaves_the_profile_as_it_was(verified_client, staff_a, media_root):
    with tiny_disk(media_root, read_only=True):
        _post_photo(verified_client(staff_a))
    assert StaffProfile.objects.filter(user=staff_a, phone_extension="30 12").exists() is False


def test_the_read_only_page_says_what_happened(verified_client, staff_a, media_root):
    with tiny_disk(media_root, read_only=True):
        response = _post_photo(verified_client(staff_a))
    assert "cannot be written to right now" in response.content.decode()
