from django import forms
from django.contrib import admin
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from carehub.admin.scoping import SiteScopedAdmin

from .models import SCOPE_CHOICES, ApiToken
from .tokens import api_token_create, api_token_revoke

#: Where response_add finds the raw token save_model made: on the request only, never stored.
_RAW_ATTR = "_fhirapi_raw_token"


class ApiTokenForm(forms.ModelForm):
    scopes = forms.MultipleChoiceField(
        label=_("rights"), choices=SCOPE_CHOICES, widget=forms.CheckboxSelectMultiple, required=False
    )

    class Meta:
        model = ApiToken
        fields = ("name", "sites", "scopes", "expires_at")


@admin.register(ApiToken)
class ApiTokenAdmin(SiteScopedAdmin):
    """Tokens of the FHIR API: made and revoked by head office; coordinators see those of their sites.

    The raw token is shown once, on the page right after its creation; only its hash is kept."""

    site_field = "sites"
    form = ApiTokenForm
    list_display = ("name", "key_prefix", "created_by", "created_at", "expires_at", "revoked_at", "last_used_at")
    list_filter = ("revoked_at",)
    search_fields = ("name",)
    readonly_fields = ("key_prefix", "created_by", "created_at", "last_used_at", "revoked_at")
    actions = ["revoke"]

    def has_add_permission(self, request):
        return self._is_group_admin(request)

    def has_change_permission(self, request, obj=None):
        return self._is_group_admin(request)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        token, raw = api_token_create(
            created_by=request.user,
            name=data["name"],
            sites=data["sites"],
            scopes=data["scopes"],
            expires_at=data.get("expires_at"),
        )
        obj.pk, obj.key_prefix, obj.created_by = token.pk, token.key_prefix, token.created_by
        obj._state.adding = False
        setattr(request, _RAW_ATTR, raw)

    def response_add(self, request, obj, post_url_continue=None):
        raw = getattr(request, _RAW_ATTR, None)
        if raw is None:
            return super().response_add(request, obj, post_url_continue)
        context = {
            **self.admin_site.each_context(request),
            "title": _("API token created"),
            "token": obj,
            "raw_token": raw,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "fhirapi/admin/token_created.html", context)

    @admin.action(description=_("Revoke the token now"))
    def revoke(self, request, queryset):
        for token in queryset:
            api_token_revoke(token=token)
