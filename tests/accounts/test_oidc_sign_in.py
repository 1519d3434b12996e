"""Sign-in through the group's OpenID Connect provider: a real one (tests/oidc_provider), on loopback.

CareHub's side is the Django test client; the person's browser at the provider is ``requests``
(its sign-in form), and CareHub's server talks to the provider over HTTP (discovery, token, keys,
userinfo) exactly as in production.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from urllib.parse import urljoin, urlsplit

import pytest
import requests
from allauth.socialaccount.models import SocialAccount
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.urls import reverse

from accounts import external_signin, services
from carehub.models import AccessLog
from tests.accounts.flows import fresh_client, page_text
from tests.factories import FamilyUserFactory, confirmed_totp, make_staff
from tests.oidc_provider import running_provider
from tests.processes import free_port

pytestmark = pytest.mark.django_db

CALLBACK = "http://testserver/accounts/oidc/idp/login/callback/"
PASSWORD = "provider-password"  # noqa: S105 - a person of the test provider


def _person(username: str, **claims) -> dict:
    return {"username": username, "password": PASSWORD, "claims": claims}


PEOPLE = [
    _person("nurse", email="nurse.oidc@carehub.test", email_verified=True, name="Nadia Oidc"),
    _person("coordinator", email="coord.oidc@carehub.test", email_verified=True, amr=["pwd", "mfa"]),
    _person("unverified", email="nurse.oidc@carehub.test", email_verified=False),
    _person("stranger", email="nobody@elsewhere.test", email_verified=True),
    _person("leaver", email="leaver.oidc@carehub.test", email_verified=True),
    _person("relative", email="relative.oidc@carehub.test", email_verified=True),
    _person("hr", email="personal@mail.test", email_verified=False, employee_id="RH-42"),
]


@pytest.fixture(scope="module")
def provider(tmp_path_factory):
    with running_provider(tmp_path_factory.mktemp("oidc"), PEOPLE, redirect_uris=[CALLBACK]) as running:
        yield running


@pytest.fixture
def oidc(settings, provider):
    settings.SOCIALACCOUNT_PROVIDERS = {
        "openid_connect": {
            "OAUTH_PKCE_ENABLED": True,
            "APPS": [
                {
                    "provider_id": "idp",
                    "name": "Test provider",
                    "client_id": provider.client_id,
                    "secret": provider.client_secret,
                    "settings": {"server_url": provider.issuer, "scope": ["openid", "profile", "email"]},
                }
            ],
        }
    }
    settings.OIDC_LINK_CLAIM = "employee_id"
    return provider


@pytest.fixture
def nurse(site_a):
    return make_staff(site_a, email="nurse.oidc@carehub.test")


def _provider_signs_in(authorize_url: str, username: str) -> str:
    """The person's browser at the provider: its sign-in form, then back to CareHub's callback URL."""
    browser = requests.Session()
    url = authorize_url
    for _hop in range(6):
        response = browser.get(url, allow_redirects=False, timeout=10)
        if response.status_code == HTTPStatus.OK and "csrfmiddlewaretoken" in response.text:
            token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', response.text).group(1)
            next_ = re.search(r'name="next" value="([^"]*)"', response.text).group(1).replace("&amp;", "&")
            response = browser.post(
                url,
                {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token, "next": next_},
                allow_redirects=False,
                timeout=10,
            )
        assert response.status_code == HTTPStatus.FOUND, response.text[:500]
        url = urljoin(url, response.headers["Location"])
        if url.startswith("http://testserver/"):
            return url
    raise AssertionError("the provider never sent back to CareHub")


def oidc_sign_in(client, username: str):
    """Press "Sign in with Test provider", sign in at the provider, come back: CareHub's answer."""
    start = client.post(reverse("openid_connect_login", kwargs={"provider_id": "idp"}))
    assert start.status_code == HTTPStatus.FOUND, start.content[:500]
    back = urlsplit(_provider_signs_in(start["Location"], username))
    return client.get(f"{back.path}?{back.query}")


def _signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_links_the_existing_staff_member_by_verified_email(oidc, nurse):
    client = fresh_client()
    oidc_sign_in(client, "nurse")
    assert SocialAccount.objects.get(provider="idp").user == nurse


def test_the_staff_member_is_signed_in(oidc, nurse):
    client = fresh_client()
    oidc_sign_in(client, "nurse")
    assert _signed_in_user_id(client) == str(nurse.pk)


def test_the_second_factor_is_still_asked_without_amr(oidc, nurse):
    confirmed_totp(nurse)
    client = fresh_client()
    oidc_sign_in(client, "nurse")
    assert client.get(reverse("account_security"))["Location"].startswith(reverse("two_factor_verify"))


def test_a_staff_member_without_an_authenticator_sets_one_up(oidc, nurse):
    client = fresh_client()
    oidc_sign_in(client, "nurse")
    assert client.get(reverse("account_security"))["Location"].startswith(reverse("two_factor_setup"))


@pytest.fixture
def coordinator(site_a):
    user = make_staff(site_a, coordinator=True, email="coord.oidc@carehub.test")
    confirmed_totp(user)
    return user


def test_the_second_factor_is_skipped_when_the_provider_asserts_mfa(oidc, coordinator):
    client = fresh_client()
    oidc_sign_in(client, "coordinator")
    assert client.get(reverse("account_security")).status_code == HTTPStatus.OK


def test_an_asserted_second_factor_does_not_count_as_set_up_in_carehub(oidc, site_a):
    # Verified for this session, yet a sign-in with the password still asks her to set an authenticator up.
    user = make_staff(site_a, email="coord.oidc@carehub.test")
    oidc_sign_in(fresh_client(), "coordinator")
    assert not services.two_factor_is_set_up(user)


def test_the_asserted_second_factor_is_in_the_access_log(oidc, coordinator):
    oidc_sign_in(fresh_client(), "coordinator")
    assert AccessLog.objects.filter(user=coordinator, action=AccessLog.Action.TWO_FACTOR_VERIFIED).count() == 1


def test_the_sign_in_is_in_the_access_log(oidc, nurse):
    oidc_sign_in(fresh_client(), "nurse")
    assert AccessLog.objects.filter(user=nurse, action=AccessLog.Action.LOGIN).count() == 1


def test_the_session_id_changes_across_the_sign_in(oidc, coordinator):
    client = fresh_client()
    client.get(reverse("account_login"))
    client.session.save()
    before = client.session.session_key
    oidc_sign_in(client, "coordinator")
    assert not Session.objects.filter(session_key=before).exists() and client.session.session_key != before


def test_a_second_sign_in_uses_the_link_made_the_first_time(oidc, nurse):
    oidc_sign_in(fresh_client(), "nurse")
    client = fresh_client()
    oidc_sign_in(client, "nurse")
    assert (SocialAccount.objects.count(), _signed_in_user_id(client)) == (1, str(nurse.pk))


def test_links_by_the_configured_claim_against_the_hr_identifier(oidc, site_a):
    user = make_staff(site_a, email="hr.oidc@carehub.test")
    user.staff_profile.external_id = "RH-42"
    user.staff_profile.save(update_fields=["external_id"])
    client = fresh_client()
    oidc_sign_in(client, "hr")
    assert _signed_in_user_id(client) == str(user.pk)


def test_an_unverified_email_is_refused(oidc, nurse):
    response = oidc_sign_in(fresh_client(HTTP_ACCEPT_LANGUAGE="en"), "unverified")
    assert (response.status_code, SocialAccount.objects.count()) == (HTTPStatus.FORBIDDEN, 0)


def test_the_refusal_says_why(oidc, nurse):
    response = oidc_sign_in(fresh_client(HTTP_ACCEPT_LANGUAGE="en"), "unverified")
    assert str(external_signin.REFUSAL_MESSAGES[external_signin.Refusal.UNVERIFIED_EMAIL]) in page_text(response)


def test_an_unknown_person_is_refused_and_no_account_is_made(oidc, nurse):
    users = get_user_model().objects.count()
    response = oidc_sign_in(fresh_client(), "stranger")
    assert (response.status_code, get_user_model().objects.count()) == (HTTPStatus.FORBIDDEN, users)


def test_a_refusal_is_a_failed_sign_in_in_the_access_log(oidc, nurse):
    oidc_sign_in(fresh_client(), "stranger")
    assert AccessLog.objects.filter(action=AccessLog.Action.LOGIN_FAILED, actor="nobody@elsewhere.test").count() == 1


def test_an_inactive_staff_member_is_refused(oidc, site_a):
    make_staff(site_a, email="leaver.oidc@carehub.test", is_active=False)
    client = fresh_client()
    response = oidc_sign_in(client, "leaver")
    assert (response.status_code, _signed_in_user_id(client)) == (HTTPStatus.FORBIDDEN, None)


def test_a_relative_cannot_sign_in_through_the_provider(oidc):
    FamilyUserFactory(email="relative.oidc@carehub.test")
    client = fresh_client()
    response = oidc_sign_in(client, "relative")
    assert (response.status_code, _signed_in_user_id(client)) == (HTTPStatus.FORBIDDEN, None)


def test_a_linked_account_deactivated_since_is_refused(oidc, nurse):
    oidc_sign_in(fresh_client(), "nurse")
    nurse.is_active = False
    nurse.save(update_fields=["is_active"])
    response = oidc_sign_in(fresh_client(), "nurse")
    assert response.status_code == HTTPStatus.FORBIDDEN


def test_repeated_refusals_of_one_identity_are_rate_limited(oidc, nurse):
    # RATE_LIMIT_LOGIN_FAILED: 5 per identity in 5 minutes, as for a password; each try from another address.
    statuses = [oidc_sign_in(fresh_client(), "stranger").status_code for _try in range(6)]
    assert statuses[-1] == HTTPStatus.TOO_MANY_REQUESTS


def test_the_sign_in_page_offers_the_provider(oidc):
    response = fresh_client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("account_login"))
    assert "Sign in with Test provider" in page_text(response)


def test_the_sign_in_page_has_no_provider_button_when_none_is_configured(settings):
    settings.SOCIALACCOUNT_PROVIDERS = {"openid_connect": {"APPS": []}}
    response = fresh_client(HTTP_ACCEPT_LANGUAGE="en").get(reverse("account_login"))
    assert "Sign in with" not in page_text(response)


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({}, ""),
        ({"amr": ["pwd"]}, ""),
        ({"amr": ["pwd", "mfa"]}, "amr=mfa"),
        ({"amr": ["hwk"]}, "amr=hwk"),
        ({"amr": "pwd otp"}, "amr=otp"),
        ({"acr": "eidas1"}, ""),
        ({"acr": "eidas2"}, "acr=eidas2"),
    ],
)
def test_what_counts_as_a_second_factor_asserted_by_the_provider(settings, claims, expected):
    settings.OIDC_SECOND_FACTOR_ACR = ["eidas2", "eidas3"]
    assert external_signin.second_factor_asserted(claims) == expected


def test_a_provider_that_does_not_answer_gets_a_clear_page_not_an_error(oidc, settings):
    app = settings.SOCIALACCOUNT_PROVIDERS["openid_connect"]["APPS"][0]
    app["settings"] = {**app["settings"], "server_url": f"http://127.0.0.1:{free_port()}/o"}
    response = fresh_client().post(reverse("openid_connect_login", kwargs={"provider_id": "idp"}))
    assert response.status_code == HTTPStatus.BAD_REQUEST
