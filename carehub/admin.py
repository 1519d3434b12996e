"""Admin building blocks: every ModelAdmin of CareHub is scoped by the access policy."""

from django.contrib import admin

from . import policy
from .models import AccessLog


class SiteScopedAdmin(admin.ModelAdmin):
    """Changelists, change views, autocomplete and actions limited to the coordinator's sites.

    ``site_field`` is the lookup from the model to its Site ("site", "unit__site",
    "resident__site"…); ``None`` means the model is group-wide and only group
    admins may change it (coordinators may still view it).
    """

    site_field: str | None = "site"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if self.site_field is None:
            return qs
        field = "pk" if self.site_field == "self" else self.site_field
        return policy.restrict(qs, request.user, policy.Scope.MANAGE, field)

    def _is_group_admin(self, request):
        return policy.is_group_admin(request.user)

    def has_module_permission(self, request):
        return policy.role(request.user) >= policy.Role.COORDINATOR

    def has_view_permission(self, request, obj=None):
        return policy.role(request.user) >= policy.Role.COORDINATOR

    def has_add_permission(self, request):
        if self.site_field is None:
            return self._is_group_admin(request)
        return policy.role(request.user) >= policy.Role.COORDINATOR

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        # Nothing is deleted through CareHub: records are archived or deactivated.
        return False

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Choices of Site/Unit/Resident pickers limited to what the coordinator manages."""
        related = db_field.related_model
        manager = getattr(related, "objects", None)
        if manager is not None and hasattr(manager, "managed_by"):
            kwargs["queryset"] = manager.managed_by(request.user)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(AccessLog)
class AccessLogAdmin(admin.ModelAdmin):
    """Read-only for everyone, group admins included: the log is append-only."""

    list_display = ("at", "actor", "action", "object_type", "object_repr", "ip")
    list_filter = ("action", "object_type")
    search_fields = ("actor", "object_repr", "object_id", "query")
    date_hierarchy = "at"
    list_select_related = ("user",)
    show_full_result_count = False
    readonly_fields = [f.name for f in AccessLog._meta.fields]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if policy.is_group_admin(request.user):
            return qs
        allowed = policy.site_ids(request.user, policy.Scope.MANAGE)
        return qs.filter(site_id__in=allowed) if allowed else qs.none()

    def has_module_permission(self, request):
        return policy.role(request.user) >= policy.Role.COORDINATOR

    def has_view_permission(self, request, obj=None):
        return policy.role(request.user) >= policy.Role.COORDINATOR

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


admin.site.site_url = "/"
