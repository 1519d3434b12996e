from django import template

from carehub import policy
from messaging import selectors
from messaging.formatting import linkify, message_time

register = template.Library()


@register.filter(name="linkify")
def linkify_filter(text):
    """Escape a message body and make its http(s) links clickable."""
    return linkify(text or "")


@register.filter(name="message_time")
def message_time_filter(message):
    """The time a message was sent, in its conversation's zone (the live update says the same)."""
    return message_time(message.created_at, message.conversation.time_zone)


@register.simple_tag(takes_context=True)
def messaging_unread_total(context) -> int:
    """Unread messages of the signed-in person, for the header badge (one query)."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or user.is_family or not policy.is_active_staff(user):
        return 0
    return selectors.unread_total(user)
