"""Error reports to Sentry (or a compatible server such as GlitchTip), off unless SENTRY_DSN is set.

An error report must carry no health data: it may leave the hosting (HDS) for a third
party. What is sent is the error's type, its stack (files, functions, lines) and the
request's method and path; never the request's body, query string, cookies or headers
beyond a few harmless ones, never local variables, never the text of a log message,
exception or breadcrumb, which may quote a note or a message. The person is named by id
only (send_default_pii is off).
"""

from __future__ import annotations

from typing import Any

FILTERED = "[Filtered]"
#: Request headers that say nothing about anyone.
SAFE_HEADERS = frozenset({"accept", "accept-language", "content-type", "content-length", "user-agent", "x-request-id"})


def _scrub_request(request: dict) -> dict:
    url = request.get("url")
    kept: dict[str, Any] = {"method": request.get("method")}
    if isinstance(url, str):
        kept["url"] = url.split("?", 1)[0].split("#", 1)[0]
    headers = request.get("headers")
    if isinstance(headers, dict):
        kept["headers"] = {k: v for k, v in headers.items() if k.lower() in SAFE_HEADERS}
    return kept


def _scrub_exception(exception: dict) -> None:
    for value in exception.get("values") or ():
        if value.get("value"):
            value["value"] = FILTERED
        for frame in (value.get("stacktrace") or {}).get("frames") or ():
            frame.pop("vars", None)


def _scrub_threads(threads: dict) -> None:
    for thread in threads.get("values") or ():
        for frame in (thread.get("stacktrace") or {}).get("frames") or ():
            frame.pop("vars", None)


def _scrub_breadcrumbs(breadcrumbs: dict | list) -> None:
    values = breadcrumbs.get("values") if isinstance(breadcrumbs, dict) else breadcrumbs
    for crumb in values or ():
        crumb.pop("data", None)
        if crumb.get("message"):
            crumb["message"] = FILTERED


def scrub_event(event: dict, hint: dict | None = None) -> dict:
    """Sentry's before_send (and before_send_transaction): the event without anything a person wrote."""
    if isinstance(event.get("request"), dict):
        event["request"] = _scrub_request(event["request"])
    if isinstance(event.get("exception"), dict):
        _scrub_exception(event["exception"])
    if isinstance(event.get("threads"), dict):
        _scrub_threads(event["threads"])
    if event.get("breadcrumbs"):
        _scrub_breadcrumbs(event["breadcrumbs"])
    if isinstance(event.get("logentry"), dict):
        # Even a template is text that a caller could have filled: the logger's name says where.
        event["logentry"] = {"message": FILTERED, "params": []}
    if isinstance(event.get("message"), str):
        event["message"] = FILTERED
    event.pop("extra", None)
    user = event.get("user")
    if isinstance(user, dict):
        event["user"] = {"id": user["id"]} if "id" in user else {}
    for span in event.get("spans") or ():
        span.pop("data", None)
        if span.get("description"):
            span["description"] = FILTERED
    return event


def init(dsn: str, *, environment: str | None = None) -> bool:
    """Start the Sentry client with the Django and Celery integrations; nothing when ``dsn`` is empty."""
    if not dsn:
        return False
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        send_default_pii=False,
        include_local_variables=False,
        max_request_body_size="never",
        before_send=scrub_event,
        before_send_transaction=scrub_event,
    )
    return True
