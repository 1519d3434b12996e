"""Admin building blocks: every ModelAdmin of CareHub is scoped by the access policy.

``SiteScopedAdmin`` is the base of every CareHub ModelAdmin. Its contract:

- ``site_field`` is the lookup from the model to its Site ("site", "unit__site",
  "resident__site", "self" for Site itself…); ``None`` means the model is
  group-wide (coordinators may view it, only group admins change it unless the
  subclass says otherwise).
- changelists, change/history views, autocomplete, actions and exports all start
  from ``get_queryset``: a coordinator never reaches another site's rows (a change
  view of a hidden object answers like a missing one).
- foreign-key and many-to-many choices, and the related-object list filters, only
  offer objects the coordinator manages.
- nothing is deleted through the admin (records are archived or deactivated).

``tests/access/test_admin_scope.py`` enumerates the admin registry and checks
every registered model against this contract.
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta

from django.apps import apps
from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, lookup_spawns_duplicates
from django.core.exceptions import FieldDoesNotExist
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import ForeignKey, ManyToManyField, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.functional import cached_property
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import policy
from .ids import parse_uuid
from .models import AccessLog

#: Below this many estimated rows the paginator counts exactly (cheap with the indexes).
EXACT_COUNT_BELOW = 20_000


def scoped_related_queryset(model, request):
    """The objects of ``model`` the request's user may pick or filter on in the admin.

    Models with a ``managed_by`` queryset method use it; models registered with a
    scoped admin use that admin's queryset; other models are not restricted.
    """
    manager = model._default_manager
    if hasattr(manager, "managed_by"):
        return manager.managed_by(request.user)
    model_admin = admin.site._registry.get(model)
    if isinstance(model_admin, SiteScopedAdmin) and model_admin.site_field is not None:
        return model_admin.get_queryset(request)
    return manager.all()


def _is_restricted(model, request) -> bool:
    manager = model._default_manager
    model_admin = admin.site._registry.get(model)
    return hasattr(manager, "managed_by") or (
        isinstance(model_admin, SiteScopedAdmin) and model_admin.site_field is not None
    )


class ScopedRelatedFieldListFilter(admin.RelatedFieldListFilter):
    """The "by site / by unit / by user" sidebar lists only what the coordinator manages.

    Django's default lists every row of the related table: the names of other
    sites' units and staff would leak into the sidebar.
    """

    def field_choices(self, field, request, model_admin):
        related = field.related_model
        if not _is_restricted(related, request):
            return super().field_choices(field, request, model_admin)
        ordering = self.field_admin_ordering(field, request, model_admin) or related._meta.ordering or ["pk"]
        queryset = scoped_related_queryset(related, request).order_by(*ordering)
        return [(obj.pk, str(obj)) for obj in queryset]


class SiteScopedAdmin(admin.ModelAdmin):
    """Changelists, change views, autocomplete and actions limited to the coordinator's sites.

    ``site_field`` is the lookup from the model to its Site ("site", "unit__site",
    "resident__site"…); ``None`` means the model is group-wide and only group
    admins may change it (coordinators may still view it).
    """

    site_field: str | None = "site"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if self.site_field is None:
            return qs
        field = "pk" if self.site_field == "self" else self.site_field
        if field != "pk" and lookup_spawns_duplicates(self.model._meta, field):
            # Through a multi-valued relation (a user's assignments): a subquery, so
            # that rows are neither duplicated nor need DISTINCT on every page.
            allowed = policy.restrict(self.model._default_manager.all(), request.user, policy.Scope.MANAGE, field)
            if allowed.query.is_empty():
                return qs.none()
            if policy.site_ids(request.user, policy.Scope.MANAGE) is policy.ALL_SITES:
                return qs
            return qs.filter(pk__in=allowed.values("pk"))
        return policy.restrict(qs, request.user, policy.Scope.MANAGE, field)

    def _is_group_admin(self, request):
        return policy.is_group_admin(request.user)

    def has_module_permission(self, request):
        return policy.role(request.user) >= policy.Role.COORDINATOR

    def has_view_permission(self, request, obj=None):
        return policy.role(request.user) >= policy.Role.COORDINATOR

    def has_add_permission(self, request):
        if self.site_field is None:
            return self._is_group_admin(request)
        return policy.role(request.user) >= policy.Role.COORDINATOR

    def has_change_permission(self, request, obj=None):
        return self.has_add_permission(request)

    def has_delete_permission(self, request, obj=None):
        # Nothing is deleted through CareHub: records are archived or deactivated.
        return False

    def get_list_select_related(self, request):
        """The related objects shown in the list are fetched with it, one query per page.

        Besides what the subclass declares: every foreign key of ``list_display``,
        and its own ``site`` (a unit is shown as "site — unit").
        """
        declared = super().get_list_select_related(request)
        if declared is True:
            return True
        paths = list(declared or ())
        for name in self.get_list_display(request):
            if not isinstance(name, str):
                continue
            try:
                field = self.model._meta.get_field(name)
            except FieldDoesNotExist:
                field = None  # a method or an annotation, not a field
            if isinstance(field, ForeignKey):
                paths.append(name)
        for path in list(paths):
            try:
                related = get_fields_from_path(self.model, path)[-1].related_model
            except (FieldDoesNotExist, NotRelationField):
                related = None
            site = related and next((f for f in related._meta.fields if f.name == "site" and f.is_relation), None)
            if site is not None:
                paths.append(f"{path}__site")
        return tuple(dict.fromkeys(paths))

    def get_list_filter(self, request):
        """Plain relation filters ("site", "resident__site") become scoped ones.

        Django's own would list every row of the related table in the sidebar: the
        names of other sites, their units and their staff.
        """
        scoped = []
        for spec in super().get_list_filter(request):
            if isinstance(spec, str):
                try:
                    field = get_fields_from_path(self.model, spec)[-1]
                except Exception:  # noqa: BLE001 - not a field path: left to Django's checks
                    field = None
                if isinstance(field, ForeignKey | ManyToManyField):
                    spec = (spec, ScopedRelatedFieldListFilter)
            scoped.append(spec)
        return scoped

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        """Choices of Site/Unit/Resident/User pickers limited to what the coordinator manages."""
        if "queryset" not in kwargs and _is_restricted(db_field.related_model, request):
            kwargs["queryset"] = scoped_related_queryset(db_field.related_model, request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs and _is_restricted(db_field.related_model, request):
            kwargs["queryset"] = scoped_related_queryset(db_field.related_model, request)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class SiteScopedInlineMixin:
    """For inlines of scoped admins: their pickers are scoped the same way."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs and _is_restricted(db_field.related_model, request):
            kwargs["queryset"] = scoped_related_queryset(db_field.related_model, request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs and _is_restricted(db_field.related_model, request):
            kwargs["queryset"] = scoped_related_queryset(db_field.related_model, request)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


# --- Paginating huge, append-only tables ---------------------------------------------


class EstimatedCountPaginator(Paginator):
    """A paginator that does not COUNT(*) millions of rows on every page.

    On PostgreSQL it asks the planner for its row estimate first (EXPLAIN, no
    table scan); only when the estimate is small does it count exactly. The
    estimate of a large result is good to a few percent, which is all a page
    list needs. Elsewhere (SQLite, small installations) it counts exactly.
    """

    estimated = False

    @cached_property
    def count(self):
        queryset = self.object_list
        connection = connections[queryset.db]
        if connection.vendor == "postgresql":
            estimate = self._planner_estimate(queryset, connection)
            if estimate is not None and estimate >= EXACT_COUNT_BELOW:
                self.estimated = True
                return estimate
        return queryset.count()

    @staticmethod
    def _planner_estimate(queryset, connection) -> int | None:
        sql, params = queryset.order_by().values("pk").query.sql_with_params()
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)  # noqa: S608 - sql built by the ORM
            row = cursor.fetchone()
        plan = row[0] if row else None
        if isinstance(plan, str):
            plan = json.loads(plan)
        try:
            return int(plan[0]["Plan"]["Plan Rows"])
        except (TypeError, KeyError, IndexError, ValueError):
            return None


# --- Filters of the audit viewer ----------------------------------------------------------


class DateRangeFilter(admin.ListFilter):
    """From/to dates typed in a small form (no JavaScript, no query to list dates).

    ``date_hierarchy`` would scan the whole table for its list of years and months.
    """

    template = "admin/carehub/date_range_filter.html"
    field_name = "at"
    title = _("date range")

    def __init__(self, request, params, model, model_admin):
        super().__init__(request, params, model, model_admin)
        self.param_from = f"{self.field_name}__from"
        self.param_to = f"{self.field_name}__to"
        self.used = {}
        for name in (self.param_from, self.param_to):
            if name in params:
                value = params.pop(name)
                value = value[-1] if isinstance(value, list) else value
                self.used[name] = value
        self.request_params = request.GET

    def has_output(self):
        return True

    def expected_parameters(self):
        return [self.param_from, self.param_to]

    def _bounds(self):
        zone = timezone.get_current_timezone()
        start = parse_date(self.used.get(self.param_from, "") or "") if self.used.get(self.param_from) else None
        end = parse_date(self.used.get(self.param_to, "") or "") if self.used.get(self.param_to) else None
        lower = datetime.combine(start, time.min, tzinfo=zone) if start else None
        upper = datetime.combine(end + timedelta(days=1), time.min, tzinfo=zone) if end else None
        return lower, upper

    def queryset(self, request, queryset):
        try:
            lower, upper = self._bounds()
        except ValueError:
            lower = upper = None  # an impossible date such as 2026-02-31: ignored, shown back
        if lower:
            queryset = queryset.filter(**{f"{self.field_name}__gte": lower})
        if upper:
            queryset = queryset.filter(**{f"{self.field_name}__lt": upper})
        return queryset

    def choices(self, changelist):
        others = [
            (key, value)
            for key, values in self.request_params.lists()
            for value in values
            if key not in (self.param_from, self.param_to, "p")
        ]
        yield {
            "param_from": self.param_from,
            "param_to": self.param_to,
            "value_from": self.used.get(self.param_from, ""),
            "value_to": self.used.get(self.param_to, ""),
            "others": others,
            "clear_url": changelist.get_query_string(remove=[self.param_from, self.param_to]),
        }


class ReadOnlyLogAdmin:
    """Logs in the admin: coordinators read them, nobody (group admins included) changes them.

    ``EXTRA_LOOKUPS`` are the query-string filters the viewer's links use.
    """

    EXTRA_LOOKUPS: tuple[str, ...] = ()

    def lookup_allowed(self, lookup, value, request=None):
        if lookup in self.EXTRA_LOOKUPS:
            return True
        return super().lookup_allowed(lookup, value, request)

    def has_module_permission(self, request):
        return policy.role(request.user) >= policy.Role.COORDINATOR

    def has_view_permission(self, request, obj=None):
        return policy.role(request.user) >= policy.Role.COORDINATOR

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def get_actions(self, request):
        return {}


class AccessLogSiteFilter(admin.SimpleListFilter):
    title = _("site")
    parameter_name = "site"

    def lookups(self, request, model_admin):
        from directory.models import Site

        return [(str(site.pk), site.name) for site in Site.objects.managed_by(request.user).only("pk", "name")]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return queryset.filter(site_id=int(value))
        return queryset


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
class AccessLogAdmin(ReadOnlyLogAdmin, admin.ModelAdmin):
    """Read-only for everyone, group admins included: the log is append-only.

    Coordinators see the entries of their sites. Pages never count millions of
    rows: ``show_full_result_count`` is off and the paginator estimates on PostgreSQL.
    """

    list_display = ("at", "actor", "action", "object_type", "object_repr", "resident_history", "site_id", "ip")
    list_filter = (DateRangeFilter, "action", AccessLogSiteFilter, AccessLogObjectTypeFilter)
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


admin.site.site_url = "/"
