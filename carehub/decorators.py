"""The view guards: who may open a page at all, before the policy picks the objects.

Each refuses through :func:`carehub.policy.refuse`, so a family member gets 404 on
a staff page addressed by an id, as for an object that does not exist.
"""

from __future__ import annotations

import functools

from django.contrib import admin

from . import policy


def _guard(allowed):
    def decorator(view):
        @functools.wraps(view)
        def wrapper(request, *args, **kwargs):
            if not allowed(request):
                policy.refuse(request)
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


#: Pages of the care team: staff with an assignment in force today, and group admins.
staff_required = _guard(lambda request: policy.is_active_staff(request.user))

#: Pages of the coordinators' panel outside the model admin: the admin site's own test
#: (coordinator or group admin, with a verified second factor).
coordinator_required = _guard(lambda request: admin.site.has_permission(request))

#: The family's own account pages (staff have their own).
family_required = _guard(lambda request: request.user.is_authenticated and request.user.is_family)
