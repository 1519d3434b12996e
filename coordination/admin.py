from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from carehub import policy
from carehub.access_log import log_access
from carehub.admin.scoping import ResidentDataAdminMixin, SiteScopedAdmin
from carehub.models import AccessLog

from . import identity, services
from .forms import ResidentAdminForm
from .models import (
    CareNote,
    HandoverAcknowledgement,
    NotePhrase,
    NoteTemplate,
    Resident,
    ResidentAlert,
    SiteCareSettings,
    Target,
)


class ResidentAlertInline(admin.TabularInline):
    model = ResidentAlert
    extra = 0
    fields = ("kind", "detail", "is_active", "created_by", "created_at", "ended_at")
    readonly_fields = ("created_by", "created_at", "ended_at")

    def has_delete_permission(self, request, obj=None):
        return False

    def has_add_permission(self, request, obj=None):
        return False  # alerts are added from the resident page, with their author


#: The record's fields of the first fieldset; the identity traits have their own.
_RECORD_NOT_IDENTITY = tuple(
    name for name in services.RECORD_FIELDS if name not in {*identity.IDENTITY_FIELDS, "possible_duplicate"}
)


@admin.register(Resident)
class ResidentAdmin(ResidentDataAdminMixin, SiteScopedAdmin):
    """Admission and record keeping by coordinators, through the coordination services.

    Transfers and discharges have their own pages (their services move the notes and close
    the open targets): on an existing record, site, unit and discharge are read-only here.
    """

    form = ResidentAdminForm
    list_display = ("__str__", "birth_name", "birth_date", "sex", "site", "unit", "room", "status", "identity_status")
    list_filter = ("status", "identity_status", "possible_duplicate", "site")
    search_fields = ("last_name", "first_name", "birth_name", "room", "external_id", "ins_matricule")
    list_select_related = ("site", "unit")
    autocomplete_fields = ("referents",)
    inlines = [ResidentAlertInline]

    def get_fieldsets(self, request, obj=None):
        # On admission a possible duplicate is confirmed in the form; afterwards the flag is the
        # identity-vigilance referent's to clear.
        last = "possible_duplicate" if obj is not None else "confirm_possible_duplicate"
        return (
            (None, {"fields": ("site", "unit", *_RECORD_NOT_IDENTITY, "discharge_date", "referents")}),
            (_("Identity (identity-vigilance rules)"), {"fields": (*identity.IDENTITY_FIELDS, last)}),
        )

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user
        return form

    def add_view(self, request, form_url="", extra_context=None):
        response = super().add_view(request, form_url, extra_context)
        form = getattr(response, "context_data", {}).get("adminform")
        # The records shown as possible duplicates were read by the person at the form.
        for other in getattr(form and form.form, "shown_duplicates", []):
            log_access(request, AccessLog.Action.VIEW, other, query="possible duplicate")
        return response

    def has_change_permission(self, request, obj=None):
        # An archived file is read-only: its history must stay as it was.
        if obj is not None and obj.is_archived:
            return False
        return super().has_change_permission(request, obj)

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        return fields + ["site", "unit", "discharge_date"] if obj is not None else fields

    def formfield_for_choice_field(self, db_field, request, **kwargs):
        if db_field.name == "status":
            kwargs["choices"] = [
                (value, label) for value, label in Resident.Status.choices if value not in Resident.ARCHIVED_STATUSES
            ]
        return super().formfield_for_choice_field(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        if change:
            record = {name: data[name] for name in services.RECORD_FIELDS if name in form.changed_data}
            services.resident_update(user=request.user, resident=obj, referents=data.get("referents"), **record)
            return
        record = {name: data[name] for name in services.RECORD_FIELDS if name in data}
        resident = services.resident_admit(
            user=request.user, site=data["site"], unit=data.get("unit"), referents=data.get("referents"), **record
        )
        obj.pk = resident.pk
        obj._state.adding = False
        obj._state.db = resident._state.db

    def save_related(self, request, form, formsets, change):
        # The referents went through the service with the record; the inlines are saved as usual.
        for formset in formsets:
            self.save_formset(request, form, formset, change=change)


@admin.register(Target)
class TargetAdmin(SiteScopedAdmin):
    """The group's controlled list of targets: coordinators maintain it, nothing is deleted."""

    site_field = None
    list_display = ("name_fr", "name_en", "code", "sort_order", "is_active")
    list_editable = ("sort_order", "is_active")
    search_fields = ("name_fr", "name_en", "code")
    prepopulated_fields = {"code": ("name_fr",)}

    def has_add_permission(self, request):
        return policy.role(request.user) >= policy.Role.COORDINATOR

    def get_readonly_fields(self, request, obj=None):
        return ("code",) if obj is not None else ()

    def get_prepopulated_fields(self, request, obj=None):
        # The code is fixed once the target exists (read-only): nothing to fill from the name then.
        return {} if obj is not None else super().get_prepopulated_fields(request, obj)


@admin.register(SiteCareSettings)
class SiteCareSettingsAdmin(SiteScopedAdmin):
    list_display = ("site", "morning_start", "afternoon_start", "night_start", "escalation_delay_minutes")
    list_select_related = ("site",)


@admin.register(CareNote)
class CareNoteAdmin(ResidentDataAdminMixin, SiteScopedAdmin):
    """Read-only: notes are written, corrected, amended and retracted from the care pages."""

    list_display = ("created_at", "resident", "target", "priority", "author", "retracted_at")
    list_filter = ("priority", "shift", "site")
    list_select_related = ("resident", "target", "author")
    search_fields = ("resident__last_name",)
    date_hierarchy = "created_at"
    show_full_result_count = False
    exclude = ("search_text",)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(HandoverAcknowledgement)
class HandoverAcknowledgementAdmin(SiteScopedAdmin):
    list_display = ("acknowledged_at", "unit", "shift_date", "shift", "user")
    list_filter = ("shift", "site")
    list_select_related = ("unit__site", "user")
    verbose_name = _("handover taken")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class WritingAidAdmin(SiteScopedAdmin):
    """Templates and phrases of the note form: a site's own are kept by its coordinators; the group's
    (no site) by head office only."""

    list_select_related = ("target", "site")

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not policy.is_group_admin(request.user):
            form.base_fields["site"].required = True
            form.base_fields["site"].help_text = ""
        return form


@admin.register(NoteTemplate)
class NoteTemplateAdmin(WritingAidAdmin):
    list_display = ("label", "target", "site", "sort_order", "is_active")
    list_filter = ("target", "site", "is_active")
    search_fields = ("label", "data", "action", "result")


@admin.register(NotePhrase)
class NotePhraseAdmin(WritingAidAdmin):
    list_display = ("text", "target", "part", "is_check", "site", "sort_order", "is_active")
    list_filter = ("target", "part", "site", "is_active")
    search_fields = ("text",)
