"""Small charts drawn on the server as SVG: no JavaScript, no CDN, printable."""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.utils.formats import date_format
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

WIDTH, HEIGHT = 600, 160
LEFT, RIGHT, TOP, BOTTOM = 34, 8, 10, 24


def _nice_max(value: int) -> int:
    if value <= 5:
        return max(value, 1)
    for step in (5, 10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 5000, 10000):
        if value <= step * 5:
            return -(-value // step) * step
    return value


def bar_chart_svg(points: Sequence[tuple[datetime.date, int]], *, title: str, chart_id: str = "chart") -> SafeString:
    """Bars per day with a y axis, a label every 7 days, and a text alternative.

    The SVG carries ``role="img"`` with a <title> and a <desc> listing the values,
    so that a screen reader gets the figures, not a picture.
    """
    if not points:
        return mark_safe("")  # noqa: S308  # nosec B308 # a constant empty string
    top = _nice_max(max(n for _, n in points))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    slot = plot_w / len(points)
    bar_w = max(1.0, slot * 0.7)
    parts = [
        f'<svg class="bar-chart" xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'role="img" aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
    ]
    total = sum(n for _, n in points)
    desc = "; ".join(f"{date_format(day, 'SHORT_DATE_FORMAT')}: {n}" for day, n in points)
    summary = ngettext("%(total)d in all.", "%(total)d in all.", total) % {"total": total}
    parts.append(f'<desc id="{chart_id}-desc">{escape(summary)} {escape(desc)}</desc>')
    for fraction in (0, 0.5, 1) if top % 2 == 0 else (0, 1):
        y = TOP + plot_h * (1 - fraction)
        value = round(top * fraction)
        parts.append(f'<line class="bar-chart__grid" x1="{LEFT}" y1="{y:.1f}" x2="{WIDTH - RIGHT}" y2="{y:.1f}"/>')
        parts.append(f'<text class="bar-chart__axis" x="{LEFT - 4}" y="{y + 3:.1f}" text-anchor="end">{value}</text>')
    for i, (day, n) in enumerate(points):
        h = plot_h * n / top if top else 0
        x = LEFT + i * slot + (slot - bar_w) / 2
        y = TOP + plot_h - h
        label = escape(f"{date_format(day, 'SHORT_DATE_FORMAT')}: {n}")
        parts.append(
            f'<rect class="bar-chart__bar" x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}">'
            f"<title>{label}</title></rect>"
        )
        last = len(points) - 1
        if i % 7 == 0 or (i == last and last % 7 >= 3):
            parts.append(
                f'<text class="bar-chart__axis" x="{x + bar_w / 2:.1f}" y="{HEIGHT - 8}" text-anchor="middle">'
                f"{escape(date_format(day, 'd/m'))}</text>"
            )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308  # nosec B308 B703 # every value above is escaped or a number


def notes_chart(points, site) -> SafeString:
    title = _("Care notes per day at %(site)s") % {"site": site.name}
    return bar_chart_svg(points, title=title, chart_id=f"notes-chart-{site.pk}")
