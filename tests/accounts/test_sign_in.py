"""Signing in with e-mail and password (allauth), failures, rate limit, sign-out, closed sign-up."""

from http import HTTPStatus

from django.conf import settings
from django.contrib.auth import get_user_model
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from carehub.access_log import verify_chain
from carehub.models import AccessLog
from tests.accounts.flows import fr, fresh_client, page_text, sign_in
from tests.conftest import ANY_PAGE
from tests.factories import DEFAULT_PASSWORD

MISMATCH = _("The email address and/or password you specified are not correct.")
TOO_MANY = _("Too many attempts")


def test_login_page_is_public_and_in_french(db):
    response = fresh_client().get(reverse("account_login"))
    assert response.status_code == HTTPStatus.OK
    assert '<html lang="fr">' in response.content.decode()
    assert 'name="login"' in response.content.decode()
    assert 'name="password"' in response.content.decode()


def test_right_password_signs_in_and_goes_to_second_factor(staff_a):
    client = fresh_client()
    response = sign_in(client, staff_a.email, DEFAULT_PASSWORD)
    assert response.status_code == HTTPStatus.FOUND
    assert client.session["_auth_user_id"] == str(staff_a.pk)
    # The password alone opens nothing: the next page asks for the second factor.
    response = client.get(response.url)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("two_factor_setup"))


def test_email_is_matched_whatever_its_case(staff_a):
    client = fresh_client()
    response = sign_in(client, staff_a.email.upper(), DEFAULT_PASSWORD)
    assert response.status_code == HTTPStatus.FOUND
    assert client.session["_auth_user_id"] == str(staff_a.pk)


def test_wrong_password_and_unknown_email_get_the_same_answer(staff_a):
    wrong_password = sign_in(fresh_client(), staff_a.email, "not-the-password-at-all")
    unknown_email = sign_in(fresh_client(), "nobody.here@carehub.test", "not-the-password-at-all")
    for response in (wrong_password, unknown_email):
        assert response.status_code == HTTPStatus.OK
        assert fr(MISMATCH) in page_text(response)
        assert "_auth_user_id" not in response.client.session
    # Nothing on the page tells the two cases apart.
    assert wrong_password.context["form"].errors == unknown_email.context["form"].errors


def test_inactive_account_cannot_sign_in(staff_a):
    staff_a.is_active = False
    staff_a.save(update_fields=["is_active"])
    client = fresh_client()
    response = sign_in(client, staff_a.email, DEFAULT_PASSWORD)
    assert "_auth_user_id" not in client.session
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND)
    if response.status_code == HTTPStatus.FOUND:
        assert response.url == reverse("account_inactive")


def test_failed_sign_ins_are_rate_limited_per_account(staff_a, settings):
    # 5 failures per account in 5 minutes (default); each attempt from another address.
    for _attempt in range(5):
        response = sign_in(fresh_client(), staff_a.email, "wrong-password-123")
        assert fr(MISMATCH) in page_text(response)
    client = fresh_client()
    response = sign_in(client, staff_a.email, DEFAULT_PASSWORD)
    # Even the right password is refused now, with a clear message (tests/accounts/test_rate_limits.py).
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert fr(TOO_MANY) in page_text(response)
    assert "_auth_user_id" not in client.session


def test_failed_sign_ins_are_rate_limited_per_address(staff_a, staff_b):
    client = fresh_client()
    for n in range(10):
        sign_in(client, f"guess{n}@carehub.test", "wrong-password-123")
    response = sign_in(client, staff_b.email, DEFAULT_PASSWORD)
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert fr(TOO_MANY) in page_text(response)
    assert "_auth_user_id" not in client.session
    # Another address is not affected.
    other = fresh_client()
    assert sign_in(other, staff_b.email, DEFAULT_PASSWORD).status_code == HTTPStatus.FOUND


def test_sign_in_failure_and_sign_out_are_in_the_chained_access_log(staff_a):
    client = fresh_client(HTTP_USER_AGENT="Firefox/128 test")
    sign_in(client, staff_a.email, "wrong-password-123")
    sign_in(client, "nobody.here@carehub.test", "wrong-password-123")
    sign_in(client, staff_a.email, DEFAULT_PASSWORD)
    response = client.post(reverse("account_logout"))
    assert response.status_code == HTTPStatus.FOUND

    entries = list(AccessLog.objects.order_by("id"))
    assert [e.action for e in entries] == [
        AccessLog.Action.LOGIN_FAILED,
        AccessLog.Action.LOGIN_FAILED,
        AccessLog.Action.LOGIN,
        AccessLog.Action.LOGOUT,
    ]
    failed_known, failed_unknown, login, logout = entries
    assert failed_known.user == staff_a
    assert failed_unknown.user is None
    assert failed_unknown.actor == "nobody.here@carehub.test"
    assert login.user == staff_a and logout.user == staff_a
    assert login.ip == client.defaults["REMOTE_ADDR"]
    assert login.user_agent == "Firefox/128 test"
    # Chained: each entry points at the previous one.
    for before, after in zip(entries, entries[1:], strict=False):
        assert after.prev_hash == before.hash
    report = verify_chain()
    assert report.ok and report.checked == 4


def test_password_is_never_written_to_the_access_log(staff_a):
    sign_in(fresh_client(), staff_a.email, "s3cret-typed-by-mistake")
    entry = AccessLog.objects.get()
    assert "s3cret" not in " ".join(str(v) for v in vars(entry).values())


def test_logout_is_post_only(staff_a, verified_client):
    client = verified_client(staff_a)
    response = client.get(reverse("account_logout"))
    assert response.status_code == HTTPStatus.OK  # a confirmation page, not a sign-out
    assert client.session.get("_auth_user_id") == str(staff_a.pk)
    assert client.get(ANY_PAGE).status_code == HTTPStatus.OK


def test_logout_ends_the_session_on_the_server(staff_a, verified_client):
    client = verified_client(staff_a)
    old_key = client.cookies[settings.SESSION_COOKIE_NAME].value
    response = client.post(reverse("account_logout"))
    assert response.status_code == HTTPStatus.FOUND
    # Someone who copied the old cookie gets nothing.
    thief = fresh_client()
    thief.cookies[settings.SESSION_COOKIE_NAME] = old_key
    response = thief.get("/")
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))
    from django.contrib.sessions.models import Session

    assert not Session.objects.filter(session_key=old_key).exists()


def test_signup_is_closed(db):
    client = fresh_client()
    response = client.get(reverse("account_signup"))
    assert response.status_code == HTTPStatus.OK
    assert 'name="password1"' not in response.content.decode()
    assert fr("Sign Up Closed") in page_text(response)
    response = client.post(
        reverse("account_signup"),
        {"email": "intruder@example.com", "password1": "A-long-enough-pass-42", "password2": "A-long-enough-pass-42"},
    )
    assert response.status_code in (HTTPStatus.OK, HTTPStatus.FORBIDDEN)
    assert not get_user_model().objects.filter(email="intruder@example.com").exists()
    assert "_auth_user_id" not in client.session


def test_over_long_login_is_a_form_error_not_a_crash(db):
    response = sign_in(fresh_client(), "a" * 5000 + "@carehub.test", "x" * 5000)
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors


def test_too_many_sign_in_attempts_from_one_address_get_429(staff_a, settings):
    settings.ACCOUNT_RATE_LIMITS = {**settings.ACCOUNT_RATE_LIMITS, "login": "3/m/ip"}
    client = fresh_client()
    for _attempt in range(3):
        assert sign_in(client, staff_a.email, "wrong-password-123").status_code == HTTPStatus.OK
    response = sign_in(client, staff_a.email, DEFAULT_PASSWORD)
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "_auth_user_id" not in client.session
    # CareHub's own page, in the interface language, not allauth's bare English fallback.
    assert "429.html" in [t.name for t in response.templates]
    assert fr("Too many attempts") in page_text(response)
    assert '<html lang="fr">' in response.content.decode()
