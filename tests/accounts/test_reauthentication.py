"""A borrowed session cannot take the account over: the password is asked again before the
authenticator or the backup codes are replaced; no address can be added; reset links reach only
addresses the account can be trusted with."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.urls import reverse
from django_otp.plugins.otp_static.models import StaticToken

from accounts import services
from tests.accounts.flows import fresh_client, sign_in
from tests.conftest import login_verified

pytestmark = pytest.mark.django_db
PASSWORD = "Un-mot-de-passe-solide-1"
REAUTH = reverse("account_reauthenticate")


@pytest.fixture
def nurse(staff_a):
    staff_a.set_password(PASSWORD)
    staff_a.save()
    services.backup_codes_generate(user=staff_a)
    return staff_a


def _codes(user) -> set[str]:
    return set(StaticToken.objects.filter(device__user=user).values_list("token", flat=True))


@pytest.fixture
def borrowed(nurse):
    """A session left open on a shared computer, signed in long enough ago for its password to be old."""
    return login_verified(fresh_client(), nurse)


def test_new_backup_codes_from_a_borrowed_session_ask_for_the_password(borrowed):
    response = borrowed.post(reverse("two_factor_backup_codes_regenerate"))
    assert response.url.startswith(REAUTH)


def test_the_backup_codes_stay_until_the_password_is_given(borrowed, nurse):
    before = _codes(nurse)
    borrowed.post(reverse("two_factor_backup_codes_regenerate"))
    assert _codes(nurse) == before


def test_a_new_phone_from_a_borrowed_session_asks_for_the_password(borrowed):
    response = borrowed.get(reverse("two_factor_setup"))
    assert response.url.startswith(REAUTH)


def test_a_wrong_password_gives_nothing(borrowed, nurse):
    before = _codes(nurse)
    borrowed.post(reverse("two_factor_backup_codes_regenerate"))
    response = borrowed.post(REAUTH, {"password": "pas-le-bon-mot-de-passe"})
    assert (response.status_code, _codes(nurse)) == (HTTPStatus.OK, before)


def test_the_password_given_again_opens_the_new_phone_page(borrowed):
    borrowed.get(reverse("two_factor_setup"))
    borrowed.post(REAUTH, {"password": PASSWORD})
    assert borrowed.get(reverse("two_factor_setup")).status_code == HTTPStatus.OK


def test_once_given_the_password_is_not_asked_again_for_a_while(borrowed):
    borrowed.post(reverse("two_factor_backup_codes_regenerate"))
    borrowed.post(REAUTH, {"password": PASSWORD})
    response = borrowed.post(reverse("two_factor_backup_codes_regenerate"))
    assert response.url == reverse("two_factor_backup_codes")


def test_the_password_given_again_resumes_the_new_codes(borrowed, nurse):
    before = _codes(nurse)
    asked = borrowed.post(reverse("two_factor_backup_codes_regenerate"))
    borrowed.post(asked.url, {"password": PASSWORD})  # the page's form keeps ?next=
    assert _codes(nurse).isdisjoint(before)


def test_the_first_set_up_while_signing_in_asks_no_second_password(nurse):
    nurse.totpdevice_set.all().delete()
    nurse.staticdevice_set.all().delete()
    client = fresh_client()
    sign_in(client, nurse.email, PASSWORD)
    assert client.get(reverse("two_factor_setup")).status_code == HTTPStatus.OK


def test_no_sign_in_address_can_be_added(borrowed):
    response = borrowed.post(reverse("account_email"), {"action_add": "", "email": "pirate@example.org"})
    assert response.status_code == HTTPStatus.NOT_FOUND


def test_a_reset_link_never_goes_to_an_unverified_address(nurse, settings):
    EmailAddress.objects.create(user=nurse, email="ajoutee@example.org", verified=False, primary=False)
    fresh_client().post(reverse("account_reset_password"), {"email": "ajoutee@example.org"})
    assert [m.to for m in mail.outbox if "/password/reset/key/" in m.body] == []


def test_a_reset_link_goes_to_the_address_the_coordinator_set(nurse):
    fresh_client().post(reverse("account_reset_password"), {"email": nurse.email})
    assert [m.to for m in mail.outbox] == [[nurse.email]]


def test_the_password_page_keeps_where_she_was_going(borrowed):
    asked = borrowed.get(reverse("two_factor_setup"))
    page = borrowed.get(asked.url)
    assert 'name="next" value="/accounts/2fa/setup/"' in page.content.decode()


@pytest.fixture
def records_export(site_a, unit_a):
    from tests.coordination.factories import ResidentFactory

    resident = ResidentFactory(site=site_a, unit=unit_a)
    return reverse("backoffice:gdpr_export", args=[resident.public_id])


def test_an_export_from_a_borrowed_session_asks_for_the_password(coordinator_a, records_export):
    response = login_verified(fresh_client(), coordinator_a).post(records_export)
    assert response.url.startswith(REAUTH)


def test_no_export_is_queued_before_the_password_is_given(coordinator_a, records_export):
    from jobs.models import Job

    login_verified(fresh_client(), coordinator_a).post(records_export)
    assert not Job.objects.exists()
