"""The handover and the note form as a care assistant starting her shift meets them, on a tablet and a phone.

Figures printed by these journeys (first screen, keys to the form, taps and modelled seconds of the
fall note) use the model of bench/handover_reading.py: 20 characters read per second, 3 typed per
second on a touch keyboard, 2 s per tap.
"""

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.e2e

TABLET = {"width": 768, "height": 1024}
PHONE = {"width": 375, "height": 812}
VIEWPORTS = [pytest.param(TABLET, id="tablet"), pytest.param(PHONE, id="phone")]
CHARS_READ_PER_SECOND, CHARS_TYPED_PER_SECOND, SECONDS_PER_TAP = 20, 3, 2


def _context(new_context, viewport):
    return new_context(viewport=viewport, is_mobile=viewport is PHONE, has_touch=True)


def _note(world, resident: dict, *, data: str, priority: str = "routine") -> str:
    """A note written by the unit's nurse on the server's database; returns its public id."""
    return world.shell(
        "from coordination import services; from coordination.models import Resident, Target; "
        "from django.contrib.auth import get_user_model; "
        f"nurse = get_user_model().objects.get(email={world.person('nurse')['email']!r}); "
        f"note, _ = services.care_note_create(author=nurse, resident=Resident.objects.get(pk={resident['id']}), "
        f"target=Target.objects.get(code='comportement'), data={data!r}, priority={priority!r}); "
        "print(note.public_id)"
    ).splitlines()[-1]


def _count(world, code: str) -> int:
    return int(world.shell(f"from coordination.models import CareNote, NoteReading; print({code})").splitlines()[-1])


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_first_screen_is_what_to_read_under_a_small_header(new_context, world, authenticator, check, viewport):
    page = _context(new_context, viewport).new_page()
    sign_in(page, world.person("assistant"), authenticator)
    # Care staff land on their unit's handover.
    expect(page).to_have_url(re.compile(r"/residents/handover/$"))
    header = page.locator("header.site-header").bounding_box()
    assert header["height"] <= 0.15 * viewport["height"], f"the header takes {header['height']} px"
    to_read = page.locator("[data-handover-priority]").bounding_box()
    assert to_read["y"] < viewport["height"], "what to read first does not start on the first screen"
    assert page.evaluate("document.documentElement.scrollWidth - window.innerWidth") <= 0
    check(page)  # axe with the WCAG 2.2 AA rules, target size (2.5.8) included


def test_the_note_form_is_three_keys_away(page, world, authenticator):
    sign_in(page, world.person("assistant"), authenticator)
    page.reload()
    keys = 0
    while keys < 10:
        page.keyboard.press("Tab")
        keys += 1
        if page.evaluate("document.activeElement.matches('a[href$=\"#write\"]')"):
            page.keyboard.press("Enter")
            keys += 1
        if page.evaluate("!!document.activeElement.closest('form.note-form')"):
            break
    print(f"\nkeys from the top of the handover to the note form: {keys}")
    assert keys <= 5


def test_notes_count_as_read_only_once_on_screen(new_context, world, authenticator, check):
    lucien = world.data["residents"][2]
    note = _note(world, lucien, data="Agité en fin de journée, a refusé le goûter.")
    page = _context(new_context, TABLET).new_page()
    sign_in(page, world.person("assistant"), authenticator)
    row = page.locator(f"#res-{lucien['public_id']}")
    time.sleep(2)
    reading = f"NoteReading.objects.filter(note__public_id={note!r}, user__email={world.person('assistant')['email']!r}).count()"
    assert _count(world, reading) == 0, "a note in a closed row was recorded as read"
    row.locator("summary").click()
    deadline = time.monotonic() + 15
    while _count(world, reading) == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _count(world, reading) == 1
    page.reload()
    expect(page.locator(f'article[data-note-id="{note}"] .tag--new')).to_have_count(0)
    check(page)


def test_open_all_opens_every_row_but_marks_read_only_what_comes_on_screen(new_context, world, authenticator, check):
    residents = world.data["residents"][:3]
    long_text = "Nuit agitée, s'est levée plusieurs fois, rassurée, recouchée. " * 8
    notes = [_note(world, resident, data=long_text) for resident in residents]
    page = _context(new_context, PHONE).new_page()
    sign_in(page, world.person("assistant"), authenticator)
    page.locator("[data-open-all]").click()
    expect(page.locator("[data-handover-priority] details.handover-row:not([open])")).to_have_count(0)
    time.sleep(2.5)
    last = f"NoteReading.objects.filter(note__public_id={notes[-1]!r}, user__email={world.person('assistant')['email']!r}).count()"
    assert _count(world, last) == 0, "a note opened but never on screen was recorded as read"
    page.locator(f'article[data-note-id="{notes[-1]}"]').scroll_into_view_if_needed()
    deadline = time.monotonic() + 15
    while _count(world, last) == 0 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert _count(world, last) == 1
    check(page)


def test_a_take_over_never_acknowledges_an_urgent_note_it_did_not_show(new_context, world, authenticator, check):
    odette = world.data["residents"][1]
    shown = _note(world, odette, data="Chute dans la salle de bain, relevée, douleur au poignet.", priority="urgent")
    page = _context(new_context, PHONE).new_page()
    sign_in(page, world.person("assistant"), authenticator)
    take = page.locator("#take")
    expect(take).to_contain_text("Chute dans la salle de bain")
    # Written after her page was drawn: never on her screen.
    unseen = _note(world, odette, data="Détresse respiratoire, oxygène mis en place.", priority="urgent")
    take.locator("button[type=submit]").click()
    expect(page.locator(".messages")).to_contain_text("prise en compte")
    acknowledged = "CareNote.objects.filter(public_id={!r}, acknowledged_at__isnull=False).count()"
    assert _count(world, acknowledged.format(shown)) == 1
    assert _count(world, acknowledged.format(unseen)) == 0
    # It is still there, with its text, to acknowledge.
    expect(page.locator("#take")).to_contain_text("Détresse respiratoire")
    check(page)


def _writes_falls_often(world, person: dict, resident: dict) -> None:
    """Ten fall notes of the past weeks by ``person``: "Chute" is among her targets at hand (most used first),
    whatever the hour the demo was seeded at. Outside the handover's window, they change nothing on it."""
    world.shell(
        "from datetime import timedelta; from django.utils import timezone; "
        "from coordination import services; from coordination.models import CareNote, Resident, Target; "
        "from django.contrib.auth import get_user_model; "
        f"author = get_user_model().objects.get(email={person['email']!r}); "
        f"resident = Resident.objects.get(pk={resident['id']}); chute = Target.objects.get(code='chute'); "
        "notes = [services.care_note_create(author=author, resident=resident, target=chute, "
        "data='Retrouvée au sol, relevée à deux.')[0].pk for _ in range(10)]; "
        "CareNote.objects.filter(pk__in=notes).update(created_at=timezone.now() - timedelta(days=20))"
    )


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_the_fall_note_in_four_taps(new_context, world, authenticator, check, viewport):
    marcel = world.data["residents"][0]
    _writes_falls_often(world, world.person("assistant"), marcel)
    page = _context(new_context, viewport).new_page()
    sign_in(page, world.person("assistant"), authenticator)
    row = page.locator(f"#res-{marcel['public_id']}")
    row.locator("summary").click()  # she reads Marcel's notes: the row is open
    taps = 0
    row.locator("[data-write-for]").click()
    taps += 1
    form = page.locator("#write form")
    expect(form.locator("select[name=resident]")).to_have_value(marcel["public_id"])
    form.locator("label.chip", has_text="Chute").click()
    taps += 1
    form.locator("[data-aids-templates] button", has_text="Chute sans gravité").click()
    taps += 1
    typed = 0
    text = " ".join(form.locator(f"textarea[name={part}]").input_value() for part in ("data", "action", "result"))
    form.locator("button[type=submit]").click()
    taps += 1
    expect(page.locator(".messages")).to_contain_text(f"Transmission enregistrée pour {marcel['display']}")
    saved = page.locator(".handover-saved article.note")
    expect(saved).to_contain_text("Retrouvée au sol")
    box = saved.bounding_box()
    assert box["y"] + min(box["height"], 120) <= viewport["height"], "the saved note is not on the first screen"
    seconds = taps * SECONDS_PER_TAP + typed / CHARS_TYPED_PER_SECOND + len(text) / CHARS_READ_PER_SECOND
    print(
        f"\nfall note at {viewport['width']} px: {taps} taps, {typed} characters typed, {len(text)} read, {seconds:.0f} s"
    )
    assert taps <= 4 and seconds < 30
    check(page)
