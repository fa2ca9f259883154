"""Server-rendered SVG charts (no JavaScript), with their text alternative.

:func:`daily_bars` draws one group of bars per day (incoming and outgoing side by side),
with a title and description for screen readers; the page also shows the same figures as
a table. The SVG is built from numbers and escaped labels only.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from html import escape

WIDTH = 860
HEIGHT = 220
_LEFT, _RIGHT, _TOP, _BOTTOM = 36, 8, 10, 28
COLOURS = ("#144f8f", "#d77a1f")


@dataclass(frozen=True, slots=True)
class Series:
    """One row of bars: its name and a value per day."""

    name: str
    values: tuple[int, ...]


def nice_ceiling(value: int) -> int:
    """The top of the axis: ``value`` rounded up to 1, 2 or 5 times a power of ten."""
    if value <= 0:
        return 1
    step = 1
    while True:
        for factor in (1, 2, 5):
            if value <= step * factor:
                return step * factor
        step *= 10


def daily_bars(
    days: Sequence[date], series: Sequence[Series], *, title: str, description: str
) -> str:
    """An SVG bar chart of ``series`` over ``days`` (role ``img``, titled and described)."""
    if any(len(s.values) != len(days) for s in series):
        raise ValueError("every series needs one value per day")
    top = nice_ceiling(max((v for s in series for v in s.values), default=0))
    plot_w = WIDTH - _LEFT - _RIGHT
    plot_h = HEIGHT - _TOP - _BOTTOM
    slot = plot_w / max(len(days), 1)
    bar = max(1.0, (slot - 4) / max(len(series), 1))
    parts = [
        f'<svg class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-labelledby="chart-title chart-desc" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="chart-title">{escape(title)}</title>',
        f'<desc id="chart-desc">{escape(description)}</desc>',
    ]
    for tick in (0, top // 2, top) if top > 1 else (0, top):
        y = _TOP + plot_h - plot_h * tick / top
        parts.append(
            f'<line x1="{_LEFT}" y1="{y:.1f}" x2="{WIDTH - _RIGHT}" y2="{y:.1f}" '
            f'stroke="#d5dbe3" stroke-width="1"/>'
            f'<text x="{_LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{tick}</text>'
        )
    for i, day in enumerate(days):
        x0 = _LEFT + i * slot + 2
        for j, s in enumerate(series):
            value = s.values[i]
            if value <= 0:
                continue
            h = plot_h * value / top
            parts.append(
                f'<rect x="{x0 + j * bar:.1f}" y="{_TOP + plot_h - h:.1f}" width="{bar:.1f}" '
                f'height="{h:.1f}" fill="{COLOURS[j % len(COLOURS)]}">'
                f"<title>{escape(s.name)} {day.day:02d}/{day.month:02d}: {value}</title></rect>"
            )
        if len(days) <= 16 or day.day % 2 == 1:
            parts.append(
                f'<text x="{x0 + slot / 2 - 2:.1f}" y="{HEIGHT - 10}" text-anchor="middle">'
                f"{day.day}</text>"
            )
    parts.append("</svg>")
    return "".join(parts)
