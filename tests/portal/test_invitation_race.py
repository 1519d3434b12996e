"""The same invitation sent twice at the same moment, on PostgreSQL (two real requests, two connections):
one invitation, one e-mail; the second request is told an invitation is already waiting."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from portal.models import Invitation, Relationship
from tests.concurrency import row_held

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _invite(client, resident):
    url = reverse("portal:resident_family", kwargs={"public_id": resident.public_id})
    data = {"email": "anne.durand@famille.test", "relationship": Relationship.CHILD, "may_see_news": "on"}
    return lambda: client.post(url, data, HTTP_ACCEPT_LANGUAGE="en")


def _twice_at_once(verified_client, coordinator_a, marie):
    client = verified_client(coordinator_a)
    with row_held(marie) as waiting:
        waiting.start(_invite(client, marie))
        waiting.start(_invite(client, marie))
    return waiting.answers


def test_an_invitation_sent_twice_at_once_is_stored_once(verified_client, coordinator_a, marie):
    _twice_at_once(verified_client, coordinator_a, marie)
    assert Invitation.objects.filter(resident=marie).count() == 1


def test_the_second_of_two_invitations_sent_at_once_is_told_one_is_waiting(verified_client, coordinator_a, marie):
    answers = _twice_at_once(verified_client, coordinator_a, marie)
    assert sorted(a.status_code for a in answers) == [HTTPStatus.FOUND, HTTPStatus.BAD_REQUEST]
