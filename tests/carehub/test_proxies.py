"""Behind the group's reverse proxy: one address per client for rate limits, the access log and the history."""

from __future__ import annotations

from http import HTTPStatus

import pytest
from auditlog.models import LogEntry
from django.test import Client
from django.urls import reverse

from carehub.models import AccessLog
from carehub.proxies import client_address, networks
from tests.accounts.flows import sign_in
from tests.conftest import login_verified
from tests.coordination.factories import ResidentAlertFactory, ResidentFactory

PROXY = "10.9.9.9"


@pytest.fixture
def behind_proxy(settings):
    settings.TRUSTED_PROXIES = [PROXY]
    settings.LANGUAGE_CODE = "en"


def _through_proxy(client_ip: str) -> Client:
    return Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_ip, HTTP_ACCEPT_LANGUAGE="en")


def test_one_person_failing_to_sign_in_does_not_lock_out_the_others_behind_the_proxy(behind_proxy, staff_a):
    tries = _through_proxy("203.0.113.1")
    for n in range(12):
        sign_in(tries, f"nobody{n}@example.org", "wrong password")
    colleague = sign_in(_through_proxy("203.0.113.2"), staff_a.email, "wrong password")
    assert colleague.status_code == HTTPStatus.OK  # her own wrong password, not "too many attempts" (429)


def test_the_person_who_keeps_failing_is_still_limited(behind_proxy, staff_a):
    tries = _through_proxy("203.0.113.1")
    for n in range(12):
        response = sign_in(tries, f"nobody{n}@example.org", "wrong password")
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_the_access_log_and_the_change_history_record_the_same_client_address(behind_proxy, coordinator_a, site_a):
    alert = ResidentAlertFactory(resident=ResidentFactory(site=site_a))
    client = login_verified(_through_proxy("203.0.113.7"), coordinator_a)
    client.get(reverse("coordination:resident_detail", args=[alert.resident.public_id]))
    client.post(reverse("coordination:alert_end", args=[alert.public_id]))
    logged = AccessLog.objects.filter(user=coordinator_a).values_list("ip", flat=True).first()
    history = LogEntry.objects.filter(actor=coordinator_a).values_list("remote_addr", flat=True)
    assert [logged, *history] == ["203.0.113.7", "203.0.113.7"]


def test_a_forged_forwarded_for_from_outside_the_proxies_is_ignored(behind_proxy, coordinator_a, site_a):
    alert = ResidentAlertFactory(resident=ResidentFactory(site=site_a))
    client = login_verified(Client(REMOTE_ADDR="198.51.100.4", HTTP_X_FORWARDED_FOR="10.0.0.1"), coordinator_a)
    client.get(reverse("coordination:resident_detail", args=[alert.resident.public_id]))
    client.post(reverse("coordination:alert_end", args=[alert.public_id]))
    logged = AccessLog.objects.filter(user=coordinator_a).values_list("ip", flat=True).first()
    history = LogEntry.objects.filter(actor=coordinator_a).values_list("remote_addr", flat=True)
    assert [logged, *history] == ["198.51.100.4", "198.51.100.4"]


@pytest.mark.parametrize(
    ("remote", "forwarded", "expected"),
    [
        ("10.9.9.9", "203.0.113.1", "203.0.113.1"),
        ("10.9.9.9", "198.51.100.9, 203.0.113.1", "203.0.113.1"),  # the client's own header is not believed
        ("10.9.9.9", "203.0.113.1, 10.9.9.8", "203.0.113.1"),  # two proxies of ours
        ("10.9.9.9", "[2001:db8::1]:443", "2001:db8::1"),
        ("10.9.9.9", "203.0.113.1:51234", "203.0.113.1"),
        ("10.9.9.9", "garbage", "10.9.9.9"),
        ("198.51.100.4", "203.0.113.1", "198.51.100.4"),
    ],
)
def test_the_client_is_the_first_hop_from_the_right_that_is_not_a_proxy(remote, forwarded, expected):
    assert client_address(remote, forwarded, networks(["10.9.9.8/31"])) == expected
