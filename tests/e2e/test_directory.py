"""Directory: typing a name without its accents finds the colleague, live and without JavaScript."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.e2e

DIRECTORY = 'nav.site-nav a[href$="/directory/"]'


def test_typing_helene_finds_helene_as_you_type(page, world, authenticator, check):
    helene = world.person("nurse")
    sign_in(page, world.person("coordinator"), authenticator)
    page.locator(DIRECTORY).click()
    expect(page).to_have_url(re.compile(r"/directory/"))
    check(page)

    # No button pressed: the results follow the typing.
    page.locator("input[name=q]").press_sequentially("helene", delay=30)
    results = page.locator("#directory-results")
    card = results.locator("li.person").filter(has_text="Lefèvre")
    expect(card).to_have_count(1)
    expect(card.locator(".person__name")).to_contain_text("Hélène Lefèvre")
    expect(page).to_have_url(re.compile(r"[?&]q=helene"))
    check(page)

    # Starting a conversation from the result.
    card.locator('a[href*="/messages/with/"]').click()
    # The conversation if it exists, else the page to write its first message (a link makes nothing).
    expect(page).to_have_url(re.compile(r"/messages/(c|with)/"))
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hélène Lefèvre")
    expect(page.locator("[data-composer] textarea[name=body]")).to_be_editable()
    check(page)

    page.go_back()
    page.locator("#directory-results li.person").filter(has_text="Lefèvre").get_by_role(
        "link", name=f"{helene['first_name']} {helene['last_name']}", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Hélène Lefèvre")
    check(page)


def test_directory_search_works_without_javascript(new_context, world, authenticator):
    page = new_context(java_script_enabled=False).new_page()
    sign_in(page, world.person("assistant"), authenticator)
    page.locator(DIRECTORY).click()
    page.locator("input[name=q]").fill("HELENE lefevre")
    page.locator("form.directory-search button[type=submit]").click()
    expect(page.locator("#directory-results li.person .person__name")).to_contain_text(["Hélène Lefèvre"])
