"""A coordinator manages only the accounts whose every right lies within the sites she manages.

The hole closed here: the coordinator of site A could set the password, reset the second factor,
change the e-mail or untick "active" of the coordinator of site B as soon as that person also held an
assignment at site A, then sign in as her and read site B's residents.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import translation
from django_otp.plugins.otp_totp.models import TOTPDevice

from directory.models import Assignment, Job
from tests.factories import AssignmentFactory, confirmed_totp, make_group_admin, make_staff

LIST_URL = reverse("admin:accounts_user_changelist")
NEW_PASSWORD = "Un-mot-de-passe-pirate-1"


@pytest.fixture
def coordinator_b_also_at_a(site_a, site_b):
    """Coordinator of site B who also does shifts at site A: listed in site A's panel."""
    user = make_staff(site_b, job=Job.NURSE_COORDINATOR, coordinator=True, email="idec.b@carehub.test")
    AssignmentFactory(user=user, site=site_a, role=Assignment.Role.STAFF, is_primary=False)
    confirmed_totp(user)
    return user


@pytest.fixture
def group_admin_at_a(site_a):
    user = make_group_admin(email="siege.a@carehub.test")
    AssignmentFactory(user=user, site=site_a, role=Assignment.Role.STAFF)
    return user


def _action(client, action, user):
    return client.post(LIST_URL, {"action": action, "_selected_action": [user.pk]})


def _change_data(user, **overrides):
    data = {
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "kind": user.kind,
        "is_active": "on",
        "is_staff": "on" if user.is_staff else "",
        "assignments-TOTAL_FORMS": "0",
        "assignments-INITIAL_FORMS": "0",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v != ""}


@pytest.fixture
def wider(request, coordinator_b_also_at_a, group_admin_at_a):
    return {"coordinator of another site": coordinator_b_also_at_a, "group administrator": group_admin_at_a}[
        request.param
    ]


WIDER = pytest.mark.parametrize("wider", ["coordinator of another site", "group administrator"], indirect=True)


@WIDER
def test_the_account_is_listed_but_its_page_is_read_only(coordinator_a, wider, verified_client):
    client = verified_client(coordinator_a)
    assert wider.pk in {u.pk for u in client.get(LIST_URL).context["cl"].result_list}
    page = client.get(reverse("admin:accounts_user_change", args=[wider.pk]))
    assert page.context["has_change_permission"] is False


@WIDER
def test_its_password_cannot_be_set(coordinator_a, wider, verified_client):
    url = reverse("admin:auth_user_password_change", args=[wider.pk])
    client = verified_client(coordinator_a)
    client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"})
    wider.refresh_from_db()
    assert not wider.check_password(NEW_PASSWORD)


@WIDER
def test_its_password_page_is_refused(coordinator_a, wider, verified_client):
    url = reverse("admin:auth_user_password_change", args=[wider.pk])
    assert verified_client(coordinator_a).get(url).status_code == HTTPStatus.FORBIDDEN


@WIDER
def test_its_email_and_active_flag_cannot_be_changed(coordinator_a, wider, verified_client):
    url = reverse("admin:accounts_user_change", args=[wider.pk])
    email = wider.email
    verified_client(coordinator_a).post(url, _change_data(wider, email="pirate@carehub.test", is_active=""))
    wider.refresh_from_db()
    assert (wider.email, wider.is_active) == (email, True)


@WIDER
def test_its_change_form_is_refused(coordinator_a, wider, verified_client):
    url = reverse("admin:accounts_user_change", args=[wider.pk])
    response = verified_client(coordinator_a).post(url, _change_data(wider, email="pirate@carehub.test"))
    assert response.status_code == HTTPStatus.FORBIDDEN


@WIDER
def test_it_cannot_be_deactivated(coordinator_a, wider, verified_client):
    _action(verified_client(coordinator_a), "deactivate", wider)
    wider.refresh_from_db()
    assert wider.is_active


@WIDER
def test_the_refusal_says_why(coordinator_a, wider, verified_client):
    client = verified_client(coordinator_a)
    with translation.override("en"):
        response = client.post(
            LIST_URL, {"action": "deactivate", "_selected_action": [wider.pk]}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
        )
    assert "rights beyond the sites you manage" in response.content.decode()


@WIDER
def test_its_second_factor_cannot_be_reset(coordinator_a, wider, verified_client):
    confirmed_totp(wider)
    _action(verified_client(coordinator_a), "reset_two_factor", wider)
    assert TOTPDevice.objects.filter(user=wider, confirmed=True).exists()


@WIDER
def test_no_welcome_link_is_sent_for_it(coordinator_a, wider, verified_client):
    _action(verified_client(coordinator_a), "resend_welcome", wider)
    assert mail.outbox == []


def test_an_account_of_her_own_sites_stays_hers_to_manage(coordinator_a, staff_a, verified_client):
    url = reverse("admin:auth_user_password_change", args=[staff_a.pk])
    verified_client(coordinator_a).post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )
    staff_a.refresh_from_db()
    assert staff_a.check_password(NEW_PASSWORD)


def test_an_assignment_to_come_at_another_site_is_a_wider_right(coordinator_a, staff_a, site_b, verified_client):
    AssignmentFactory(user=staff_a, site=site_b, role=Assignment.Role.STAFF, start_date="2099-01-01", is_primary=False)
    _action(verified_client(coordinator_a), "deactivate", staff_a)
    staff_a.refresh_from_db()
    assert staff_a.is_active


def test_an_ended_assignment_elsewhere_is_no_right(coordinator_a, staff_a, site_b, verified_client):
    AssignmentFactory(
        user=staff_a,
        site=site_b,
        role=Assignment.Role.STAFF,
        start_date="2020-01-01",
        end_date="2020-12-31",
        is_primary=False,
    )
    _action(verified_client(coordinator_a), "deactivate", staff_a)
    staff_a.refresh_from_db()
    assert not staff_a.is_active


def test_head_office_manages_the_wider_account(group_admin, coordinator_b_also_at_a, verified_client):
    url = reverse("admin:auth_user_password_change", args=[coordinator_b_also_at_a.pk])
    verified_client(group_admin).post(
        url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"}
    )
    coordinator_b_also_at_a.refresh_from_db()
    assert coordinator_b_also_at_a.check_password(NEW_PASSWORD)
