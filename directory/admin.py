from django.contrib import admin
from django.utils import timezone

from carehub import policy
from carehub.admin.scoping import SiteScopedAdmin, SiteScopedInlineMixin

from . import services
from .models import Assignment, OnCallShift, Site, StaffProfile, Unit


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 0
    fields = ("name", "is_secure", "nurse_station_phone")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Site)
class SiteAdmin(SiteScopedAdmin):
    site_field = "self"
    list_display = ("name", "kind", "city", "phone", "time_zone", "is_active", "lock_with_pin")
    list_filter = ("kind", "is_active", "lock_with_pin")
    search_fields = ("name", "city")
    inlines = [UnitInline]

    def has_add_permission(self, request):
        return self._is_group_admin(request)  # opening a site is a head-office decision


@admin.register(Unit)
class UnitAdmin(SiteScopedAdmin):
    list_display = ("name", "site", "is_secure", "nurse_station_phone")
    list_filter = ("site",)
    search_fields = ("name", "site__name")
    list_select_related = ("site",)


class AssignmentInline(SiteScopedInlineMixin, admin.TabularInline):
    """On a person's page: only their assignments at sites the coordinator manages.

    Assignments elsewhere are neither shown nor touched when the page is saved.
    """

    model = Assignment
    fk_name = "user"
    extra = 0
    fields = ("site", "unit", "role", "is_primary", "start_date", "end_date")

    def get_queryset(self, request):
        return Assignment.objects.managed_by(request.user).select_related("site", "unit")


@admin.register(Assignment)
class AssignmentAdmin(SiteScopedAdmin):
    list_display = ("user", "site", "unit", "role", "is_primary", "start_date", "end_date")
    list_filter = ("role", "site")
    search_fields = ("user__email", "user__last_name", "user__first_name")
    list_select_related = ("user", "site", "unit__site")
    autocomplete_fields = ("user",)


@admin.register(StaffProfile)
class StaffProfileAdmin(SiteScopedAdmin):
    site_field = "user__assignments__site"
    list_display = ("user", "job", "phone_extension")
    list_filter = ("job",)
    search_fields = ("user__email", "user__last_name", "user__first_name", "phone_extension")
    list_select_related = ("user",)

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()


@admin.register(OnCallShift)
class OnCallShiftAdmin(SiteScopedAdmin):
    """The on-call roster, filled by the coordinators of each site."""

    list_display = ("date", "site", "user", "unit", "note")
    list_filter = ("site",)
    date_hierarchy = "date"
    search_fields = ("user__last_name", "user__first_name", "site__name")
    list_select_related = ("site", "user", "unit")
    autocomplete_fields = ("user",)
    fields = ("site", "date", "user", "unit", "note")
    ordering = ("-date", "site__name")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # one entry at a time, checked by has_delete_permission
        return actions

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
            super().save_model(request, obj, form, change)
        elif form.changed_data:
            services.on_call_shift_revise(shift=obj, fields=form.changed_data)

    def has_delete_permission(self, request, obj=None):
        # Upcoming entries may be removed by the site's coordinators (a swap, a mistake);
        # past days stay as a record of who was on call.
        if obj is None:
            return self.has_change_permission(request)
        return obj.date >= timezone.localdate(timezone=obj.site.zone) and policy.can(
            request.user, policy.Scope.MANAGE, obj.site_id
        )
