"""Documents: a coordinator publishes a procedure everyone must read; a care assistant confirms it."""

import io
import re

import pytest
from playwright.sync_api import expect
from reportlab.pdfgen import canvas

from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.e2e

DOCUMENTS = 'nav.site-nav a[href$="/documents/"]'
TITLE = "Procedure-contention-et-liberte-d-aller-et-venir"


def procedure_pdf() -> bytes:
    buffer = io.BytesIO()
    pdf = canvas.Canvas(buffer)
    pdf.setTitle("Contention et liberté d'aller et venir")
    pdf.drawString(72, 760, "Procédure : contention et liberté d'aller et venir")
    pdf.drawString(72, 740, "Toute contention est prescrite, réévaluée chaque jour et tracée.")
    pdf.showPage()
    pdf.save()
    return buffer.getvalue()


def test_a_must_read_procedure_reaches_the_staff_who_confirm_reading(
    browser, page, new_context, world, authenticator, check
):
    site = world.data["site"]["name"]
    sign_in(page, world.person("coordinator"), authenticator)
    page.locator(DOCUMENTS).click()
    check(page)
    page.locator("a.doc-folder").filter(has_text="Protocoles du site").filter(has_text=site).first.click()
    check(page)
    page.locator('main a[href$="/upload/"]').click()
    check(page)
    page.locator("input[type=file][name=files]").set_input_files(
        {"name": f"{TITLE}.pdf", "mimeType": "application/pdf", "buffer": procedure_pdf()}
    )
    page.locator("#doc-upload-form button[type=submit]").click()
    opened = page.locator("#doc-progress a, .doc-results a").first
    expect(opened).to_be_visible(timeout=15_000)
    opened.click()
    expect(page).to_have_url(re.compile(r"/documents/d/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("contention")
    title = page.get_by_role("heading", level=1).inner_text().strip()
    check(page)

    # Required reading for everyone of the site.
    page.locator('main a[href$="/reading/"]').click()
    check(page)
    form = page.locator("main form:not(.doc-inline-form)").filter(has=page.locator("select[name=site]"))
    form.locator("select[name=site]").select_option(label=site)
    form.locator("button[type=submit]").click()
    assistant = world.person("assistant")
    row = page.locator("main table tbody tr").filter(has_text=assistant["last_name"])
    expect(row).to_have_count(1)
    expect(row.locator(".tag--warn")).to_be_visible()
    check(page)
    reading_url = page.url

    # The care assistant, in her own browser: the badge, the document, the confirmation.
    staff_page = new_context().new_page()
    sign_in(staff_page, assistant, authenticator)
    staff_page.locator(DOCUMENTS).click()
    to_read = staff_page.locator("section.doc-to-read")
    expect(to_read.locator(".badge")).to_have_text(re.compile(r"^\s*[1-9]\d*\s*$"))
    badge_before = int(to_read.locator(".badge").inner_text())
    check(staff_page)
    to_read.get_by_role("link", name=title).click()
    expect(staff_page.locator("section.doc-must-read")).to_be_visible()
    check(staff_page)
    staff_page.locator('form[action$="/read/"] button[type=submit]').click()
    expect(staff_page.locator('form[action$="/read/"]')).to_have_count(0)
    expect(staff_page.locator("section.doc-must-read")).to_be_visible()
    check(staff_page)
    staff_page.locator(DOCUMENTS).click()
    if badge_before == 1:
        expect(staff_page.locator("section.doc-to-read")).to_have_count(0)
    else:
        expect(staff_page.locator("section.doc-to-read .badge")).to_have_text(str(badge_before - 1))
        expect(staff_page.locator("section.doc-to-read")).not_to_contain_text(title)

    # The coordinator sees who has read it.
    page.goto(reading_url)
    row = page.locator("main table tbody tr").filter(has_text=assistant["last_name"])
    expect(row.locator(".tag--warn")).to_have_count(0)
    expect(row.locator(".tag")).to_be_visible()
