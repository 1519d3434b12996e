"""Who reaches which conversation: the access policy of messaging."""

import datetime

import pytest
from django.utils import timezone

from carehub import policy
from directory.models import Assignment
from messaging import services
from messaging.models import Conversation, Kind
from tests.factories import AssignmentFactory, make_staff
from tests.messaging.factories import MembershipFactory, ResidentFactory, group_with

pytestmark = pytest.mark.django_db


def visible(user):
    policy.forget(user)  # the policy memoises assignments per user object (per request)
    return set(Conversation.objects.visible_to(user))


def test_group_is_visible_to_its_members_only(staff_a, staff_b, coordinator_a, group_admin):
    conversation = group_with(staff_a, staff_b)
    assert conversation in visible(staff_a)
    assert conversation in visible(staff_b)
    assert conversation not in visible(coordinator_a)
    assert conversation not in visible(group_admin), "explicit kinds: even group admins need a membership"


def test_site_channel_follows_current_assignments(site_a, staff_a, staff_b, coordinator_a, group_admin):
    channel = services.site_channel_get_or_create(site=site_a)
    assert channel in visible(staff_a)
    assert channel in visible(coordinator_a)
    assert channel in visible(group_admin)
    assert channel not in visible(staff_b)


def test_an_assignment_that_ended_closes_the_channel_without_any_event(site_a, unit_a, staff_a):
    channel = services.site_channel_get_or_create(site=site_a)
    assert channel in visible(staff_a)
    yesterday = timezone.localdate() - datetime.timedelta(days=1)
    # Update in the database without signals: only the date decides.
    Assignment.objects.filter(user=staff_a).update(
        start_date=yesterday - datetime.timedelta(days=30), end_date=yesterday
    )
    assert channel not in visible(staff_a)


def test_unit_channel_for_the_unit_staff_and_site_coordinators(site_a, unit_a, staff_a, coordinator_a, staff_b):
    from tests.factories import UnitFactory

    other_unit = UnitFactory(site=site_a, name="Les Roses")
    colleague = make_staff(site_a, unit=other_unit)
    channel = services.unit_channel_get_or_create(unit=unit_a)
    assert channel in visible(staff_a)
    assert channel in visible(coordinator_a)
    assert channel not in visible(colleague), "another unit of the same site"
    assert channel not in visible(staff_b)


def test_resident_thread_for_whoever_may_read_the_resident(site_a, staff_a, staff_b, family_user):
    resident = ResidentFactory(site=site_a)
    thread = services.resident_thread_open(resident=resident, user=staff_a)
    assert thread in visible(staff_a)
    assert thread not in visible(staff_b)
    assert thread not in visible(family_user)


def test_family_user_reaches_exactly_their_family_thread(site_a, staff_a, staff_b, family_user):
    resident = ResidentFactory(site=site_a)
    other = ResidentFactory(site=site_a)
    thread = services.family_thread_get_or_create(resident=resident)
    other_thread = services.family_thread_get_or_create(resident=other)
    services.family_member_add(conversation=thread, user=family_user)
    channel = services.site_channel_get_or_create(site=site_a)
    # Even a membership row of another kind gives a family user nothing.
    MembershipFactory(conversation=channel, user=family_user)
    assert visible(family_user) == {thread}
    assert thread in visible(staff_a), "the care team of the site answers the family"
    assert other_thread not in visible(family_user)
    assert thread not in visible(staff_b)


def test_family_users_cannot_join_other_kinds(site_a, staff_a, family_user):
    group = group_with(staff_a)
    with pytest.raises(services.NotAllowed):
        services.conversation_member_add(conversation=group, actor=staff_a, user=family_user)
    with pytest.raises(services.NotAllowed):
        services.conversation_direct_get_or_create(user=staff_a, other=family_user)


def test_inactive_or_unassigned_staff_reach_nothing(site_a, staff_a):
    conversation = group_with(staff_a)
    Assignment.objects.filter(user=staff_a).delete()
    assert visible(staff_a) == set()
    assert conversation.kind == Kind.GROUP


def test_channel_memberships_follow_assignments_via_signals(django_capture_on_commit_callbacks, site_a, site_b, unit_b):
    with django_capture_on_commit_callbacks(execute=True):
        user = make_staff(site_a)
    assert Conversation.objects.listed_for(user).filter(kind=Kind.SITE, site=site_a).exists()
    with django_capture_on_commit_callbacks(execute=True):
        AssignmentFactory(user=user, site=site_b, unit=unit_b, is_primary=False)
    policy.forget(user)
    listed = set(Conversation.objects.listed_for(user).values_list("kind", "site_id"))
    assert (Kind.SITE, site_b.pk) in listed and (Kind.UNIT, site_b.pk) in listed
    with django_capture_on_commit_callbacks(execute=True):
        Assignment.objects.get(user=user, site=site_b).delete()
    policy.forget(user)
    listed = set(Conversation.objects.listed_for(user).values_list("kind", "site_id"))
    assert (Kind.SITE, site_b.pk) not in listed
    assert (Kind.UNIT, site_b.pk) not in listed
