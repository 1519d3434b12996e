"""The session id changes at each privilege step: the password, then the second factor."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.models import UserSession
from tests.accounts.flows import fresh_client, sign_in, submit_code, totp_code
from tests.factories import DEFAULT_PASSWORD, confirmed_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def half_signed_in(staff_a):
    """Past the password, before the code: the id a passer-by could have seen on the screen's URL bar or cookie."""
    device = confirmed_totp(staff_a)
    client = fresh_client()
    sign_in(client, staff_a.email, DEFAULT_PASSWORD)
    client.before_code = client.session.session_key
    client.device = device
    return client


def _pass_code(client):
    submit_code(client, totp_code(client.device))
    return client.session.session_key


def test_the_second_factor_gives_a_new_session_id(half_signed_in):
    assert _pass_code(half_signed_in) != half_signed_in.before_code


def test_the_id_seen_before_the_code_opens_nothing(half_signed_in):
    _pass_code(half_signed_in)
    assert not Session.objects.filter(session_key=half_signed_in.before_code).exists()


def test_the_session_index_follows_the_new_id(half_signed_in, staff_a):
    key = _pass_code(half_signed_in)
    assert list(UserSession.objects.filter(user=staff_a).values_list("session_key", flat=True)) == [key]


def test_the_new_id_is_signed_in_and_verified(half_signed_in):
    _pass_code(half_signed_in)
    assert half_signed_in.get(reverse("account_security")).status_code == 200


def test_a_first_set_up_gives_a_new_session_id_too(staff_a):
    client = fresh_client()
    sign_in(client, staff_a.email, DEFAULT_PASSWORD)
    client.get(reverse("two_factor_setup"))
    before = client.session.session_key
    submit_code(client, totp_code(TOTPDevice.objects.get(user=staff_a)), url_name="two_factor_setup")
    assert client.session.session_key != before
