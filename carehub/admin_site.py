from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from . import policy


class CareHubAdminSite(admin.AdminSite):
    """The coordinators' panel: same sign-in, rate limits and second factor as the site."""

    site_header = _("CareHub administration")
    site_title = _("CareHub administration")
    index_title = _("Coordination of the sites")
    #: The index adds the coordinators' shortcuts (dashboard, imports, audit) above the models.
    index_template = "backoffice/admin_index.html"

    def has_permission(self, request):
        user = request.user
        return user.is_active and user.is_staff and user.is_verified() and policy.role(user) >= policy.Role.COORDINATOR

    def login(self, request, extra_context=None):
        # No separate admin sign-in: go through allauth (rate limits) and 2FA.
        target = request.GET.get(REDIRECT_FIELD_NAME) or reverse("admin:index")
        if request.user.is_authenticated:
            # Signed in but not allowed here: a plain refusal, not a login loop.
            from django.core.exceptions import PermissionDenied

            raise PermissionDenied
        return redirect(reverse("account_login") + "?" + urlencode({REDIRECT_FIELD_NAME: target}))

    def password_change(self, request, extra_context=None):
        # Django's own form checks the old password with no limit: allauth's has one (change_password).
        return redirect("account_change_password")
