"""Layout: the main pages on a workstation and a tablet (screenshots for the README), a phone for the handover.

Screenshots go to a temporary folder; to refresh the ones shown in the README:
CAREHUB_E2E_SCREENSHOTS=1 .venv/bin/pytest -m e2e tests/e2e/test_layout.py -p no:xdist
"""

import io
import re

import pytest
from PIL import Image
from playwright.sync_api import expect

from tests.e2e.helpers import horizontal_overflow, sign_in

pytestmark = pytest.mark.e2e

DESKTOP = {"width": 1280, "height": 800}
TABLET = {"width": 768, "height": 1024}
PHONE = {"width": 375, "height": 740}


def staff_pages(world):
    """(file name, path) of the pages a care team lives in, in the order of the README."""
    marcel = world.data["residents"][0]
    return [
        ("handover", "/residents/handover/"),
        ("resident", f"/residents/{marcel['public_id']}/"),
        ("directory", "/directory/?q=helene"),
        ("documents", "/documents/"),
        ("messages", "/messages/"),
    ]


def shoot(page, screenshot_dir, name, viewport):
    page.set_viewport_size(viewport)
    page.wait_for_timeout(100)  # let the layout settle after the resize
    label = "desktop" if viewport is DESKTOP else "tablet"
    path = screenshot_dir / f"{name}-{label}.png"
    image = Image.open(io.BytesIO(page.screenshot()))
    # 256 colours are plenty for text and flat colours, and keep the repository light.
    image.convert("RGB").quantize(colors=256, method=Image.Quantize.MEDIANCUT).save(path, optimize=True)
    assert path.stat().st_size > 5_000, f"{path} looks empty"


def test_main_pages_on_a_workstation_and_a_tablet(page, world, authenticator, check, screenshot_dir):
    page.set_viewport_size(DESKTOP)
    page.goto("/accounts/login/")
    shoot(page, screenshot_dir, "sign-in", DESKTOP)
    shoot(page, screenshot_dir, "sign-in", TABLET)
    assert horizontal_overflow(page) <= 0

    sign_in(page, world.person("nurse"), authenticator)
    for name, path in staff_pages(world):
        page.set_viewport_size(DESKTOP)
        page.goto(path)
        expect(page.locator("main h1")).to_be_visible()
        check(page)
        shoot(page, screenshot_dir, name, DESKTOP)
        shoot(page, screenshot_dir, name, TABLET)
        overflow = horizontal_overflow(page)
        assert overflow <= 0, f"{path} scrolls sideways by {overflow} px on a 768 px tablet"
        # An empty counter is not shown (a red "0" reads as an alert).
        expect(page.locator(".badge:visible").filter(has_text=re.compile(r"^\s*0\s*$"))).to_have_count(0)
        check(page)


def test_the_family_portal_on_a_tablet(page, world, screenshot_dir, check):
    """The relative's home page (family account of the demo: the second factor is a backup code)."""
    page.set_viewport_size(DESKTOP)
    page.goto("/accounts/login/")
    family = world.person("family")
    page.locator("input[name=login]").fill(family["email"])
    page.locator("input[name=password]").fill(family["password"])
    page.locator("main form button[type=submit]").click()
    page.locator("input[name=code]").fill(world.data["family_backup_code"])
    page.locator("main form button[type=submit]").click()
    page.goto("/family/")
    expect(page.locator("main h1")).to_be_visible()
    expect(page.locator(".portal-feed")).to_be_visible()
    check(page)
    shoot(page, screenshot_dir, "family", DESKTOP)
    shoot(page, screenshot_dir, "family", TABLET)
    assert horizontal_overflow(page) <= 0
    check(page)


def test_one_navigation_item_is_current(page, world, authenticator):
    sign_in(page, world.person("nurse"), authenticator)
    page.goto("/residents/handover/")
    expect(page.locator('nav.site-nav a[aria-current="page"]')).to_have_count(1)


def test_handover_and_note_form_are_usable_on_a_phone(new_context, world, authenticator, check):
    page = new_context(viewport=PHONE, is_mobile=True, has_touch=True).new_page()
    lucien = world.data["residents"][2]
    sign_in(page, world.person("nurse"), authenticator)

    page.goto("/residents/handover/")
    expect(page.locator("main h1")).to_be_visible()
    assert horizontal_overflow(page) <= 0, "the handover scrolls sideways at 375 px"
    check(page)

    page.goto(f"/residents/{lucien['public_id']}/")
    assert horizontal_overflow(page) <= 0, "the resident page scrolls sideways at 375 px"
    form = page.locator('form.note-form[action*="/notes/new/"]')
    for control in ("textarea[name=data]", "textarea[name=action]", "textarea[name=result]"):
        box = form.locator(control).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], f"{control} is cut at 375 px: {box}"
        assert box["width"] >= 200, f"{control} is too narrow to type in at 375 px: {box}"
    form.locator("label.chip:has(input[name=target])").first.tap()
    form.locator("textarea[name=data]").tap()
    page.keyboard.type("Escarre talon droit stade 1, sur téléphone.")
    submit = form.locator("button[type=submit]:not([name=_preview])")
    submit.scroll_into_view_if_needed()
    submit.tap()
    expect(page.locator('section[aria-labelledby="timeline-title"]')).to_contain_text(
        "Escarre talon droit stade 1, sur téléphone."
    )
    expect(page).to_have_url(re.compile(r"/residents/"))
    check(page)
