"""policy.family_resident_ids: the one door through which families reach residents."""

import pytest

from carehub import policy
from portal import services
from tests.factories import FamilyUserFactory
from tests.portal.factories import ResidentFactory, link


def test_active_links_only_and_per_right(family_a, site_a, coordinator_a):
    robert = ResidentFactory(site=site_a)
    other = ResidentFactory(site=site_a)
    link(family_a.user, robert, may_see_documents=False)
    revoked = link(family_a.user, other)
    services.family_link_revoke(actor=coordinator_a, link=revoked)
    policy.forget(family_a.user)
    assert policy.family_resident_ids(family_a.user) == {family_a.resident.pk, robert.pk}
    assert policy.family_resident_ids(family_a.user, right="documents") == {family_a.resident.pk}
    with pytest.raises(ValueError):
        policy.family_resident_ids(family_a.user, right="everything")


def test_memoised_per_user_object(family_a, django_assert_num_queries):
    policy.forget(family_a.user)
    with django_assert_num_queries(1):
        policy.family_resident_ids(family_a.user)
        policy.family_resident_ids(family_a.user, right="news")
        policy.family_resident_ids(family_a.user, right="messages")


def test_staff_inactive_and_anonymous_follow_nobody(family_a, staff_a, group_admin):
    from django.contrib.auth.models import AnonymousUser

    assert policy.family_resident_ids(staff_a) == frozenset()
    assert policy.family_resident_ids(group_admin) == frozenset()
    assert policy.family_resident_ids(AnonymousUser()) == frozenset()
    family_a.user.is_active = False
    assert policy.family_resident_ids(family_a.user) == frozenset()


def test_families_reach_no_site_and_no_staff_queryset(family_a):
    from coordination.models import CareNote, Resident

    assert policy.site_ids(family_a.user, policy.Scope.CARE) == frozenset()
    assert not Resident.objects.visible_to(family_a.user).exists()
    assert not CareNote.objects.visible_to(family_a.user).exists()


def test_demo_seed_links_the_demo_family_idempotently(site_a):
    from carehub.demo import DEMO_DOMAIN, DemoContext
    from portal import demo
    from portal.models import FamilyLink

    user = FamilyUserFactory(email=f"famille@{DEMO_DOMAIN}")
    ResidentFactory(site=site_a)
    ctx = DemoContext()
    ctx.site_list = [site_a]
    demo.seed(ctx)
    demo.seed(ctx)
    link_ = FamilyLink.objects.get(user=user)
    assert link_.resident.site == site_a and link_.may_see_news and link_.may_see_documents and link_.may_see_messages
    assert FamilyLink.objects.count() == 1
