"""A person's sessions: one index for staff and families, one expiry rule for pages and sockets,
and every way a session or a right ends closes the matching open sockets at once."""

from __future__ import annotations

import time

import pytest
from asgiref.sync import sync_to_async
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse

from accounts import sessions
from accounts.models import UserSession
from messaging.consumers import CLOSE_SESSION_ENDED
from tests.accounts.flows import fresh_client
from tests.conftest import login_verified
from tests.sockets import close_code_within, open_socket


def test_the_expiry_rule_ends_idle_sessions_after_the_persons_timeout(staff_a, settings):
    now = int(time.time())
    data = {sessions.STARTED_KEY: now - 60, sessions.LAST_SEEN_KEY: now - settings.IDLE_TIMEOUT_STAFF - 1}
    assert sessions.expiry(data, staff_a, now=now) is sessions.Expiry.IDLE


def test_the_expiry_rule_gives_families_their_own_idle_timeout(family_user, settings):
    settings.IDLE_TIMEOUT_STAFF, settings.IDLE_TIMEOUT_FAMILY = 60, 600
    now = int(time.time())
    data = {sessions.STARTED_KEY: now - 120, sessions.LAST_SEEN_KEY: now - 120}
    assert sessions.expiry(data, family_user, now=now) is None


def test_the_expiry_rule_ends_every_session_after_its_absolute_lifetime(staff_a, settings):
    now = int(time.time())
    data = {sessions.STARTED_KEY: now - settings.SESSION_ABSOLUTE_LIFETIME - 1, sessions.LAST_SEEN_KEY: now}
    assert sessions.expiry(data, staff_a, now=now) is sessions.Expiry.ABSOLUTE


def test_ending_a_persons_sessions_deletes_each_of_them(staff_a):
    keys = [login_verified(Client(), staff_a).session.session_key for _ in range(2)]
    assert sessions.sessions_end(user=staff_a) == 2
    assert not Session.objects.filter(session_key__in=keys).exists()


def test_signing_out_drops_the_session_from_the_index(staff_a):
    client = login_verified(fresh_client(), staff_a)
    key = client.session.session_key
    client.post(reverse("account_logout"))
    assert not UserSession.objects.filter(session_key=key).exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_signing_out_closes_the_socket_of_that_session_within_a_second(staff_a):
    client = await sync_to_async(login_verified)(fresh_client(), staff_a)
    comm = await open_socket(staff_a, client)
    await sync_to_async(client.post)(reverse("account_logout"))
    assert await close_code_within(comm, 1.0) == CLOSE_SESSION_ENDED


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_signing_out_elsewhere_leaves_the_other_sessions_socket_open(staff_a):
    tablet = await open_socket(staff_a)
    workstation = await sync_to_async(lambda: login_verified(fresh_client(), staff_a))()
    await sync_to_async(workstation.post)(reverse("account_logout"))
    assert await close_code_within(tablet, 1.0) is None


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_an_account_saved_inactive_from_anywhere_closes_its_socket_within_a_second(staff_a):
    comm = await open_socket(staff_a)

    def untick():
        staff_a.is_active = False
        staff_a.save()

    await sync_to_async(untick)()
    assert await close_code_within(comm, 1.0) == CLOSE_SESSION_ENDED


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_resetting_the_second_factor_closes_the_socket_within_a_second(staff_a, coordinator_a):
    from accounts.staff import staff_two_factor_reset

    comm = await open_socket(staff_a)
    await sync_to_async(staff_two_factor_reset)(by=coordinator_a, user=staff_a)
    assert await close_code_within(comm, 1.0) == CLOSE_SESSION_ENDED
