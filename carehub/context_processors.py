from django.conf import settings

from accounts.sessions import LOCK_HINT_KEY, idle_timeout_for

from . import policy
from .live_status import live_messaging_available


def carehub(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "idle_timeout_seconds": idle_timeout_for(user),
        "idle_warning_seconds": settings.IDLE_WARNING_BEFORE,
        "idle_locks": bool(request.session.get(LOCK_HINT_KEY)),
        "user_role": policy.role(user),
        "user_is_active_staff": policy.is_active_staff(user),
        "user_is_coordinator": policy.role(user) >= policy.Role.COORDINATOR,
        "user_primary_site": _primary_site(user),
        "live_messaging_unavailable": not live_messaging_available(),
    }


def _primary_site(user):
    if user.is_family:
        return None
    from directory.models import Assignment

    assignment = (
        Assignment.objects.active().filter(user=user).select_related("site").order_by("-is_primary", "pk").first()
    )
    return assignment.site if assignment else None
