"""Sign-in with the group's directory password, against a real slapd that the tests start and fill."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from accounts.ldap import LDAPBackend
from carehub.models import AccessLog
from tests.accounts.flows import fresh_client, sign_in
from tests.factories import FamilyUserFactory, confirmed_totp, make_staff
from tests.ldap_server import PEOPLE_BASE, SERVICE_DN, SERVICE_PASSWORD, running_slapd

pytestmark = pytest.mark.django_db

DIRECTORY_PASSWORD = "directory-password-123"  # noqa: S105 - a person of the test directory


@pytest.fixture(scope="module")
def slapd(tmp_path_factory):
    with running_slapd(tmp_path_factory.mktemp("slapd")) as server:
        server.add_person("nurse", password=DIRECTORY_PASSWORD, mail="nurse.ldap@carehub.test")
        server.add_person("stranger", password=DIRECTORY_PASSWORD, mail="stranger.ldap@carehub.test")
        server.add_person("relative", password=DIRECTORY_PASSWORD, mail="relative.ldap@carehub.test")
        server.add_person("leaver", password=DIRECTORY_PASSWORD, mail="leaver.ldap@carehub.test")
        server.add_person("hr", password=DIRECTORY_PASSWORD, mail="hr.alias@carehub.test", employeeNumber="RH-77")
        yield server


@pytest.fixture
def directory(settings, slapd):
    settings.LDAP_URL = settings.LDAP_AUTH_URL = [slapd.url]
    settings.LDAP_SEARCH_BASE = settings.LDAP_AUTH_SEARCH_BASE = PEOPLE_BASE
    settings.LDAP_AUTH_CONNECTION_USERNAME = SERVICE_DN
    settings.LDAP_AUTH_CONNECTION_PASSWORD = SERVICE_PASSWORD
    settings.LDAP_USER_FILTER = "(&(objectClass=inetOrgPerson)(mail={login}))"
    settings.LDAP_LINK_ATTRIBUTE = ""
    settings.AUTHENTICATION_BACKENDS = [*settings.AUTHENTICATION_BACKENDS, "accounts.ldap.LDAPBackend"]
    return slapd


@pytest.fixture
def nurse(site_a):
    # A CareHub account without a usable CareHub password: only the directory's opens it.
    user = make_staff(site_a, email="nurse.ldap@carehub.test")
    user.set_unusable_password()
    user.save(update_fields=["password"])
    return user


def _signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_the_directory_password_signs_the_existing_staff_member_in(directory, nurse):
    client = fresh_client()
    sign_in(client, "nurse.ldap@carehub.test", DIRECTORY_PASSWORD)
    assert _signed_in_user_id(client) == str(nurse.pk)


def test_the_second_factor_is_always_asked_after_the_directory(directory, nurse):
    confirmed_totp(nurse)
    client = fresh_client()
    sign_in(client, "nurse.ldap@carehub.test", DIRECTORY_PASSWORD)
    assert client.get(reverse("account_security"))["Location"].startswith(reverse("two_factor_verify"))


def test_the_sign_in_is_in_the_access_log(directory, nurse):
    sign_in(fresh_client(), "nurse.ldap@carehub.test", DIRECTORY_PASSWORD)
    assert AccessLog.objects.filter(user=nurse, action=AccessLog.Action.LOGIN).count() == 1


def test_a_wrong_directory_password_is_refused(directory, nurse):
    client = fresh_client()
    response = sign_in(client, "nurse.ldap@carehub.test", "not-the-password")
    assert (response.status_code, _signed_in_user_id(client)) == (HTTPStatus.OK, None)


def test_a_wrong_directory_password_is_a_failed_sign_in_in_the_access_log(directory, nurse):
    sign_in(fresh_client(), "nurse.ldap@carehub.test", "not-the-password")
    assert AccessLog.objects.filter(user=nurse, action=AccessLog.Action.LOGIN_FAILED).count() == 1


def test_a_person_of_the_directory_without_a_staff_account_is_refused_and_no_account_is_made(directory, nurse):
    users = get_user_model().objects.count()
    client = fresh_client()
    sign_in(client, "stranger.ldap@carehub.test", DIRECTORY_PASSWORD)
    assert (_signed_in_user_id(client), get_user_model().objects.count()) == (None, users)


def test_a_relative_cannot_sign_in_with_the_directory(directory):
    FamilyUserFactory(email="relative.ldap@carehub.test")
    client = fresh_client()
    sign_in(client, "relative.ldap@carehub.test", DIRECTORY_PASSWORD)
    assert _signed_in_user_id(client) is None


def test_an_inactive_staff_member_is_refused(directory, site_a):
    make_staff(site_a, email="leaver.ldap@carehub.test", is_active=False)
    client = fresh_client()
    sign_in(client, "leaver.ldap@carehub.test", DIRECTORY_PASSWORD)
    assert _signed_in_user_id(client) is None


def test_links_by_the_configured_attribute_against_the_hr_identifier(directory, settings, site_a):
    settings.LDAP_LINK_ATTRIBUTE = "employeeNumber"
    user = make_staff(site_a, email="hr.ldap@carehub.test")
    user.staff_profile.external_id = "RH-77"
    user.staff_profile.save(update_fields=["external_id"])
    client = fresh_client()
    sign_in(client, "hr.alias@carehub.test", DIRECTORY_PASSWORD)
    assert _signed_in_user_id(client) == str(user.pk)


def test_a_filter_typed_into_the_sign_in_is_only_text(directory, nurse):
    # Unescaped, "nurse.ldap@carehub.tes*" would find the nurse's entry and bind with her password.
    assert LDAPBackend().authenticate(None, email="nurse.ldap@carehub.tes*", password=DIRECTORY_PASSWORD) is None


def test_the_carehub_password_still_works_beside_the_directory(directory, site_a):
    user = make_staff(site_a, email="local.ldap@carehub.test")
    client = fresh_client()
    sign_in(client, user.email, "correct-horse-battery-staple")
    assert _signed_in_user_id(client) == str(user.pk)
