import asyncio
import contextvars
import logging
import uuid
from concurrent.futures import Future, ThreadPoolExecutor, wait

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.contrib.auth.decorators import login_not_required
from django.contrib.staticfiles import finders
from django.core.cache import cache, caches
from django.core.cache.backends.db import DatabaseCache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, connections
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_POST

from . import heartbeat, policy
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


#: Every check answers within this many seconds, or counts as failed: a hung Redis or disk must not
#: hang the load balancer's probe (nor pile probes up behind it).
HEALTH_CHECK_TIMEOUT = 2.0
_checks_pool = ThreadPoolExecutor(max_workers=8, thread_name_prefix="healthz")


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
        message = await asyncio.wait_for(layer.receive(channel), timeout=HEALTH_CHECK_TIMEOUT)
        return message.get("type") == "healthz.ping"

    return async_to_sync(roundtrip)()


def _check_media() -> bool:
    """Uploads can be stored: a small file written and deleted (a full or read-only disk fails here)."""
    name = default_storage.save(f"healthz-{uuid.uuid4().hex}.probe", ContentFile(b"ok"))
    default_storage.delete(name)
    return True


def _on_local_database(name: str) -> bool:
    """Checks that use SQLite (the embedded default) run in the request's thread: SQLite is a file of
    this machine, with no network to hang on, and a connection of another thread would wait on
    the locks of this one's transaction."""
    uses_database = name == "database" or (
        name in ("cache", "heartbeats") and isinstance(caches["default"], DatabaseCache)
    )
    return uses_database and connection.vendor == "sqlite"


def _run_here(check) -> Future:
    future: Future = Future()
    try:
        future.set_result(check())
    except Exception as exc:
        future.set_exception(exc)
    return future


def _in_thread(check):
    def run():
        try:
            return check()
        finally:
            connections.close_all()  # the pool thread's own connections only

    return run


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
    """Health for load balancers and monitoring: each backing service, and the age of the Celery
    worker's and beat's heartbeats (carehub/heartbeat.py); nothing else (no versions, hosts, counts).

    503 when a service fails or beat has not beaten for HEALTH_BEAT_MAX_AGE seconds; a stale
    worker makes the status "degraded" but not a 503: every web node would leave the pool for it.
    """
    checks = {
        "database": _check_database,
        "cache": _check_cache,
        "channel_layer": _check_channel_layer,
        "media": _check_media,
        "heartbeats": heartbeat.assess_all,
    }
    inline = {name for name in checks if _on_local_database(name)}
    # Each in a copy of this request's context: their log lines keep the request id.
    futures = {
        name: _checks_pool.submit(contextvars.copy_context().run, _in_thread(check))
        for name, check in checks.items()
        if name not in inline
    }
    for name in inline:
        futures[name] = _run_here(checks[name])
    done, _ = wait(futures.values(), timeout=HEALTH_CHECK_TIMEOUT)
    results: dict[str, str] = {}
    beats: dict[str, heartbeat.Heartbeat] | None = None
    for name, future in futures.items():
        if future not in done:
            logger.error("healthz: %s check did not answer within %s s", name, HEALTH_CHECK_TIMEOUT)
            results[name] = "timeout"
            continue
        try:
            value = future.result()
        except Exception:  # a health check reports failures; it must not raise them
            logger.exception("healthz: %s check failed", name)
            results[name] = "error"
            continue
        if name == "heartbeats":
            beats = value
        else:
            results[name] = "ok" if value else "error"
    heartbeat_state = results.pop("heartbeats", None)  # the heartbeats could not be read: report why
    for role in (heartbeat.WORKER, heartbeat.BEAT):
        results[role] = beats[role].state if beats is not None else (heartbeat_state or "error")
    failing = [name for name, state in results.items() if state not in ("ok", "starting", "off")]
    if [name for name in failing if name != heartbeat.WORKER]:
        status = "error"
    else:
        status = "degraded" if failing else "ok"
    body = {
        "status": status,
        "checks": results,
        "heartbeats": {role: {"age": beat.age} for role, beat in (beats or {}).items()},
    }
    return JsonResponse(body, status=503 if status == "error" else 200)
