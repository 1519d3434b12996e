"""The installable app: the web app manifest, the service worker and the page it shows offline.

The service worker only keeps the app shell (static files) and the offline page, which is rendered
for nobody (no session, no resident data): a page holding care data is never cached, so a tablet
shared by a team cannot show one person's pages to the next. Drafts written offline stay in the
browser (static/js/drafts.js), per signed-in person, and are cleared at sign-out.
"""

from __future__ import annotations

import hashlib
import json

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.models import AnonymousUser
from django.contrib.staticfiles import finders
from django.http import HttpResponse, JsonResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET

#: The colour of the header bar (--blue-dark in static/css/carehub.css): the installed app's frame.
THEME_COLOUR = "#083f77"
BACKGROUND_COLOUR = "#f5f7fa"
ICON_SIZES = (192, 512)

#: What the offline page needs to look like CareHub and to list the drafts kept on the device.
SHELL_ASSETS = (
    "css/carehub.css",
    "js/carehub.js",
    "js/drafts.js",
    "vendor/htmx/htmx-2.0.11.min.js",
    "img/favicon.svg",
    *(f"img/icon-{size}.png" for size in ICON_SIZES),
)


@login_not_required
@require_GET
@cache_control(max_age=3600, public=True)
def manifest(request):
    """The web app manifest: CareHub on the tablet's home screen, opening on the person's start page."""
    data = {
        "name": "CareHub",
        "short_name": "CareHub",
        "description": _("care coordination for the group's sites"),
        "lang": translation.get_language(),
        "start_url": reverse("home"),
        "scope": "/",
        "display": "standalone",
        "theme_color": THEME_COLOUR,
        "background_color": BACKGROUND_COLOUR,
        "icons": [
            {"src": static(f"img/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png", "purpose": "any"}
            for size in ICON_SIZES
        ]
        + [{"src": static("img/favicon.svg"), "sizes": "any", "type": "image/svg+xml"}],
    }
    response = JsonResponse(data, json_dumps_params={"ensure_ascii": False})
    response["Content-Type"] = "application/manifest+json"
    return response


def _worker_source() -> str:
    path = finders.find("sw.js")
    if not path:  # a broken deployment must say so, not serve an empty worker
        raise FileNotFoundError("static/sw.js is missing")
    with open(path, encoding="utf-8") as handle:
        return handle.read()


@login_not_required
@require_GET
@never_cache
def service_worker(request):
    """static/sw.js served from the site root, so that its scope is the whole site, preceded by
    the shell to keep (the static files' current, hashed names). A deployment that changes any of
    them changes the worker's bytes, so browsers install the new worker and drop the old cache."""
    shell = {
        "offline": reverse("offline"),
        "assets": [static(name) for name in SHELL_ASSETS],
        "static": settings.STATIC_URL,
    }
    source = _worker_source()
    shell["version"] = hashlib.sha256((json.dumps(shell, sort_keys=True) + source).encode()).hexdigest()[:16]
    body = f"self.CAREHUB_SHELL = {json.dumps(shell)};\n{source}"
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Service-Worker-Allowed"] = "/"
    return response


@login_not_required
@require_GET
def offline(request):
    """What a reload shows without network: no data of anyone, only the drafts kept in this
    browser, which static/js/drafts.js lists for the person signed in on it. The service worker
    asks for it without cookies and names the language (?lang=) of the last page seen."""
    lang = request.GET.get("lang", "")
    if lang not in dict(settings.LANGUAGES):
        lang = translation.get_language()
    with translation.override(lang):
        # Rendered as for a visitor whatever the request carries: this page is cached for everyone.
        response = render(
            request,
            "carehub/offline.html",
            {"user": AnonymousUser(), "user_primary_site": None, "LANGUAGE_CODE": lang},
        )
    response["Content-Language"] = lang
    return response
