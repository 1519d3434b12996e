"""Messaging: two colleagues in two browsers; messages and acknowledgements arrive without reloading."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.e2e

LIVE_TIMEOUT = 10_000  # ms: a message must appear on the other screen within this


def open_direct(page, other: dict):
    """The direct conversation with a colleague, as the directory's "Message" button opens it."""
    page.goto(f"/messages/with/{other['public_id']}/")
    expect(page).to_have_url(re.compile(r"/messages/c/"))
    # The page says it is live once its socket is open; mark the document to prove no reload later.
    expect(page.locator("[data-live-status]")).not_to_be_empty(timeout=LIVE_TIMEOUT)
    page.evaluate("window.__carehubNoReload = true")


def not_reloaded(page) -> bool:
    return page.evaluate("window.__carehubNoReload === true")


def messages(page):
    return page.locator("[data-message-list] > li.message-item")


def test_a_message_and_an_urgent_acknowledgement_arrive_live(new_context, world, authenticator, check):
    nurse, assistant = world.person("nurse"), world.person("assistant")
    sender = new_context().new_page()
    receiver = new_context().new_page()
    sign_in(sender, assistant, authenticator)
    sign_in(receiver, nurse, authenticator)
    open_direct(sender, nurse)
    open_direct(receiver, assistant)
    assert sender.url == receiver.url, "both should be in the same direct conversation"
    check(sender)

    sender.locator("[data-composer] textarea[name=body]").fill("Mme Fabre demande à te voir avant le repas.")
    sender.locator("[data-composer] button[type=submit]").click()
    expect(messages(sender).last).to_contain_text("Mme Fabre demande à te voir avant le repas.")
    expect(messages(receiver).last).to_contain_text("Mme Fabre demande à te voir avant le repas.", timeout=LIVE_TIMEOUT)
    expect(messages(receiver).last).to_contain_text(f"{assistant['first_name']} {assistant['last_name']}")
    assert not_reloaded(receiver)
    check(receiver)

    # Urgent: the receiver acknowledges, the sender sees who did, both without reloading.
    sender.locator("[data-composer] textarea[name=body]").fill("URGENT : M. Garnier a chuté en chambre 15.")
    sender.locator("[data-composer] input[name=urgent]").check()
    sender.locator("[data-composer] button[type=submit]").click()
    urgent = messages(receiver).filter(has_text="M. Garnier a chuté en chambre 15.")
    expect(urgent).to_have_count(1, timeout=LIVE_TIMEOUT)
    expect(urgent).to_have_class(re.compile(r"\bpriority--urgent\b"))
    expect(urgent.locator(".tag--danger")).to_be_visible()
    ack = urgent.locator("[data-ack-form] button")
    expect(ack).to_be_visible()
    check(receiver)
    ack.click()
    expect(urgent.locator("[data-ack-form]")).to_be_hidden(timeout=LIVE_TIMEOUT)
    sent = messages(sender).filter(has_text="M. Garnier a chuté en chambre 15.")
    expect(sent.locator("[data-slot=ack-names]")).to_contain_text(
        f"{nurse['first_name']} {nurse['last_name']}", timeout=LIVE_TIMEOUT
    )
    assert not_reloaded(sender) and not_reloaded(receiver)
    check(sender)


def test_a_message_sent_without_javascript_reaches_the_live_page(new_context, world, authenticator):
    nurse, coordinator = world.person("nurse"), world.person("coordinator")
    live = new_context().new_page()
    sign_in(live, nurse, authenticator)
    open_direct(live, coordinator)

    plain = new_context(java_script_enabled=False).new_page()
    sign_in(plain, coordinator, authenticator)
    plain.goto(f"/messages/with/{nurse['public_id']}/")
    plain.locator("form[data-composer] textarea[name=body]").fill("Réunion d'équipe à 14 h, sans JavaScript.")
    plain.locator("form[data-composer] button[type=submit]").click()
    expect(plain.locator("[data-message-list]")).to_contain_text("Réunion d'équipe à 14 h, sans JavaScript.")
    expect(messages(live).last).to_contain_text("Réunion d'équipe à 14 h, sans JavaScript.", timeout=LIVE_TIMEOUT)
    assert not_reloaded(live)
