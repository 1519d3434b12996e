"""Shared documents (download re-checked and logged) and the family thread with the care team."""

import uuid
from http import HTTPStatus

from django.urls import reverse

from carehub.models import AccessLog
from messaging.models import Conversation, Kind, Membership, Message
from portal import services
from tests.portal.factories import shared_document


def docs_url(resident):
    return reverse("portal:documents", kwargs={"public_id": resident.public_id})


def download_url(resident, document):
    return reverse(
        "portal:document_download", kwargs={"public_id": resident.public_id, "document_id": document.public_id}
    )


def thread_url(resident):
    return reverse("portal:messages", kwargs={"public_id": resident.public_id})


def test_family_lists_and_downloads_shared_documents_only(family_a, coordinator_a, verified_client):
    shared = shared_document(family_a.resident, coordinator_a, title="Menu de la semaine")
    internal = shared_document(
        family_a.resident, coordinator_a, title="Plan de soins", family_visible=False, name="pap.pdf"
    )
    client = verified_client(family_a.user)
    html = client.get(docs_url(family_a.resident)).content.decode()
    assert "Menu de la semaine" in html and "Plan de soins" not in html
    response = client.get(download_url(family_a.resident, shared))
    assert response.status_code == HTTPStatus.OK
    assert b"".join(response.streaming_content).startswith(b"%PDF")
    assert "attachment" in response["Content-Disposition"]
    entry = AccessLog.objects.filter(user=family_a.user, action=AccessLog.Action.DOWNLOAD).get()
    assert entry.subject_id == family_a.resident.public_id
    assert client.get(download_url(family_a.resident, internal)).status_code == HTTPStatus.NOT_FOUND


def test_download_rechecks_sharing_and_rights_at_download_time(family_a, coordinator_a, verified_client):
    from documents import services as documents_services

    document = shared_document(family_a.resident, coordinator_a)
    client = verified_client(family_a.user)
    url = download_url(family_a.resident, document)
    assert client.get(url).status_code == HTTPStatus.OK
    documents_services.document_set_family_visible(document=document, visible=False)
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    documents_services.document_set_family_visible(document=document, visible=True)
    services.family_link_update_rights(
        actor=coordinator_a, link=family_a.link, may_see_news=True, may_see_documents=False, may_see_messages=True
    )
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert client.get(docs_url(family_a.resident)).status_code == HTTPStatus.NOT_FOUND


def test_a_document_of_another_resident_is_404_even_under_ones_own_resident(
    family_a, family_b, coordinator_a, group_admin, verified_client
):
    other = shared_document(family_b.resident, group_admin, title="Document de Louis")
    client = verified_client(family_a.user)
    assert client.get(download_url(family_a.resident, other)).status_code == HTTPStatus.NOT_FOUND
    assert client.get(download_url(family_b.resident, other)).status_code == HTTPStatus.NOT_FOUND
    assert not AccessLog.objects.filter(user=family_a.user, action=AccessLog.Action.DOWNLOAD).exists()


def test_family_writes_to_the_care_team_without_javascript(family_a, verified_client):
    client = verified_client(family_a.user)
    response = client.post(
        thread_url(family_a.resident), {"body": "Bonjour, comment va maman ?", "client_token": str(uuid.uuid4())}
    )
    assert response.status_code == HTTPStatus.FOUND
    message = Message.objects.get()
    assert message.sender == family_a.user
    assert message.conversation.kind == Kind.FAMILY and message.conversation.resident == family_a.resident


def test_sending_twice_with_the_same_token_stores_one_message(family_a, verified_client):
    client = verified_client(family_a.user)
    data = {"body": "Bonjour", "client_token": str(uuid.uuid4())}
    client.post(thread_url(family_a.resident), data)
    client.post(thread_url(family_a.resident), data)
    assert Message.objects.count() == 1


def test_empty_message_is_a_400_with_a_message(family_a, verified_client):
    response = verified_client(family_a.user).post(
        thread_url(family_a.resident), {"body": "  ", "client_token": str(uuid.uuid4())}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not Message.objects.exists()


def test_family_sees_staff_by_first_name_and_job_and_staff_see_the_thread(family_a, nurse_a, staff_b, verified_client):
    from messaging import services as messaging_services

    conversation = Conversation.objects.get(kind=Kind.FAMILY, resident=family_a.resident)
    assert Conversation.objects.visible_to(nurse_a).filter(pk=conversation.pk).exists()
    assert not Conversation.objects.visible_to(staff_b).filter(pk=conversation.pk).exists()
    messaging_services.message_send(
        conversation=conversation, sender=nurse_a, body="Votre maman va bien.", client_token=uuid.uuid4()
    )
    html = verified_client(family_a.user).get(thread_url(family_a.resident)).content.decode()
    assert "Votre maman va bien." in html
    assert "Sophie" in html and "Garnier" not in html
    assert AccessLog.objects.filter(user=family_a.user, object_type="messaging.conversation").exists()


def test_without_the_messages_right_there_is_no_thread(family_a, coordinator_a, verified_client):
    services.family_link_update_rights(
        actor=coordinator_a, link=family_a.link, may_see_news=True, may_see_documents=True, may_see_messages=False
    )
    client = verified_client(family_a.user)
    assert client.get(thread_url(family_a.resident)).status_code == HTTPStatus.NOT_FOUND
    assert (
        client.post(thread_url(family_a.resident), {"body": "x", "client_token": str(uuid.uuid4())}).status_code == 404
    )
    assert not Membership.objects.filter(user=family_a.user).exists()
    assert not Conversation.objects.visible_to(family_a.user).exists()


def test_family_can_reach_only_its_own_family_thread(family_a, family_b, nurse_a):
    from messaging import selectors as messaging_selectors
    from messaging import services as messaging_services

    group = messaging_services.conversation_group_create(creator=nurse_a, title="Équipe", members=[])
    messaging_services.site_channel_get_or_create(site=family_a.resident.site)
    messaging_services.resident_thread_open(resident=family_a.resident, user=nurse_a)
    own = Conversation.objects.get(kind=Kind.FAMILY, resident=family_a.resident)
    assert set(Conversation.objects.visible_to(family_a.user)) == {own}
    assert set(messaging_selectors.conversation_subscriptions(family_a.user)) == {own.pk}
    assert group.pk not in messaging_selectors.conversation_subscriptions(family_a.user)
