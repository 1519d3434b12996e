"""Rendering message bodies safely: escape everything, then make links clickable.

Only http(s) URLs become links; the href is the escaped URL itself, opened
with rel="noopener noreferrer nofollow" so that no page can reach back.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils import formats, timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

URL_RE = re.compile(r"\bhttps?://[^\s<>\"']+", re.IGNORECASE)
MENTION_RE = re.compile(r"(?<![\w@])@([\w][\w.\-]*[\w]|[\w])", re.UNICODE)
_TRAILING = ".,;:!?)]}»"


def _split_trailing(url: str) -> tuple[str, str]:
    tail = ""
    while url and url[-1] in _TRAILING:
        tail = url[-1] + tail
        url = url[:-1]
    return url, tail


def linkify(text: str) -> SafeString:
    """Escaped text with http(s) links made clickable."""
    out, last = [], 0
    for match in URL_RE.finditer(text):
        url, tail = _split_trailing(match.group(0))
        out.append(escape(text[last : match.start()]))
        out.append(
            f'<a href="{escape(url)}" rel="noopener noreferrer nofollow" target="_blank">{escape(url)}</a>{escape(tail)}'
        )
        last = match.end()
    out.append(escape(text[last:]))
    return mark_safe("".join(out))  # noqa: S308  # nosec B308 B703 # every piece above is escaped


def handle_of(user) -> str:
    """The @handle of a person: "firstname.lastname", ASCII, lower case."""
    raw = f"{user.first_name}.{user.last_name}".strip(".") or user.email.split("@")[0]
    normalised = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9.\-]+", "-", normalised).strip("-.")


def mentioned_handles(text: str) -> set[str]:
    handles = set()
    for match in MENTION_RE.finditer(text):
        normalised = unicodedata.normalize("NFKD", match.group(1)).encode("ascii", "ignore").decode().lower()
        handles.add(normalised)
    return handles


def message_time(moment: datetime, time_zone: str) -> str:
    """When a message was sent, as the page and the live update both show it: in the
    conversation's zone (``Conversation.time_zone``), in the active language's short format;
    never the browser's zone."""
    return formats.date_format(timezone.localtime(moment, ZoneInfo(time_zone)), "SHORT_DATETIME_FORMAT")
