from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Exists, OuterRef, Subquery
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_otp.plugins.otp_totp.models import TOTPDevice

from carehub import policy
from carehub.admin.scoping import SiteScopedAdmin
from directory.admin import AssignmentInline
from directory.models import Assignment

from .forms import StaffCreationForm
from .models import User
from .staff import (
    ACCOUNT_BEYOND_YOUR_SITES,
    staff_create,
    staff_deactivate,
    staff_two_factor_reset,
    welcome_email_send,
)


class TwoFactorFilter(admin.SimpleListFilter):
    title = _("two-factor authentication")
    parameter_name = "two_factor"

    def lookups(self, request, model_admin):
        return [("no", _("Not set up yet")), ("yes", _("Set up"))]

    def queryset(self, request, queryset):
        if self.value() == "no":
            return queryset.filter(has_two_factor=False)
        if self.value() == "yes":
            return queryset.filter(has_two_factor=True)
        return queryset


@admin.register(User)
class UserAdmin(SiteScopedAdmin, DjangoUserAdmin):
    """Staff accounts of the coordinator's sites; group admins see every account.

    A new staff member is created in one form (account, profile, first assignment)
    and receives a welcome e-mail with a link to choose a password.
    """

    site_field = "assignments__site"
    ordering = ("last_name", "first_name")
    list_display = (
        "email",
        "full_name",
        "job",
        "primary_site",
        "two_factor",
        "is_active",
        "last_login",
        "history_link",
    )
    list_filter = ("is_active", TwoFactorFilter, "assignments__site", "kind", "is_group_admin")
    list_select_related = ("staff_profile",)
    search_fields = ("email", "first_name", "last_name", "staff_profile__external_id")
    readonly_fields = ("public_id", "last_login", "date_joined")
    inlines = [AssignmentInline]
    actions = ["deactivate", "reset_two_factor", "resend_welcome"]
    fieldsets = (
        (None, {"fields": ("email", "password", "public_id")}),
        (_("Identity"), {"fields": ("first_name", "last_name", "kind")}),
        (_("Rights"), {"fields": ("is_active", "is_staff", "is_group_admin")}),
        (_("Dates"), {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (_("Person"), {"fields": ("email", "first_name", "last_name", "job", "external_id", "phone_extension")}),
        (_("First assignment"), {"fields": ("site", "unit", "role", "start_date", "end_date")}),
        (None, {"fields": ("send_welcome",)}),
    )

    def get_queryset(self, request):
        primary_site = Assignment.objects.filter(user=OuterRef("pk"), is_primary=True).values("site__name")[:1]
        return (
            super()
            .get_queryset(request)
            .annotate(
                has_two_factor=Exists(TOTPDevice.objects.filter(user=OuterRef("pk"), confirmed=True)),
                primary_site_name=Subquery(primary_site),
            )
        )

    def get_form(self, request, obj=None, **kwargs):
        if obj is None:
            kwargs["form"] = StaffCreationForm
            form_class = super().get_form(request, obj, **kwargs)

            class ScopedStaffCreationForm(form_class):
                def __init__(self, *args, **kw):
                    super().__init__(*args, **kw)
                    self.for_user(request.user)

            return ScopedStaffCreationForm
        return super().get_form(request, obj, **kwargs)

    def has_change_permission(self, request, obj=None):
        # The change form, the password page and the inlines: only for accounts whose every right
        # lies within the actor's sites (the actions check the same rule in accounts.staff).
        allowed = super().has_change_permission(request, obj)
        return allowed and (obj is None or policy.may_manage_account(request.user, obj))

    def get_inlines(self, request, obj):
        return [] if obj is None else super().get_inlines(request, obj)

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        data = form.cleaned_data
        try:
            user = staff_create(
                by=request.user,
                email=data["email"],
                first_name=data["first_name"],
                last_name=data["last_name"],
                job=data["job"],
                site=data["site"],
                unit=data.get("unit"),
                role=data["role"],
                start_date=data.get("start_date"),
                end_date=data.get("end_date"),
                external_id=data.get("external_id", ""),
                phone_extension=data.get("phone_extension", ""),
                send_welcome=data.get("send_welcome", False),
            )
        except ValidationError as exc:
            raise PermissionDenied(" ".join(exc.messages)) from exc
        obj.pk = user.pk
        obj._state.adding = False
        obj._state.db = user._state.db

    def save_related(self, request, form, formsets, change):
        if not change:
            return
        super().save_related(request, form, formsets, change)
        # A coordinator assignment given on this page opens the panel to the person.
        user = form.instance
        if not user.is_staff and user.assignments.filter(role=Assignment.Role.COORDINATOR).exists():
            user.is_staff = True
            user.save(update_fields=["is_staff"])

    def get_readonly_fields(self, request, obj=None):
        fields = list(super().get_readonly_fields(request, obj))
        if not policy.is_group_admin(request.user):
            fields.append("is_group_admin")  # only head office makes group admins
        return fields

    # --- Columns ---------------------------------------------------------------------

    @admin.display(description=_("name"), ordering="last_name")
    def full_name(self, obj):
        return f"{obj.last_name.upper()} {obj.first_name}".strip() or "—"

    @admin.display(description=_("job"), ordering="staff_profile__job")
    def job(self, obj):
        profile = getattr(obj, "staff_profile", None)
        return profile.get_job_display() if profile else "—"

    @admin.display(description=_("primary site"), ordering="primary_site_name")
    def primary_site(self, obj):
        return obj.primary_site_name or "—"

    @admin.display(description=_("2FA"), boolean=True, ordering="has_two_factor")
    def two_factor(self, obj):
        return obj.has_two_factor

    @admin.display(description=_("access history"))
    def history_link(self, obj):
        url = reverse("admin:carehub_accesslog_changelist") + f"?user__id__exact={obj.pk}"
        return format_html('<a href="{}">{}</a>', url, _("what they opened"))

    # --- Actions ---------------------------------------------------------------------

    @admin.action(description=_("Deactivate the selected accounts (sign-in refused, sessions ended now)"))
    def deactivate(self, request, queryset):
        done = sessions = 0
        for user in queryset:
            try:
                sessions += staff_deactivate(by=request.user, user=user)
            except (ValidationError, PermissionDenied) as exc:
                self.message_user(request, f"{user}: {' '.join(getattr(exc, 'messages', [str(exc)]))}", messages.ERROR)
                continue
            self.log_change(request, user, [{"changed": {"fields": ["is_active"]}}])
            done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "%(count)d account deactivated; %(sessions)d open session(s) ended.",
                    "%(count)d accounts deactivated; %(sessions)d open session(s) ended.",
                    done,
                )
                % {"count": done, "sessions": sessions},
                messages.SUCCESS,
            )

    @admin.action(description=_("Reset two-factor authentication (to be set up again at next sign-in)"))
    def reset_two_factor(self, request, queryset):
        done = 0
        for user in queryset:
            try:
                staff_two_factor_reset(by=request.user, user=user)
            except PermissionDenied as exc:
                self.message_user(request, f"{user}: {exc}", messages.ERROR)
                continue
            self.log_change(request, user, _("Two-factor authentication reset."))
            done += 1
        if done:
            self.message_user(
                request,
                ngettext(
                    "Two-factor authentication reset for %(count)d person: they set it up again at next sign-in.",
                    "Two-factor authentication reset for %(count)d people: they set it up again at next sign-in.",
                    done,
                )
                % {"count": done},
                messages.SUCCESS,
            )

    @admin.action(description=_("Send the welcome e-mail again (new link to choose a password)"))
    def resend_welcome(self, request, queryset):
        users = []
        for user in queryset.filter(is_active=True):
            if not policy.may_manage_account(request.user, user):
                self.message_user(request, f"{user}: {ACCOUNT_BEYOND_YOUR_SITES}", messages.ERROR)
                continue
            users.append(user)
        for user in users:
            welcome_email_send(user=user)
        self.message_user(
            request,
            ngettext("%(count)d e-mail sent.", "%(count)d e-mails sent.", len(users)) % {"count": len(users)},
            messages.SUCCESS,
        )
