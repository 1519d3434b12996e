"""Paginating huge, append-only tables (the access log, the change history) without COUNT(*)."""

from __future__ import annotations

import json

from django.core.paginator import Paginator
from django.db import connections
from django.utils.functional import cached_property

#: Below this many estimated rows the paginator counts exactly (cheap with the indexes).
EXACT_COUNT_BELOW = 20_000


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
