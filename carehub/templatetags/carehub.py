from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


@register.simple_tag
def url_if_exists(name, *args):
    """The URL of a named route, or "" when the app providing it is not installed yet."""
    try:
        return reverse(name, args=args)
    except NoReverseMatch:
        return ""


@register.simple_tag(takes_context=True)
def nav_current(context, prefix):
    """aria-current for the navigation item whose area the page belongs to."""
    request = context.get("request")
    if request and prefix and request.path.startswith(prefix):
        return "page"
    return ""
