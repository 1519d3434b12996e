"""Bad input gets a clear, translated answer or a 4xx, never a 500."""

from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from django.urls import reverse

from tests.accounts.flows import fr, fresh_client, page_text, sign_in
from tests.conftest import ANY_PAGE
from tests.factories import DEFAULT_PASSWORD

CSRF_TITLE = "This form has expired"


@pytest.mark.parametrize(
    ("url_name", "data"),
    [
        ("account_login", {"login": "aide.a@carehub.test", "password": DEFAULT_PASSWORD}),
        ("account_reset_password", {"email": "aide.a@carehub.test"}),
        ("set_language", {"language": "en", "next": "/"}),
    ],
)
def test_forged_form_without_csrf_token_is_refused_with_a_translated_page(staff_a, url_name, data):
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR="10.200.0.1")
    response = client.post(reverse(url_name), data)
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert fr(CSRF_TITLE) in page_text(response)
    assert fr(CSRF_TITLE) != CSRF_TITLE
    assert "_auth_user_id" not in client.session


def test_forged_post_from_a_signed_in_session_changes_nothing(staff_a, verified_client):
    from django_otp.plugins.otp_static.models import StaticToken

    client = verified_client(staff_a)
    client.handler.enforce_csrf_checks = True
    response = client.post(reverse("two_factor_backup_codes_regenerate"), {"csrfmiddlewaretoken": "forged" * 8})
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not StaticToken.objects.filter(device__user=staff_a).exists()
    response = client.post(reverse("account_logout"))
    assert response.status_code == HTTPStatus.FORBIDDEN
    assert client.get(ANY_PAGE).status_code == HTTPStatus.OK  # still signed in: the forged sign-out did nothing


def test_a_real_form_with_its_token_passes_csrf(staff_a):
    client = Client(enforce_csrf_checks=True, REMOTE_ADDR="10.200.0.2")
    page = client.get(reverse("account_login"))
    token = page.context["csrf_token"]
    response = client.post(
        reverse("account_login"),
        {"login": staff_a.email, "password": DEFAULT_PASSWORD, "csrfmiddlewaretoken": str(token)},
    )
    assert response.status_code == HTTPStatus.FOUND
    assert client.session["_auth_user_id"] == str(staff_a.pk)


@pytest.mark.parametrize("host", ["evil.example", "carehub.example.evil.test", "127.0.0.1:8000@evil"])
def test_unknown_host_header_gets_400(db, host):
    response = fresh_client().get(reverse("account_login"), headers={"host": host})
    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_unknown_host_on_a_password_reset_sends_no_mail(staff_a):
    from django.core import mail

    response = fresh_client().post(
        reverse("account_reset_password"), {"email": staff_a.email}, headers={"host": "evil.example"}
    )
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert mail.outbox == []


def test_over_long_email_on_password_reset_is_a_form_error(db):
    response = fresh_client().post(reverse("account_reset_password"), {"email": "x" * 10_000 + "@carehub.test"})
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["email"]


def test_over_long_or_garbage_otp_codes_are_form_errors(staff_a):
    client = fresh_client()
    sign_in(client, staff_a.email, DEFAULT_PASSWORD)
    for code in ["1" * 5000, "\x00\x01", "' OR 1=1 --", ""]:
        for url_name in ("two_factor_setup", "two_factor_verify"):
            response = client.post(reverse(url_name), {"code": code}, follow=True)
            assert response.status_code in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST), (url_name, code)
    assert client.get(ANY_PAGE).status_code == HTTPStatus.FOUND


def test_null_bytes_in_login_do_not_crash(db):
    response = sign_in(fresh_client(), "aide\x00@carehub.test", "pass\x00word")
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors


def test_unknown_language_is_ignored(staff_a, verified_client):
    client = verified_client(staff_a)
    response = client.post(reverse("set_language"), {"language": "xx-klingon", "next": "/"})
    assert response.status_code == HTTPStatus.FOUND
    assert 'lang="fr"' in client.get(ANY_PAGE).content.decode()


def test_set_language_does_not_redirect_off_site(db):
    response = fresh_client().post(reverse("set_language"), {"language": "en", "next": "https://evil.example/"})
    assert response.status_code == HTTPStatus.FOUND
    assert not response.url.startswith("https://evil.example")


def test_bad_input_creates_no_account(db):
    fresh_client().post(reverse("account_signup"), {"email": "x" * 300, "password1": "a", "password2": "b"})
    assert not get_user_model().objects.exists()
