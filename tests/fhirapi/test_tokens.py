"""API tokens: made by head office in the admin and shown once, stored hashed, revoked, expiring,
limited to their rights and to their rate."""

import datetime
import hashlib
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from fhirapi.models import ApiToken
from fhirapi.tokens import api_token_revoke
from tests.conftest import login_verified
from tests.factories import make_group_admin, make_staff

from .conftest import valid
from .factories import api_client, make_token


def _add(client, group, name="Logiciel d'admission"):
    return client.post(
        reverse("admin:fhirapi_apitoken_add"),
        {"name": name, "sites": [group.site_a.pk], "scopes": ["Patient.read"], "expires_at_0": "", "expires_at_1": ""},
        HTTP_ACCEPT_LANGUAGE="fr",
    )


def test_group_admin_creates_a_token_shown_once_that_reads_patients(group, resident_a):
    admin = login_verified(Client(), make_group_admin(email="siege@fhir.test"))
    response = _add(admin, group)
    raw = response.context["raw_token"]
    token = ApiToken.objects.get(name="Logiciel d'admission")
    change_page = admin.get(reverse("admin:fhirapi_apitoken_change", args=[token.pk])).content.decode()
    read = api_client(raw).get(f"/fhir/Patient/{resident_a.public_id}")
    assert (raw in change_page, read.status_code, token.created_by.email) == (False, HTTPStatus.OK, "siege@fhir.test")


def test_only_a_hash_of_the_secret_is_stored(group):
    token, raw = make_token(group.site_a)
    secret = raw.removeprefix("chk_").partition("_")[2]  # the key is hex; the secret may hold "_"
    stored = ApiToken.objects.filter(pk=token.pk).values_list("key_prefix", "secret_hash").get()
    assert stored == (token.key_prefix, hashlib.sha256(secret.encode()).hexdigest())


def test_coordinator_may_not_create_a_token(group):
    coordinator = login_verified(Client(), make_staff(group.site_a, coordinator=True, email="idec@fhir.test"))
    assert _add(coordinator, group).status_code == HTTPStatus.FORBIDDEN


def test_revoked_token_gets_401(group, resident_a):
    token, raw = make_token(group.site_a)
    api_token_revoke(token=token)
    response = api_client(raw).get(f"/fhir/Patient/{resident_a.public_id}")
    assert (response.status_code, valid(response)["issue"][0]["code"]) == (HTTPStatus.UNAUTHORIZED, "login")


def test_expired_token_gets_401(group, resident_a):
    _token, raw = make_token(group.site_a, expires_at=timezone.now() - datetime.timedelta(minutes=1))
    response = api_client(raw).get(f"/fhir/Patient/{resident_a.public_id}")
    assert response.status_code == HTTPStatus.UNAUTHORIZED


@pytest.mark.parametrize("raw", ["", "chk_nothing", "chk_abc_def", "Basic dXNlcjpwYXNz"])
def test_malformed_or_unknown_tokens_get_401(group, raw):
    response = Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get("/fhir/Patient")
    assert (response.status_code, response["WWW-Authenticate"]) == (
        HTTPStatus.UNAUTHORIZED,
        'Bearer realm="CareHub FHIR"',
    )


def test_wrong_secret_with_a_real_prefix_gets_401(group):
    token, _raw = make_token(group.site_a)
    response = api_client(f"chk_{token.key_prefix}_not-the-secret").get("/fhir/Patient")
    assert response.status_code == HTTPStatus.UNAUTHORIZED


def test_token_without_the_read_right_gets_403(group, resident_a):
    _token, raw = make_token(group.site_a, scopes=["Communication.read"])
    response = api_client(raw).get(f"/fhir/Patient/{resident_a.public_id}")
    assert (response.status_code, valid(response)["issue"][0]["code"]) == (HTTPStatus.FORBIDDEN, "forbidden")


def test_token_over_its_rate_gets_429_with_retry_after(group, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "fhir": "3/m/key"}
    _token, raw = make_token(group.site_a)
    api = api_client(raw)
    statuses = [api.get("/fhir/Organization").status_code for _ in range(4)]
    refused = api.get("/fhir/Organization")
    assert (statuses, valid(refused)["issue"][0]["code"], 0 < int(refused["Retry-After"]) <= 60) == (
        [200, 200, 200, 429],
        "throttled",
        True,
    )


def test_rate_is_counted_per_token(group, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "fhir": "1/m/key"}
    first, second = (api_client(make_token(group.site_a, name=name)[1]) for name in ("Un", "Deux"))
    first.get("/fhir/Organization")
    assert second.get("/fhir/Organization").status_code == HTTPStatus.OK
