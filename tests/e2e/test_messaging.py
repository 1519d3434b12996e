"""Messaging: colleagues in several browsers; messages, acknowledgements, read marks, presence and
conversations made for them (a duty-role message) arrive without reloading, with the server's times."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.helpers import sign_in

pytestmark = pytest.mark.e2e

LIVE_TIMEOUT = 10_000  # ms: a message must appear on the other screen within this


def open_direct(page, other: dict, opening: str = "Bonjour, je t'écris ici pour la relève."):
    """The direct conversation with a colleague, as the directory's "Message" button opens it
    (the first message makes it when there is none yet)."""
    page.goto(f"/messages/with/{other['public_id']}/")
    if "/messages/with/" in page.url:
        page.locator("[data-composer] textarea[name=body]").fill(opening)
        page.locator("[data-composer] button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/messages/c/"))
    wait_live(page)


def wait_live(page):
    """The page says it is live once its socket is open; mark the document to prove no reload later."""
    expect(page.locator("[data-live-status]")).not_to_be_empty(timeout=LIVE_TIMEOUT)
    page.evaluate("window.__carehubNoReload = true")


def set_visibility(page, state: str):
    """What the browser does when the tab goes to the background or comes back."""
    page.evaluate(
        """state => {
          Object.defineProperty(document, "visibilityState", { configurable: true, get: () => state });
          Object.defineProperty(document, "hidden", { configurable: true, get: () => state === "hidden" });
          document.dispatchEvent(new Event("visibilitychange"));
        }""",
        state,
    )


def send(page, body: str, *, urgent: bool = False):
    page.locator("[data-composer] textarea[name=body]").fill(body)
    if urgent:
        page.locator("[data-composer] input[name=urgent]").check()
    page.locator("[data-composer] button[type=submit]").click()


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

    send(sender, "Mme Fabre demande à te voir avant le repas.")
    expect(messages(sender).last).to_contain_text("Mme Fabre demande à te voir avant le repas.")
    expect(messages(receiver).last).to_contain_text("Mme Fabre demande à te voir avant le repas.", timeout=LIVE_TIMEOUT)
    expect(messages(receiver).last).to_contain_text(f"{assistant['first_name']} {assistant['last_name']}")
    assert not_reloaded(receiver)
    check(receiver)

    # Urgent: the receiver acknowledges, the sender sees who did, both without reloading.
    send(sender, "URGENT : M. Garnier a chuté en chambre 15.", urgent=True)
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

    plain = new_context(java_script_enabled=False).new_page()  # the conversation exists: the link opens it
    sign_in(plain, coordinator, authenticator)
    plain.goto(f"/messages/with/{nurse['public_id']}/")
    plain.locator("form[data-composer] textarea[name=body]").fill("Réunion d'équipe à 14 h, sans JavaScript.")
    plain.locator("form[data-composer] button[type=submit]").click()
    expect(plain.locator("[data-message-list]")).to_contain_text("Réunion d'équipe à 14 h, sans JavaScript.")
    expect(messages(live).last).to_contain_text("Réunion d'équipe à 14 h, sans JavaScript.", timeout=LIVE_TIMEOUT)
    assert not_reloaded(live)


def _duty_role_of(world, person: dict) -> str:
    """The key of the IDEC role of the person's site, checked to reach them."""
    return world.shell(
        "from django.contrib.auth import get_user_model; from messaging import duty;"
        "from directory.models import Assignment;"
        f"user = get_user_model().objects.get(email={person['email']!r});"
        "site = Assignment.objects.active().filter(user=user).order_by('-is_primary').first().site;"
        "role = duty.DutyRole(duty.COORDINATOR, site);"
        "assert user in duty.resolve(role).users;"
        "print(role.key)"
    ).splitlines()[-1]


def test_an_urgent_duty_role_message_reaches_the_role_holders_open_page(new_context, world, authenticator, check):
    assistant, coordinator = world.person("assistant"), world.person("coordinator")
    role = _duty_role_of(world, coordinator)
    holder = new_context().new_page()
    sign_in(holder, coordinator, authenticator)
    holder.goto("/messages/")
    wait_live(holder)

    sender = new_context().new_page()
    sign_in(sender, assistant, authenticator)
    sender.goto("/messages/duty/")
    sender.locator("select[name=role]").select_option(role)
    sender.locator("textarea[name=body]").fill("Chute de M. Garnier en chambre 15, il saigne du front.")
    sender.locator("input[name=urgent]").check()
    sender.locator("main form button[type=submit]").click()
    expect(sender).to_have_url(re.compile(r"/messages/c/"))

    # Her messages page, open before that conversation existed, shows it at once: banner and list.
    banner = holder.locator("[data-urgent-banner]")
    expect(banner).to_be_visible(timeout=LIVE_TIMEOUT)
    expect(banner).to_contain_text("Chute de M. Garnier en chambre 15")
    expect(banner).to_contain_text(f"{assistant['first_name']} {assistant['last_name']}")
    conversation_id = sender.url.split("/messages/c/")[1].split("/")[0]
    item = holder.locator(f'[data-conversation-list] > li[data-conversation="{conversation_id}"]')
    expect(item.locator("[data-urgent-mark]")).to_be_visible()
    expect(item.locator("[data-unread-count]")).to_have_text("1")
    assert not_reloaded(holder)
    check(holder)

    # The banner leads to the message, which she acknowledges; the sender sees it live.
    banner.get_by_role("link").first.click()
    urgent = messages(holder).filter(has_text="Chute de M. Garnier en chambre 15")
    urgent.locator("[data-ack-form] button").click()
    expect(messages(sender).last.locator("[data-slot=ack-names]")).to_contain_text(
        f"{coordinator['first_name']} {coordinator['last_name']}", timeout=LIVE_TIMEOUT
    )


def test_a_message_on_screen_is_marked_read_and_the_sender_sees_it_live(new_context, world, authenticator, check):
    nurse, assistant = world.person("nurse"), world.person("assistant")
    sender = new_context().new_page()
    reader = new_context().new_page()
    sign_in(sender, nurse, authenticator)
    sign_in(reader, assistant, authenticator)
    open_direct(sender, assistant)
    open_direct(reader, nurse)
    reader_name = f"{assistant['first_name']} {assistant['last_name']}"

    # The conversation is open and visible: what arrives is seen, and the sender is told.
    send(sender, "Le kiné passe à 15 h pour Mme Fabre.")
    expect(messages(reader).last).to_contain_text("Le kiné passe à 15 h pour Mme Fabre.", timeout=LIVE_TIMEOUT)
    expect(messages(sender).last.locator("[data-slot=seen]")).to_have_text(
        f"Vu par {reader_name}", timeout=LIVE_TIMEOUT
    )
    assert not_reloaded(sender) and not_reloaded(reader)
    check(sender)

    # The reader's tab in the background: the message arrives, nobody saw it.
    set_visibility(reader, "hidden")
    send(sender, "Pense à la pesée de M. Dupuis.")
    expect(messages(reader).last).to_contain_text("Pense à la pesée de M. Dupuis.", timeout=LIVE_TIMEOUT)
    reader.wait_for_timeout(1500)
    expect(messages(sender).last.locator("[data-slot=seen]")).to_have_text("Pas encore vu")
    # Back on screen: now it is seen.
    set_visibility(reader, "visible")
    expect(messages(sender).last.locator("[data-slot=seen]")).to_have_text(
        f"Vu par {reader_name}", timeout=LIVE_TIMEOUT
    )
    assert not_reloaded(sender) and not_reloaded(reader)


def test_a_colleagues_presence_dot_changes_live(new_context, world, authenticator, check):
    nurse, coordinator = world.person("nurse"), world.person("coordinator")
    watcher = new_context().new_page()
    sign_in(watcher, nurse, authenticator)
    open_direct(watcher, coordinator)
    dot = watcher.locator(
        f'[data-member][data-name="{coordinator["first_name"]} {coordinator["last_name"]}"] .presence'
    )
    expect(dot).to_have_class(re.compile(r"\bpresence--offline\b"))

    colleague_context = new_context()
    colleague = colleague_context.new_page()
    sign_in(colleague, coordinator, authenticator)
    colleague.goto("/messages/")
    wait_live(colleague)
    expect(dot).to_have_class(re.compile(r"\bpresence--online\b"), timeout=LIVE_TIMEOUT)
    expect(dot).to_contain_text("en ligne")
    check(watcher)

    colleague_context.close()
    expect(dot).to_have_class(re.compile(r"\bpresence--offline\b"), timeout=LIVE_TIMEOUT)
    assert not_reloaded(watcher)


def test_a_live_message_shows_the_time_the_page_shows_whatever_the_browsers_zone(
    new_context, browser, browser_context_args, world, authenticator
):
    nurse, coordinator = world.person("nurse"), world.person("coordinator")
    sender = new_context().new_page()
    sign_in(sender, coordinator, authenticator)
    open_direct(sender, nurse)
    # A browser set to another zone than the group's (Europe/Paris): 11 or 12 hours apart.
    far = browser.new_context(**{**browser_context_args, "timezone_id": "Pacific/Auckland"})
    reader = far.new_page()
    sign_in(reader, nurse, authenticator)
    open_direct(reader, coordinator)

    send(sender, "Heure de la relève ?")
    live = messages(reader).filter(has_text="Heure de la relève ?")
    expect(live).to_have_count(1, timeout=LIVE_TIMEOUT)
    assert not_reloaded(reader)
    live_time = live.locator("time").inner_text()
    reader.reload()
    assert messages(reader).filter(has_text="Heure de la relève ?").locator("time").inner_text() == live_time
    far.close()
