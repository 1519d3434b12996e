"""Reading settings from the environment: one parser per kind of value.

Every variable that settings.py reads goes through these functions, so a
malformed value stops start-up with ``ImproperlyConfigured`` naming the
variable and what it expects, never a bare ValueError or a silent default.

A variable set to the empty string counts as not set (``NAME=`` in a Compose
file or a systemd unit means "nothing"), so it takes its default.

``check`` callables take the raw string and return the value to use, raising
ValueError with what is expected (e.g. "a time zone such as Europe/Paris").
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
import warnings
from collections.abc import Callable, Iterable
from email.utils import parseaddr
from pathlib import Path
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import environ
from django.core.exceptions import ImproperlyConfigured

TRUE = ("1", "true", "yes", "on")
FALSE = ("0", "false", "no", "off")


def _raw(name: str) -> str | None:
    value = os.environ.get(name, "")
    return value if value.strip() else None


def _refuse(name: str, expected: str, raw: str | None = None) -> ImproperlyConfigured:
    got = "" if raw is None else f", got {raw!r}"
    return ImproperlyConfigured(f"{name} must be {expected}{got}")


def env_str(name: str, default: str, *, check: Callable[[str], str] | None = None) -> str:
    """A text value; ``check`` validates it unless it is empty (an empty default means "off")."""
    raw = _raw(name)
    value = default if raw is None else raw.strip()
    if check is None or not value:
        return value
    try:
        return check(value)
    except ValueError as exc:
        raise _refuse(name, str(exc), value) from exc


def env_int(name: str, default: int, *, minimum: int | None = None, maximum: int | None = None) -> int:
    raw = _raw(name)
    expected = _range_words("an integer", minimum, maximum)
    if raw is None:
        return default
    try:
        value = int(raw.strip())
    except ValueError as exc:
        raise _refuse(name, expected, raw) from exc
    if (minimum is not None and value < minimum) or (maximum is not None and value > maximum):
        raise _refuse(name, expected, raw)
    return value


def env_float(name: str, default: float, *, above: float | None = None, below: float | None = None) -> float:
    """A number strictly between ``above`` and ``below`` when given."""
    raw = _raw(name)
    if raw is None:
        return default
    bounds = [f"above {above}"] * (above is not None) + [f"below {below}"] * (below is not None)
    expected = " ".join(["a number", " and ".join(bounds)]).strip()
    try:
        value = float(raw.strip())
    except ValueError as exc:
        raise _refuse(name, expected, raw) from exc
    if not math.isfinite(value) or (above is not None and value <= above) or (below is not None and value >= below):
        raise _refuse(name, expected, raw)
    return value


def env_bool(name: str, default: bool) -> bool:
    """A yes/no value; anything else is a typo that must not silently mean "no"."""
    raw = _raw(name)
    if raw is None:
        return default
    word = raw.strip().lower()
    if word in TRUE:
        return True
    if word in FALSE:
        return False
    raise _refuse(name, f"one of {', '.join(TRUE + FALSE)}", raw)


def env_list(
    name: str,
    default: Iterable[str],
    *,
    choices: Iterable[str] | None = None,
    check: Callable[[str], str] | None = None,
) -> list[str]:
    """Comma-separated values; each one among ``choices`` or passed through ``check`` when given."""
    raw = _raw(name)
    items = list(default) if raw is None else [item.strip() for item in raw.split(",") if item.strip()]
    if choices is not None:
        allowed = tuple(choices)
        if unknown := sorted(set(items) - set(allowed)):
            raise _refuse(name, f"a comma-separated list among {', '.join(allowed)} (unknown: {', '.join(unknown)})")
    if check is not None:
        try:
            items = [check(item) for item in items]
        except ValueError as exc:
            raise _refuse(name, f"a comma-separated list of {exc}", raw) from exc
    return items


def env_secret(name: str, default: str = "", *, check: Callable[[str], object] | None = None) -> str:
    """NAME, or the content of the file named by NAME_FILE (Docker and Kubernetes secrets).

    Errors never repeat the value: it may hold a password.
    """
    path = _raw(f"{name}_FILE")
    if path is not None:
        try:
            value = Path(path).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ImproperlyConfigured(f"{name}_FILE={path!r} cannot be read: {exc.strerror}") from exc
    else:
        raw = _raw(name)
        value = default if raw is None else raw.strip()
    if check is not None and value:
        try:
            check(value)
        except ValueError as exc:
            raise _refuse(name, str(exc)) from exc
    return value


def _range_words(kind: str, minimum: int | None, maximum: int | None) -> str:
    if minimum is not None and maximum is not None:
        return f"{kind} from {minimum} to {maximum}"
    if minimum is not None:
        return f"{kind} of at least {minimum}"
    if maximum is not None:
        return f"{kind} of at most {maximum}"
    return kind


# --- checks for text values --------------------------------------------------------------------


def url(*schemes: str) -> Callable[[str], str]:
    """An absolute URL with one of ``schemes`` and a host (or a path for unix://)."""

    def check_url(value: str) -> str:
        parts = urlsplit(value)
        if parts.scheme not in schemes or not (parts.netloc or (parts.scheme == "unix" and parts.path)):
            raise ValueError(f"a URL starting with {' or '.join(s + '://' for s in schemes)}")
        return value

    return check_url


def origin(value: str) -> str:
    """A browser origin as Django's CSRF check compares it: scheme and host, no path."""
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.path not in ("", "/"):
        raise ValueError("origins such as https://carehub.example.org")
    return value


def ip_network(value: str) -> str:
    """An address or a network (10.0.0.5, 10.0.0.0/24, ::1)."""
    try:
        ipaddress.ip_network(value, strict=False)
    except ValueError as exc:
        raise ValueError("IP addresses or networks such as 10.0.0.5 or 10.0.0.0/24") from exc
    return value


def time_zone(value: str) -> str:
    try:
        ZoneInfo(value)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("a known time zone such as Europe/Paris") from exc
    return value


def email_address(value: str) -> str:
    """An address, optionally with a display name: ``CareHub <carehub@example.org>``."""
    _, address = parseaddr(value)
    if not re.fullmatch(r"[^@\s<>]+@[^@\s<>]+", address):
        raise ValueError("an e-mail address such as CareHub <carehub@example.org>")
    return value


def log_level(value: str) -> str:
    levels = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
    if value.upper() not in levels:
        raise ValueError(f"one of {', '.join(levels)}")
    return value.upper()


def url_path(value: str) -> str:
    """A path on this site: starts and ends with "/"."""
    if not (value.startswith("/") and value.endswith("/")) or "//" in value:
        raise ValueError("a path such as /protected-media/")
    return value


_RATE = re.compile(r"\d+/(\d+(\.\d+)?)?[smhd](/(ip|key|user))?")


def rate_limits(value: str) -> str:
    """django-allauth's syntax: comma-separated ``amount/[n]period[/scope]``, e.g. ``10/m/ip,5/5m/key``."""
    if not all(_RATE.fullmatch(part.strip()) for part in value.split(",")):
        raise ValueError("rates such as 10/m/ip,5/5m/key (amount/[n]s|m|h|d/ip|key|user)")
    return value


def postgres_url(value: str) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # django-environ warns before giving up on an unknown scheme
        config = environ.Env.db_url_config(value)
    if config.get("ENGINE") != "django.db.backends.postgresql" or not config.get("NAME"):
        raise ValueError("a PostgreSQL URL such as postgres://carehub@db.internal:5432/carehub")
    return value


def email_url(value: str) -> str:
    try:
        environ.Env.email_url_config(value)
    except ImproperlyConfigured as exc:
        raise ValueError("an e-mail URL such as smtp+tls://user:password@smtp.internal:587") from exc
    return value


def day_times(count: int) -> Callable[[str], str]:
    """``count`` increasing wall-clock times ``HH:MM``, comma-separated."""
    expected = f"{count} increasing times HH:MM, comma-separated"

    def check_day_times(value: str) -> str:
        times = []
        for part in value.split(","):
            match = re.fullmatch(r"(\d{1,2}):(\d{2})", part.strip())
            if not match or int(match[1]) > 23 or int(match[2]) > 59:
                raise ValueError(expected)
            times.append((int(match[1]), int(match[2])))
        if len(times) != count or times != sorted(set(times)):
            raise ValueError(expected)
        return value

    return check_day_times


def one_of(*choices: str) -> Callable[[str], str]:
    """One word among ``choices`` (case-insensitive)."""

    def check_one_of(value: str) -> str:
        if value.lower() not in choices:
            raise ValueError(f"one of {', '.join(choices)}")
        return value.lower()

    return check_one_of


def directory(value: str) -> str:
    """An existing folder."""
    if not Path(value).is_dir():
        raise ValueError("an existing folder")
    return value
