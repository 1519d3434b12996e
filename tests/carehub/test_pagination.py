"""One pagination partial for every list: links keep the filters and change only the page."""

from django.core.paginator import Paginator
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.utils import translation

from carehub.paging import OffsetPage


def _render(page, path="/residents/?q=mar&unit=abc&page=2", **context):
    request = RequestFactory().get(path)
    with translation.override("fr"):
        return render_to_string("includes/pagination.html", {"page": page, **context}, request=request)


def test_links_keep_the_filters_and_change_only_the_page():
    page = Paginator(range(100), 10).page(2)
    html = _render(page)
    assert 'href="?q=mar&amp;unit=abc&amp;page=3"' in html


def test_a_page_without_total_still_links_both_ways():
    html = _render(OffsetPage(number=2, has_next=True))
    assert html.count("button--secondary") == 2


def test_a_single_page_shows_no_navigation():
    assert _render(Paginator(range(3), 10).page(1)).strip() == ""


def test_htmx_lists_load_the_page_in_place():
    html = _render(Paginator(range(100), 10).page(1), hx_target="#directory-results")
    assert 'hx-target="#directory-results"' in html
