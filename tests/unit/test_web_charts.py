"""The SVG charts of the home page: axis scale, bars, text alternatives, escaping."""

from __future__ import annotations

import re
from datetime import date, timedelta

import pytest
from lxml import etree

from lienthong.web.charts import Series, daily_bars, nice_ceiling


@pytest.mark.parametrize(
    ("value", "top"), [(0, 1), (1, 1), (2, 2), (3, 5), (7, 10), (11, 20), (45, 50), (101, 200)]
)
def test_nice_ceiling(value: int, top: int) -> None:
    assert nice_ceiling(value) == top


def test_bars_titles_and_description() -> None:
    days = [date(2026, 5, 1) + timedelta(days=i) for i in range(3)]
    svg = daily_bars(
        days,
        [Series("Đến", (2, 0, 5)), Series("Đi", (1, 1, 0))],
        title="Tháng 5 <2026>",
        description="7 đến & 2 đi",
    )
    tree = etree.fromstring(svg.encode())
    ns = {"s": "http://www.w3.org/2000/svg"}
    assert tree.get("role") == "img"
    assert tree.get("aria-labelledby") == "chart-title chart-desc"
    assert tree.findtext("s:title", namespaces=ns) == "Tháng 5 <2026>"
    assert tree.findtext("s:desc", namespaces=ns) == "7 đến & 2 đi"
    bars = tree.findall("s:rect", namespaces=ns)
    assert [b.findtext("s:title", namespaces=ns) for b in bars] == [
        "Đến 01/05: 2",
        "Đi 01/05: 1",
        "Đi 02/05: 1",
        "Đến 03/05: 5",
    ]
    heights = [float(b.get("height") or 0) for b in bars]
    assert heights[3] == max(heights)  # 5 is the axis top
    assert re.search(r">5</text>", svg)


def test_series_must_cover_every_day() -> None:
    with pytest.raises(ValueError, match="one value per day"):
        daily_bars([date(2026, 5, 1)], [Series("x", (1, 2))], title="t", description="d")
