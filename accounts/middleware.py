from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode

from .services import two_factor_is_set_up, two_factor_required

#: URL names a signed-in person may open before passing the second factor.
ALLOWED_BEFORE_2FA = (
    "two_factor_setup",
    "two_factor_verify",
    "account_logout",
    "set_language",
    "healthz",
    "session_keepalive",
)


class TwoFactorRequiredMiddleware:
    """Nothing opens until the session has passed a second factor (set it up first if needed)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self._allowed_paths: tuple[str, ...] | None = None

    def _allowed(self, path: str) -> bool:
        if self._allowed_paths is None:
            from django.conf import settings

            self._allowed_paths = tuple(reverse(name) for name in ALLOWED_BEFORE_2FA) + (settings.STATIC_URL,)
        return path.startswith(self._allowed_paths)

    def __call__(self, request):
        user = request.user
        if (
            user.is_authenticated
            and two_factor_required(user)
            and not user.is_verified()
            and not self._allowed(request.path)
        ):
            target = "two_factor_verify" if two_factor_is_set_up(user) else "two_factor_setup"
            url = reverse(target)
            if request.method == "GET" and not request.htmx:
                url += "?" + urlencode({"next": request.get_full_path()})
            if request.htmx:
                response = redirect(url)
                response["HX-Redirect"] = url
                return response
            return redirect(url)
        return self.get_response(request)
