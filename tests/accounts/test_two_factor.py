"""Mandatory TOTP second factor: set-up, backup codes, verification, replay, throttling."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_static.models import StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from carehub.models import AccessLog
from tests.accounts.flows import fr, fresh_client, page_text, reauthenticate, sign_in, submit_code, totp_code
from tests.conftest import ANY_PAGE
from tests.factories import DEFAULT_PASSWORD, confirmed_totp

INVALID = _("This code is not valid or was already used.")
INVALID_SETUP = _("This code is not valid. Check the time on your phone and try the newest code.")
THROTTLED = _("Too many wrong codes. Wait a moment before trying again.")

PAGES_BEHIND_2FA = ["/", "/admin/", "/accounts/security/", "/accounts/2fa/backup-codes/", "/accounts/email/"]


def _signed_in_without_2fa(user):
    client = fresh_client()
    response = sign_in(client, user.email, DEFAULT_PASSWORD)
    assert response.status_code == HTTPStatus.FOUND, response.content[:500]
    return client


def _set_up(client, user):
    """Go through the set-up page with the right code; return the backup codes shown."""
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=user, confirmed=False)
    response = submit_code(client, totp_code(device), url_name="two_factor_setup", follow=True)
    assert response.status_code == HTTPStatus.OK
    return response.context["codes"]


@pytest.mark.parametrize("path", PAGES_BEHIND_2FA)
def test_staff_without_device_is_sent_to_setup_before_any_page(coordinator_a, path):
    client = _signed_in_without_2fa(coordinator_a)
    response = client.get(path)
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("two_factor_setup"))


def test_post_to_a_page_before_2fa_is_refused_too(staff_a):
    client = _signed_in_without_2fa(staff_a)
    response = client.post(reverse("two_factor_backup_codes_regenerate"))
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("two_factor_setup"))
    assert not StaticToken.objects.filter(device__user=staff_a).exists()


def test_setup_page_shows_an_inline_svg_qr_code_and_the_secret(staff_a):
    client = _signed_in_without_2fa(staff_a)
    response = client.get(reverse("two_factor_setup"))
    assert response.status_code == HTTPStatus.OK
    html = response.content.decode()
    assert "<svg" in html
    assert "<img" not in html.split('class="qr"')[1].split("</div>")[0]  # nothing fetched from elsewhere
    device = TOTPDevice.objects.get(user=staff_a, confirmed=False)
    assert response.context["secret"] in html
    from base64 import b32decode

    secret = response.context["secret"]
    assert b32decode(secret + "=" * (-len(secret) % 8)) == device.bin_key
    # Reloading the page keeps the same pending secret (the app may already have scanned it).
    client.get(reverse("two_factor_setup"))
    assert TOTPDevice.objects.filter(user=staff_a).count() == 1


def test_wrong_setup_code_is_refused_and_nothing_confirmed(staff_a):
    client = _signed_in_without_2fa(staff_a)
    client.get(reverse("two_factor_setup"))
    device = TOTPDevice.objects.get(user=staff_a)
    wrong = str((int(totp_code(device)) + 1) % 1_000_000).zfill(6)
    response = submit_code(client, wrong, url_name="two_factor_setup")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert fr(INVALID_SETUP) in page_text(response)
    device.refresh_from_db()
    assert not device.confirmed
    assert not StaticToken.objects.filter(device__user=staff_a).exists()
    assert client.get("/").url.startswith(reverse("two_factor_setup"))


def test_letters_in_setup_code_are_refused(staff_a):
    client = _signed_in_without_2fa(staff_a)
    client.get(reverse("two_factor_setup"))
    response = submit_code(client, "abcdef", url_name="two_factor_setup")
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not TOTPDevice.objects.get(user=staff_a).confirmed


def test_right_code_confirms_and_shows_ten_backup_codes_once(staff_a):
    client = _signed_in_without_2fa(staff_a)
    codes = _set_up(client, staff_a)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert TOTPDevice.objects.get(user=staff_a).confirmed
    assert sorted(StaticToken.objects.filter(device__user=staff_a).values_list("token", flat=True)) == sorted(codes)
    # The session is verified: pages open.
    assert client.get(ANY_PAGE).status_code == HTTPStatus.OK
    # The codes are shown only once.
    again = client.get(reverse("two_factor_backup_codes"))
    assert again.status_code == HTTPStatus.OK
    assert not any(code in again.content.decode() for code in codes)
    assert AccessLog.objects.filter(user=staff_a, action=AccessLog.Action.TWO_FACTOR_SETUP).count() == 1


def test_next_sign_in_asks_for_the_code(staff_a):
    first = _signed_in_without_2fa(staff_a)
    _set_up(first, staff_a)
    first.post(reverse("account_logout"))

    client = _signed_in_without_2fa(staff_a)
    response = client.get("/directory/")
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("two_factor_verify"))
    # Set-up is not offered again to someone who has not passed the current factor.
    assert client.get(reverse("two_factor_setup")).url.startswith(reverse("two_factor_verify"))
    page = client.get(response.url)
    assert page.status_code == HTTPStatus.OK
    device = TOTPDevice.objects.get(user=staff_a)
    response = client.post(response.url, {"code": totp_code(device, offset=1), "next": "/accounts/security/"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/accounts/security/"
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert client.get(ANY_PAGE).status_code == HTTPStatus.OK


def test_verify_does_not_redirect_to_another_site(staff_a):
    confirmed_totp(staff_a)
    client = _signed_in_without_2fa(staff_a)
    device = TOTPDevice.objects.get(user=staff_a)
    response = client.post(reverse("two_factor_verify"), {"code": totp_code(device), "next": "https://evil.example/"})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("home")


def test_wrong_code_is_refused_with_a_message(staff_a):
    device = confirmed_totp(staff_a)
    client = _signed_in_without_2fa(staff_a)
    wrong = str((int(totp_code(device)) + 500_000) % 1_000_000).zfill(6)
    response = submit_code(client, wrong)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert fr(INVALID) in page_text(response)
    assert DEVICE_ID_SESSION_KEY not in client.session
    assert AccessLog.objects.filter(user=staff_a, action=AccessLog.Action.TWO_FACTOR_FAILED).count() == 1


def test_a_totp_code_cannot_be_used_twice(staff_a):
    device = confirmed_totp(staff_a)
    code = totp_code(device)
    first = _signed_in_without_2fa(staff_a)
    assert submit_code(first, code).status_code == HTTPStatus.FOUND
    assert first.get(ANY_PAGE).status_code == HTTPStatus.OK
    # Someone who watched the code being typed tries it in another session.
    second = _signed_in_without_2fa(staff_a)
    response = submit_code(second, code)
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert fr(INVALID) in page_text(response)
    assert second.get("/").status_code == HTTPStatus.FOUND


def test_a_backup_code_works_once_and_only_once(staff_a):
    first = _signed_in_without_2fa(staff_a)
    codes = _set_up(first, staff_a)
    first.post(reverse("account_logout"))

    client = _signed_in_without_2fa(staff_a)
    response = submit_code(client, codes[3].upper(), follow=True)  # typed in capitals: still accepted
    assert response.status_code == HTTPStatus.OK
    assert response.request["PATH_INFO"] == reverse("coordination:handover")  # where care staff start
    assert StaticToken.objects.filter(device__user=staff_a).count() == 9
    assert not StaticToken.objects.filter(device__user=staff_a, token=codes[3]).exists()
    assert AccessLog.objects.filter(user=staff_a, action=AccessLog.Action.BACKUP_CODE_USED).count() == 1
    client.post(reverse("account_logout"))

    again = _signed_in_without_2fa(staff_a)
    response = submit_code(again, codes[3])
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert fr(INVALID) in page_text(response)
    assert DEVICE_ID_SESSION_KEY not in again.session


def test_repeated_wrong_codes_are_throttled(staff_a):
    device = confirmed_totp(staff_a)
    client = _signed_in_without_2fa(staff_a)
    for _attempt in range(3):
        submit_code(client, "000000" if totp_code(device) != "000000" else "111111")
    # Even the right code is refused while the delay runs.
    response = submit_code(client, totp_code(device))
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert fr(THROTTLED) in page_text(response)
    assert DEVICE_ID_SESSION_KEY not in client.session
    device.refresh_from_db()
    assert device.throttling_failure_count >= 1
    # Once the delay has passed (moved back in the database), the right code works again.
    TOTPDevice.objects.filter(pk=device.pk).update(
        throttling_failure_timestamp=device.throttling_failure_timestamp - timedelta(minutes=10)
    )
    response = submit_code(client, totp_code(device, offset=1))
    assert response.status_code == HTTPStatus.FOUND
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id


def test_regenerating_backup_codes_replaces_the_old_ones(staff_a, verified_client):
    client = verified_client(staff_a)
    reauthenticate(client)
    client.get(reverse("two_factor_backup_codes"))
    response = client.post(reverse("two_factor_backup_codes_regenerate"), follow=True)
    first = response.context["codes"]
    response = client.post(reverse("two_factor_backup_codes_regenerate"), follow=True)
    second = response.context["codes"]
    assert len(second) == 10 and not set(first) & set(second)
    assert set(StaticToken.objects.filter(device__user=staff_a).values_list("token", flat=True)) == set(second)


def test_there_is_no_way_to_turn_two_factor_off(staff_a, coordinator_a, verified_client):
    from django.urls import get_resolver

    names = {name for name in get_resolver().reverse_dict if isinstance(name, str)}
    assert not [n for n in names if "2fa" in n or "two_factor" in n or "otp" in n if "disable" in n or "remove" in n]
    for user in (staff_a, coordinator_a):
        page = verified_client(user).get(reverse("account_security"))
        assert page.status_code == HTTPStatus.OK
        text = page_text(page).lower()
        assert "désactiver" not in text and "disable" not in text


def test_moving_to_a_new_phone_needs_the_current_factor_and_replaces_the_old_one(staff_a, verified_client):
    old = confirmed_totp(staff_a)
    client = verified_client(staff_a)
    reauthenticate(client)
    response = client.get(reverse("two_factor_setup"))
    assert response.status_code == HTTPStatus.OK
    new = TOTPDevice.objects.get(user=staff_a, confirmed=False)
    response = submit_code(client, totp_code(new), url_name="two_factor_setup")
    assert response.status_code == HTTPStatus.FOUND
    assert list(TOTPDevice.objects.filter(user=staff_a).values_list("pk", flat=True)) == [new.pk]
    assert not TOTPDevice.objects.filter(pk=old.pk).exists()


def test_family_users_need_two_factor_by_default(family_user):
    client = _signed_in_without_2fa(family_user)
    response = client.get("/")
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("two_factor_setup"))


def test_family_two_factor_is_optional_when_the_setting_says_so(family_user, staff_a, settings):
    settings.FAMILY_2FA_REQUIRED = False
    client = _signed_in_without_2fa(family_user)
    assert client.get(ANY_PAGE).status_code == HTTPStatus.OK
    # Staff still must set it up.
    staff = _signed_in_without_2fa(staff_a)
    assert staff.get("/").url.startswith(reverse("two_factor_setup"))


def test_a_family_member_who_chose_two_factor_is_asked_for_it(family_user, settings):
    settings.FAMILY_2FA_REQUIRED = False
    device = confirmed_totp(family_user)
    client = _signed_in_without_2fa(family_user)
    response = client.get("/")
    assert response.status_code == HTTPStatus.FOUND
    assert response.url.startswith(reverse("two_factor_verify"))
    assert submit_code(client, totp_code(device)).status_code == HTTPStatus.FOUND
    assert client.get(ANY_PAGE).status_code == HTTPStatus.OK


def test_a_backup_code_made_only_of_digits_still_works(staff_a):
    from django_otp.plugins.otp_static.models import StaticDevice

    confirmed_totp(staff_a)
    device = StaticDevice.objects.create(user=staff_a, name="backup", confirmed=True)
    device.token_set.create(token="23456723")  # base32 codes can be all digits
    client = _signed_in_without_2fa(staff_a)
    response = submit_code(client, "2345 6723")
    assert response.status_code == HTTPStatus.FOUND
    assert client.session[DEVICE_ID_SESSION_KEY] == device.persistent_id
    assert not device.token_set.exists()


def test_the_whole_journey_returns_to_the_page_first_asked(staff_a):
    device = confirmed_totp(staff_a)
    client = fresh_client()
    response = client.get("/accounts/security/")
    assert response.status_code == HTTPStatus.FOUND
    login_url = response.url
    assert login_url.startswith(reverse("account_login"))
    response = client.post(login_url, {"login": staff_a.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/accounts/security/"
    response = client.get(response.url)
    assert response.url.startswith(reverse("two_factor_verify"))
    page = client.get(response.url)
    response = client.post(response.url, {"code": totp_code(device), "next": page.context["next"]})
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == "/accounts/security/"
    assert client.get(response.url).status_code == HTTPStatus.OK
