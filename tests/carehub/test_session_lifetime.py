"""Idle timeout, absolute lifetime, keep-alive: sessions on shared workstations end by themselves."""

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from carehub.models import AccessLog
from tests.accounts.flows import fr, page_text
from tests.conftest import ANY_PAGE

IDLE_MESSAGE = "You were signed out after %(minutes)d minutes without activity."
IDLE_MESSAGE_ONE = "You were signed out after %(minutes)d minute without activity."


def idle_message_fr(minutes: int) -> str:
    with translation.override("fr"):
        return translation.ngettext(IDLE_MESSAGE_ONE, IDLE_MESSAGE, minutes) % {"minutes": minutes}


MAX_LENGTH_MESSAGE = "Your session reached its maximum length. Please sign in again."


class Clock:
    def __init__(self, start: float = 1_900_000_000.0):
        self.now = start

    def time(self) -> float:
        return self.now

    def advance(self, *, minutes: float = 0, hours: float = 0) -> None:
        self.now += minutes * 60 + hours * 3600


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("accounts.middleware.time", clock)
    return clock


def _signed_out_to_login(response):
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("account_login"))
    return True


def test_staff_session_survives_fourteen_idle_minutes(staff_a, verified_client, clock):
    client = verified_client(staff_a)
    assert client.get(ANY_PAGE).status_code == HTTPStatus.OK
    clock.advance(minutes=14)
    assert client.get(ANY_PAGE).status_code == HTTPStatus.OK


def test_staff_session_ends_after_fifteen_idle_minutes_with_a_translated_message(staff_a, verified_client, clock):
    client = verified_client(staff_a)
    assert client.get(ANY_PAGE).status_code == HTTPStatus.OK
    clock.advance(minutes=15, hours=0)
    clock.advance(minutes=0.1)
    response = client.get("/accounts/security/")
    assert _signed_out_to_login(response)
    assert "next=%2Faccounts%2Fsecurity%2F" in response.url
    assert "_auth_user_id" not in client.session
    login_page = client.get(response.url)
    assert login_page.status_code == HTTPStatus.OK
    assert idle_message_fr(15) in page_text(login_page)
    assert "inactivité" in idle_message_fr(15)  # the French catalogue has it
    assert AccessLog.objects.filter(user=staff_a, action=AccessLog.Action.SESSION_EXPIRED).count() == 1
    # Signing back in is needed: the old session does not come back.
    assert _signed_out_to_login(client.get(ANY_PAGE))


def test_idle_timeout_comes_from_the_settings(staff_a, verified_client, clock, settings):
    settings.IDLE_TIMEOUT_STAFF = 5 * 60
    client = verified_client(staff_a)
    client.get(ANY_PAGE)
    clock.advance(minutes=4)
    assert client.get(ANY_PAGE).status_code == HTTPStatus.OK
    clock.advance(minutes=5.5)
    response = client.get(ANY_PAGE)
    assert _signed_out_to_login(response)
    assert idle_message_fr(5) in page_text(client.get(response.url))


def test_family_members_have_their_own_idle_timeout(family_user, verified_client, clock, settings):
    settings.IDLE_TIMEOUT_FAMILY = 30 * 60
    client = verified_client(family_user)
    client.get(ANY_PAGE)
    clock.advance(minutes=20)
    assert client.get(ANY_PAGE).status_code == HTTPStatus.OK
    clock.advance(minutes=31)
    assert _signed_out_to_login(client.get(ANY_PAGE))


def test_keepalive_post_counts_as_activity(staff_a, verified_client, clock):
    client = verified_client(staff_a)
    client.get(ANY_PAGE)
    for _ in range(4):
        clock.advance(minutes=14)
        response = client.post(reverse("session_keepalive"), {"next": "/"})
        assert response.status_code == HTTPStatus.FOUND and response.url == "/"
    # 56 minutes since the last page, 14 since the last keep-alive.
    assert client.get(ANY_PAGE).status_code == HTTPStatus.OK


def test_keepalive_answers_scripts_with_no_content(staff_a, verified_client, clock):
    client = verified_client(staff_a)
    response = client.post(reverse("session_keepalive"), headers={"accept": "application/json"})
    assert response.status_code == HTTPStatus.NO_CONTENT


def test_keepalive_does_not_redirect_elsewhere(staff_a, verified_client):
    client = verified_client(staff_a)
    response = client.post(reverse("session_keepalive"), {"next": "https://evil.example/phish"})
    assert response.status_code == HTTPStatus.FOUND
    assert not response.url.startswith("https://evil.example")


def test_keepalive_is_post_only(staff_a, verified_client):
    assert verified_client(staff_a).get(reverse("session_keepalive")).status_code == HTTPStatus.METHOD_NOT_ALLOWED


def test_passive_polls_do_not_keep_a_session_alive(staff_a, verified_client, clock):
    client = verified_client(staff_a)
    client.get(ANY_PAGE)
    for _ in range(2):
        clock.advance(minutes=6)
        assert client.get(ANY_PAGE, headers={"x-carehub-passive": "1"}).status_code == HTTPStatus.OK
    clock.advance(minutes=6)  # 18 minutes since the last real activity
    assert _signed_out_to_login(client.get(ANY_PAGE))


def test_every_session_ends_after_its_absolute_lifetime(staff_a, verified_client, clock):
    client = verified_client(staff_a)
    client.get(ANY_PAGE)
    for _ in range(int(12 * 60 / 14)):
        clock.advance(minutes=14)
        assert client.get(ANY_PAGE).status_code == HTTPStatus.OK
    clock.advance(minutes=14)
    response = client.get(ANY_PAGE)
    assert _signed_out_to_login(response)
    assert fr(MAX_LENGTH_MESSAGE) in page_text(client.get(response.url))


def test_expired_htmx_request_is_told_where_to_go(staff_a, verified_client, clock):
    client = verified_client(staff_a)
    client.get(ANY_PAGE)
    clock.advance(minutes=16)
    response = client.get(ANY_PAGE, headers={"hx-request": "true"})
    assert response.headers["HX-Redirect"].startswith(reverse("account_login"))


def test_pages_tell_the_idle_warning_script_the_timeout(staff_a, family_user, verified_client, settings):
    settings.IDLE_TIMEOUT_STAFF = 10 * 60
    html = verified_client(staff_a).get(ANY_PAGE).content.decode()
    assert 'data-idle-timeout="600"' in html
    assert 'data-idle-warning="60"' in html
    assert f'data-keepalive-url="{reverse("session_keepalive")}"' in html
    assert 'id="idle-warning"' in html and "hidden" in html.split('id="idle-warning"')[1].split(">")[0]
    family_html = verified_client(family_user).get(ANY_PAGE).content.decode()
    assert f'data-idle-timeout="{settings.IDLE_TIMEOUT_FAMILY}"' in family_html


def test_anonymous_pages_have_no_idle_warning(db):
    html = Client().get(reverse("account_login")).content.decode()
    assert "data-idle-timeout" not in html and 'id="idle-warning"' not in html
