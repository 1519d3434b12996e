"""seed_demo: idempotent, and the logins it prints work through the real sign-in forms."""

import re
from http import HTTPStatus
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.urls import reverse

from directory.models import Assignment, Site, StaffProfile, Unit
from tests.accounts.flows import fresh_client, sign_in, submit_code

SMALL = ["--sites", "2", "--staff-per-site", "5", "--residents-per-site", "0", "--note-days", "0"]
LOGIN_LINE = re.compile(r"^\s+(?P<role>.+?)\s+(?P<email>\S+@\S+)\s+password: (?P<password>\S+)\s*$")
CODES_LINE = re.compile(r"backup codes \(each works once\): (?P<codes>.+)$")


def _seed(*extra) -> str:
    out = StringIO()
    call_command("seed_demo", *SMALL, *extra, stdout=out)
    return out.getvalue()


def _printed_logins(output: str) -> dict[str, dict]:
    logins, current = {}, None
    for line in output.splitlines():
        if match := LOGIN_LINE.match(line):
            current = logins[match["role"]] = {"email": match["email"], "password": match["password"]}
        elif (match := CODES_LINE.search(line)) and current is not None:
            current["codes"] = match["codes"].split()
    return logins


def _counts():
    return {
        "sites": Site.objects.count(),
        "units": Unit.objects.count(),
        "users": get_user_model().objects.count(),
        "profiles": StaffProfile.objects.count(),
        "assignments": Assignment.objects.count(),
    }


@pytest.fixture(autouse=True)
def _embedded_mode(settings):
    # On the PostgreSQL + Redis run the settings say "production"; the command is
    # exercised as a newcomer runs it, in the embedded mode, unless a test says otherwise.
    settings.PRODUCTION_MODE = False


@pytest.fixture
def seeded(db):
    _seed()
    return _counts()


def test_seed_builds_a_small_group(seeded):
    assert seeded["sites"] == 2
    assert 2 * 2 <= seeded["units"] <= 2 * 4
    # 5 generated staff per site plus the demo accounts.
    assert seeded["users"] >= 10 + 4
    kinds = set(Site.objects.values_list("kind", flat=True))
    assert len(kinds) == 2


def test_a_second_run_adds_nothing(seeded):
    output = _seed()
    assert _counts() == seeded
    assert _printed_logins(output)  # the logins are printed again, with fresh passwords


def test_printed_logins_work_through_the_real_forms(seeded):
    output = _seed()  # the second run's printout is the one that must work
    logins = _printed_logins(output)
    # Printed in French, the deployment's language.
    assert set(logins) == {
        "siège (administration du groupe)",
        "coordinatrice de site (IDEC)",
        "infirmière",
        "aide-soignant",
        "proche (portail des familles)",
    }
    for role, login in logins.items():
        assert len(login["codes"]) >= 1, role
        client = fresh_client()
        response = sign_in(client, login["email"], login["password"])
        assert response.status_code == HTTPStatus.FOUND, (role, response.content[:300])
        response = client.get(response.url)
        assert response.status_code == HTTPStatus.FOUND
        assert response.url.startswith(reverse("two_factor_verify")), role  # no phone: a backup code
        response = submit_code(client, login["codes"][0], follow=True)
        assert response.status_code == HTTPStatus.OK, role
        # Care staff land on their unit's handover; coordinators, head office and families on their home.
        landings = {"infirmière": reverse("coordination:handover"), "aide-soignant": reverse("coordination:handover")}
        if role == "proche (portail des familles)":
            assert response.request["PATH_INFO"].startswith(reverse("portal:home")), role
        else:
            assert response.request["PATH_INFO"] == landings.get(role, reverse("home")), role
        # The same printed code does not work twice.
        client.post(reverse("account_logout"))
        again = fresh_client()
        sign_in(again, login["email"], login["password"])
        assert submit_code(again, login["codes"][0]).status_code == HTTPStatus.BAD_REQUEST


def test_generated_staff_cannot_sign_in(seeded):
    user = get_user_model().objects.filter(email__contains=".s1n").first()
    assert user is not None and not user.has_usable_password()


def test_seed_refuses_a_production_configuration(db, settings):
    settings.PRODUCTION_MODE = True
    settings.DEBUG = False
    with pytest.raises(CommandError, match="--allow-production"):
        _seed()
    assert not Site.objects.exists()


def test_seed_runs_in_production_mode_when_explicitly_allowed(db, settings):
    settings.PRODUCTION_MODE = True
    settings.DEBUG = False
    _seed("--allow-production")
    assert Site.objects.count() == 2


@pytest.mark.parametrize("bad", [["--sites", "0"], ["--staff-per-site", "-1"]])
def test_seed_refuses_nonsense_sizes(db, bad):
    with pytest.raises(CommandError):
        call_command("seed_demo", *bad, stdout=StringIO())
