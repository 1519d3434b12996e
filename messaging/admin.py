from django.contrib import admin

from carehub.admin.scoping import SiteScopedAdmin

from .models import Conversation


@admin.register(Conversation)
class ConversationAdmin(SiteScopedAdmin):
    """Coordinators see the channels and threads of their sites (not message bodies:
    conversations are read in the app, where each reading is logged)."""

    site_field = "site"
    list_display = ("__str__", "kind", "site", "created_at")
    list_filter = ("kind",)
    search_fields = ("title",)
    readonly_fields = ("kind", "site", "unit", "resident", "created_by", "created_at")
    fields = ("title", *readonly_fields)

    def has_add_permission(self, request):
        return False
