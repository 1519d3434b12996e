import asyncio
import logging
import uuid

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_POST

from . import policy
from .redirects import next_url

logger = logging.getLogger(__name__)


def home(request):
    """Where a person lands after signing in: their area of CareHub."""
    user = request.user
    if user.is_family:
        return redirect("portal:home")
    if not policy.is_active_staff(user):
        return render(request, "carehub/no_assignment.html", status=403)
    if policy.role(user) == policy.Role.STAFF:
        # Care staff start where the work is: their unit's handover (the site's when they have no unit).
        return redirect("coordination:handover")
    return render(request, "carehub/home.html")


@require_POST
def session_keepalive(request):
    """The idle warning's "stay signed in" button: a request that counts as activity."""
    if request.htmx or request.headers.get("Accept") == "application/json":
        return HttpResponse(status=204)
    return redirect(next_url(request, "home"))


def _check_database() -> bool:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        return cursor.fetchone() == (1,)


def _check_cache() -> bool:
    key = f"healthz:{uuid.uuid4().hex}"
    cache.set(key, "1", 10)
    ok = cache.get(key) == "1"
    cache.delete(key)
    return ok


def _check_channel_layer() -> bool:
    layer = get_channel_layer()
    if layer is None:
        return False

    async def roundtrip():
        channel = await layer.new_channel()
        await layer.send(channel, {"type": "healthz.ping"})
        message = await asyncio.wait_for(layer.receive(channel), timeout=2)
        return message.get("type") == "healthz.ping"

    return async_to_sync(roundtrip)()


@login_not_required
@cache_control(public=True, max_age=7 * 24 * 3600)
@require_GET
def favicon(request):
    """Browsers ask for /favicon.ico whatever the page links to: the same icon, not a 404 on every page."""
    # The finders read the project's static folder: the same file before and after collectstatic.
    with open(finders.find("img/favicon.ico"), "rb") as icon:
        return HttpResponse(icon.read(), content_type="image/x-icon")


@login_not_required
@never_cache
@require_GET
def healthz(request):
    """Liveness for load balancers: status of each backing service, nothing else."""
    checks = {}
    for name, check in (
        ("database", _check_database),
        ("cache", _check_cache),
        ("channel_layer", _check_channel_layer),
    ):
        try:
            checks[name] = "ok" if check() else "error"
        except Exception:  # a health check reports failures; it must not raise them
            logger.exception("healthz: %s check failed", name)
            checks[name] = "error"
    healthy = all(v == "ok" for v in checks.values())
    return JsonResponse({"status": "ok" if healthy else "error", "checks": checks}, status=200 if healthy else 503)
