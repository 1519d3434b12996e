"""Care notes: a care assistant's first shift, from the first sign-in to her note in the timeline."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import set_up_authenticator, sign_in, sign_out

pytestmark = pytest.mark.e2e

HANDOVER = 'nav.site-nav a[href$="/residents/handover/"]'


def choose_first_target(form) -> str:
    """Tap the first of the targets at hand; returns its label."""
    form.locator("label.chip:has(input[name=target])").first.click()
    return form.locator("label.chip:has(input[name=target]:checked)").inner_text().strip()


def note_form(page):
    return page.locator('form.note-form[action*="/notes/new/"]')


def timeline(page):
    return page.locator('section[aria-labelledby="timeline-title"]')


def test_first_shift_takes_the_handover_and_writes_a_dar_note(page, world, authenticator, check):
    person = world.person("first_shift")
    unit = world.data["unit"]["name"]
    marcel = world.data["residents"][0]

    set_up_authenticator(page, person, authenticator, check=check)
    check(page)

    # The handover of her unit, from the main navigation.
    page.locator(HANDOVER).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(unit)
    expect(page.locator("main")).to_contain_text("Se plaint de douleurs à la hanche gauche")
    check(page)

    # She takes the handover, after the notes: the page now names her among those who took it.
    page.locator('form[action$="/handover/take/"] button[type=submit]').click()
    expect(page.locator(".messages")).to_contain_text("Vous avez pris la relève")
    expect(page.locator(".handover-take")).to_contain_text("Lucie Girard")
    check(page)

    # On to the resident of room 12 (her row, then the resident's page), then a note in the DAR form.
    row = page.locator("details.handover-row", has_text=marcel["display"])
    row.locator("summary").click()
    row.get_by_role("link", name="Page du résident").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(marcel["display"])
    check(page)
    form = note_form(page)
    target_label = choose_first_target(form)
    form.locator("textarea[name=data]").fill("A mangé la moitié de son repas, dit ne pas avoir faim.")
    form.locator("textarea[name=action]").fill("Complément proposé, hydratation encouragée.")
    form.locator("textarea[name=result]").fill("A bu 200 ml d'eau gélifiée.")
    form.locator("button[type=submit]:not([name=_preview])").click()

    # The note is at the top of the timeline, with its three parts, its target and its author.
    expect(page.get_by_role("heading", level=1)).to_contain_text(marcel["display"])
    first_note = timeline(page).locator("article, .note-card, li").first
    expect(timeline(page)).to_contain_text("A mangé la moitié de son repas")
    expect(timeline(page)).to_contain_text("Complément proposé, hydratation encouragée.")
    expect(timeline(page)).to_contain_text("A bu 200 ml d'eau gélifiée.")
    expect(first_note).to_contain_text(target_label)
    expect(first_note).to_contain_text("Lucie Girard")
    check(page)


def test_a_note_is_written_from_the_handover_without_javascript(new_context, world, authenticator, check):
    context = new_context(java_script_enabled=False)
    page = context.new_page()
    odette = world.data["residents"][1]
    sign_in(page, world.person("assistant"), authenticator)
    page.locator(HANDOVER).click()
    page.locator("#write > summary").click()
    form = page.locator('form[action$="/handover/note/"]')
    form.locator("select[name=resident]").select_option(value=odette["public_id"])
    choose_first_target(form)
    form.locator("textarea[name=data]").fill("Chute sans gravité dans la salle de bain, sans JavaScript.")
    form.locator("button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/residents/handover/"))
    expect(page.locator("main")).to_contain_text("Chute sans gravité dans la salle de bain, sans JavaScript.")

    page.locator("main").get_by_role("link", name=odette["display"]).first.click()
    expect(timeline(page)).to_contain_text("Chute sans gravité dans la salle de bain, sans JavaScript.")
    sign_out(page)


def test_a_missing_observation_is_refused_and_nothing_typed_is_lost(page, world, authenticator, check):
    lucien = world.data["residents"][2]
    sign_in(page, world.person("nurse"), authenticator)
    page.goto(f"/residents/{lucien['public_id']}/")
    form = note_form(page)
    choose_first_target(form)
    form.locator("textarea[name=action]").fill("Pansement refait au talon droit.")
    form.locator("button[type=submit]:not([name=_preview])").click()
    # The browser (required field) or the server (error list) refuses; the action typed is still there.
    expect(page.locator("textarea[name=action]")).to_have_value("Pansement refait au talon droit.")
    refused = page.locator("textarea[name=data]:invalid, .errorlist")
    expect(refused.first).to_be_attached()
    check(page)
    page.goto(f"/residents/{lucien['public_id']}/")
    expect(timeline(page)).not_to_contain_text("Pansement refait au talon droit.")


def test_a_note_is_written_with_the_keyboard_only(page, world, authenticator, check):
    odette = world.data["residents"][1]
    sign_in(page, world.person("nurse"), authenticator)
    page.goto(f"/residents/{odette['public_id']}/")
    form = note_form(page)
    form.locator("input[name=target]").first.focus()
    page.keyboard.press("Space")
    expect(form.locator("input[name=target]:checked")).to_have_count(1)

    # Tab goes through the form in reading order: detail, data, action, result, then on to the button.
    order = []
    for _ in range(60):
        page.keyboard.press("Tab")
        focused = page.evaluate("document.activeElement.name || document.activeElement.type || ''")
        order.append(focused)
        if focused == "data":
            page.keyboard.type("Se lève seule, marche avec le déambulateur.")
        if page.evaluate("document.activeElement.matches('button[type=submit]:not([name=_preview])')"):
            break
    else:
        raise AssertionError(f"the save button is never reached with Tab: {order}")
    assert [name for name in order if name in ("target_detail", "data", "action", "result")] == [
        "target_detail",
        "data",
        "action",
        "result",
    ], order
    page.keyboard.press("Enter")
    expect(timeline(page)).to_contain_text("Se lève seule, marche avec le déambulateur.")
    check(page)
