"""Shared tablets: a care assistant leaves the tablet, it locks and hides everything; her PIN opens it
again on the page she left; "Changer d'utilisateur" signs her out at once. And the sign-in and
handover pages' tap targets measure at least 24×24 CSS pixels (WCAG 2.2, 2.5.8)."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import _start_daphne
from tests.e2e.helpers import fill_credentials, key_from_hex, sign_in

pytestmark = pytest.mark.e2e

TABLET = {"width": 768, "height": 1024}
PHONE = {"width": 375, "height": 812}
VIEWPORTS = [pytest.param(TABLET, id="tablet"), pytest.param(PHONE, id="phone")]
#: Idle timeout (s) of the server of these journeys: short, so that a journey waits for the lock.
IDLE_TIMEOUT_LOCK = 15
PIN = "582047"
RESIDENT = ("Simone", "Carpentier")

#: Made in the server's database: a site that locks its tablets, its unit, one resident, and a care
#: assistant with a known password and authenticator (and no PIN yet: she chooses it in the journey).
_LOCK_SITE = """
import json
from django.contrib.auth import get_user_model
from django_otp.plugins.otp_totp.models import TOTPDevice
from coordination.models import Resident
from directory.models import Assignment, Job, Site, StaffProfile, Unit
site, _ = Site.objects.get_or_create(name="EHPAD Les Cèdres", defaults={"lock_with_pin": True})
unit, _ = Unit.objects.get_or_create(site=site, name="Les Glycines")
Resident.objects.get_or_create(site=site, unit=unit, first_name=%(first)r, last_name=%(last)r, defaults={"room": "7"})
User = get_user_model()
user, _ = User.objects.get_or_create(email="tablette@cedres.test", defaults={"first_name": "Inès", "last_name": "Moreau"})
user.set_password(%(password)r)
user.save()
StaffProfile.objects.get_or_create(user=user, defaults={"job": Job.CARE_ASSISTANT})
Assignment.objects.get_or_create(user=user, site=site, defaults={"unit": unit, "is_primary": True})
device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
    user=user, name="authenticator", confirmed=True)
print(json.dumps({"email": user.email, "password": %(password)r, "first_name": user.first_name,
                  "last_name": user.last_name, "totp_key": device.key}))
"""


@pytest.fixture(scope="module")
def tablet_person(world) -> dict:
    code = _LOCK_SITE % {"first": RESIDENT[0], "last": RESIDENT[1], "password": world.person("nurse")["password"]}
    return json.loads(world.shell(code).splitlines()[-1])


@pytest.fixture(scope="module")
def lock_server(world, e2e_tmp):
    """A Daphne on the journeys' database whose staff sessions go idle after a few seconds."""
    server = _start_daphne({**world.env, "IDLE_TIMEOUT_STAFF": str(IDLE_TIMEOUT_LOCK)}, e2e_tmp / "daphne-lock.log")
    yield server
    server.stop()


def _wait_for_lock(page: Page) -> None:
    page.wait_for_url(re.compile(r"/accounts/lock/"), timeout=(IDLE_TIMEOUT_LOCK + 20) * 1000)


def _signed_in_tablet(new_context, lock_server, person, authenticator):
    # Addresses are given in full: the context's base URL is the journeys' main server.
    page = new_context(viewport=TABLET, has_touch=True).new_page()
    page.goto(lock_server.url + "/residents/handover/")
    fill_credentials(page, person)
    page.locator("input[name=code]").fill(authenticator.code(person["email"], key_from_hex(person["totp_key"])))
    page.locator("main form button[type=submit]").click()
    return page


def test_a_tablet_locks_hides_everything_and_opens_again_with_the_pin(
    new_context, lock_server, tablet_person, authenticator, check, screenshot_dir
):
    page = _signed_in_tablet(new_context, lock_server, tablet_person, authenticator)
    # Her site locks its tablets and she has no PIN yet: she chooses it right after the code.
    expect(page).to_have_url(re.compile(r"/accounts/security/pin/\?next="))
    pin_field = page.locator("input[name=pin]")
    expect(pin_field).to_have_attribute("inputmode", "numeric")
    check(page)
    pin_field.fill("123456")
    page.locator("input[name=pin_again]").fill("123456")
    page.locator("main form button[type=submit]").click()
    expect(page.locator(".errorlist")).to_be_visible()  # too easy to guess
    page.locator("input[name=pin]").fill(PIN)
    page.locator("input[name=pin_again]").fill(PIN)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(lock_server.url + "/residents/handover/")
    expect(page.locator("main")).to_contain_text(re.compile(RESIDENT[1], re.IGNORECASE))
    # The idle warning's script knows this screen locks rather than signs out.
    expect(page.locator("body")).to_have_attribute("data-lock-url", "/accounts/lock/")

    # She leaves the tablet: the page goes to the lock screen by itself, and shows nothing of the unit.
    _wait_for_lock(page)
    body = page.locator("body")
    expect(page.locator("#lock-who")).to_contain_text(tablet_person["first_name"])
    for hidden in (RESIDENT[1], RESIDENT[0], tablet_person["last_name"], tablet_person["email"]):
        expect(body).not_to_contain_text(re.compile(re.escape(hidden), re.IGNORECASE))
    expect(page.locator("input[name=pin]")).to_have_attribute("autocomplete", "off")
    expect(page.locator("input[name=pin]")).to_be_focused()
    check(page)
    page.screenshot(path=str(screenshot_dir / "lock-tablet.png"))

    # Any page typed in the address bar leads back to the lock screen.
    page.goto(lock_server.url + "/residents/")
    expect(page).to_have_url(re.compile(r"/accounts/lock/\?next=%2Fresidents%2F"))
    page.goto(lock_server.url + "/residents/handover/")

    # A wrong PIN is refused and says how many tries are left; hers opens the page she left.
    page.locator("input[name=pin]").fill("000111")
    page.locator("form.lock-form button").click()
    expect(page.locator(".errorlist")).to_contain_text("4")
    page.locator("input[name=pin]").fill(PIN)
    page.locator("form.lock-form button").click()
    expect(page).to_have_url(lock_server.url + "/residents/handover/")
    expect(page.locator("main")).to_contain_text(re.compile(RESIDENT[1], re.IGNORECASE))


def test_switch_user_on_the_lock_screen_signs_out_at_once(new_context, lock_server, tablet_person, authenticator):
    page = _signed_in_tablet(new_context, lock_server, tablet_person, authenticator)
    if "/security/pin/" in page.url:  # run alone: she chooses her PIN first
        page.locator("input[name=pin]").fill(PIN)
        page.locator("input[name=pin_again]").fill(PIN)
        page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(lock_server.url + "/residents/handover/")
    _wait_for_lock(page)
    page.locator("form.switch-user-form button").click()
    expect(page.locator("input[name=login]")).to_be_visible()
    # The session ended on the server: the handover asks for the full sign-in again.
    page.goto(lock_server.url + "/residents/handover/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))


# --- tap targets (WCAG 2.2, 2.5.8: at least 24×24 CSS pixels) ------------------------------

#: Every visible control of the page smaller than 24×24, except links inside a sentence (the
#: criterion's "inline" exception); a control's label that activates it counts as its target.
#: Returned as "tag#id.class 'text' w×h".
_SMALL_TARGETS = """
() => {
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], [tabindex="0"]';
  const small = [];
  for (const el of document.querySelectorAll(selector)) {
    const style = getComputedStyle(el);
    let box = el.getBoundingClientRect();
    // A label that activates the control is part of its target (a radio in its chip).
    for (const label of el.labels || []) {
      const own = label.getBoundingClientRect();
      if (own.width * own.height > box.width * box.height) box = own;
    }
    if (!box.width || !box.height || style.visibility === 'hidden' || el.closest('[hidden]')) continue;
    if (box.right <= 0 || box.bottom <= 0 || box.left >= innerWidth + scrollX + 1) continue;  // off screen (skip link)
    if (el.tagName === 'A' && style.display === 'inline') {
      const parent = el.parentElement;
      const own = el.textContent.trim().length;
      if (parent && parent.textContent.trim().length > own + 1) continue;  // a link in running text
    }
    if (box.width < 24 || box.height < 24) {
      const name = el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') +
        (el.className && typeof el.className === 'string' ? '.' + el.className.trim().split(/\\s+/).join('.') : '');
      small.push(`${name} '${(el.textContent || el.value || '').trim().slice(0, 30)}' ${Math.round(box.width)}×${Math.round(box.height)}`);
    }
  }
  return small;
}
"""


def _small_targets(page: Page) -> list[str]:
    page.wait_for_load_state("load")
    return page.evaluate(_SMALL_TARGETS)


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_sign_in_targets_are_at_least_24_px(new_context, world, viewport):
    page = new_context(viewport=viewport, has_touch=True).new_page()
    page.goto("/accounts/login/")
    small = _small_targets(page)
    print(f"\nsign-in page, {viewport['width']}×{viewport['height']}: {len(small)} target(s) under 24×24 {small}")
    assert small == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_code_page_targets_are_at_least_24_px(new_context, world, viewport):
    page = new_context(viewport=viewport, has_touch=True).new_page()
    fill_credentials(page, world.person("nurse"))
    expect(page.locator("input[name=code]")).to_be_visible()
    small = _small_targets(page)
    print(f"\ncode page, {viewport['width']}×{viewport['height']}: {len(small)} target(s) under 24×24 {small}")
    assert small == []


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_handover_targets_are_at_least_24_px(new_context, world, authenticator, viewport):
    page = new_context(viewport=viewport, has_touch=True).new_page()
    sign_in(page, world.person("assistant"), authenticator)
    expect(page).to_have_url(re.compile(r"/residents/handover/$"))
    small = _small_targets(page)
    print(f"\nhandover, {viewport['width']}×{viewport['height']}: {len(small)} target(s) under 24×24 {small}")
    assert small == []
