"""Shared tablets: at a site that enables it, the idle time locks the screen instead of ending the
session; the person's PIN opens it again, five wrong PINs end it, and the absolute lifetime still
ends it. Off unless a site enables it."""

from __future__ import annotations

import time
from http import HTTPStatus

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.contrib.auth.hashers import check_password
from django.contrib.sessions.models import Session
from django.urls import reverse
from django.utils import translation
from django_otp.plugins.otp_static.models import StaticToken

from accounts import sessions
from accounts.models import UnlockPin
from accounts.services import backup_codes_generate
from carehub.models import AccessLog
from messaging.consumers import CLOSE_FORBIDDEN, CLOSE_SESSION_ENDED
from tests.accounts.flows import fr, fresh_client, page_text, sign_in, submit_code, totp_code
from tests.conftest import login_verified
from tests.coordination.factories import ResidentFactory
from tests.factories import DEFAULT_PASSWORD, confirmed_totp
from tests.sockets import TIMEOUT, close_code_within, open_socket

PIN = "482915"
LOCK_URL = reverse("account_lock")
HANDOVER = reverse("coordination:handover")


class Clock:
    """The time as the session rules read it (middleware and session module alike)."""

    def __init__(self):
        self.now = time.time()

    def time(self) -> float:
        return self.now

    def advance(self, *, minutes: float = 0, hours: float = 0) -> None:
        self.now += minutes * 60 + hours * 3600


@pytest.fixture
def clock(monkeypatch):
    clock = Clock()
    monkeypatch.setattr("accounts.middleware.time", clock)
    monkeypatch.setattr("accounts.sessions.time", clock)
    return clock


@pytest.fixture
def lock_site(site_a):
    site_a.lock_with_pin = True
    site_a.save(update_fields=["lock_with_pin"])
    return site_a


@pytest.fixture
def resident(site_a, unit_a):
    return ResidentFactory(site=site_a, unit=unit_a, first_name="Germaine", last_name="Vasseur")


def set_pin(client, pin: str = PIN, again: str | None = None, **extra):
    return client.post(reverse("unlock_pin"), {"pin": pin, "pin_again": pin if again is None else again}, **extra)


@pytest.fixture
def tablet(staff_a, lock_site, settings):
    """A verified session of staff A at a site that locks, with a PIN chosen, on the handover page."""
    client = login_verified(fresh_client(), staff_a)
    assert set_pin(client).status_code == HTTPStatus.FOUND
    assert client.get(HANDOVER).status_code == HTTPStatus.OK
    return client


def idle(clock, settings) -> None:
    clock.advance(minutes=settings.IDLE_TIMEOUT_STAFF / 60 + 1)


def lock(client, clock, settings, page: str = HANDOVER):
    idle(clock, settings)
    return client.get(page)


def unlock(client, pin: str, next_: str = HANDOVER):
    return client.post(LOCK_URL, {"pin": pin, "next": next_})


def actions(user) -> list[str]:
    return list(AccessLog.objects.filter(user=user).order_by("id").values_list("action", flat=True))


# --- off by default ------------------------------------------------------------------------


def test_sites_do_not_lock_unless_enabled(site_a):
    assert site_a.lock_with_pin is False


def test_without_the_site_enabling_it_the_idle_time_still_signs_out(staff_a, site_a, clock, settings):
    client = login_verified(fresh_client(), staff_a)
    set_pin(client)
    response = lock(client, clock, settings)
    assert response.url.startswith(reverse("account_login"))


def test_without_a_pin_the_idle_time_still_signs_out(staff_a, lock_site, clock, settings):
    client = login_verified(fresh_client(), staff_a)
    client.get(HANDOVER)
    response = lock(client, clock, settings)
    assert response.url.startswith(reverse("account_login"))


def test_a_session_still_at_the_code_page_is_signed_out_not_locked(staff_a, lock_site, clock, settings):
    client = login_verified(fresh_client(), staff_a)
    set_pin(client)
    client.logout()
    confirmed_totp(staff_a)
    sign_in(client, staff_a.email, DEFAULT_PASSWORD)
    client.get(reverse("two_factor_verify"))
    response = lock(client, clock, settings, page=reverse("two_factor_verify"))
    assert response.url.startswith(reverse("account_login"))


# --- locking -------------------------------------------------------------------------------


def test_idle_time_locks_and_sends_the_page_to_the_lock_screen(tablet, clock, settings):
    response = lock(tablet, clock, settings)
    assert response.url == f"{LOCK_URL}?next=%2Fresidents%2Fhandover%2F"


def test_a_locked_session_is_kept_on_the_server(tablet, clock, settings):
    key = tablet.session.session_key
    lock(tablet, clock, settings)
    assert Session.objects.filter(session_key=key).exists()


def test_the_lock_screen_shows_the_first_name_only(tablet, staff_a, clock, settings):
    lock(tablet, clock, settings)
    text = page_text(tablet.get(LOCK_URL))
    assert (staff_a.first_name in text, staff_a.last_name in text, staff_a.email in text) == (True, False, False)


def test_the_lock_screen_shows_no_resident(tablet, resident, clock, settings):
    tablet.get(reverse("coordination:resident_list"))
    lock(tablet, clock, settings)
    assert resident.last_name not in page_text(tablet.get(LOCK_URL))


def test_the_lock_screen_shows_no_header_nor_notifications(tablet, clock, settings):
    lock(tablet, clock, settings)
    html = tablet.get(LOCK_URL).content.decode()
    assert (reverse("notifications:list") in html, "site-header" in html) == (False, False)


def test_messages_of_the_pages_before_wait_for_the_unlocked_page(staff_a, lock_site, clock, settings):
    client = login_verified(fresh_client(), staff_a)
    set_pin(client)  # its "saved" message is not shown yet
    lock(client, clock, settings)
    saved = fr("Your PIN is saved. It opens your screen when it locks.")
    on_lock = saved in page_text(client.get(LOCK_URL))
    unlock(client, PIN)
    assert (on_lock, saved in page_text(client.get(HANDOVER))) == (False, True)


def test_the_pin_field_asks_for_digits_without_autocomplete(tablet, clock, settings):
    lock(tablet, clock, settings)
    html = tablet.get(LOCK_URL).content.decode()
    field = html.split('name="pin"')[0].rsplit("<input", 1)[1] + html.split('name="pin"')[1].split(">")[0]
    assert ('inputmode="numeric"' in field, 'autocomplete="off"' in field, 'type="password"' in field) == (
        True,
        True,
        True,
    )


def test_the_lock_screen_offers_to_switch_user_in_french(tablet, clock, settings):
    lock(tablet, clock, settings)
    assert fr("Switch user") in page_text(tablet.get(LOCK_URL))  # « Changer d'utilisateur »


@pytest.mark.parametrize(
    "url_name",
    [
        "home",
        "coordination:handover",
        "coordination:resident_list",
        "coordination:search",
        "directory:search",
        "messaging:index",
        "notifications:list",
        "account_security",
        "unlock_pin",
        "session_keepalive",
    ],
)
def test_every_page_is_hidden_while_locked(tablet, clock, settings, url_name):
    lock(tablet, clock, settings)
    response = tablet.get(reverse(url_name))
    assert (response.status_code, response.url.split("?")[0]) == (HTTPStatus.FOUND, LOCK_URL)


def test_a_residents_page_is_hidden_while_locked(tablet, resident, clock, settings):
    lock(tablet, clock, settings)
    response = tablet.get(reverse("coordination:resident_detail", kwargs={"public_id": resident.public_id}))
    assert response.url.split("?")[0] == LOCK_URL


def test_a_form_posted_while_locked_goes_to_the_lock_screen(tablet, resident, clock, settings):
    lock(tablet, clock, settings)
    response = tablet.post(reverse("coordination:handover_take"), {})
    assert (response.status_code, response.url) == (HTTPStatus.FOUND, LOCK_URL)


def test_htmx_requests_get_423_and_follow_to_the_lock_screen(tablet, clock, settings):
    lock(tablet, clock, settings)
    response = tablet.get(
        reverse("notifications:list"),
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/residents/handover/?unit=1"},
    )
    assert (response.status_code, response["HX-Redirect"]) == (
        HTTPStatus.LOCKED,
        f"{LOCK_URL}?next=%2Fresidents%2Fhandover%2F%3Funit%3D1",
    )


def test_script_requests_get_423_with_no_data(tablet, resident, clock, settings):
    lock(tablet, clock, settings)
    response = tablet.get(reverse("coordination:resident_list"), headers={"Sec-Fetch-Mode": "cors"})
    assert (response.status_code, resident.last_name in response.content.decode()) == (HTTPStatus.LOCKED, False)


def test_the_live_update_polls_do_not_keep_a_tablet_open(tablet, clock, settings):
    idle(clock, settings)
    response = tablet.get(HANDOVER, headers={"X-CareHub-Passive": "1", "Sec-Fetch-Mode": "cors"})
    assert response.status_code == HTTPStatus.LOCKED


def test_the_language_switch_works_while_locked(tablet, clock, settings):
    lock(tablet, clock, settings)
    response = tablet.post(reverse("set_language"), {"language": "en", "next": LOCK_URL})
    assert "Switch user" in page_text(tablet.get(response.url))


def test_the_lock_screen_of_an_open_session_goes_back_to_the_page(tablet):
    response = tablet.get(LOCK_URL, {"next": HANDOVER})
    assert response.url == HANDOVER


def test_the_page_script_is_told_the_idle_time_locks(staff_a, lock_site):
    client = fresh_client()
    device = confirmed_totp(staff_a)
    UnlockPin.objects.create(user=staff_a, pin_hash="unused")
    sign_in(client, staff_a.email, DEFAULT_PASSWORD)
    submit_code(client, totp_code(device))
    html = client.get(reverse("account_security")).content.decode()
    assert f'data-lock-url="{LOCK_URL}"' in html


def test_the_page_script_is_not_told_to_lock_where_sites_do_not(staff_a, site_a):
    client = fresh_client()
    device = confirmed_totp(staff_a)
    UnlockPin.objects.create(user=staff_a, pin_hash="unused")
    sign_in(client, staff_a.email, DEFAULT_PASSWORD)
    submit_code(client, totp_code(device))
    assert "data-lock-url" not in client.get(reverse("account_security")).content.decode()


def test_the_idle_warning_says_the_screen_will_lock(tablet):
    with translation.override("fr"):
        expected = translation.gettext("Your screen will lock in one minute because of inactivity.")
    assert expected in page_text(tablet.get(reverse("account_security")))


# --- unlocking -----------------------------------------------------------------------------


def test_the_right_pin_unlocks_and_returns_to_the_page(tablet, clock, settings):
    lock(tablet, clock, settings)
    response = unlock(tablet, PIN)
    assert (response.status_code, response.url) == (HTTPStatus.FOUND, HANDOVER)


def test_after_unlocking_the_pages_open_again(tablet, clock, settings):
    lock(tablet, clock, settings)
    unlock(tablet, PIN)
    assert tablet.get(HANDOVER).status_code == HTTPStatus.OK


def test_after_unlocking_the_idle_time_starts_again(tablet, clock, settings):
    lock(tablet, clock, settings)
    unlock(tablet, PIN)
    clock.advance(minutes=settings.IDLE_TIMEOUT_STAFF / 60 - 1)
    assert tablet.get(HANDOVER).status_code == HTTPStatus.OK


def test_unlocking_does_not_go_to_another_site(tablet, clock, settings):
    lock(tablet, clock, settings)
    response = unlock(tablet, PIN, next_="https://evil.example/")
    assert response.url == reverse("home")


def test_a_wrong_pin_is_refused_with_the_tries_left(tablet, clock, settings):
    lock(tablet, clock, settings)
    response = unlock(tablet, "999999")
    with translation.override("fr"):
        expected = translation.ngettext(
            "Wrong PIN. %(count)d try left before you must sign in again.",
            "Wrong PIN. %(count)d tries left before you must sign in again.",
            4,
        ) % {"count": 4}
    assert (response.status_code, expected in page_text(response)) == (HTTPStatus.BAD_REQUEST, True)


def test_a_wrong_pin_leaves_the_session_locked(tablet, clock, settings):
    lock(tablet, clock, settings)
    unlock(tablet, "999999")
    assert tablet.get(HANDOVER).url.split("?")[0] == LOCK_URL


def test_an_empty_pin_is_a_form_error(tablet, clock, settings):
    lock(tablet, clock, settings)
    assert unlock(tablet, "").status_code == HTTPStatus.BAD_REQUEST


def test_five_wrong_pins_end_the_session(tablet, staff_a, clock, settings):
    key = tablet.session.session_key
    lock(tablet, clock, settings)
    for _ in range(sessions.UNLOCK_TRIES):
        response = unlock(tablet, "999999")
    assert (response.url, Session.objects.filter(session_key=key).exists()) == (reverse("account_login"), False)


def test_five_wrong_pins_end_every_session_of_the_person(tablet, staff_a, clock, settings):
    workstation = login_verified(fresh_client(), staff_a).session.session_key
    lock(tablet, clock, settings)
    for _ in range(sessions.UNLOCK_TRIES):
        unlock(tablet, "999999")
    assert not Session.objects.filter(session_key=workstation).exists()


def test_after_five_wrong_pins_the_right_one_no_longer_opens(tablet, clock, settings):
    lock(tablet, clock, settings)
    for _ in range(sessions.UNLOCK_TRIES):
        unlock(tablet, "999999")
    unlock(tablet, PIN)
    assert tablet.get(HANDOVER).url.startswith(reverse("account_login"))


def test_after_five_wrong_pins_the_sign_in_page_says_why(tablet, clock, settings):
    lock(tablet, clock, settings)
    for _ in range(sessions.UNLOCK_TRIES):
        response = unlock(tablet, "999999")
    expected = fr("Too many wrong PINs: sign in again with your password and your code.")
    assert expected in page_text(tablet.get(response.url))


def test_four_wrong_pins_then_the_right_one_unlock(tablet, clock, settings):
    lock(tablet, clock, settings)
    for _ in range(sessions.UNLOCK_TRIES - 1):
        unlock(tablet, "999999")
    assert unlock(tablet, PIN).url == HANDOVER


def test_the_five_tries_are_counted_per_lock(tablet, clock, settings):
    lock(tablet, clock, settings)
    for _ in range(sessions.UNLOCK_TRIES - 1):
        unlock(tablet, "999999")
    unlock(tablet, PIN)
    lock(tablet, clock, settings)
    for _ in range(sessions.UNLOCK_TRIES - 1):
        unlock(tablet, "999999")
    assert unlock(tablet, PIN).url == HANDOVER


def test_the_absolute_lifetime_still_ends_a_locked_session(tablet, clock, settings):
    lock(tablet, clock, settings)
    clock.advance(hours=settings.SESSION_ABSOLUTE_LIFETIME / 3600)
    response = tablet.get(LOCK_URL)
    assert response.url.startswith(reverse("account_login"))


def test_the_absolute_lifetime_refuses_the_right_pin(tablet, clock, settings):
    lock(tablet, clock, settings)
    clock.advance(hours=settings.SESSION_ABSOLUTE_LIFETIME / 3600)
    unlock(tablet, PIN)
    assert tablet.get(HANDOVER).url.startswith(reverse("account_login"))


def test_switch_user_signs_out_at_once(tablet, clock, settings):
    key = tablet.session.session_key
    lock(tablet, clock, settings)
    response = tablet.post(reverse("account_logout"))
    assert (response.url, Session.objects.filter(session_key=key).exists()) == (reverse("account_login"), False)


# --- the access log ------------------------------------------------------------------------


def test_lock_unlock_and_failures_are_in_the_access_log(tablet, staff_a, clock, settings):
    lock(tablet, clock, settings)
    unlock(tablet, "999999")
    unlock(tablet, PIN)
    assert actions(staff_a)[-3:] == [
        AccessLog.Action.LOCK,
        AccessLog.Action.UNLOCK_FAILED,
        AccessLog.Action.UNLOCK,
    ]


def test_the_end_after_five_wrong_pins_is_in_the_access_log(tablet, staff_a, clock, settings):
    lock(tablet, clock, settings)
    for _ in range(sessions.UNLOCK_TRIES):
        unlock(tablet, "999999")
    assert actions(staff_a)[-2:] == [AccessLog.Action.UNLOCK_FAILED, AccessLog.Action.LOCK_ENDED]


def test_the_access_log_never_holds_the_pin(tablet, staff_a, clock, settings):
    lock(tablet, clock, settings)
    unlock(tablet, "999999")
    rows = AccessLog.objects.filter(user=staff_a).values_list("query", "object_repr")
    assert not any("999999" in field or PIN in field for row in rows for field in row)


# --- choosing the PIN ----------------------------------------------------------------------


def test_the_pin_is_stored_hashed(staff_a, lock_site):
    client = login_verified(fresh_client(), staff_a)
    set_pin(client)
    stored = UnlockPin.objects.get(user=staff_a).pin_hash
    assert (PIN in stored, check_password(PIN, stored)) == (False, True)


def test_setting_the_pin_is_in_the_access_log(staff_a, lock_site):
    client = login_verified(fresh_client(), staff_a)
    set_pin(client)
    assert actions(staff_a)[-1] == AccessLog.Action.PIN_SET


def test_changing_the_pin_replaces_the_old_one(tablet, staff_a, clock, settings):
    set_pin(tablet, "730418")
    lock(tablet, clock, settings)
    assert unlock(tablet, PIN).status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize(
    ("pin", "problem"),
    [
        ("12345", "The PIN has %(min)d to %(max)d digits."),
        ("1234567890123", "The PIN has %(min)d to %(max)d digits."),
        ("48a915", "The PIN is made of digits only."),
        ("４８２９１５", "The PIN is made of digits only."),
        ("000000", "This PIN is too easy to guess (a run or a repeated pattern). Choose another one."),
        ("123456", "This PIN is too easy to guess (a run or a repeated pattern). Choose another one."),
        ("987654", "This PIN is too easy to guess (a run or a repeated pattern). Choose another one."),
        ("121212", "This PIN is too easy to guess (a run or a repeated pattern). Choose another one."),
        ("123123", "This PIN is too easy to guess (a run or a repeated pattern). Choose another one."),
    ],
)
def test_short_and_trivial_pins_are_refused_with_the_reason(staff_a, lock_site, pin, problem):
    client = login_verified(fresh_client(), staff_a)
    response = set_pin(client, pin)
    expected = fr(problem)
    if "%(min)d" in problem:
        expected = expected % {"min": 6, "max": 12}
    assert (response.status_code, expected in page_text(response)) == (HTTPStatus.BAD_REQUEST, True)


def test_a_refused_pin_saves_nothing(staff_a, lock_site):
    client = login_verified(fresh_client(), staff_a)
    set_pin(client, "123456")
    assert not UnlockPin.objects.filter(user=staff_a).exists()


def test_the_two_pins_must_match(staff_a, lock_site):
    client = login_verified(fresh_client(), staff_a)
    response = set_pin(client, PIN, again="482916")
    assert (response.status_code, fr("The two PINs are not the same.") in page_text(response)) == (
        HTTPStatus.BAD_REQUEST,
        True,
    )


def test_the_pin_page_needs_the_second_factor_first(staff_a, lock_site):
    client = fresh_client()
    confirmed_totp(staff_a)
    sign_in(client, staff_a.email, DEFAULT_PASSWORD)
    response = set_pin(client)
    assert (response.url.split("?")[0], UnlockPin.objects.filter(user=staff_a).exists()) == (
        reverse("two_factor_verify"),
        False,
    )


def test_families_have_no_pin_page(family_user):
    client = login_verified(fresh_client(), family_user)
    assert client.get(reverse("unlock_pin")).status_code == HTTPStatus.FORBIDDEN


def test_after_the_code_a_site_that_locks_asks_for_the_pin(staff_a, lock_site):
    client = fresh_client()
    device = confirmed_totp(staff_a)
    sign_in(client, staff_a.email, DEFAULT_PASSWORD, next_url=HANDOVER)
    response = client.post(reverse("two_factor_verify"), {"code": totp_code(device), "next": HANDOVER})
    assert response.url == f"{reverse('unlock_pin')}?next=%2Fresidents%2Fhandover%2F"


def test_the_pin_page_offers_to_choose_later(staff_a, lock_site):
    client = login_verified(fresh_client(), staff_a)
    response = client.get(reverse("unlock_pin"), {"next": HANDOVER})
    assert f'href="{HANDOVER}"' in response.content.decode()


def test_after_the_code_a_site_that_does_not_lock_asks_nothing_more(staff_a, site_a):
    client = fresh_client()
    device = confirmed_totp(staff_a)
    sign_in(client, staff_a.email, DEFAULT_PASSWORD, next_url=HANDOVER)
    response = client.post(reverse("two_factor_verify"), {"code": totp_code(device), "next": HANDOVER})
    assert response.url == HANDOVER


def test_the_security_page_offers_the_pin_where_a_site_locks(staff_a, lock_site):
    client = login_verified(fresh_client(), staff_a)
    assert reverse("unlock_pin") in client.get(reverse("account_security")).content.decode()


def test_the_security_page_says_nothing_of_pins_where_no_site_locks(staff_a, site_a):
    client = login_verified(fresh_client(), staff_a)
    assert reverse("unlock_pin") not in client.get(reverse("account_security")).content.decode()


def test_the_site_admin_has_the_lock_setting(group_admin, site_a):
    client = login_verified(fresh_client(), group_admin)
    html = client.get(reverse("admin:directory_site_change", args=[site_a.pk])).content.decode()
    assert 'name="lock_with_pin"' in html


# --- sockets -------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_locking_closes_the_sessions_socket_within_a_second(staff_a, lock_site, settings, monkeypatch):
    client = await sync_to_async(login_verified)(fresh_client(), staff_a)
    await sync_to_async(set_pin)(client)
    comm = await open_socket(staff_a, client)
    later = Clock()
    later.advance(minutes=settings.IDLE_TIMEOUT_STAFF / 60 + 1)
    monkeypatch.setattr("accounts.middleware.time", later)  # the page request comes after the idle time
    await sync_to_async(client.get)(HANDOVER)
    assert await close_code_within(comm, 1.0) == CLOSE_SESSION_ENDED


@pytest.mark.django_db(transaction=True)
@pytest.mark.asyncio
async def test_a_locked_session_cannot_open_a_socket(staff_a, lock_site, settings, monkeypatch):
    from carehub.asgi import application

    client = await sync_to_async(login_verified)(fresh_client(), staff_a)
    await sync_to_async(set_pin)(client)
    later = Clock()
    later.advance(minutes=settings.IDLE_TIMEOUT_STAFF / 60 + 1)
    monkeypatch.setattr("accounts.middleware.time", later)
    await sync_to_async(client.get)(HANDOVER)
    comm = WebsocketCommunicator(
        application,
        "/ws/messages/",
        headers=[
            (b"origin", b"http://testserver"),
            (
                b"cookie",
                f"{settings.SESSION_COOKIE_NAME}={client.cookies[settings.SESSION_COOKIE_NAME].value}".encode(),
            ),
        ],
    )
    connected, code = await comm.connect(timeout=TIMEOUT)
    assert (connected, code) == (False, CLOSE_FORBIDDEN)


# --- the sign-in details -------------------------------------------------------------------


def _code_input(html: str) -> str:
    return "<input" + html.split('name="code"')[0].rsplit("<input", 1)[1] + html.split('name="code"')[1].split(">")[0]


def test_the_code_field_opens_the_number_pad_and_fills_from_the_phone(staff_a):
    client = fresh_client()
    confirmed_totp(staff_a)
    sign_in(client, staff_a.email, DEFAULT_PASSWORD)
    field = _code_input(client.get(reverse("two_factor_verify")).content.decode())
    assert ('inputmode="numeric"' in field, 'autocomplete="one-time-code"' in field) == (True, True)


def test_a_backup_code_gets_a_text_keyboard(staff_a):
    client = fresh_client()
    confirmed_totp(staff_a)
    sign_in(client, staff_a.email, DEFAULT_PASSWORD)
    field = _code_input(client.get(reverse("two_factor_verify"), {"backup": "1"}).content.decode())
    assert 'inputmode="text"' in field


def test_a_backup_code_still_signs_in(staff_a):
    client = fresh_client()
    confirmed_totp(staff_a)
    code = backup_codes_generate(user=staff_a)[0]
    sign_in(client, staff_a.email, DEFAULT_PASSWORD)
    client.post(reverse("two_factor_verify"), {"code": code, "backup": "1"})
    assert not StaticToken.objects.filter(token=code).exists()


def test_no_success_message_before_the_second_factor(staff_a):
    client = fresh_client()
    confirmed_totp(staff_a)
    response = sign_in(client, staff_a.email, DEFAULT_PASSWORD, follow=True)
    assert (response.request["PATH_INFO"], "réussie" in page_text(response)) == (reverse("two_factor_verify"), False)


def test_no_message_at_all_on_the_code_page_after_the_password(staff_a):
    client = fresh_client()
    confirmed_totp(staff_a)
    response = sign_in(client, staff_a.email, DEFAULT_PASSWORD, follow=True)
    assert 'class="messages"' not in response.content.decode()
