"""Coordinators manage the folder tree of their sites from the admin panel too.

Documents themselves are managed from the app's pages (uploads, versions and
the bin need the checks made there), so only folders are registered here.
"""

from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from carehub import policy
from carehub.admin.scoping import SiteScopedAdmin

from .models import Folder


class FolderAdminForm(forms.ModelForm):
    class Meta:
        model = Folder
        fields = ["name", "scope", "parent", "site", "unit", "resident", "staff_may_upload"]

    def clean(self):
        cleaned = super().clean()
        if "scope" not in self.fields:  # an existing folder: its place is read-only
            return cleaned
        parent, unit, resident = cleaned.get("parent"), cleaned.get("unit"), cleaned.get("resident")
        if parent is not None:
            # A sub-folder belongs where its parent does.
            cleaned.update(scope=parent.scope, site=parent.site, unit=parent.unit, resident=parent.resident)
        elif resident is not None:
            cleaned["site"] = resident.site
        elif unit is not None:
            cleaned["site"] = unit.site
        for name in ("scope", "site", "unit", "resident"):
            setattr(self.instance, name, cleaned.get(name))
        return cleaned


@admin.register(Folder)
class FolderAdmin(SiteScopedAdmin):
    site_field = "site"
    form = FolderAdminForm
    list_display = ("name", "scope", "site", "unit", "resident", "parent", "staff_may_upload")
    list_filter = ("scope",)
    list_select_related = ("site", "unit", "resident", "parent")
    search_fields = ("name",)
    readonly_fields = ("created_by", "created_at")

    def get_readonly_fields(self, request, obj=None):
        # Moving a folder would leave its sub-folders and documents behind in the old
        # site's scope: an existing folder keeps its place (documents move one by one).
        if obj is not None:
            return (*self.readonly_fields, "scope", "parent", "site", "unit", "resident")
        return self.readonly_fields

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        group_admin = policy.is_group_admin(request.user)

        class ScopedForm(form):
            def clean(self):
                cleaned = super().clean()
                if cleaned.get("scope") == Folder.Scope.GROUP and not group_admin:
                    raise ValidationError(_("Only head office manages the group's folders."))
                return cleaned

        return ScopedForm

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)
