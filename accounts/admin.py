from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.utils.translation import gettext_lazy as _

from carehub import policy
from carehub.admin import SiteScopedAdmin
from directory.admin import AssignmentInline

from .models import User


@admin.register(User)
class UserAdmin(SiteScopedAdmin, DjangoUserAdmin):
    """Staff accounts of the coordinator's sites; group admins see every account."""

    site_field = "assignments__site"
    ordering = ("last_name", "first_name")
    list_display = ("email", "first_name", "last_name", "kind", "is_active")
    list_filter = ("kind", "is_active", "is_group_admin")
    search_fields = ("email", "first_name", "last_name")
    readonly_fields = ("public_id", "last_login", "date_joined")
    inlines = [AssignmentInline]
    fieldsets = (
        (None, {"fields": ("email", "password", "public_id")}),
        (_("Identity"), {"fields": ("first_name", "last_name", "kind")}),
        (_("Rights"), {"fields": ("is_active", "is_staff", "is_group_admin")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "first_name", "last_name", "password1", "password2")}),
    )

    def get_queryset(self, request):
        return super().get_queryset(request).distinct()

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not policy.is_group_admin(request.user):
            fields.append("is_group_admin")  # only head office makes group admins
        return fields
