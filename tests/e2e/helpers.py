"""What the journeys do again and again: sign in, compute codes, check a page, read e-mails."""

from __future__ import annotations

import base64
import binascii
import email
import email.policy
import re
import time
from dataclasses import dataclass, field
from pathlib import Path

from axe_playwright_python.sync_playwright import Axe
from django_otp.oath import TOTP
from playwright.sync_api import Page, expect

#: axe impacts that fail a journey (moderate and minor ones are reported, not fatal).
BLOCKING_IMPACTS = ("serious", "critical")
TOTP_STEP = 30

_axe = Axe()


@dataclass
class Authenticator:
    """The phone app of the journeys: TOTP codes from a key, never the same time step twice.

    django-otp refuses a code whose time step is not after the last one used
    (replay protection) and accepts one step of drift either way; so a second
    sign-in within the same 30 s uses the next step's code instead of waiting.
    """

    last_step: dict[str, int] = field(default_factory=dict)

    def code(self, account: str, key: bytes) -> str:
        while True:
            now = int(time.time()) // TOTP_STEP
            step = max(now, self.last_step.get(account, -1) + 1)
            if step <= now + 1:
                break
            time.sleep((now + 1) * TOTP_STEP - time.time() + 0.5)
        self.last_step[account] = step
        totp = TOTP(key, step=TOTP_STEP, t0=0, digits=6)
        totp.time = step * TOTP_STEP
        return f"{totp.token():06d}"


def key_from_base32(secret: str) -> bytes:
    """The key an authenticator app derives from the text shown under the QR code."""
    cleaned = re.sub(r"\s+", "", secret).upper()
    cleaned += "=" * (-len(cleaned) % 8)
    return base64.b32decode(cleaned)


def key_from_hex(hex_key: str) -> bytes:
    return binascii.unhexlify(hex_key)


def fill_credentials(page: Page, person: dict) -> None:
    """Type e-mail and password on the sign-in page (the one already open, keeping its ?next=)."""
    if "/accounts/login/" not in page.url:
        page.goto("/accounts/login/")
    page.locator("input[name=login]").fill(person["email"])
    page.locator("input[name=password]").fill(person["password"])
    page.locator("main form button[type=submit]").click()


def sign_in(page: Page, person: dict, authenticator: Authenticator, *, check=None) -> None:
    """Sign in with password and a TOTP code, as the person would; ends on the page after the code."""
    fill_credentials(page, person)
    expect(page.locator("input[name=code]")).to_be_visible()
    if check:
        check(page)
    page.locator("input[name=code]").fill(authenticator.code(person["email"], key_from_hex(person["totp_key"])))
    page.locator("main form button[type=submit]").click()
    expect(page.locator("input[name=code]")).to_have_count(0)


def set_up_authenticator(page: Page, person: dict, authenticator: Authenticator, *, check=None) -> bytes:
    """First sign-in: read the key shown under the QR code, confirm a code, pass the backup codes.

    Returns the key, as the person's phone app would hold it; ends on the home page.
    """
    fill_credentials(page, person)
    expect(page.locator("#totp-secret")).to_be_visible()
    if check:
        check(page)
    key = key_from_base32(page.locator("#totp-secret").inner_text())
    page.locator("input[name=code]").fill(authenticator.code(person["email"], key))
    page.locator("main form button[type=submit]").click()
    expect(page.locator("#backup-codes li")).to_have_count(10)
    if check:
        check(page)
    page.locator("main a.button").click()
    expect(page.locator("input[name=code]")).to_have_count(0)
    return key


def sign_out(page: Page) -> None:
    page.locator("form.logout-form button").click()
    expect(page.locator("input[name=login]")).to_be_visible()


#: The rules of WCAG 2.2 level AA (and the levels below it), as axe-core tags them.
WCAG_22_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]


def axe_violations(page: Page) -> list[dict]:
    """Serious and critical axe-core violations of WCAG 2.2 AA rules on the page as it is now."""
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_22_AA}, "resultTypes": ["violations"]})
    return [v for v in results.response["violations"] if v.get("impact") in BLOCKING_IMPACTS]


def describe_violations(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        lines.append(f"[{violation['impact']}] {violation['id']}: {violation['help']}")
        for node in violation["nodes"][:5]:
            lines.append(
                f"    {', '.join(map(str, node['target']))}: {node.get('failureSummary', '').splitlines()[-1:]}"
            )
    return "\n".join(lines)


def assert_accessible(page: Page) -> None:
    page.wait_for_load_state("load")
    violations = axe_violations(page)
    assert not violations, f"axe on {page.url}:\n{describe_violations(violations)}"


def horizontal_overflow(page: Page) -> int:
    """How many CSS pixels the page is wider than the window (0: no horizontal scrolling)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def read_mails(mail_dir: Path, *, to: str | None = None) -> list[email.message.EmailMessage]:
    """E-mails the server wrote with Django's file backend, oldest first."""
    found = []
    for path in sorted(mail_dir.glob("*.log"), key=lambda p: p.stat().st_mtime):
        raw = path.read_bytes()
        # The file backend separates messages with a line of 79 dashes.
        for chunk in re.split(rb"\n-{79}\n", raw):
            if not chunk.strip():
                continue
            message = email.message_from_bytes(chunk.lstrip(b"\n"), policy=email.policy.default)
            if to is None or to.lower() in (message.get("To") or "").lower():
                found.append(message)
    return found


def mail_text(message: email.message.EmailMessage) -> str:
    body = message.get_body(preferencelist=("plain", "html"))
    return body.get_content() if body else ""


def wait_for_mail(mail_dir: Path, *, to: str, timeout: float = 10.0) -> email.message.EmailMessage:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        mails = read_mails(mail_dir, to=to)
        if mails:
            return mails[-1]
        time.sleep(0.2)
    raise AssertionError(f"no e-mail to {to} in {mail_dir} after {timeout} s")
