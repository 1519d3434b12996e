"""Signing in: first sign-in with authenticator set-up, codes, sign-out, idle timeout, no JavaScript."""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import IDLE_TIMEOUT_SHORT
from tests.e2e.helpers import fill_credentials, key_from_base32, sign_in, sign_out

pytestmark = pytest.mark.e2e


def test_first_sign_in_sets_up_the_authenticator_then_signs_in_with_a_code(page, world, authenticator, check):
    newcomer = world.person("newcomer")
    page.goto("/accounts/login/")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_have_text("Se connecter")
    check(page)

    fill_credentials(page, newcomer)
    # Nothing opens before the second factor: the set-up page, with a QR code drawn locally.
    expect(page).to_have_url(re.compile(r"/accounts/2fa/setup/"))
    expect(page.locator(".qr svg")).to_be_visible()
    secret = page.locator("#totp-secret").inner_text()
    assert len(secret) >= 26, secret
    check(page)

    # A wrong code is refused with a translated error, and the page stays usable.
    page.get_by_label(re.compile("Code")).fill("12")
    page.get_by_role("button", name="Confirmer").click()
    expect(page.locator(".errorlist")).to_be_visible()
    check(page)
    time.sleep(1.1)  # django-otp throttles one second after a failure

    key = key_from_base32(secret)
    page.get_by_label(re.compile("Code")).fill(authenticator.code(newcomer["email"], key))
    page.get_by_role("button", name="Confirmer").click()
    codes = page.locator("#backup-codes li")
    expect(codes).to_have_count(10)
    assert len({c.strip() for c in codes.all_inner_texts()}) == 10
    check(page)

    page.locator("main a.button").click()
    # Care staff start where the work is: their unit's handover.
    expect(page).to_have_url(re.compile(r"/residents/handover/$"))
    expect(page.locator(".site-header__user")).to_have_text(re.compile("Amandine"))
    check(page)

    sign_out(page)
    expect(page).to_have_url(re.compile(r"/accounts/login/"))
    # Signing out ended the session on the server: the home page asks to sign in again.
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/accounts/login/"))

    # Second sign-in: the code from the same app, no set-up any more.
    fill_credentials(page, newcomer)
    expect(page).to_have_url(re.compile(r"/accounts/2fa/verify/"))
    check(page)
    page.locator("input[name=code]").fill(authenticator.code(newcomer["email"], key))
    page.get_by_role("button", name="Vérifier").click()
    expect(page).to_have_url(re.compile(r"/residents/handover/$"))
    expect(page.locator(".site-header__user")).to_have_text(re.compile("Amandine"))


def test_a_private_page_asks_for_password_and_code_then_opens(page, world, authenticator, check):
    nurse = world.person("nurse")
    page.goto("/notifications/")
    expect(page).to_have_url(re.compile(r"/accounts/login/\?next="))
    sign_in(page, nurse, authenticator, check=check)
    expect(page).to_have_url(world.url + "/notifications/")
    check(page)


def test_keyboard_users_skip_to_the_content(page, world, authenticator):
    sign_in(page, world.person("nurse"), authenticator)
    page.keyboard.press("Tab")
    skip = page.locator("a.skip-link").first
    expect(skip).to_be_focused()
    expect(skip).to_be_visible()
    page.keyboard.press("Enter")
    expect(page.locator("main#main")).to_be_focused()


def test_an_idle_session_ends_on_the_sign_in_page_with_the_reason(browser, world, idle_server, authenticator):
    context = browser.new_context(base_url=idle_server.url, locale="fr-FR", timezone_id="Europe/Paris")
    try:
        page = context.new_page()
        sign_in(page, world.person("assistant"), authenticator)
        expect(page).to_have_url(idle_server.url + "/residents/handover/")
        # The warning comes a minute before the end (here: at once), focused for keyboard users.
        warning = page.locator("#idle-warning")
        expect(warning).to_be_visible()
        expect(page.locator("#idle-keepalive")).to_be_focused()
        # Then, without any action, the page ends on the sign-in page saying why.
        page.wait_for_url(re.compile(r"/accounts/login/"), timeout=(IDLE_TIMEOUT_SHORT + 20) * 1000)
        expect(page.locator(".messages")).to_contain_text("Vous avez été déconnecté")
        expect(page.locator(".messages")).to_contain_text("inactivité")
        page.goto("/")
        expect(page).to_have_url(re.compile(r"/accounts/login/"))
    finally:
        context.close()


def test_signing_in_works_without_javascript(new_context, world, authenticator, check):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    sign_in(page, world.person("nurse"), authenticator)
    expect(page).to_have_url(world.url + "/residents/handover/")
    expect(page.locator(".site-header__user")).to_be_visible()
    sign_out(page)
