"""Pages of results counted by offset, for lists that never count their total (searches)."""

from __future__ import annotations

from dataclasses import dataclass


def page_number(request) -> int:
    """The ``page`` of the query string, 1 when absent or malformed."""
    try:
        return max(1, int(request.GET.get("page", "1")))
    except ValueError:
        return 1


@dataclass(frozen=True)
class OffsetPage:
    """What templates/includes/pagination.html reads of a page, without a paginator (no total)."""

    number: int
    has_next: bool
    paginator = None

    @property
    def has_previous(self) -> bool:
        return self.number > 1

    def has_other_pages(self) -> bool:
        return self.has_previous or self.has_next

    def previous_page_number(self) -> int:
        return self.number - 1

    def next_page_number(self) -> int:
        return self.number + 1
