from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.cache import add_never_cache_headers


class SecurityHeadersMiddleware:
    """Headers Django does not set itself (the CSP comes from django-csp)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Permissions-Policy", settings.PERMISSIONS_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        # XFrameOptionsMiddleware sits after CommonMiddleware: errors raised there
        # (unknown Host → 400) never pass through it. Frame denial on those too.
        if not getattr(response, "xframe_options_exempt", False):
            response.headers.setdefault("X-Frame-Options", settings.X_FRAME_OPTIONS)
        return response


class PrivateCacheMiddleware:
    """Pages seen by a signed-in person may show resident data: never store them."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.user.is_authenticated and not request.path.startswith(settings.STATIC_URL):
            add_never_cache_headers(response)
        return response


class ServiceWorkerPassiveMiddleware:
    """The browser's own checks for a new service worker (``Service-Worker: script``, sent after
    pages load) are nobody's activity: marked passive, they do not delay the idle lock or the
    idle sign-out (accounts.middleware.SessionLifetimeMiddleware)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.headers.get("Service-Worker") == "script":
            request.META["HTTP_X_CAREHUB_PASSIVE"] = "1"
            request.__dict__.pop("headers", None)  # a cached_property: read again from META
        return self.get_response(request)


class RefusalLogMiddleware:
    """A signed-in person refused an object (404 for one hidden by the access policy, 403 for one
    she may not change) leaves an entry in the access log: probing another site's records by their
    ids shows in the trail (ASVS 16.3.2). Pages without an object in their address are not logged."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        if not isinstance(exception, Http404 | PermissionDenied) or not request.user.is_authenticated:
            return None
        match = getattr(request, "resolver_match", None)
        if match is None or not match.kwargs:
            return None
        from carehub.access_log import log_refusal

        log_refusal(request)
        return None
