"""Where to go after a form: a local address given by the page, never another site."""

from __future__ import annotations

from django.utils.http import url_has_allowed_host_and_scheme


def is_local(request, url: str) -> bool:
    return bool(url) and url_has_allowed_host_and_scheme(
        url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )


def next_url(request, default: str = "") -> str:
    """The ``next`` of the form or query string when it is a local address, else ``default``."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    return candidate if is_local(request, candidate) else default
