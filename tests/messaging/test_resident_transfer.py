"""A transferred resident's threads and their files follow her current site, at once.

Before: the old site's staff still opened her thread and its attachments (200), the new site's got 404
on the thread and an error on the resident's thread page.
"""

from __future__ import annotations

import uuid
from http import HTTPStatus

import pytest
from asgiref.sync import sync_to_async
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from coordination.services import resident_transfer
from documents.samples import text_pdf
from messaging import services
from messaging.models import Membership
from tests.messaging.factories import ResidentFactory
from tests.messaging.test_consumer import receive_type
from tests.sockets import TIMEOUT, open_socket

pytestmark = pytest.mark.django_db


@pytest.fixture
def thread(site_a, unit_a, staff_a, media_root):
    resident = ResidentFactory(site=site_a, unit=unit_a, last_name="Bernard")
    conversation = services.resident_thread_open(resident=resident, user=staff_a)
    pdf = SimpleUploadedFile("plan.pdf", text_pdf([["Plan de soins"]]), content_type="application/pdf")
    message = services.message_send(
        conversation=conversation, sender=staff_a, body="Plan joint", client_token=uuid.uuid4(), files=[pdf]
    ).message
    conversation.attachment = message.attachments.get()
    return conversation


def _transfer(conversation, unit, by, capture):
    with capture(execute=True):
        resident_transfer(resident=conversation.resident, user=by, unit=unit)


def _conversation_url(conversation):
    return reverse("messaging:conversation", kwargs={"public_id": conversation.public_id})


def _attachment_url(conversation):
    return reverse("messaging:attachment", kwargs={"public_id": conversation.attachment.public_id})


@pytest.fixture
def transferred(thread, unit_b, staff_b, group_admin, django_capture_on_commit_callbacks):
    """Her thread, after her move to site B (whose staff were there already)."""
    _transfer(thread, unit_b, group_admin, django_capture_on_commit_callbacks)
    return thread


def test_the_old_site_loses_the_thread(transferred, staff_a, verified_client):
    assert verified_client(staff_a).get(_conversation_url(transferred)).status_code == HTTPStatus.NOT_FOUND


def test_the_old_site_loses_its_files(transferred, staff_a, verified_client):
    assert verified_client(staff_a).get(_attachment_url(transferred)).status_code == HTTPStatus.NOT_FOUND


def test_the_new_site_reads_the_thread(transferred, staff_b, verified_client):
    assert verified_client(staff_b).get(_conversation_url(transferred)).status_code == HTTPStatus.OK


def test_the_new_site_reads_its_files(transferred, staff_b, verified_client):
    assert verified_client(staff_b).get(_attachment_url(transferred)).status_code == HTTPStatus.OK


def test_the_residents_thread_page_leads_the_new_site_to_it(transferred, staff_b, verified_client):
    url = reverse("messaging:resident_thread", kwargs={"public_id": transferred.resident.public_id})
    response = verified_client(staff_b).get(url)
    assert response.url == _conversation_url(transferred)


def test_the_thread_is_in_the_new_care_teams_list(transferred, staff_b):
    assert Membership.objects.filter(conversation=transferred, user=staff_b).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_an_open_socket_of_the_old_site_stops_following_it(thread, staff_a, staff_b, unit_b, group_admin):
    comm = await open_socket(staff_a)
    await sync_to_async(resident_transfer)(resident=thread.resident, user=group_admin, unit=unit_b)
    removed = await receive_type(comm, "removed")
    await comm.disconnect()
    assert removed["conversation"] == str(thread.public_id)


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_old_site_receives_no_new_message(thread, staff_a, staff_b, unit_b, group_admin):
    comm = await open_socket(staff_a)
    await sync_to_async(resident_transfer)(resident=thread.resident, user=group_admin, unit=unit_b)
    await receive_type(comm, "removed")
    await sync_to_async(services.message_send)(
        conversation=thread, sender=staff_b, body="Arrivée aux Oliviers", client_token=uuid.uuid4()
    )
    frames = []
    while not await comm.receive_nothing(timeout=1):
        frames.append((await comm.receive_json_from(timeout=TIMEOUT))["type"])
    await comm.disconnect()
    assert "message" not in frames
