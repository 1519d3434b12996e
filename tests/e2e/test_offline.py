"""Nothing lost when the Wi-Fi drops: a note or a message written offline waits, then is saved once.

The network is cut with Playwright's offline mode in the middle of the writing. That mode does not
reach the requests a service worker makes itself (microsoft/playwright#2311): with Playwright's
service worker network events switched on, those are cut too (``offline`` below), so a reload
really finds no network, as on the tablet.
"""

import os
import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import sign_in, sign_out

# Read when Playwright's driver starts, after the collection of this module.
os.environ.setdefault("PW_EXPERIMENTAL_SERVICE_WORKER_NETWORK_EVENTS", "1")

pytestmark = pytest.mark.e2e

WAITING = "En attente d'envoi"
LIVE_TIMEOUT = 10_000  # ms


def _cut_worker(route):
    if route.request.service_worker:
        route.abort("internetdisconnected")
    else:
        route.continue_()


def offline(context) -> None:
    context.set_offline(True)
    context.route("**/*", _cut_worker)


def online(context) -> None:
    context.unroute("**/*", _cut_worker)
    context.set_offline(False)


def wait_until(page, script: str, timeout: float = 15.0) -> None:
    """Poll a script in the page (page.wait_for_function evaluates strings, which the CSP forbids)."""
    deadline = time.monotonic() + timeout
    while not page.evaluate(script):
        assert time.monotonic() < deadline, f"never true: {script}"
        time.sleep(0.25)


def wait_for_the_service_worker(page) -> None:
    """The pages are under the service worker, which holds the offline page (in French).

    Installed by the first page seen signed in; the pages opened after are under it (one opened
    while it was installing may not be: reloaded)."""
    wait_until(page, "navigator.serviceWorker.getRegistration().then(r => !!(r && r.active))")
    if not page.evaluate("!!navigator.serviceWorker.controller"):
        page.reload()
    wait_until(page, "!!navigator.serviceWorker.controller")
    wait_until(
        page,
        """caches.keys().then(names => Promise.all(names.map(name => caches.open(name)
             .then(cache => cache.match(location.origin + '/offline/'))
             .then(found => found ? found.text() : ''))))
           .then(pages => pages.some(text => text.includes('lang="fr"')))""",
    )


HAS_DRAFT = "Object.keys(localStorage).some(key => key.startsWith('carehub.drafts.'))"


def count(world, model: str, **lookup) -> int:
    app = {"CareNote": "coordination", "Message": "messaging"}[model]
    code = f"from {app}.models import {model}; print({model}.objects.filter(**{lookup!r}).count())"
    return int(world.shell(code))


def eventually(what, expected, timeout: float = 15.0):
    deadline = time.monotonic() + timeout
    while True:
        value = what()
        if value == expected or time.monotonic() > deadline:
            return value
        time.sleep(0.3)


def draft_keys(page) -> list[str]:
    return page.evaluate("Object.keys(localStorage).filter(key => key.startsWith('carehub.drafts.'))")


def handover_form(page):
    page.goto("/residents/handover/")
    page.locator("#write > summary").click()
    return page.locator('form[action$="/handover/note/"]')


def test_a_note_written_when_the_wifi_drops_is_saved_once_it_returns(new_context, world, authenticator, check):
    odette = world.data["residents"][1]
    text = "Chute dans le couloir, relevée sans douleur, tension 13/8, surveillance cette nuit."
    context = new_context()
    page = context.new_page()
    sign_in(page, world.person("nurse"), authenticator)
    wait_for_the_service_worker(page)
    form = handover_form(page)

    form.locator("select[name=resident]").select_option(value=odette["public_id"])
    form.locator("label.chip:has(input[name=target])").first.click()
    data = form.locator("textarea[name=data]")
    data.fill(text[:30])
    offline(context)
    data.press_sequentially(text[30:])
    form.locator("button[type=submit]").click()

    # The nurse sees her note waits, and the form is free for the next one.
    status = form.locator("[data-drafts-status]")
    expect(status).to_contain_text(WAITING)
    expect(status).to_contain_text(text)
    expect(data).to_have_value("")
    check(page)

    # A reload without network: the offline page, with the note still waiting.
    page.reload()
    waiting = page.locator("[data-drafts-list] [data-draft-item=pending]")
    expect(waiting).to_contain_text(WAITING)
    expect(waiting).to_contain_text(text)
    assert count(world, "CareNote", data=text) == 0
    check(page)

    # The network returns: the page comes back and the note is sent, once.
    online(context)
    expect(page.locator('form[action$="/handover/note/"] [data-draft-item=sent]')).to_contain_text(text, timeout=15_000)
    assert eventually(lambda: count(world, "CareNote", data=text), 1) == 1
    page.reload()
    expect(page.locator("main")).to_contain_text(text)
    assert count(world, "CareNote", data=text) == 1
    assert draft_keys(page) == []


def test_a_note_being_written_survives_a_reload(new_context, world, authenticator, check):
    lucien = world.data["residents"][2]
    page = new_context().new_page()
    sign_in(page, world.person("nurse"), authenticator)
    page.goto(f"/residents/{lucien['public_id']}/")
    form = page.locator('form.note-form[action*="/notes/new/"]')
    token = form.locator("input[name=client_token]").input_value()
    form.locator("textarea[name=data]").fill("Refuse son petit déjeuner, dit avoir mal aux dents.")
    form.locator("textarea[name=action]").fill("Bain de bouche proposé.")
    wait_until(page, HAS_DRAFT)

    page.reload()
    form = page.locator('form.note-form[action*="/notes/new/"]')
    expect(form.locator("textarea[name=data]")).to_have_value("Refuse son petit déjeuner, dit avoir mal aux dents.")
    expect(form.locator("textarea[name=action]")).to_have_value("Bain de bouche proposé.")
    # The same submission as before the reload: sent twice, it would be stored once.
    expect(form.locator("input[name=client_token]")).to_have_value(token)
    check(page)


def test_after_sign_out_the_next_person_finds_no_draft(new_context, world, authenticator, check):
    marcel = world.data["residents"][0]
    text = "Brouillon de l'infirmière, jamais envoyé : personne d'autre ne doit le lire."
    context = new_context()
    page = context.new_page()
    sign_in(page, world.person("nurse"), authenticator)
    form = handover_form(page)
    form.locator("select[name=resident]").select_option(value=marcel["public_id"])
    form.locator("textarea[name=data]").fill(text)
    wait_until(page, HAS_DRAFT)
    sign_out(page)
    assert draft_keys(page) == []

    sign_in(page, world.person("assistant"), authenticator)
    form = handover_form(page)
    expect(form.locator("textarea[name=data]")).to_have_value("")
    expect(page.locator("main")).not_to_contain_text(text)
    check(page)


def test_a_drafted_note_of_someone_else_is_cleared_when_another_person_signs_in(new_context, world, authenticator):
    # The nurse's session ended without a sign-out (idle timeout, closed tab): her drafts stay
    # for her, until someone else signs in on this browser.
    context = new_context()
    page = context.new_page()
    sign_in(page, world.person("nurse"), authenticator)
    form = handover_form(page)
    form.locator("textarea[name=data]").fill("Laissé par une session qui a expiré.")
    wait_until(page, HAS_DRAFT)
    context.clear_cookies()

    sign_in(page, world.person("assistant"), authenticator)
    assert draft_keys(page) == []
    form = handover_form(page)
    expect(form.locator("textarea[name=data]")).to_have_value("")


def test_a_message_written_when_the_wifi_drops_is_sent_once_it_returns(new_context, world, authenticator, check):
    nurse, assistant = world.person("nurse"), world.person("assistant")
    text = "Peux-tu passer voir Mme Fabre en chambre 14 ? Elle t'attend."
    context = new_context()
    page = context.new_page()
    sign_in(page, nurse, authenticator)
    wait_for_the_service_worker(page)
    page.goto(f"/messages/with/{assistant['public_id']}/")
    expect(page).to_have_url(re.compile(r"/messages/c/"))
    expect(page.locator("[data-live-status]")).not_to_be_empty(timeout=LIVE_TIMEOUT)

    composer = page.locator("[data-composer]")
    body = composer.locator("textarea[name=body]")
    body.fill(text[:20])
    offline(context)
    body.press_sequentially(text[20:])
    composer.locator("button[type=submit]").click()
    expect(composer.locator("[data-drafts-status]")).to_contain_text(WAITING)
    expect(body).to_have_value("")

    page.reload()
    expect(page.locator("[data-drafts-list] [data-draft-item=pending]")).to_contain_text(text)
    assert count(world, "Message", body=text) == 0
    check(page)

    online(context)
    expect(page.locator("[data-composer] [data-draft-item=sent]")).to_contain_text(text, timeout=15_000)
    assert eventually(lambda: count(world, "Message", body=text), 1) == 1
    page.reload()
    expect(page.locator("[data-message-list]")).to_contain_text(text)
    assert count(world, "Message", body=text) == 1
    check(page)


def test_a_drafted_note_stays_with_its_resident(new_context, world, authenticator, check):
    marcel, odette = world.data["residents"][0], world.data["residents"][1]
    text = "Pour M. Marcel seulement : a refusé sa douche ce matin."
    page = new_context().new_page()
    sign_in(page, world.person("nurse"), authenticator)
    form = handover_form(page)
    form.locator("select[name=resident]").select_option(value=marcel["public_id"])
    form.locator("textarea[name=data]").fill(text)
    wait_until(page, HAS_DRAFT)

    # "Write for" another resident: her form, without the words written for him.
    page.goto(f"/residents/handover/?resident={odette['public_id']}#write")
    form = page.locator('form[action$="/handover/note/"]')
    expect(form.locator("select[name=resident]")).to_have_value(odette["public_id"])
    expect(form.locator("textarea[name=data]")).to_have_value("")

    # Back to him: his draft comes back.
    form.locator("select[name=resident]").select_option(value=marcel["public_id"])
    expect(form.locator("textarea[name=data]")).to_have_value(text)
    check(page)
