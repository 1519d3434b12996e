"""The access log in the admin panel: who read, downloaded, exported or searched what."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.db.models import Q
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from carehub import policy
from carehub.ids import parse_uuid
from carehub.models import AccessLog

from .logs import DateRangeFilter, ManagedSiteFilter, ReadOnlyLogAdmin
from .paginator import EstimatedCountPaginator
from .scoping import ResidentDataAdminMixin


class AccessLogObjectTypeFilter(admin.SimpleListFilter):
    """Kinds of objects read, from the models (not a DISTINCT over millions of rows)."""

    title = _("object type")
    parameter_name = "object_type"
    APPS = ("coordination", "documents", "messaging", "portal", "directory", "accounts")

    def lookups(self, request, model_admin):
        choices = []
        for app_label in self.APPS:
            for model in apps.get_app_config(app_label).get_models():
                if any(f.name == "public_id" for f in model._meta.fields):
                    choices.append((model._meta.label_lower, str(model._meta.verbose_name).capitalize()))
        return choices

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


def access_log_search(queryset, term: str):
    """One search box for the log: a UUID finds a resident or object, an e-mail an actor."""
    term = term.strip()
    if not term:
        return queryset
    as_uuid = parse_uuid(term)
    if as_uuid is not None:
        return queryset.filter(Q(subject_id=as_uuid) | Q(object_id=str(as_uuid)))
    if "@" in term:
        return queryset.filter(actor__iexact=term)
    return queryset.filter(object_repr__icontains=term)


@admin.register(AccessLog)
class AccessLogAdmin(ResidentDataAdminMixin, ReadOnlyLogAdmin, admin.ModelAdmin):
    """Read-only for everyone, group admins included: the log is append-only.

    Coordinators see the entries of their sites. Pages never count millions of
    rows: ``show_full_result_count`` is off and the paginator estimates on PostgreSQL.
    """

    list_display = ("at", "actor", "action", "object_type", "object_repr", "resident_history", "site_id", "ip")
    list_filter = (DateRangeFilter, "action", ManagedSiteFilter, AccessLogObjectTypeFilter)
    search_fields = ("actor",)  # the real search is access_log_search (see get_search_results)
    search_help_text = _("An e-mail address (who), a resident's public id (whose file), or words of the object.")
    list_select_related = ("user",)
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # one COUNT per filter choice over millions of rows: never
    paginator = EstimatedCountPaginator
    list_per_page = 50
    # Newest first by time, not by id: a date range then walks the "at" index
    # (0.2 ms) instead of scanning the ids backwards past every later entry.
    ordering = ("-at", "-id")
    readonly_fields = [f.name for f in AccessLog._meta.fields]
    #: Filters reached by links (a resident's or a user's history), not listed in the sidebar.
    EXTRA_LOOKUPS = ("subject_id__exact", "user__id__exact", "user__public_id__exact", "site_id__exact")

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if policy.is_group_admin(request.user):
            return qs
        allowed = policy.site_ids(request.user, policy.Scope.MANAGE)
        if not allowed:
            return qs.none()
        # Entries about the sites, plus those tied to no site (sign-ins, 2FA) of people working there.
        from directory.models import Assignment

        staff = Assignment.objects.filter(site_id__in=allowed).values("user_id")
        return qs.filter(Q(site_id__in=allowed) | Q(site_id__isnull=True, user_id__in=staff))

    def get_search_results(self, request, queryset, search_term):
        return access_log_search(queryset, search_term), False

    @admin.display(description=_("resident's history"))
    def resident_history(self, obj):
        if not obj.subject_id:
            return ""
        url = reverse("admin:carehub_accesslog_changelist") + f"?subject_id__exact={obj.subject_id}"
        return format_html('<a href="{}">{}</a>', url, _("all accesses"))

    def changelist_view(self, request, extra_context=None):
        """Filtered on one resident: offer the exports of their access history and record."""
        extra_context = dict(extra_context or {})
        public_id = parse_uuid(request.GET.get("subject_id__exact"))
        if public_id is not None:
            from coordination.models import Resident

            extra_context["resident_exports"] = (
                Resident.objects.managed_by(request.user).filter(public_id=public_id).first()
            )
        return super().changelist_view(request, extra_context)
