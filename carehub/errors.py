"""Answers when a service CareHub depends on fails during a request.

A lost database connection (PostgreSQL restarted, a backend terminated, a failover, SQLite
locked past its timeout) is not a bug of the page: the person gets 503 with ``Retry-After`` and
a page saying that what they sent was not saved and to try again, never the generic 500. Django
converts an exception to a response where it is raised, in a view or in any middleware, and
always through ``handler500``: this one home sees them all.
"""

from __future__ import annotations

import sys
from http import HTTPStatus

from django.db import InterfaceError, OperationalError
from django.http import HttpResponse, JsonResponse
from django.template import loader
from django.utils import translation
from django.utils.cache import add_never_cache_headers
from django.utils.translation import gettext as _
from django.views import defaults

#: What Django raises when the database went away or refused the connection (psycopg's and
#: sqlite3's errors arrive wrapped in these).
DATABASE_ERRORS = (OperationalError, InterfaceError)

#: Seconds a client should wait before trying again: a restart or failover of PostgreSQL takes a few.
RETRY_AFTER_SECONDS = 10


def _wants_json(request) -> bool:
    """Scripts: fetch asking for JSON, and htmx (static/js/carehub.js shows the message)."""
    return "application/json" in request.headers.get("Accept", "") or request.headers.get("HX-Request") == "true"


def service_unavailable(request, *, code: str = "database_unavailable") -> HttpResponse:
    """503 in the person's language, rendered without the database (no context processor)."""
    sent = request.method not in ("GET", "HEAD", "OPTIONS")
    with translation.override(translation.get_language_from_request(request)):
        if sent:
            message = _("CareHub is briefly unavailable. What you just sent was not saved: try again in a moment.")
        else:
            message = _("CareHub is briefly unavailable: try again in a moment.")
        if _wants_json(request):
            response: HttpResponse = JsonResponse(
                {"errors": [message], "code": code, "retry_after": RETRY_AFTER_SECONDS},
                status=HTTPStatus.SERVICE_UNAVAILABLE,
            )
        else:
            context = {"message": message, "retry_after": RETRY_AFTER_SECONDS, "sent": sent}
            content = loader.render_to_string("503.html", context)
            response = HttpResponse(content, status=HTTPStatus.SERVICE_UNAVAILABLE)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    add_never_cache_headers(response)
    return response


def server_error(request, template_name: str = defaults.ERROR_500_TEMPLATE_NAME) -> HttpResponse:
    """``handler500``: called while the exception is being handled, so ``sys.exc_info()`` names it."""
    if isinstance(sys.exc_info()[1], DATABASE_ERRORS):
        return service_unavailable(request)
    return defaults.server_error(request, template_name)
