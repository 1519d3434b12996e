"""Helpers that drive the real sign-in forms, shared by the accounts and carehub suites."""

from __future__ import annotations

import html
import itertools
import re

from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.factories import DEFAULT_PASSWORD

_ip_counter = itertools.count(1)


def fresh_client(**defaults) -> Client:
    """A client with an address of its own, so that per-IP rate limits of other tests do not reach it."""
    n = next(_ip_counter)
    defaults.setdefault("REMOTE_ADDR", f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}")
    return Client(**defaults)


def clear_rate_limits() -> None:
    """Forget the rate-limit counters kept in a cache that outlives a test (Redis).

    The database cache is rolled back with each test; Redis is not, and a second
    run of the suite within the limit's window would otherwise start throttled.
    """
    delete_pattern = getattr(cache, "delete_pattern", None)
    if delete_pattern is not None:
        delete_pattern("allauth:rl:*")
        delete_pattern("carehub:throttled:*")  # accounts/throttling.py: a refusal logged once per window


def sign_in(client: Client, email: str, password: str, *, next_url: str | None = None, follow: bool = False):
    data = {"login": email, "password": password}
    if next_url:
        data["next"] = next_url
    return client.post(reverse("account_login"), data, follow=follow)


def totp_code(device: TOTPDevice, offset: int = 0) -> str:
    """The code an authenticator app shows now (``offset`` time steps later)."""
    device.refresh_from_db()
    value = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits, drift=device.drift + offset)
    return str(value).zfill(device.digits)


def submit_code(client: Client, code: str, *, url_name: str = "two_factor_verify", follow: bool = False):
    return client.post(reverse(url_name), {"code": code}, follow=follow)


def page_text(response) -> str:
    """The visible text of a page, markup, scripts and styles removed, whitespace collapsed.

    Non-breaking spaces are kept (str.split() would count them as spaces): French puts them before : ; ? !.
    """
    body = re.sub(r"<(script|style|template)\b.*?</\1>", " ", response.content.decode(), flags=re.S)
    return re.sub(r"[ \t\r\n]+", " ", html.unescape(re.sub(r"<[^>]+>", " ", body))).strip()


def fr(message) -> str:
    """A message as the French interface shows it (the default language)."""
    with translation.override("fr"):
        return str(translation.gettext(str(message)) if isinstance(message, str) else message)


def reauthenticate(client: Client, password: str = DEFAULT_PASSWORD) -> None:
    """Give the password again (allauth's reauthentication), as before replacing a second factor."""
    client.post(reverse("account_reauthenticate"), {"password": password})
