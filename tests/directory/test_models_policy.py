"""The access policy on the organisation models: who reaches which sites, units and residents."""

import datetime
from http import HTTPStatus

import pytest
from django.http import Http404
from django.utils import timezone

from carehub import policy
from carehub.policy import ALL_SITES, Role, Scope
from coordination.models import Resident
from directory.models import Assignment, Site, Unit
from tests.factories import AssignmentFactory, SiteFactory, UnitFactory, UserFactory, make_staff

TODAY = timezone.localdate


def _resident(site, unit=None, **kwargs):
    return Resident.objects.create(site=site, unit=unit, first_name="Marcelle", last_name="Durand", **kwargs)


def _fresh(user):
    """The same person on a new request: nothing memoised from before."""
    policy.forget(user)
    return user


@pytest.fixture
def residents(site_a, site_b, unit_a, unit_b):
    return {"a": _resident(site_a, unit_a), "b": _resident(site_b, unit_b)}


@pytest.fixture
def site_c(db):
    return SiteFactory(name="MAS Les Capucines")


# --- Care staff -------------------------------------------------------------------------------


def test_staff_read_the_residents_of_their_own_sites_only(staff_a, site_a, site_b, residents):
    assert policy.site_ids(staff_a, Scope.CARE) == {site_a.pk}
    assert list(Resident.objects.visible_to(staff_a)) == [residents["a"]]
    assert list(Site.objects.in_care_scope_of(staff_a)) == [site_a]
    assert policy.can(staff_a, Scope.CARE, site_a.pk)
    assert not policy.can(staff_a, Scope.CARE, site_b.pk)
    assert policy.can_view(staff_a, residents["a"])
    assert not policy.can_view(staff_a, residents["b"])


def test_staff_see_the_whole_group_directory(staff_a, site_a, site_b, unit_a, unit_b, staff_b):
    assert policy.site_ids(staff_a, Scope.DIRECTORY) is ALL_SITES
    assert set(Site.objects.visible_to(staff_a)) == {site_a, site_b}
    assert set(Unit.objects.visible_to(staff_a)) == {unit_a, unit_b}
    assert Assignment.objects.visible_to(staff_a).filter(user=staff_b).exists()


def test_staff_manage_nothing(staff_a, site_a, unit_a, residents):
    assert policy.role(staff_a) == Role.STAFF
    assert policy.site_ids(staff_a, Scope.MANAGE) == frozenset()
    assert not Site.objects.managed_by(staff_a).exists()
    assert not Unit.objects.managed_by(staff_a).exists()
    assert not Resident.objects.managed_by(staff_a).exists()
    assert not Assignment.objects.managed_by(staff_a).exists()


def test_staff_working_at_two_sites_read_both(staff_a, site_a, site_b, residents):
    AssignmentFactory(user=staff_a, site=site_b, is_primary=False)
    _fresh(staff_a)
    assert set(Resident.objects.visible_to(staff_a)) == set(residents.values())


def test_inactive_sites_are_out_of_every_scope(staff_a, site_a, site_b):
    Site.objects.filter(pk=site_a.pk).update(is_active=False)
    _fresh(staff_a)
    assert policy.site_ids(staff_a, Scope.CARE) == frozenset()
    assert list(Site.objects.visible_to(staff_a)) == []
    assert not policy.is_active_staff(staff_a)


def test_a_deactivated_account_reaches_nothing(staff_a, residents):
    staff_a.is_active = False
    _fresh(staff_a)
    assert policy.role(staff_a) == Role.ANONYMOUS
    for scope in Scope:
        assert policy.site_ids(staff_a, scope) == frozenset()
    assert not Resident.objects.visible_to(staff_a).exists()


# --- Coordinators and group admins ----------------------------------------------------------------


def test_coordinators_manage_their_coordinator_sites_only(coordinator_a, site_a, site_b, site_c, residents):
    # Also care staff at site C: reads it, does not manage it.
    AssignmentFactory(user=coordinator_a, site=site_c, is_primary=False, role=Assignment.Role.STAFF)
    _fresh(coordinator_a)
    assert policy.role(coordinator_a) == Role.COORDINATOR
    assert policy.site_ids(coordinator_a, Scope.MANAGE) == {site_a.pk}
    assert policy.site_ids(coordinator_a, Scope.CARE) == {site_a.pk, site_c.pk}
    assert list(Site.objects.managed_by(coordinator_a)) == [site_a]
    assert list(Resident.objects.managed_by(coordinator_a)) == [residents["a"]]
    assert not policy.can(coordinator_a, Scope.MANAGE, site_b.pk)
    assert not policy.can(coordinator_a, Scope.MANAGE, site_c.pk)


def test_group_admins_reach_every_site(group_admin, site_a, site_b, residents):
    assert policy.role(group_admin) == Role.GROUP_ADMIN
    for scope in Scope:
        assert policy.site_ids(group_admin, scope) is ALL_SITES
    assert set(Resident.objects.visible_to(group_admin)) == set(residents.values())
    assert set(Site.objects.managed_by(group_admin)) == {site_a, site_b}
    assert policy.is_active_staff(group_admin)


def test_a_family_account_flagged_group_admin_is_still_a_family_account(db, site_a, residents):
    user = UserFactory(kind="family", is_group_admin=True, email="famille.flag@carehub.test")
    assert policy.role(user) == Role.FAMILY
    assert not Resident.objects.visible_to(user).exists()


# --- Dates of assignments ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "end"),
    [(-30, -1), (1, 30), (2, None)],
    ids=["ended-yesterday", "starts-tomorrow", "starts-in-two-days"],
)
def test_an_assignment_not_in_force_today_gives_no_access(site_a, residents, verified_client, start, end):
    user = make_staff(site_a, email="interim@carehub.test")
    today = TODAY()
    Assignment.objects.filter(user=user).update(
        start_date=today + datetime.timedelta(days=start),
        end_date=today + datetime.timedelta(days=end) if end is not None else None,
    )
    _fresh(user)
    assert not policy.is_active_staff(user)
    for scope in Scope:
        assert not policy.site_ids(user, scope)
    assert not Resident.objects.visible_to(user).exists()
    assert not Site.objects.visible_to(user).exists()
    # What the person sees: a clear page, not the care areas.
    response = verified_client(user).get("/")
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "no_assignment" in " ".join(t.name for t in response.templates if t.name)


def test_an_assignment_ending_today_still_gives_access_today(site_a, residents):
    user = make_staff(site_a, email="cdd@carehub.test")
    Assignment.objects.filter(user=user).update(start_date=TODAY() - datetime.timedelta(days=90), end_date=TODAY())
    _fresh(user)
    assert list(Resident.objects.visible_to(user)) == [residents["a"]]


def test_a_visiting_professional_has_access_during_their_days_only(site_a, site_b, residents, monkeypatch):
    """A physiotherapist gets three days at site B: before, during and after."""
    from directory.models import Job

    physio = make_staff(site_a, job=Job.PHYSIOTHERAPIST, email="kine@carehub.test")
    Assignment.objects.filter(user=physio).delete()
    first_day = TODAY() + datetime.timedelta(days=10)
    AssignmentFactory(
        user=physio,
        site=site_b,
        is_primary=False,
        start_date=first_day,
        end_date=first_day + datetime.timedelta(days=2),
    )
    expected = {
        -1: set(),
        0: {residents["b"]},
        1: {residents["b"]},
        2: {residents["b"]},
        3: set(),
    }
    for offset, visible in expected.items():
        day = first_day + datetime.timedelta(days=offset)
        monkeypatch.setattr("directory.models.timezone.localdate", lambda *args, _day=day, **kwargs: _day)
        _fresh(physio)
        assert set(Resident.objects.visible_to(physio)) == visible, day
        assert policy.is_active_staff(physio) == bool(visible), day
        assert (policy.site_ids(physio, Scope.CARE) == {site_b.pk}) == bool(visible), day
        assert policy.site_ids(physio, Scope.MANAGE) == frozenset()


def test_active_on_a_given_day(site_a):
    user = make_staff(site_a, email="remplacante@carehub.test")
    start = datetime.date(2026, 3, 1)
    Assignment.objects.filter(user=user).update(start_date=start, end_date=start + datetime.timedelta(days=6))
    assert not Assignment.objects.active(on=start - datetime.timedelta(days=1)).filter(user=user).exists()
    assert Assignment.objects.active(on=start).filter(user=user).exists()
    assert Assignment.objects.active(on=start + datetime.timedelta(days=6)).filter(user=user).exists()
    assert not Assignment.objects.active(on=start + datetime.timedelta(days=7)).filter(user=user).exists()


# --- Families ----------------------------------------------------------------------------------


def test_family_users_get_nothing_from_the_organisation_querysets(family_user, site_a, unit_a, residents):
    assert policy.role(family_user) == Role.FAMILY
    assert not policy.is_active_staff(family_user)
    for scope in Scope:
        assert policy.site_ids(family_user, scope) == frozenset()
    assert not Site.objects.visible_to(family_user).exists()
    assert not Unit.objects.visible_to(family_user).exists()
    assert not Resident.objects.visible_to(family_user).exists()
    assert not Assignment.objects.visible_to(family_user).exists()


def test_a_family_user_given_an_assignment_by_mistake_still_gets_nothing(family_user, site_a, residents):
    AssignmentFactory(user=family_user, site=site_a)
    _fresh(family_user)
    assert not Resident.objects.visible_to(family_user).exists()
    assert not Site.objects.visible_to(family_user).exists()


def test_anonymous_gets_nothing(db, residents):
    from django.contrib.auth.models import AnonymousUser

    anonymous = AnonymousUser()
    assert policy.role(anonymous) == Role.ANONYMOUS
    assert not Resident.objects.visible_to(anonymous).exists()
    assert not Site.objects.visible_to(anonymous).exists()


# --- Object checks reuse the querysets ------------------------------------------------------------


def test_get_visible_or_404_hides_what_the_policy_hides(staff_a, staff_b, residents):
    assert policy.get_visible_or_404(Resident, staff_a, public_id=residents["a"].public_id) == residents["a"]
    with pytest.raises(Http404):
        policy.get_visible_or_404(Resident, staff_a, public_id=residents["b"].public_id)
    with pytest.raises(Http404):
        policy.get_visible_or_404(Resident.objects, staff_b, public_id=residents["a"].public_id)


def test_objects_are_addressed_by_uuid(site_a, unit_a, staff_a, residents):
    import uuid

    for obj in (site_a, unit_a, Assignment.objects.get(user=staff_a), residents["a"], staff_a):
        assert isinstance(obj.public_id, uuid.UUID)


def test_policy_reads_assignments_once_per_request(staff_a, site_a, django_assert_num_queries):
    _fresh(staff_a)
    with django_assert_num_queries(1):
        for scope in Scope:
            policy.site_ids(staff_a, scope)
        policy.role(staff_a)
        policy.is_active_staff(staff_a)


def test_unit_belongs_to_the_assignment_site(site_a, site_b, unit_b, staff_a):
    from django.core.exceptions import ValidationError

    assignment = Assignment(user=staff_a, site=site_a, unit=unit_b)
    with pytest.raises(ValidationError):
        assignment.clean()


def test_one_primary_assignment_per_person(staff_a, site_b):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        AssignmentFactory(user=staff_a, site=site_b, is_primary=True)


def test_end_date_before_start_date_is_refused(staff_a, site_b):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        AssignmentFactory(
            user=staff_a,
            site=site_b,
            is_primary=False,
            start_date=datetime.date(2026, 5, 10),
            end_date=datetime.date(2026, 5, 1),
        )


def test_units_of_a_site_have_distinct_names(site_a, unit_a):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        UnitFactory(site=site_a, name=unit_a.name)
