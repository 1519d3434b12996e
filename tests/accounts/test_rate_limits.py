"""Every sign-in path is rate limited per account and per address: the password (allauth's form, which the
admin's login page sends to), the second-factor code and re-authentication. Over a limit: 429 with Retry-After,
CareHub's translated page, logged; even the right secret is refused until the window ends, then accepted.

A few tests use windows of 2 seconds and wait them out for real (no clock is faked).
"""

from __future__ import annotations

import logging
import re
import time
from http import HTTPStatus

import pytest
from django.core import mail
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.services import backup_codes_generate
from carehub.models import AccessLog
from tests.accounts.flows import fresh_client, page_text, reauthenticate, sign_in, submit_code, totp_code
from tests.conftest import ANY_PAGE
from tests.factories import DEFAULT_PASSWORD, confirmed_totp

TOO_MANY = _("Too many attempts")
WRONG_PASSWORD = "wrong-password-123"
WINDOW = 2  # seconds, for the tests that wait a window out


def _limits(settings, **rates):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, **rates}


def _wrong_code(device) -> str:
    return str((int(totp_code(device)) + 500_000) % 1_000_000).zfill(6)


def _past_password(user, **client_kwargs):
    """A client that gave the right password and now faces the second factor."""
    client = fresh_client(**client_kwargs)
    assert sign_in(client, user.email, DEFAULT_PASSWORD).status_code == HTTPStatus.FOUND
    return client


@pytest.fixture
def no_device_delay(settings):
    """django-otp's own delay after wrong codes is off, so that these tests see CareHub's limit alone
    (production keeps both: tests/accounts/test_two_factor.py covers the delay)."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


# --- the password ------------------------------------------------------------------------------


def _lock_account_by_password(user, attempts: int = 5):
    for _attempt in range(attempts):
        assert sign_in(fresh_client(), user.email, WRONG_PASSWORD).status_code == HTTPStatus.OK


def test_the_sixth_password_for_one_account_is_refused_with_429(staff_a):
    _lock_account_by_password(staff_a)
    assert sign_in(fresh_client(), staff_a.email, DEFAULT_PASSWORD).status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_the_right_password_of_a_locked_account_signs_nobody_in(staff_a):
    _lock_account_by_password(staff_a)
    client = fresh_client()
    sign_in(client, staff_a.email, DEFAULT_PASSWORD)
    assert "_auth_user_id" not in client.session


def test_the_refusal_says_when_to_try_again_within_the_five_minute_window(staff_a):
    _lock_account_by_password(staff_a)
    response = sign_in(fresh_client(), staff_a.email, DEFAULT_PASSWORD)
    assert 290 <= int(response["Retry-After"]) <= 300


def test_the_refusal_is_carehubs_page_in_the_interface_language(staff_a):
    _lock_account_by_password(staff_a)
    response = sign_in(fresh_client(HTTP_ACCEPT_LANGUAGE="en"), staff_a.email, DEFAULT_PASSWORD)
    assert "For your security, too many attempts were made. Try again in 5 minutes." in page_text(response)


def test_the_refusal_is_in_the_access_log_as_a_failed_sign_in(staff_a):
    _lock_account_by_password(staff_a)
    sign_in(fresh_client(), staff_a.email, DEFAULT_PASSWORD)
    assert AccessLog.objects.filter(user=staff_a, action=AccessLog.Action.LOGIN_FAILED).count() == 6


def test_the_refusal_is_in_the_application_log(staff_a, caplog):
    _lock_account_by_password(staff_a)
    with caplog.at_level(logging.WARNING, logger="accounts.throttling"):
        sign_in(fresh_client(), staff_a.email, DEFAULT_PASSWORD)
    assert [r.getMessage().split(" (")[0] for r in caplog.records if r.name == "accounts.throttling"] == [
        "sign-in attempt refused: too many attempts"
    ]


def test_the_right_password_works_again_once_the_window_has_ended(staff_a, settings):
    _limits(settings, login_failed=f"100/m/ip,3/{WINDOW}s/key")
    _lock_account_by_password(staff_a, attempts=3)
    assert sign_in(fresh_client(), staff_a.email, DEFAULT_PASSWORD).status_code == HTTPStatus.TOO_MANY_REQUESTS
    time.sleep(WINDOW + 0.2)
    assert sign_in(fresh_client(), staff_a.email, DEFAULT_PASSWORD).status_code == HTTPStatus.FOUND


def test_the_eleventh_password_from_one_address_is_refused_whatever_the_account(staff_a, staff_b):
    client = fresh_client()
    for n in range(10):
        sign_in(client, f"guess{n}@carehub.test", WRONG_PASSWORD)
    assert sign_in(client, staff_b.email, DEFAULT_PASSWORD).status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_allauths_limit_on_every_attempt_from_an_address_answers_with_retry_after(staff_a, settings):
    _limits(settings, login="3/m/ip")
    client = fresh_client()
    for _attempt in range(3):
        sign_in(client, staff_a.email, WRONG_PASSWORD)
    response = sign_in(client, staff_a.email, DEFAULT_PASSWORD)
    assert (response.status_code, 55 <= int(response["Retry-After"]) <= 60) == (HTTPStatus.TOO_MANY_REQUESTS, True)


# --- the Django admin ------------------------------------------------------------------------------


def test_the_admin_login_leads_to_the_same_limited_form(coordinator_a):
    _lock_account_by_password(coordinator_a)
    client = fresh_client()
    to_form = client.get("/admin/login/?next=/admin/")
    response = client.post(to_form.url, {"login": coordinator_a.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_the_admin_login_page_takes_no_password_itself(coordinator_a):
    client = fresh_client()
    response = client.post("/admin/login/", {"username": coordinator_a.email, "password": DEFAULT_PASSWORD})
    assert (response.status_code, "_auth_user_id" in client.session) == (HTTPStatus.FOUND, False)


# --- the second factor ---------------------------------------------------------------------------


def _lock_account_by_code(user, device, attempts: int = 5):
    for _attempt in range(attempts):
        client = _past_password(user)  # a new session (and address) each time: the limit is the account's
        assert submit_code(client, _wrong_code(device)).status_code == HTTPStatus.BAD_REQUEST


def test_the_sixth_code_for_one_account_is_refused_with_429(staff_a, no_device_delay):
    device = confirmed_totp(staff_a)
    _lock_account_by_code(staff_a, device)
    response = submit_code(_past_password(staff_a), totp_code(device))
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_the_right_code_of_a_locked_account_verifies_nothing(staff_a, no_device_delay):
    device = confirmed_totp(staff_a)
    _lock_account_by_code(staff_a, device)
    client = _past_password(staff_a)
    submit_code(client, totp_code(device))
    assert DEVICE_ID_SESSION_KEY not in client.session


def test_the_code_refusal_says_when_to_try_again(staff_a, no_device_delay):
    device = confirmed_totp(staff_a)
    _lock_account_by_code(staff_a, device)
    response = submit_code(_past_password(staff_a), totp_code(device))
    assert 290 <= int(response["Retry-After"]) <= 300


def test_the_code_refusal_is_in_the_access_log(staff_a, no_device_delay):
    device = confirmed_totp(staff_a)
    _lock_account_by_code(staff_a, device)
    submit_code(_past_password(staff_a), totp_code(device))
    assert AccessLog.objects.filter(user=staff_a, action=AccessLog.Action.TWO_FACTOR_FAILED).count() == 6


def test_right_codes_do_not_count_towards_the_limit(staff_a, no_device_delay, settings):
    _limits(settings, two_factor="100/m/ip,2/m/user")
    codes = backup_codes_generate(user=staff_a)
    answers = [submit_code(_past_password(staff_a), code).status_code for code in codes[:3]]
    assert answers == [HTTPStatus.FOUND] * 3


def test_the_right_code_works_again_once_the_window_has_ended(staff_a, no_device_delay, settings):
    _limits(settings, two_factor=f"100/m/ip,3/{WINDOW}s/user")
    device = confirmed_totp(staff_a)
    _lock_account_by_code(staff_a, device, attempts=3)
    client = _past_password(staff_a)
    assert submit_code(client, totp_code(device)).status_code == HTTPStatus.TOO_MANY_REQUESTS
    time.sleep(WINDOW + 0.2)
    assert submit_code(client, totp_code(device)).status_code == HTTPStatus.FOUND


def test_codes_from_one_address_are_limited_whatever_the_account(staff_a, staff_b, no_device_delay, settings):
    _limits(settings, two_factor="3/m/ip,100/m/user")
    device_a, device_b = confirmed_totp(staff_a), confirmed_totp(staff_b)
    address = {"REMOTE_ADDR": "10.250.0.1"}
    for _attempt in range(3):
        submit_code(_past_password(staff_a, **address), _wrong_code(device_a))
    response = submit_code(_past_password(staff_b, **address), totp_code(device_b))
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_another_address_is_not_held_by_one_addresss_codes(staff_a, staff_b, no_device_delay, settings):
    _limits(settings, two_factor="3/m/ip,100/m/user")
    device_a, device_b = confirmed_totp(staff_a), confirmed_totp(staff_b)
    for _attempt in range(3):
        submit_code(_past_password(staff_a, REMOTE_ADDR="10.250.0.2"), _wrong_code(device_a))
    response = submit_code(_past_password(staff_b, REMOTE_ADDR="10.250.0.3"), totp_code(device_b))
    assert response.status_code == HTTPStatus.FOUND


# --- re-authentication ---------------------------------------------------------------------------


def test_re_authentication_shares_the_accounts_password_limit(staff_a, verified_client):
    _lock_account_by_password(staff_a)
    client = verified_client(staff_a)
    response = client.post(reverse("account_reauthenticate"), {"password": DEFAULT_PASSWORD})
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_locked_re_authentication_opens_nothing(staff_a, verified_client):
    _lock_account_by_password(staff_a)
    client = verified_client(staff_a)
    reauthenticate(client)  # the right password, refused
    response = client.post(reverse("two_factor_backup_codes_regenerate"))
    assert response.url.startswith(reverse("account_reauthenticate"))


# --- a password reset is no way around the second factor -----------------------------------------


def test_a_password_reset_still_asks_for_the_second_factor(staff_a):
    device = confirmed_totp(staff_a)
    new_password = "Relève-de-nuit-2026"
    client = fresh_client()
    client.post(reverse("account_reset_password"), {"email": staff_a.email})
    link = re.search(r"https?://testserver(/accounts/password/reset/key/\S+/)", mail.outbox[0].body).group(1)
    form = client.get(link)
    client.post(form.url, {"password1": new_password, "password2": new_password})
    sign_in(client, staff_a.email, new_password)
    response = client.get(ANY_PAGE)
    assert (response.status_code, response.url.split("?")[0], DEVICE_ID_SESSION_KEY in client.session) == (
        HTTPStatus.FOUND,
        reverse("two_factor_verify"),
        False,
    )
    assert TOTPDevice.objects.filter(pk=device.pk, confirmed=True).exists()


# --- the family invitation link --------------------------------------------------------------------


def test_invitation_links_that_lead_nowhere_are_limited_per_address(db, settings):
    _limits(settings, invitation="3/m/ip")
    client = fresh_client()
    answers = [client.get(reverse("portal:invitation_accept", args=[f"guess-{n}"])).status_code for n in range(4)]
    assert answers == [HTTPStatus.NOT_FOUND] * 3 + [HTTPStatus.TOO_MANY_REQUESTS]


# --- changing the password -----------------------------------------------------------------------


def test_the_admins_password_change_checks_no_password_itself(coordinator_a, verified_client):
    client = verified_client(coordinator_a)
    response = client.post(
        "/admin/password_change/",
        {"old_password": DEFAULT_PASSWORD, "new_password1": "Un-autre-mot-2026", "new_password2": "Un-autre-mot-2026"},
    )
    assert (response.status_code, response.url) == (HTTPStatus.FOUND, reverse("account_change_password"))


def test_old_passwords_tried_on_the_change_form_are_limited_with_retry_after(staff_a, verified_client, settings):
    _limits(settings, change_password="3/m/user")
    client = verified_client(staff_a)
    for _attempt in range(3):
        client.post(reverse("account_change_password"), {"oldpassword": WRONG_PASSWORD})
    response = client.post(reverse("account_change_password"), {"oldpassword": DEFAULT_PASSWORD})
    assert (response.status_code, 55 <= int(response["Retry-After"]) <= 60) == (HTTPStatus.TOO_MANY_REQUESTS, True)


def test_reset_links_tried_from_one_address_are_limited_with_retry_after(db, settings):
    _limits(settings, reset_password_from_key="3/m/ip")
    client = fresh_client()
    url = reverse("account_reset_password_from_key", kwargs={"uidb36": "1", "key": "set-password"})
    for n in range(3):
        client.post(url.replace("set-password", f"guess-{n}"), {"password1": "x", "password2": "x"})
    response = client.post(url, {"password1": "x", "password2": "x"})
    assert (response.status_code, 55 <= int(response["Retry-After"]) <= 60) == (HTTPStatus.TOO_MANY_REQUESTS, True)


def test_a_flood_of_refused_tries_is_logged_once_per_window(staff_a):
    _lock_account_by_password(staff_a)
    client = fresh_client()
    for _attempt in range(5):
        sign_in(client, staff_a.email, DEFAULT_PASSWORD)
    assert AccessLog.objects.filter(user=staff_a, action=AccessLog.Action.LOGIN_FAILED).count() == 6
