"""Password reset by e-mail, password rules, broken or expired links."""

import re
from http import HTTPStatus

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from tests.accounts.flows import fr, fresh_client, page_text, sign_in
from tests.factories import DEFAULT_PASSWORD

NEW_PASSWORD = "Relève-du-soir-2026"


def _reset_link(client, email) -> str:
    response = client.post(reverse("account_reset_password"), {"email": email})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == [email]
    match = re.search(r"https?://testserver(/accounts/password/reset/key/\S+/)", message.body)
    assert match, message.body
    return match.group(1)


def _open_set_password_form(client, link):
    response = client.get(link)
    # allauth moves the key out of the URL into the session, then shows the form.
    if response.status_code == HTTPStatus.FOUND:
        response = client.get(response.url)
    assert response.status_code == HTTPStatus.OK
    assert 'name="password1"' in response.content.decode()
    return response.request["PATH_INFO"]


def test_password_reset_end_to_end(staff_a):
    client = fresh_client()
    link = _reset_link(client, staff_a.email)
    form_url = _open_set_password_form(client, link)
    response = client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    staff_a.refresh_from_db()
    assert staff_a.check_password(NEW_PASSWORD)
    assert not staff_a.check_password(DEFAULT_PASSWORD)
    # Not signed in by the reset (the second factor still applies): sign in with the new password.
    assert "_auth_user_id" not in client.session
    other = fresh_client()
    assert sign_in(other, staff_a.email, DEFAULT_PASSWORD).status_code == HTTPStatus.OK  # old one refused
    response = sign_in(other, staff_a.email, NEW_PASSWORD)
    assert response.status_code == HTTPStatus.FOUND
    assert other.session["_auth_user_id"] == str(staff_a.pk)
    # The link works once.
    again = fresh_client()
    response = again.get(link, follow=True)
    assert response.status_code == HTTPStatus.OK
    assert 'name="password1"' not in response.content.decode()


def test_reset_for_an_unknown_address_looks_the_same(db):
    client = fresh_client()
    response = client.post(reverse("account_reset_password"), {"email": "personne@carehub.test"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("account_reset_password_done")
    assert all("/password/reset/key/" not in m.body for m in mail.outbox)


@pytest.mark.parametrize(
    "password",
    ["Court-2026", "password1234", "123456789012345", "aide.a@carehub.test"],
    ids=["too-short", "common", "numeric", "like-the-email"],
)
def test_weak_passwords_are_refused_with_a_message(staff_a, password):
    client = fresh_client()
    link = _reset_link(client, staff_a.email)
    form_url = _open_set_password_form(client, link)
    response = client.post(form_url, {"password1": password, "password2": password})
    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["password1"]
    staff_a.refresh_from_db()
    assert staff_a.check_password(DEFAULT_PASSWORD)


def test_twelve_characters_are_required(staff_a):
    from django.contrib.auth.password_validation import validate_password
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        validate_password("Xq7#vR2!pL9", user=staff_a)  # 11 characters
    validate_password("Xq7#vR2!pL9z", user=staff_a)  # 12 characters


@pytest.mark.parametrize(
    "link",
    ["/accounts/password/reset/key/zz-invalid-key/", "/accounts/password/reset/key/1-set-password/"],
)
def test_an_invalid_reset_link_shows_a_clear_message(db, link):
    response = fresh_client().get(link, follow=True)
    assert response.status_code == HTTPStatus.OK
    assert 'name="password1"' not in response.content.decode()
    assert response.context["token_fail"]
    assert fr("Bad Token") in page_text(response)


def test_an_expired_reset_link_shows_a_clear_message(staff_a, settings):
    client = fresh_client()
    link = _reset_link(client, staff_a.email)
    settings.PASSWORD_RESET_TIMEOUT = -1  # the link is now past its lifetime
    response = client.get(link, follow=True)
    assert response.status_code == HTTPStatus.OK
    assert response.context["token_fail"]
    assert 'name="password1"' not in response.content.decode()
    assert fr("Bad Token") in page_text(response)
    staff_a.refresh_from_db()
    assert staff_a.check_password(DEFAULT_PASSWORD)


def test_a_password_change_after_reset_link_is_used_keeps_other_users(staff_a, staff_b):
    client = fresh_client()
    link = _reset_link(client, staff_a.email)
    form_url = _open_set_password_form(client, link)
    client.post(form_url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert get_user_model().objects.get(pk=staff_b.pk).check_password(DEFAULT_PASSWORD)
