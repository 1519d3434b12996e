"""Every URL that takes a POST has a property test here, or a reason in EXCLUDED: a new form or JSON
endpoint without one fails this test."""

import importlib
import pkgutil

from django.urls import URLPattern, URLResolver, get_resolver

import tests.properties as properties_pkg
from tests.properties.checks import COVERED

#: Namespaces with their own tests: the Django admin's forms (tests/access/test_admin_scope.py).
SEPARATELY_CHECKED_NAMESPACES = {"admin"}

#: URLs that take a POST without a property test, and why.
EXCLUDED = {
    "account_logout": "no field: it ends the session the examples share (tests/accounts covers it)",
    "openid_connect_login": "off unless OIDC_ISSUER is set: 404 whatever is sent (tests/accounts/test_oidc_sign_in.py)",
    "openid_connect_callback": "off unless OIDC_ISSUER is set: 404 whatever is sent (tests/accounts/test_oidc_sign_in.py)",
    "account_signup": "sign-up is closed: every POST gets the same closed page",
    "account_email": "sign-in addresses are never added from a session: 404 whatever is sent",
    "account_set_password": "every account has a password: the form redirects before reading the body",
    "account_confirm_login_code": "sign-in by code is off: a redirect before reading the body",
    "account_request_reauthentication_code": "re-authentication by code is off: a redirect before reading the body",
    "account_confirm_reauthentication_code": "re-authentication by code is off: a redirect before reading the body",
    **dict.fromkeys(
        (
            "home",
            "account_security",
            "two_factor_backup_codes",
            "account_email_closed",
            "coordination:resident_list",
            "coordination:resident_detail",
            "coordination:resident_photo",
            "documents:index",
            "documents:search",
            "documents:bin",
            "documents:folder_detail",
            "documents:document_detail",
            "documents:version_download",
            "documents:version_preview",
            "documents:version_thumbnail",
            "notifications:list",
            "account_email_verification_sent",
        ),
        "a page with no method check that reads no body: a POST gets the page (the access matrix POSTs to it, no 500)",
    ),
}


def _methods(view) -> set[str] | None:
    """The methods a view's require_http_methods (or require_POST/GET) lets through; None: any."""
    view_class = getattr(view, "view_class", None)
    if view_class is not None:  # a class-based view (allauth): the methods it has a handler for
        return {m.upper() for m in view_class.http_method_names if hasattr(view_class, m)}
    while view is not None:
        for cell in getattr(view, "__closure__", None) or ():
            try:
                value = cell.cell_contents
            except ValueError:
                continue
            if (
                isinstance(value, list | tuple)
                and value
                and all(m in {"GET", "POST", "HEAD", "PUT", "PATCH", "DELETE", "OPTIONS"} for m in value)
            ):
                return set(value)
        view = getattr(view, "__wrapped__", None)
    return None


def _post_urls(resolver=None, namespace=""):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _post_urls(entry, f"{namespace}{entry.namespace}:" if entry.namespace else namespace)
        elif isinstance(entry, URLPattern) and entry.name:
            methods = _methods(entry.callback)
            yield f"{namespace}{entry.name}", methods


def _import_tests():
    for info in pkgutil.iter_modules(properties_pkg.__path__):
        if info.name.startswith("test_"):
            importlib.import_module(f"tests.properties.{info.name}")


def test_every_post_url_has_a_property_test():
    _import_tests()
    missing = sorted(
        name
        for name, methods in _post_urls()
        if name.split(":")[0] not in SEPARATELY_CHECKED_NAMESPACES
        and (methods is None or "POST" in methods)
        and name not in COVERED | set(EXCLUDED)
    )
    assert not missing, f"URLs taking a POST without a property test: {missing}"
