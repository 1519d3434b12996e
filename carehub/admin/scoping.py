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
- every page that shows resident data writes its access-log entry (``ResidentDataAdminMixin``).

``tests/access/test_admin_scope.py`` enumerates the admin registry and checks
every registered model against this contract.
"""

from __future__ import annotations

from http import HTTPStatus

from django.contrib import admin
from django.contrib.admin.utils import NotRelationField, get_fields_from_path, lookup_spawns_duplicates
from django.core.exceptions import FieldDoesNotExist
from django.db.models import ForeignKey, ManyToManyField

from carehub import policy
from carehub.access_log import log_refusal, log_resident_reads
from carehub.models import AccessLog


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


class ScopedChoicesMixin:
    """Choices of Site/Unit/Resident/User pickers limited to what the coordinator manages."""

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if "queryset" not in kwargs and _is_restricted(db_field.related_model, request):
            kwargs["queryset"] = scoped_related_queryset(db_field.related_model, request)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if "queryset" not in kwargs and _is_restricted(db_field.related_model, request):
            kwargs["queryset"] = scoped_related_queryset(db_field.related_model, request)
        return super().formfield_for_manytomany(db_field, request, **kwargs)


class ResidentDataAdminMixin:
    """Every admin page that shows resident data is a read like the site's own (ASVS 16.3): the panel is
    no way around the trail. Opening a record (its change, history or delete page) writes a VIEW entry;
    a list writes one entry per resident on the page, a search a SEARCH entry with its terms.

    ``access_log_objects`` gives what the rows show (a history entry: the object it is about).
    """

    def access_log_objects(self, request, objs):
        return objs

    def _log_shown(self, request, action, objs, query=""):
        log_resident_reads(request, action, self.access_log_objects(request, list(objs)), query=query)

    def _log_object_page(self, request, response, key):
        if request.method != "GET" or response.status_code != 200 or not hasattr(response, "context_data"):
            return
        if (obj := response.context_data.get(key)) is not None:
            self._log_shown(request, AccessLog.Action.VIEW, [obj])

    def _get_obj_does_not_exist_redirect(self, request, opts, object_id):
        # Another site's record answers like a missing one, and is a refusal in the trail (ASVS 16.3.2).
        log_refusal(request)
        return super()._get_obj_does_not_exist_redirect(request, opts, object_id)  # type: ignore[misc]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        response = super().change_view(request, object_id, form_url, extra_context)  # type: ignore[misc]
        self._log_object_page(request, response, "original")
        return response

    def history_view(self, request, object_id, extra_context=None):
        response = super().history_view(request, object_id, extra_context)  # type: ignore[misc]
        self._log_object_page(request, response, "object")
        return response

    def delete_view(self, request, object_id, extra_context=None):
        response = super().delete_view(request, object_id, extra_context)  # type: ignore[misc]
        self._log_object_page(request, response, "object")
        return response

    def changelist_view(self, request, extra_context=None):
        response = super().changelist_view(request, extra_context)  # type: ignore[misc]
        changelist = getattr(response, "context_data", {}).get("cl") if response.status_code == 200 else None
        if changelist is None:
            return response
        name = self.model._meta.model_name  # type: ignore[attr-defined]
        if terms := request.GET.get("q", "").strip():
            self._log_shown(request, AccessLog.Action.SEARCH, changelist.result_list, query=f"{name}: {terms}")
        else:
            self._log_shown(request, AccessLog.Action.VIEW, changelist.result_list)
        return response


class SiteScopedAdmin(ResidentDataAdminMixin, ScopedChoicesMixin, admin.ModelAdmin):
    """Changelists, change views, autocomplete and actions limited to the coordinator's sites.

    ``site_field`` is the lookup from the model to its Site ("site", "unit__site",
    "resident__site"…); ``None`` means the model is group-wide and only group
    admins may change it (coordinators may still view it).
    """

    site_field: str | None = "site"

    def render_change_form(self, request, context, *args, **kwargs):
        response = super().render_change_form(request, context, *args, **kwargs)
        if request.method == "POST" and context.get("errors"):
            # Bad input answers 4xx here as on the app's own pages (a refused photo, a wrong value).
            response.status_code = HTTPStatus.BAD_REQUEST
        return response

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


class SiteScopedInlineMixin(ScopedChoicesMixin):
    """For inlines of scoped admins: their pickers are scoped the same way."""
