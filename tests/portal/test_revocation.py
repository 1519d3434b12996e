"""Revoking a link or deactivating the account ends access at once: sessions and sockets included."""

from http import HTTPStatus

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts.models import UserSession
from messaging.consumers import CLOSE_SESSION_ENDED
from messaging.models import Membership
from portal import services
from portal.models import FamilyLink
from tests.conftest import login_verified
from tests.factories import FamilyUserFactory
from tests.portal.factories import link
from tests.sockets import close_code_within, open_socket


def news_url(resident):
    return reverse("portal:news", kwargs={"public_id": resident.public_id})


def test_sign_in_records_the_family_session(family_a):
    client = login_verified(Client(), family_a.user)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert UserSession.objects.filter(user=family_a.user, session_key=key).exists()


def test_staff_sessions_are_recorded_in_the_same_index(staff_a):
    client = login_verified(Client(), staff_a)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    assert UserSession.objects.filter(user=staff_a, session_key=key).exists()


def test_revoking_the_link_signs_the_relative_out_everywhere(family_a, coordinator_a, verified_client, marie):
    phone, laptop = verified_client(family_a.user), verified_client(family_a.user)
    sister = FamilyUserFactory(email="soeur@famille.test")
    link(sister, marie)
    sister_client = verified_client(sister)
    assert phone.get(news_url(marie)).status_code == HTTPStatus.OK
    response = verified_client(coordinator_a).post(
        reverse("portal:link_revoke", kwargs={"public_id": family_a.link.public_id})
    )
    assert response.status_code == HTTPStatus.FOUND
    family_a.link.refresh_from_db()
    assert not family_a.link.is_active and family_a.link.revoked_by == coordinator_a
    for client in (phone, laptop):
        response = client.get(news_url(marie))
        assert response.status_code == HTTPStatus.FOUND and reverse("account_login") in response.url
    assert not UserSession.objects.filter(user=family_a.user).exists()
    assert not Membership.objects.filter(user=family_a.user).exists()
    # Another relative of the same resident keeps their access.
    assert sister_client.get(news_url(marie)).status_code == HTTPStatus.OK


def test_after_revocation_signing_in_again_shows_nothing(family_a, coordinator_a, verified_client, marie):
    services.family_link_revoke(actor=coordinator_a, link=family_a.link)
    client = verified_client(family_a.user)
    assert client.get(news_url(marie)).status_code == HTTPStatus.NOT_FOUND
    assert "Marie" not in client.get(reverse("portal:home")).content.decode()


def test_a_session_never_recorded_still_loses_access_at_once(family_a, coordinator_a, marie):
    """The policy decides per request: even a session missing from the index reads nothing more."""
    client = login_verified(Client(), family_a.user)
    UserSession.objects.all().delete()
    services.family_link_revoke(actor=coordinator_a, link=family_a.link)
    assert client.get(news_url(marie)).status_code == HTTPStatus.NOT_FOUND


def test_deactivating_the_account_ends_its_sessions(family_a, coordinator_a, verified_client, marie):
    client = verified_client(family_a.user)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    services.family_account_deactivate(actor=coordinator_a, user=family_a.user)
    family_a.user.refresh_from_db()
    assert not family_a.user.is_active
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(user=family_a.user).exists()
    response = client.get(news_url(marie))
    assert response.status_code == HTTPStatus.FOUND and reverse("account_login") in response.url


def test_deactivation_from_anywhere_ends_sessions(family_a, verified_client):
    """A group admin unticks "active" in the user admin: the signal ends the sessions too."""
    client = verified_client(family_a.user)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    family_a.user.is_active = False
    family_a.user.save()
    assert not Session.objects.filter(session_key=key).exists()


def test_a_coordinator_of_another_site_cannot_deactivate(family_b, coordinator_a):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        services.family_account_deactivate(actor=coordinator_a, user=family_b.user)
    family_b.user.refresh_from_db()
    assert family_b.user.is_active


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_revocation_closes_the_relatives_socket_within_a_second(family_a, coordinator_a):
    comm = await open_socket(family_a.user)
    await sync_to_async(services.family_link_revoke)(actor=coordinator_a, link=family_a.link)
    assert await close_code_within(comm, 1.0) == CLOSE_SESSION_ENDED


def test_staff_of_another_site_cannot_revoke(family_a, staff_b, coordinator_a, verified_client):
    for user in (staff_b,):
        response = verified_client(user).post(
            reverse("portal:link_revoke", kwargs={"public_id": family_a.link.public_id})
        )
        assert response.status_code == HTTPStatus.NOT_FOUND
    assert FamilyLink.objects.get(pk=family_a.link.pk).is_active


def test_coordinator_changes_rights_from_the_family_page(family_a, coordinator_a, verified_client):
    prefix = str(family_a.link.public_id)
    response = verified_client(coordinator_a).post(
        reverse("portal:link_update", kwargs={"public_id": family_a.link.public_id}), {f"{prefix}-may_see_news": "on"}
    )
    assert response.status_code == HTTPStatus.FOUND
    family_a.link.refresh_from_db()
    assert (family_a.link.may_see_news, family_a.link.may_see_documents, family_a.link.may_see_messages) == (
        True,
        False,
        False,
    )
    assert not Membership.objects.filter(user=family_a.user).exists()


# --- Open sockets --------------------------------------------------------------------------------


async def _family_socket(user):
    def cookie():
        return login_verified(Client(), user).cookies[settings.SESSION_COOKIE_NAME].value

    from carehub.asgi import application

    value = await sync_to_async(cookie)()
    comm = WebsocketCommunicator(
        application,
        "/ws/messages/",
        headers=[(b"origin", b"http://testserver"), (b"cookie", f"{settings.SESSION_COOKIE_NAME}={value}".encode())],
    )
    ok, _ = await comm.connect(timeout=3)
    assert ok
    hello = await comm.receive_json_from(timeout=3)
    assert hello["type"] == "hello"
    return comm


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_revocation_closes_the_relatives_open_socket(family_a, coordinator_a):
    comm = await _family_socket(family_a.user)
    await sync_to_async(services.family_link_revoke)(actor=coordinator_a, link=family_a.link)
    closed = False
    for _ in range(10):
        output = await comm.receive_output(timeout=3)
        if output["type"] == "websocket.close":
            closed = True
            break
    assert closed
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_relatives_socket_reaches_only_their_family_thread(family_a, family_b, staff_a):
    import uuid

    from messaging import services as messaging_services
    from messaging.models import Conversation, Kind, Message

    def others():
        group = messaging_services.conversation_group_create(creator=staff_a, title="Équipe", members=[])
        channel = messaging_services.site_channel_get_or_create(site=family_a.resident.site)
        resident_thread = messaging_services.resident_thread_open(resident=family_a.resident, user=staff_a)
        other_family = Conversation.objects.get(kind=Kind.FAMILY, resident=family_b.resident)
        own = Conversation.objects.get(kind=Kind.FAMILY, resident=family_a.resident)
        return [group, channel, resident_thread, other_family], own

    forbidden, own = await sync_to_async(others)()
    comm = await _family_socket(family_a.user)
    for conversation in forbidden:
        await comm.send_json_to(
            {
                "type": "send",
                "conversation": str(conversation.public_id),
                "body": "Bonjour",
                "client_token": str(uuid.uuid4()),
            }
        )
        frame = await comm.receive_json_from(timeout=3)
        assert frame["type"] == "error", frame
    await comm.send_json_to(
        {
            "type": "send",
            "conversation": str(own.public_id),
            "body": "Bonjour l'équipe",
            "client_token": str(uuid.uuid4()),
        }
    )
    for _ in range(5):
        frame = await comm.receive_json_from(timeout=3)
        if frame["type"] == "sent":
            break
    assert frame["type"] == "sent"
    senders = await sync_to_async(lambda: list(Message.objects.values_list("conversation_id", flat=True)))()
    assert senders == [own.pk]
    await comm.disconnect()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_the_relatives_socket_shows_staff_by_first_name_and_job_only(family_a, staff_a):
    import uuid

    from messaging import services as messaging_services
    from messaging.models import Conversation, Kind

    comm = await _family_socket(family_a.user)

    def staff_writes():
        thread = Conversation.objects.get(kind=Kind.FAMILY, resident=family_a.resident)
        messaging_services.message_send(
            conversation=thread, sender=staff_a, body="Votre mère a bien mangé.", client_token=uuid.uuid4()
        )

    await sync_to_async(staff_writes)()
    for _ in range(5):
        frame = await comm.receive_json_from(timeout=3)
        if frame["type"] == "message":
            break
    assert frame["type"] == "message", frame
    sender = frame["message"]["sender"]
    assert sender["name"] == "Hélène, aide-soignant(e) (AS)"  # first name and job (French, the default)
    assert "Lefèvre" not in str(frame) and "handle" not in sender
    await comm.disconnect()


def test_old_session_records_are_pruned(family_a, settings):
    from datetime import timedelta

    from django.utils import timezone

    from accounts import tasks

    login_verified(Client(), family_a.user)
    UserSession.objects.update(created_at=timezone.now() - timedelta(seconds=settings.SESSION_ABSOLUTE_LIFETIME + 1))
    login_verified(Client(), family_a.user)
    assert tasks.prune_sessions() == 0  # the second sign-in already forgot the expired key
    UserSession.objects.update(created_at=timezone.now() - timedelta(seconds=settings.SESSION_ABSOLUTE_LIFETIME + 1))
    assert tasks.prune_sessions() == 1
    assert not UserSession.objects.exists()
