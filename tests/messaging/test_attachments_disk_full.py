"""A message with a file, sent while the media are full: a clear 507, no message, no partial file."""

import uuid
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from documents.samples import text_pdf
from messaging.models import Message
from tests.disks import files_under, tiny_disk
from tests.messaging.factories import group_with

pytestmark = pytest.mark.django_db

LARGE_PDF = text_pdf([["Transmissions de nuit"]]) + b"%" + b"7" * 200_000


def _send(client, conversation):
    return client.post(
        reverse("messaging:conversation", kwargs={"public_id": conversation.public_id}),
        {
            "body": "Le protocole",
            "client_token": str(uuid.uuid4()),
            "files": [SimpleUploadedFile("protocole.pdf", LARGE_PDF, content_type="application/pdf")],
        },
        HTTP_ACCEPT_LANGUAGE="en",
    )


def test_a_message_with_a_file_to_full_media_answers_507(verified_client, staff_a, coordinator_a, media_root):
    group = group_with(staff_a, coordinator_a)
    with tiny_disk(media_root):
        response = _send(verified_client(staff_a), group)
    assert (response.status_code, response["Retry-After"]) == (HTTPStatus.INSUFFICIENT_STORAGE, "300")


def test_a_message_with_a_file_to_full_media_keeps_no_message_and_no_partial_file(
    verified_client, staff_a, coordinator_a, media_root
):
    group = group_with(staff_a, coordinator_a)
    with tiny_disk(media_root) as disk:
        _send(verified_client(staff_a), group)
        assert (Message.objects.filter(conversation=group).count(), files_under(disk)) == (0, [])
