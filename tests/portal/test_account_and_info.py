"""Account settings, own sign-ins, own data download, practical information of the site."""

import io
import json
import zipfile
from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from carehub.models import AccessLog
from portal.models import DigestFrequency, FamilyPreferences, SiteFamilyInfo


def test_relative_chooses_the_summary_email(family_a, verified_client):
    client = verified_client(family_a.user)
    assert client.get(reverse("portal:account")).status_code == HTTPStatus.OK
    response = client.post(reverse("portal:account"), {"digest": DigestFrequency.WEEKLY})
    assert response.status_code == HTTPStatus.FOUND
    assert FamilyPreferences.objects.get(user=family_a.user).digest == DigestFrequency.WEEKLY


def test_an_unknown_choice_is_a_400_and_changes_nothing(family_a, verified_client):
    response = verified_client(family_a.user).post(reverse("portal:account"), {"digest": "hourly"})
    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert not FamilyPreferences.objects.filter(user=family_a.user, digest="hourly").exists()


def test_sign_ins_list_shows_only_ones_own_sign_in_events(family_a, family_b):
    from tests.factories import DEFAULT_PASSWORD

    Client().post(reverse("account_login"), {"login": family_a.user.email, "password": "wrong-password"})
    Client().post(reverse("account_login"), {"login": family_a.user.email, "password": DEFAULT_PASSWORD})
    Client().post(reverse("account_login"), {"login": family_b.user.email, "password": DEFAULT_PASSWORD})
    from tests.conftest import login_verified

    client = login_verified(Client(), family_a.user)
    response = client.get(reverse("portal:sign_ins"))
    entries = response.context["entries"]
    assert {e.action for e in entries} >= {AccessLog.Action.LOGIN, AccessLog.Action.LOGIN_FAILED}
    assert all(e.user_id == family_a.user.pk for e in entries)
    assert all(e.action in ("login", "logout", "login_failed") for e in entries)


def test_own_data_download_is_a_zip_of_json_and_is_logged(family_a, verified_client):
    client = verified_client(family_a.user)
    client.post(reverse("portal:account"), {"digest": DigestFrequency.DAILY})
    response = client.post(reverse("portal:data_export"))
    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/zip"
    archive = zipfile.ZipFile(io.BytesIO(response.content))
    names = set(archive.namelist())
    assert {"account.json", "residents_followed.json", "activity_log.json", "messages_written.json"} <= names
    account = json.loads(archive.read("account.json"))
    assert account["email"] == family_a.user.email and account["summary_email"] == "daily"
    followed = json.loads(archive.read("residents_followed.json"))
    assert followed[0]["resident"] == "Marie Durand"
    assert AccessLog.objects.filter(user=family_a.user, action=AccessLog.Action.EXPORT).count() == 1


def test_data_download_needs_post(family_a, verified_client):
    assert (
        verified_client(family_a.user).get(reverse("portal:data_export")).status_code == HTTPStatus.METHOD_NOT_ALLOWED
    )


@pytest.mark.parametrize("name", ["portal:home", "portal:account", "portal:sign_ins"])
def test_staff_do_not_use_the_family_pages(name, staff_a, group_admin, verified_client):
    for user in (staff_a, group_admin):
        assert verified_client(user).get(reverse(name)).status_code == HTTPStatus.FORBIDDEN


def test_coordinator_sets_visiting_hours_and_the_family_reads_them(family_a, coordinator_a, verified_client, site_a):
    url = reverse("portal:site_info_edit", kwargs={"public_id": site_a.public_id})
    coordinator = verified_client(coordinator_a)
    assert coordinator.get(url).status_code == HTTPStatus.OK
    response = coordinator.post(url, {"visiting_hours": "Tous les jours 11 h – 19 h", "family_phone": "04 72 11 22 33"})
    assert response.status_code == HTTPStatus.FOUND
    assert SiteFamilyInfo.objects.get(site=site_a).visiting_hours == "Tous les jours 11 h – 19 h"
    page = verified_client(family_a.user).get(
        reverse("portal:practical", kwargs={"public_id": family_a.resident.public_id})
    )
    html = page.content.decode()
    assert "Tous les jours 11 h – 19 h" in html and "04 72 11 22 33" in html and site_a.name in html
    assert AccessLog.objects.filter(user=family_a.user, subject_id=family_a.resident.public_id).exists()


def test_site_phone_is_shown_when_no_family_phone_is_set(family_a, verified_client, site_a):
    html = (
        verified_client(family_a.user)
        .get(reverse("portal:practical", kwargs={"public_id": family_a.resident.public_id}))
        .content.decode()
    )
    assert site_a.phone in html


@pytest.mark.parametrize("who", ["staff_a", "staff_b", "family"])
def test_only_coordinators_edit_site_information(who, staff_a, staff_b, family_user, verified_client, site_a):
    user = {"staff_a": staff_a, "staff_b": staff_b, "family": family_user}[who]
    url = reverse("portal:site_info_edit", kwargs={"public_id": site_a.public_id})
    client = verified_client(user)
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert client.post(url, {"visiting_hours": "x"}).status_code == HTTPStatus.NOT_FOUND
    assert not SiteFamilyInfo.objects.exists()


def test_a_relative_following_one_resident_starts_on_the_news(verified_client, family_a):
    response = verified_client(family_a.user).get("/", follow=True)
    assert response.request["PATH_INFO"] == reverse("portal:news", kwargs={"public_id": family_a.resident.public_id})


def test_the_thread_page_gives_the_care_homes_number_to_call(verified_client, family_a):
    site = family_a.resident.site
    site.phone = "01 23 45 67 89"
    site.save()
    page = verified_client(family_a.user).get(
        reverse("portal:messages", kwargs={"public_id": family_a.resident.public_id})
    )
    assert 'href="tel:0123456789"' in page.content.decode()
