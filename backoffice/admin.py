"""The change history (django-auditlog) in the coordinators' panel, scoped to their sites.

django-auditlog registers its own LogEntry admin, open to anyone with the model
permission and listing every site. It is replaced here by one that is read-only
for everyone, shows a coordinator only the history of objects of their sites,
and pages without counting the whole table.
"""

from __future__ import annotations

from auditlog.admin import LogEntryAdmin as AuditlogLogEntryAdmin
from auditlog.models import LogEntry
from auditlog.registry import auditlog
from auditlog.render import get_field_verbose_name
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from carehub import policy
from carehub.admin.logs import DateRangeFilter, ManagedSiteFilter, ReadOnlyLogAdmin
from carehub.admin.paginator import EstimatedCountPaginator
from carehub.admin.scoping import ResidentDataAdminMixin, SiteScopedAdmin
from carehub.ids import parse_uuid

from .selectors import resident_change_scope


def _scoped_admins():
    for model, model_admin in admin.site._registry.items():
        if isinstance(model_admin, SiteScopedAdmin):
            yield model, model_admin


def log_entry_scope(request, *, site_id: int | None = None) -> Q | None:
    """The history a user may read: entries about objects of the sites they manage.

    ``None`` means everything (group admins without a site filter). Entries about
    group-wide models (targets…) are readable by every coordinator.
    """
    if site_id is None and policy.is_group_admin(request.user):
        return None
    allowed = policy.site_ids(request.user, policy.Scope.MANAGE)
    if site_id is not None and not (allowed is policy.ALL_SITES or site_id in allowed):
        return Q(pk__in=[])
    scope = Q(pk__in=[])
    content_types = ContentType.objects.get_for_models(*(model for model, _ in _scoped_admins()))
    for model, model_admin in _scoped_admins():
        content_type = content_types[model]
        if model_admin.site_field is None:
            if site_id is None:
                scope |= Q(content_type=content_type)
            continue
        objects = model_admin.get_queryset(request)
        if site_id is not None:
            field = "pk" if model_admin.site_field == "self" else model_admin.site_field
            objects = model._default_manager.filter(**{field: site_id})
        scope |= Q(content_type=content_type, object_id__in=objects.order_by().values("pk"))
    return scope


class LogEntrySiteFilter(ManagedSiteFilter):
    def filter_site(self, request, queryset, site_id: int):
        return queryset.filter(log_entry_scope(request, site_id=site_id))


class LogEntryResidentFilter(admin.SimpleListFilter):
    """History of one resident's file: the resident and every object attached to them.

    Reached from the resident's page (``?resident=<public id>``), not listed in the sidebar.
    """

    title = _("resident")
    parameter_name = "resident"

    def lookups(self, request, model_admin):
        value = self.value()
        return [(value, value)] if value else []

    def queryset(self, request, queryset):
        value = self.value()
        if not value:
            return queryset
        public_id = parse_uuid(value)
        if public_id is None:
            return queryset.none()
        return queryset.filter(resident_change_scope(public_id=public_id))


class LogEntryModelFilter(admin.SimpleListFilter):
    """Kinds of objects, from the models registered with auditlog (no DISTINCT over the table)."""

    title = _("object type")
    parameter_name = "resource_type"

    def lookups(self, request, model_admin):
        models = sorted(auditlog.get_models(), key=lambda m: str(m._meta.verbose_name))
        content_types = ContentType.objects.get_for_models(*models)
        return [(str(content_types[m].pk), str(m._meta.verbose_name).capitalize()) for m in models]

    def queryset(self, request, queryset):
        value = self.value()
        return queryset.filter(content_type_id=int(value)) if value and value.isdigit() else queryset


class LogEntryDateRangeFilter(DateRangeFilter):
    field_name = "timestamp"


admin.site.unregister(LogEntry)


#: Fields every row has, that tell a reader nothing about what changed.
TECHNICAL_FIELDS = {"id", "public_id"}


def _shown(value) -> str:
    """A value as the history shows it: nothing written is a dash, not "None".

    auditlog writes a reverse relation of a new object as its manager's name ("messaging.Message.None").
    """
    if value in (None, "None", "") or (isinstance(value, str) and value.endswith(".None")):
        return "—"
    return str(value)


@admin.register(LogEntry)
class ScopedLogEntryAdmin(ResidentDataAdminMixin, ReadOnlyLogAdmin, AuditlogLogEntryAdmin):
    """Who changed what, and when: read-only for everyone, scoped to the coordinator's sites."""

    date_hierarchy = None
    list_filter = [LogEntryDateRangeFilter, "action", LogEntrySiteFilter, LogEntryModelFilter, LogEntryResidentFilter]
    search_fields = ["object_repr", "actor__email", "actor__last_name"]
    search_help_text = _("A name, or the e-mail address of who made the change.")
    show_full_result_count = False
    show_facets = admin.ShowFacets.NEVER  # one COUNT per filter choice over the whole history: never
    paginator = EstimatedCountPaginator
    list_per_page = 50
    ordering = ("-timestamp", "-id")
    EXTRA_LOOKUPS = ("actor__id__exact", "object_id__exact", "content_type__id__exact")
    # auditlog's own columns are in English with raw field codes ("create", "13 changes: last_message_at…")
    # and a technical correlation id: the same facts in the reader's language.
    list_display = ["when", "resource_url", "action", "changed_fields", "user_url"]
    readonly_fields = ["when", "resource_url", "action", "user_url", "msg"]
    fieldsets = [(None, {"fields": ["when", "user_url", "resource_url", "action", "msg"]})]

    @admin.display(description=_("when"), ordering="timestamp")
    def when(self, obj):
        return obj.timestamp

    @admin.display(description=_("object"))
    def resource_url(self, obj):
        return super().resource_url(obj)

    @admin.display(description=_("changes"))
    def changed_fields(self, obj):
        if obj.action in (LogEntry.Action.DELETE, LogEntry.Action.ACCESS):
            return ""
        names = [str(get_field_verbose_name(obj, name)) for name in obj.changes_dict if name not in TECHNICAL_FIELDS]
        return ngettext("%(count)d field: %(fields)s", "%(count)d fields: %(fields)s", len(names)) % {
            "count": len(names),
            "fields": ", ".join(names),
        }

    @admin.display(description=_("changes"))
    def msg(self, obj):
        rows = []
        for name, change in obj.changes_dict.items():
            if name in TECHNICAL_FIELDS:
                continue
            if isinstance(change, dict):  # many-to-many: the objects added or removed
                before, after = "", ", ".join(str(item) for item in change.get("objects", []))
            else:
                before, after = change
            rows.append((get_field_verbose_name(obj, name), _shown(before), _shown(after)))
        return format_html(
            '<table><thead><tr><th scope="col">{}</th><th scope="col">{}</th><th scope="col">{}</th></tr></thead>'
            "<tbody>{}</tbody></table>",
            _("Field"),
            _("Before"),
            _("After"),
            format_html_join("", "<tr><td>{}</td><td>{}</td><td>{}</td></tr>", rows),
        )

    @admin.display(description=_("author"))
    def user_url(self, obj):
        return super().user_url(obj) if obj.actor_id else _("system")

    def access_log_objects(self, request, objs):
        """The objects the entries are about (their names are on the page): one query per kind."""
        wanted: dict = {}
        for entry in objs:
            wanted.setdefault(entry.content_type_id, set()).add(entry.object_pk)
        found = []
        for content_type_id, pks in wanted.items():
            model = ContentType.objects.get_for_id(content_type_id).model_class()
            if model is None:
                continue
            objects = model._default_manager.filter(pk__in=pks)
            if any(f.name == "resident" for f in model._meta.fields):
                objects = objects.select_related("resident")
            found.extend(objects)
        return found

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        scope = log_entry_scope(request)
        return qs if scope is None else qs.filter(scope)
