"""The deployment's log lines: who and which request each event belongs to, in plain text or JSON.

Each request gets an id (``X-Request-ID``): the reverse proxy's when a trusted proxy
(settings.TRUSTED_PROXIES, carehub/proxies.py) sent a sane one, else a new one. It is
sent back in the response, so a person's report ("the page failed at 10:42") leads to
the lines of that request. The id, the signed-in person's id and, when known, the site
live in context variables: they follow the request through sync and async code alike
(Django under ASGI, Channels consumers, ``sync_to_async`` threads), and a logging filter
copies them onto every record.

LOG_FORMAT=json writes one JSON object per line with a fixed set of fields. Extra
attributes that Django attaches to records (the request object, whose text holds the
query string) are left out: what a log line may hold is decided here, not by each
caller. Health content (note and message bodies) is never logged by the project.
"""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from typing import Any

from django.core.signals import request_finished
from django.dispatch import receiver
from pythonjsonlogger.json import JsonFormatter

from . import proxies

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("carehub_request_id", default=None)
user_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("carehub_user_id", default=None)
site_id_var: contextvars.ContextVar[int | None] = contextvars.ContextVar("carehub_site_id", default=None)
#: The signed-in user object, to read the site from the access policy's per-user cache (no query).
_user_var: contextvars.ContextVar[Any] = contextvars.ContextVar("carehub_log_user", default=None)

#: An incoming id is kept only if it looks like one: no spaces, quotes or control characters to forge lines.
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._:-]{7,127}")
REQUEST_ID_HEADER = "X-Request-ID"


def new_request_id() -> str:
    return uuid.uuid4().hex


def bind_user(user) -> None:
    """Name the signed-in person for the rest of this context (a request, a socket's task)."""
    _user_var.set(user)
    user_id_var.set(getattr(user, "pk", None))


def bind_site(site_id: int | None) -> None:
    site_id_var.set(site_id)


def begin_request(request_id: str) -> None:
    """Everything logged from here on belongs to this request, until ``end_request``."""
    request_id_var.set(request_id)
    user_id_var.set(None)
    site_id_var.set(None)
    _user_var.set(None)


@receiver(request_finished, dispatch_uid="carehub-logs-end-request")
def end_request(**kwargs) -> None:
    """When the response is closed: after Django's own "Not Found: …" lines, which it writes once the
    middleware chain has returned, so a context manager around the chain would miss them."""
    for var in (request_id_var, user_id_var, site_id_var, _user_var):
        var.set(None)


def _policy_site(user) -> int | None:
    """The person's site when they have exactly one, from what the policy already read (never a query)."""
    if user is None:
        return None
    assignments = user.__dict__.get("_carehub_policy_cache", {}).get("assignments")
    sites = {site_id for site_id, _ in assignments or ()}
    return next(iter(sites)) if len(sites) == 1 else None


class RequestContextFilter(logging.Filter):
    """Copies the request id, user id and site id (when known) onto each record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        record.user_id = user_id_var.get()
        record.site_id = site_id_var.get() or _policy_site(_user_var.get())
        return True


class JsonLogFormatter(JsonFormatter):
    """One JSON object per line: timestamp, level, logger, message and the request's context."""

    FIELDS = ("timestamp", "level", "logger", "message", "request_id", "user_id", "site_id")
    #: Kept when present: what Django and Celery attach that holds no content.
    OPTIONAL = ("status_code", "exc_info", "stack_info")

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("fmt", ["levelname", "name", "message"])
        kwargs.setdefault("rename_fields", {"levelname": "level", "name": "logger"})
        kwargs.setdefault("timestamp", True)
        super().__init__(*args, **kwargs)

    def process_log_record(self, log_data: dict[str, Any]) -> dict[str, Any]:
        kept = {key: log_data.get(key) for key in self.FIELDS if log_data.get(key) is not None or key == "message"}
        kept.update({key: log_data[key] for key in self.OPTIONAL if log_data.get(key) is not None})
        return kept


class RequestIdMiddleware:
    """Early in the chain (before TrustedProxyMiddleware, which rewrites REMOTE_ADDR to the client):
    gives the request its id and answers it in X-Request-ID."""

    def __init__(self, get_response):
        from django.conf import settings

        self.get_response = get_response
        self.trusted = proxies.networks(settings.TRUSTED_PROXIES)

    def request_id(self, request) -> str:
        incoming = request.META.get("HTTP_X_REQUEST_ID", "")
        if (
            incoming
            and SANE_REQUEST_ID.fullmatch(incoming)
            and proxies.in_networks(request.META.get("REMOTE_ADDR", ""), self.trusted)
        ):
            return incoming
        return new_request_id()

    def __call__(self, request):
        request_id = self.request_id(request)
        request.request_id = request_id
        begin_request(request_id)
        response = self.get_response(request)
        response.headers[REQUEST_ID_HEADER] = request_id
        return response


class LogUserMiddleware:
    """After authentication and OTP: the signed-in person's id joins the log context."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            bind_user(user)
        return self.get_response(request)
