"""The handover taken twice at the same moment (a double tap), on PostgreSQL: two real requests on two
connections, held until both insert; one take-over is recorded and both answers are the same page."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from coordination.models import HandoverAcknowledgement
from tests.concurrency import both_at_once

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def _take_twice(verified_client, staff_a, unit_a):
    client = verified_client(staff_a)
    url = reverse("coordination:handover_take")

    def take():
        return client.post(url, {"unit": str(unit_a.public_id)})

    return both_at_once("coordination_handoveracknowledgement", take, take)


def test_the_handover_taken_twice_at_once_is_recorded_once(verified_client, staff_a, unit_a):
    _take_twice(verified_client, staff_a, unit_a)
    assert HandoverAcknowledgement.objects.filter(user=staff_a, unit=unit_a).count() == 1


def test_the_handover_taken_twice_at_once_answers_the_same_page_twice(verified_client, staff_a, unit_a):
    answers = _take_twice(verified_client, staff_a, unit_a)
    assert {(a.status_code, a.url) for a in answers} == {(HTTPStatus.FOUND, answers[0].url)}
