from django.contrib import admin

from carehub.admin import SiteScopedAdmin

from .models import Assignment, Site, StaffProfile, Unit


class UnitInline(admin.TabularInline):
    model = Unit
    extra = 0
    fields = ("name", "is_secure", "nurse_station_phone")

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Site)
class SiteAdmin(SiteScopedAdmin):
    site_field = "self"
    list_display = ("name", "kind", "city", "phone", "time_zone", "is_active")
    list_filter = ("kind", "is_active")
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


class AssignmentInline(admin.TabularInline):
    model = Assignment
    fk_name = "user"
    extra = 0
    fields = ("site", "unit", "role", "is_primary", "start_date", "end_date")


@admin.register(Assignment)
class AssignmentAdmin(SiteScopedAdmin):
    list_display = ("user", "site", "unit", "role", "is_primary", "start_date", "end_date")
    list_filter = ("role", "site")
    search_fields = ("user__email", "user__last_name", "user__first_name")
    list_select_related = ("user", "site", "unit")
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
