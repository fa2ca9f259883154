"""Accessible SVG charts for the web dashboards: horizontal bars (0–100 %) with the
target marked as a line across each bar.

For the web UI: ``render_measures_svg(table)`` returns a complete ``<svg>`` element as
text, safe to put into a page as is (every text is escaped); it scales with its
``viewBox`` (set a CSS width). It is ``role="img"`` with ``<title>`` and ``<desc>``
(``aria-labelledby``), each bar has its own ``<title>`` (a tooltip, and what a screen
reader reads), and colour is never the only signal: each bar is labelled with its share
and "Đạt" / "Chưa đạt". ``render_evaluation_svg`` and ``render_national_svg`` draw the
evaluation's units and the national table.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from xml.sax.saxutils import escape, quoteattr

from lienthong.monitor.measures import Measure, MeasureTable
from lienthong.monitor.national import NationalTable
from lienthong.monitor.printable import NO_DATA, number_vi
from lienthong.monitor.reports import Evaluation

MET, NOT_MET, NO_TARGET, TRACK, TEXT, TARGET_LINE = (
    "#2e7d32", "#c62828", "#1565c0", "#eceff1", "#263238", "#000000",
)  # fmt: skip
ROW, LABEL_W, BAR_W, VALUE_W, TOP = 30, 330, 300, 150, 44


@dataclass(frozen=True, slots=True)
class Bar:
    """One bar: a share (``None``: no data), its target (percent) and verdict."""

    label: str
    share: float | None
    target: float | None = None
    target_text: str = ""
    met: bool | None = None


def _bar(m: Measure) -> Bar:
    target = float(m.target.percent) if m.target else None
    return Bar(m.label_vi, m.share, target, m.target.text if m.target else "", m.met)


def _value_text(bar: Bar) -> str:
    if bar.share is None:
        return NO_DATA
    text = f"{number_vi(bar.share)}%"
    if bar.met is not None:
        text += " — Đạt" if bar.met else " — Chưa đạt"
    return text


def _row(index: int, bar: Bar) -> str:
    y = TOP + index * ROW
    mid = y + ROW / 2
    color = NO_TARGET if bar.met is None else (MET if bar.met else NOT_MET)
    tooltip = f"{bar.label}: {_value_text(bar)}" + (
        f" (mục tiêu {bar.target_text})" if bar.target_text else ""
    )
    parts = [
        f"<g><title>{escape(tooltip)}</title>",
        f'<text x="{LABEL_W - 8}" y="{mid + 4:.1f}" text-anchor="end" font-size="12" '
        f'fill="{TEXT}">{escape(bar.label)}</text>',
        f'<rect x="{LABEL_W}" y="{y + 6}" width="{BAR_W}" height="{ROW - 12}" fill="{TRACK}"/>',
    ]
    if bar.share is not None:
        width = BAR_W * max(0.0, min(bar.share, 100.0)) / 100
        parts.append(
            f'<rect x="{LABEL_W}" y="{y + 6}" width="{width:.1f}" height="{ROW - 12}" '
            f'fill="{color}"/>'
        )
    if bar.target is not None:
        x = LABEL_W + BAR_W * max(0.0, min(bar.target, 100.0)) / 100
        parts.append(
            f'<line x1="{x:.1f}" y1="{y + 2}" x2="{x:.1f}" y2="{y + ROW - 2}" '
            f'stroke="{TARGET_LINE}" stroke-width="2" stroke-dasharray="4 2"/>'
        )
    parts.append(
        f'<text x="{LABEL_W + BAR_W + 8}" y="{mid + 4:.1f}" font-size="12" '
        f'fill="{TEXT}">{escape(_value_text(bar))}</text></g>'
    )
    return "".join(parts)


def bars_svg(title: str, description: str, bars: Sequence[Bar], *, id_prefix: str = "") -> str:
    """The chart as SVG text; ``id_prefix`` keeps ids unique when a page holds several
    charts (default: derived from the content)."""
    prefix = (
        id_prefix
        or "chart-" + hashlib.sha256((title + description + repr(bars)).encode()).hexdigest()[:10]
    )
    width = LABEL_W + BAR_W + VALUE_W
    height = TOP + max(len(bars), 1) * ROW + 24
    scale = "".join(
        f'<text x="{LABEL_W + BAR_W * p / 100:.1f}" y="{TOP - 6}" text-anchor="middle" '
        f'font-size="10" fill="{TEXT}">{p}%</text>'
        for p in (0, 25, 50, 75, 100)
    )
    legend = (
        f'<text x="{LABEL_W}" y="{height - 6}" font-size="10" fill="{TEXT}">'
        "Vạch đứt: mục tiêu. Xanh lá: đạt; đỏ: chưa đạt; xanh dương: không có mục tiêu.</text>"
    )
    body = "".join(_row(i, b) for i, b in enumerate(bars)) or (
        f'<text x="{LABEL_W}" y="{TOP + 18}" font-size="12" fill="{TEXT}">{NO_DATA}</text>'
    )
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" role="img" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" font-family="Liberation Serif, Times New Roman, serif" '
        f"aria-labelledby={quoteattr(f'{prefix}-title {prefix}-desc')}>"
        f'<title id="{prefix}-title">{escape(title)}</title>'
        f'<desc id="{prefix}-desc">{escape(description)}</desc>'
        f'<text x="{width / 2:.0f}" y="18" text-anchor="middle" font-size="14" '
        f'font-weight="bold" fill="{TEXT}">{escape(title)}</text>'
        f"{scale}{body}{legend}</svg>"
    )


def _describe(bars: Sequence[Bar]) -> str:
    return "; ".join(
        f"{b.label}: {_value_text(b)}" + (f", mục tiêu {b.target_text}" if b.target_text else "")
        for b in bars
    )


def render_measures_svg(
    table: MeasureTable, *, names: Sequence[str] | None = None, id_prefix: str = ""
) -> str:
    """The measures of ``table`` (all, or those ``names`` lists, in that order)."""
    chosen = [table.get(n) for n in names] if names is not None else list(table.measures)
    bars = [_bar(m) for m in chosen]
    title = f"Sử dụng văn bản điện tử — {table.scope.title}, {table.period.label_vi}"
    return bars_svg(title, _describe(bars), bars, id_prefix=id_prefix)


def render_evaluation_svg(ev: Evaluation, *, id_prefix: str = "") -> str:
    """Each unit's share of fully electronic documents, in rank order."""
    bars = [Bar(f"{line.rank or '—'}. {line.unit}", line.measures[0].share) for line in ev.lines]
    title = f"Văn bản điện tử hoàn toàn theo đơn vị — {ev.period.label_vi}"
    return bars_svg(title, _describe(bars), bars, id_prefix=id_prefix)


def render_national_svg(table: NationalTable, *, id_prefix: str = "") -> str:
    """The national pooled measures that have a target."""
    bars = [_bar(m) for m in table.measures if m.target is not None]
    title = f"Toàn quốc — {table.period.label_vi}"
    return bars_svg(title, _describe(bars), bars, id_prefix=id_prefix)
