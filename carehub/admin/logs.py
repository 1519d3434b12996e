"""The viewers of the logs in the admin panel: read-only for everyone, filtered by date and site."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import admin
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from carehub import policy


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


class ManagedSiteFilter(admin.SimpleListFilter):
    """ "By site" in a log viewer: the sites the coordinator manages; ``filter_site`` says what of
    the log belongs to a site (the access log files entries under a site id; the change history
    finds the objects of the site)."""

    title = _("site")
    parameter_name = "site"

    def lookups(self, request, model_admin):
        from directory.models import Site

        return [(str(site.pk), site.name) for site in Site.objects.managed_by(request.user).only("pk", "name")]

    def queryset(self, request, queryset):
        value = self.value()
        if value and value.isdigit():
            return self.filter_site(request, queryset, int(value))
        return queryset

    def filter_site(self, request, queryset, site_id: int):
        return queryset.filter(site_id=site_id)
