"""Rights that end close the open socket at once: the last assignment ended by a coordinator, or ended\nby the calendar at midnight (no event: the minute job asks)."""

from datetime import timedelta

import pytest
from asgiref.sync import sync_to_async
from django.utils import timezone

from directory.models import Assignment
from messaging.consumers import CLOSE_SESSION_ENDED
from tests.factories import AssignmentFactory
from tests.sockets import close_code_within, open_socket

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.asyncio]


def _end_assignments(user) -> None:
    today = timezone.localdate()
    for assignment in Assignment.objects.filter(user=user):
        assignment.start_date = today - timedelta(days=30)
        assignment.end_date = today - timedelta(days=1)
        assignment.save()


async def test_the_last_assignment_ended_closes_the_socket_within_a_second(staff_a):
    comm = await open_socket(staff_a)
    await sync_to_async(_end_assignments)(staff_a)
    assert await close_code_within(comm, 1.0) == CLOSE_SESSION_ENDED


async def test_another_assignment_left_keeps_the_socket_open(staff_a, site_b):
    ended = await sync_to_async(Assignment.objects.get)(user=staff_a)
    await sync_to_async(AssignmentFactory)(user=staff_a, site=site_b, is_primary=False)
    comm = await open_socket(staff_a)
    today = timezone.localdate()
    ended.start_date, ended.end_date = today - timedelta(days=30), today - timedelta(days=1)
    await sync_to_async(ended.save)()
    assert await close_code_within(comm, 1.0) is None


async def test_an_assignment_ended_by_the_calendar_closes_the_socket_at_the_minute_job(staff_a):
    from messaging.tasks import close_sockets_of_ended_assignments

    comm = await open_socket(staff_a)
    today = timezone.localdate()
    # As if midnight had passed: no save, no signal.
    await sync_to_async(Assignment.objects.filter(user=staff_a).update)(
        start_date=today - timedelta(days=30), end_date=today - timedelta(days=1)
    )
    await sync_to_async(close_sockets_of_ended_assignments)()
    assert await close_code_within(comm, 1.0) == CLOSE_SESSION_ENDED
