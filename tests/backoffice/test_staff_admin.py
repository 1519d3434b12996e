"""Staff in the coordinators' panel: create in one form, welcome e-mail, deactivate, reset 2FA, list."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from asgiref.sync import sync_to_async
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticDevice

from accounts.models import UserSession
from directory.models import Assignment, Job, StaffProfile
from messaging.consumers import CLOSE_SESSION_ENDED
from tests.accounts.flows import fresh_client
from tests.backoffice.factories import bulk_staff
from tests.conftest import ANY_PAGE, login_verified
from tests.factories import confirmed_totp, make_staff
from tests.sockets import close_code_within, open_socket

User = get_user_model()
ADD_URL = reverse("admin:accounts_user_add")
LIST_URL = reverse("admin:accounts_user_changelist")


def _new_staff(site, unit=None, **overrides):
    data = {
        "email": "Nouvelle.Aide@CareHub.test",
        "first_name": "Inès",
        "last_name": "Moreau",
        "job": Job.NURSE,
        "external_id": "RH-0042",
        "phone_extension": "2042",
        "site": site.pk,
        "unit": unit.pk if unit else "",
        "role": "staff",
        "start_date": "",
        "end_date": "",
        "send_welcome": "on",
    }
    data.update(overrides)
    return data


def test_coordinator_creates_a_staff_member_in_one_form(
    coordinator_a, site_a, unit_a, verified_client, django_capture_on_commit_callbacks
):
    client = verified_client(coordinator_a)
    page = client.get(ADD_URL)
    assert page.status_code == HTTPStatus.OK
    assert list(page.context["adminform"].form.fields["site"].queryset) == [site_a]
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ADD_URL, _new_staff(site_a, unit_a))
    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].form.errors
    user = User.objects.get(email="nouvelle.aide@carehub.test")
    assert (user.first_name, user.last_name, user.kind, user.is_active) == ("Inès", "Moreau", "staff", True)
    assert not user.has_usable_password()
    assert not user.is_staff
    profile = StaffProfile.objects.get(user=user)
    assert (profile.job, profile.external_id, profile.phone_extension) == (Job.NURSE, "RH-0042", "2042")
    assignment = Assignment.objects.get(user=user)
    assert (assignment.site, assignment.unit, assignment.is_primary, assignment.role) == (site_a, unit_a, True, "staff")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["nouvelle.aide@carehub.test"]
    assert "CareHub" in message.subject


def test_the_welcome_link_lets_the_person_choose_a_password(
    coordinator_a, site_a, verified_client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        verified_client(coordinator_a).post(ADD_URL, _new_staff(site_a))
    link = re.search(r"https?://\S+/password/reset/key/\S+", mail.outbox[0].body).group(0)
    path = re.sub(r"^https?://[^/]+", "", link)
    newcomer = fresh_client()
    response = newcomer.get(path, follow=True)
    assert response.status_code == HTTPStatus.OK
    form_url = response.redirect_chain[-1][0] if response.redirect_chain else path
    password = "Un-mot-de-passe-solide-2026"
    done = newcomer.post(form_url, {"password1": password, "password2": password})
    assert done.status_code == HTTPStatus.FOUND
    user = User.objects.get(email="nouvelle.aide@carehub.test")
    assert user.check_password(password)
    # The page after it leads on to the sign-in (then the second factor's set-up), not a dead end.
    assert f'href="{reverse("account_login")}"' in newcomer.get(done.url).content.decode()
    # The link works once.
    again = fresh_client().get(path, follow=True)
    assert "password1" not in again.content.decode()


def test_a_coordinator_cannot_create_staff_at_another_site(coordinator_a, site_b, unit_b, verified_client):
    response = verified_client(coordinator_a).post(ADD_URL, _new_staff(site_b, unit_b))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert "site" in response.context["adminform"].form.errors
    assert not User.objects.filter(email="nouvelle.aide@carehub.test").exists()
    assert not mail.outbox


def test_unit_of_another_site_and_duplicate_email_are_refused(coordinator_a, site_a, staff_a, verified_client):
    client = verified_client(coordinator_a)
    response = client.post(ADD_URL, _new_staff(site_a, email=staff_a.email.upper()))
    assert "email" in response.context["adminform"].form.errors
    assert User.objects.filter(email=staff_a.email).count() == 1


def test_coordinator_role_opens_the_panel(coordinator_a, site_a, verified_client):
    verified_client(coordinator_a).post(ADD_URL, _new_staff(site_a, role="coordinator", send_welcome=""))
    user = User.objects.get(email="nouvelle.aide@carehub.test")
    assert user.is_staff and Assignment.objects.get(user=user).role == "coordinator"
    assert not mail.outbox


# --- Deactivation ------------------------------------------------------------------------


def _action(client, action, users, **params):
    return client.post(
        LIST_URL + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else ""),
        {"action": action, "_selected_action": [u.pk for u in users]},
    )


def test_deactivation_ends_sessions_at_once(coordinator_a, staff_a, verified_client):
    nurse_client = login_verified(fresh_client(), staff_a)
    assert nurse_client.get(ANY_PAGE).status_code == HTTPStatus.OK
    key = nurse_client.session.session_key
    assert UserSession.objects.filter(user=staff_a, session_key=key).exists()

    response = _action(verified_client(coordinator_a), "deactivate", [staff_a])
    assert response.status_code == HTTPStatus.FOUND
    staff_a.refresh_from_db()
    assert not staff_a.is_active
    assert not Session.objects.filter(session_key=key).exists()
    assert not UserSession.objects.filter(user=staff_a).exists()
    # The nurse's browser is signed out on its next request.
    response = nurse_client.get(ANY_PAGE)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_deactivation_closes_the_open_socket_within_a_second(coordinator_a, staff_a):
    comm = await open_socket(staff_a)
    client = await sync_to_async(login_verified)(fresh_client(), coordinator_a)
    response = await sync_to_async(_action)(client, "deactivate", [staff_a])
    assert response.status_code == HTTPStatus.FOUND
    assert await close_code_within(comm, 1.0) == CLOSE_SESSION_ENDED


def test_a_coordinator_cannot_deactivate_site_b_staff(coordinator_a, staff_b, verified_client):
    _action(verified_client(coordinator_a), "deactivate", [staff_b])
    staff_b.refresh_from_db()
    assert staff_b.is_active


def test_a_coordinator_cannot_deactivate_themself(coordinator_a, verified_client):
    client = verified_client(coordinator_a)
    _action(client, "deactivate", [coordinator_a])
    coordinator_a.refresh_from_db()
    assert coordinator_a.is_active


# --- Two-factor ------------------------------------------------------------------------------


def test_reset_two_factor_removes_devices_and_asks_for_a_new_set_up(coordinator_a, staff_a, verified_client):
    nurse_client = login_verified(fresh_client(), staff_a)
    StaticDevice.objects.create(user=staff_a, name="backup", confirmed=True)
    _action(verified_client(coordinator_a), "reset_two_factor", [staff_a])
    assert not staff_a.totpdevice_set.exists()
    assert not StaticDevice.objects.filter(user=staff_a).exists()
    assert staff_a.is_active if staff_a.refresh_from_db() is None else False
    response = nurse_client.get(ANY_PAGE)
    assert response.status_code == HTTPStatus.FOUND
    assert not response.url.startswith("/residents")


def test_without_two_factor_filter(coordinator_a, site_a, staff_a, verified_client):
    newcomer = make_staff(site_a, email="sans.2fa@carehub.test")
    confirmed_totp(staff_a)
    client = verified_client(coordinator_a)
    listed = {u.pk for u in client.get(LIST_URL, {"two_factor": "no"}).context["cl"].result_list}
    assert newcomer.pk in listed and staff_a.pk not in listed and coordinator_a.pk not in listed
    listed = {u.pk for u in client.get(LIST_URL, {"two_factor": "yes"}).context["cl"].result_list}
    assert staff_a.pk in listed and newcomer.pk not in listed


def test_family_user_gets_no_staff_pages(family_user, verified_client):
    client = verified_client(family_user)
    for url in (LIST_URL, ADD_URL):
        response = client.get(url)
        assert response.status_code in (HTTPStatus.FOUND, HTTPStatus.FORBIDDEN)
        assert response.status_code == HTTPStatus.FORBIDDEN or not response.url.startswith(LIST_URL)


# --- A fixed number of queries -------------------------------------------------------------


def _count_queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == HTTPStatus.OK
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "url",
    [LIST_URL, reverse("admin:directory_assignment_changelist"), reverse("admin:directory_staffprofile_changelist")],
)
def test_staff_changelists_run_a_fixed_number_of_queries(coordinator_a, site_a, unit_a, verified_client, url):
    client = verified_client(coordinator_a)
    bulk_staff(site_a, unit_a, 50)
    small = _count_queries(client, url)
    bulk_staff(site_a, unit_a, 4950, start=50)
    large = _count_queries(client, url)
    assert large == small, f"{url}: {small} queries at 50 rows, {large} at 5,000"
    assert large <= 20


def test_residents_changelist_runs_a_fixed_number_of_queries(coordinator_a, site_a, unit_a, verified_client):
    from coordination.models import Resident

    def residents(start, count):
        Resident.objects.bulk_create(
            [
                Resident(site=site_a, unit=unit_a, first_name=f"Rose{n}", last_name=f"Martin{n:05d}", room=str(n))
                for n in range(start, start + count)
            ],
            batch_size=500,
        )

    client = verified_client(coordinator_a)
    url = reverse("admin:coordination_resident_changelist")
    # A full page both times: the access log names each resident on the page (in one insert on PostgreSQL,
    # in inserts of SQLite's parameter limit there).
    residents(0, 150)
    small = _count_queries(client, url)
    residents(150, 4850)
    large = _count_queries(client, url)
    assert large == small, f"{small} queries at 150 residents, {large} at 5,000"


def test_site_filter_lists_only_managed_sites(coordinator_a, site_a, site_b, staff_a, staff_b, verified_client):
    response = verified_client(coordinator_a).get(LIST_URL, {"assignments__site__id__exact": site_a.pk})
    assert response.status_code == HTTPStatus.OK
    assert staff_a.pk in {u.pk for u in response.context["cl"].result_list}
    assert site_b.name not in response.content.decode()


def test_password_page_of_site_b_staff_is_absent(coordinator_a, staff_b, verified_client):
    url = reverse("admin:auth_user_password_change", args=[staff_b.pk])
    client = verified_client(coordinator_a)
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    client.post(url, {"password1": "Un-mot-de-passe-pirate-1", "password2": "Un-mot-de-passe-pirate-1"})
    staff_b.refresh_from_db()
    assert not staff_b.check_password("Un-mot-de-passe-pirate-1")
