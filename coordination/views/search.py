"""Search in the care notes the person may read."""

from __future__ import annotations

from http import HTTPStatus

from django.conf import settings
from django.shortcuts import render
from django.views.decorators.http import require_http_methods

from carehub.access_log import log_access
from carehub.decorators import staff_required
from carehub.models import AccessLog
from carehub.paging import OffsetPage, page_number

from .. import selectors
from ..forms import (
    SearchForm,
)
from .common import visible_units

SEARCH_RESULTS_PER_PAGE = 25


@staff_required
@require_http_methods(["GET"])
def search(request):
    user = request.user
    units = visible_units(user).order_by("site__name", "name")
    form = SearchForm(request.GET or None, units=units)
    results, has_next, number = [], False, page_number(request)
    searched = False
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        filters = selectors.SearchFilters(
            query=d["q"],
            target=d["target"],
            author=d["author"],
            date_from=d["date_from"],
            date_to=d["date_to"],
            priority=d["priority"],
            unit=d["unit"],
        )
        if not filters.is_empty:
            searched = True
            results = selectors.note_search_page(
                user,
                filters,
                using_postgres=settings.IS_POSTGRES,
                offset=(number - 1) * SEARCH_RESULTS_PER_PAGE,
                limit=SEARCH_RESULTS_PER_PAGE + 1,
            )
            has_next = len(results) > SEARCH_RESULTS_PER_PAGE
            results = results[:SEARCH_RESULTS_PER_PAGE]
            log_access(request, AccessLog.Action.SEARCH, *results, query=_describe_search(request.GET))
    return render(
        request,
        "coordination/search.html",
        {
            "form": form,
            "results": results,
            "searched": searched,
            "page": OffsetPage(number=number, has_next=has_next),
        },
        status=HTTPStatus.BAD_REQUEST if form.errors else HTTPStatus.OK,
    )


def _describe_search(params) -> str:
    parts = [f"{k}={v}" for k, v in params.items() if k != "page" and v]
    return "notes: " + " ".join(parts)
