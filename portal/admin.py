from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from carehub.admin.scoping import SiteScopedAdmin

from . import services
from .models import FamilyLink, Invitation, SiteFamilyInfo


class InvitationAddForm(forms.ModelForm):
    class Meta:
        model = Invitation
        fields = ("email", "resident", "relationship", "may_see_news", "may_see_documents", "may_see_messages")


@admin.register(Invitation)
class InvitationAdmin(SiteScopedAdmin):
    """Invitations are made here or from the resident's family page; the e-mail leaves on save."""

    site_field = "resident__site"
    list_display = ("email", "resident", "relationship", "status_label", "expires_at", "sent_at", "created_by")
    list_select_related = ("resident", "created_by")
    search_fields = ("email", "resident__last_name", "resident__first_name")
    list_filter = ("resident__site",)
    actions = ["resend", "revoke"]
    readonly_fields = (
        "email",
        "resident",
        "relationship",
        "may_see_news",
        "may_see_documents",
        "may_see_messages",
        "expires_at",
        "created_at",
        "created_by",
        "sent_at",
        "send_count",
        "accepted_at",
        "accepted_by",
        "revoked_at",
        "revoked_by",
    )

    @admin.display(description=_("status"))
    def status_label(self, obj):
        return obj.get_status_display()

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = InvitationAddForm
        return super().get_form(request, obj, **kwargs)

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields if obj is not None else ()

    def get_fields(self, request, obj=None):
        return InvitationAddForm.Meta.fields if obj is None else self.readonly_fields

    def save_model(self, request, obj, form, change):
        if change:
            return  # an invitation is not edited: resend or revoke it
        try:
            invitation = services.invitation_create(
                actor=request.user,
                resident=form.cleaned_data["resident"],
                email=form.cleaned_data["email"],
                relationship=form.cleaned_data["relationship"],
                may_see_news=form.cleaned_data["may_see_news"],
                may_see_documents=form.cleaned_data["may_see_documents"],
                may_see_messages=form.cleaned_data["may_see_messages"],
            )
        except ValidationError as exc:
            raise PermissionDenied(" ".join(exc.messages)) from exc
        obj.pk, obj.public_id = invitation.pk, invitation.public_id

    @admin.action(description=_("Send a new link (the previous one stops working)"))
    def resend(self, request, queryset):
        for invitation in queryset:
            try:
                services.invitation_resend(actor=request.user, invitation=invitation)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(
                    request, f"{invitation.email}: {' '.join(getattr(exc, 'messages', [str(exc)]))}", messages.ERROR
                )

    @admin.action(description=_("Withdraw the invitation"))
    def revoke(self, request, queryset):
        for invitation in queryset:
            try:
                services.invitation_revoke(actor=request.user, invitation=invitation)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(
                    request, f"{invitation.email}: {' '.join(getattr(exc, 'messages', [str(exc)]))}", messages.ERROR
                )


@admin.register(FamilyLink)
class FamilyLinkAdmin(SiteScopedAdmin):
    """Links come from accepted invitations; here coordinators change rights or revoke access."""

    site_field = "resident__site"
    list_display = (
        "user",
        "resident",
        "relationship",
        "may_see_news",
        "may_see_documents",
        "may_see_messages",
        "is_active",
    )
    list_filter = ("is_active", "resident__site")
    list_select_related = ("user", "resident")
    search_fields = ("user__email", "user__last_name", "resident__last_name")
    fields = (
        "user",
        "resident",
        "relationship",
        "may_see_news",
        "may_see_documents",
        "may_see_messages",
        "is_active",
        "created_at",
        "revoked_at",
        "revoked_by",
    )
    readonly_fields = ("user", "resident", "relationship", "is_active", "created_at", "revoked_at", "revoked_by")
    actions = ["revoke", "deactivate_accounts"]

    def has_add_permission(self, request):
        return False  # a relative joins by accepting an invitation

    def save_model(self, request, obj, form, change):
        services.family_link_update_rights(
            actor=request.user,
            link=obj,
            may_see_news=obj.may_see_news,
            may_see_documents=obj.may_see_documents,
            may_see_messages=obj.may_see_messages,
        )

    @admin.action(description=_("Revoke access now (open sessions are closed)"))
    def revoke(self, request, queryset):
        for link in queryset:
            services.family_link_revoke(actor=request.user, link=link)

    @admin.action(description=_("Deactivate the relatives' accounts"))
    def deactivate_accounts(self, request, queryset):
        for link in queryset.select_related("user"):
            try:
                services.family_account_deactivate(actor=request.user, user=link.user)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{link.user}: {exc}", messages.ERROR)


@admin.register(SiteFamilyInfo)
class SiteFamilyInfoAdmin(SiteScopedAdmin):
    site_field = "site"
    list_display = ("site", "visiting_hours", "updated_at")
    fields = ("site", "visiting_hours", "family_phone", "practical_notes")
