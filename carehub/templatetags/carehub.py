from django import template
from django.urls import reverse

register = template.Library()


#: URL names of the main navigation, to tell which area a page belongs to.
NAV_URL_NAMES = (
    "coordination:handover",
    "coordination:resident_list",
    "messaging:index",
    "documents:index",
    "directory:search",
    "portal:home",
)


def _current_nav_prefix(request) -> str:
    """The longest navigation URL the path starts with (/residents/handover/ is the
    handover, not the residents list), memoised on the request."""
    cached = getattr(request, "_carehub_nav_prefix", None)
    if cached is None:
        prefixes = [reverse(name) for name in NAV_URL_NAMES]
        matching = [p for p in prefixes if request.path.startswith(p)]
        cached = max(matching, key=len) if matching else ""
        request._carehub_nav_prefix = cached
    return cached


@register.simple_tag(takes_context=True)
def nav_current(context, prefix):
    """aria-current for the navigation item whose area the page belongs to."""
    request = context.get("request")
    if request and prefix and _current_nav_prefix(request) == prefix:
        return "page"
    return ""
