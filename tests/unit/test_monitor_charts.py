"""The SVG charts: well-formed, accessible, bars and target lines where the figures say."""

from __future__ import annotations

from datetime import date

from lxml import etree

from lienthong.monitor.charts import Bar, bars_svg, render_evaluation_svg, render_measures_svg
from lienthong.monitor.classify import Counterpart
from lienthong.monitor.measures import Direction, DocumentRow, Scope, measure_table
from lienthong.monitor.periods import Period
from lienthong.monitor.reports import evaluation
from lienthong.monitor.targets import TargetTable
from lienthong.office.model import DocumentForm

SVG = "{http://www.w3.org/2000/svg}"
Q3 = Period.parse("2026-Q3")
SCOPE = Scope("000.00.00.H41", "UBND tỉnh <Nghệ An> & co")


def parse(text: str) -> etree._Element:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    return etree.fromstring(text.encode(), parser)


def _rows() -> list[DocumentRow]:
    # internal: 1 electronic, 1 paper → internal_electronic 1/2 = 50 % (target ≥ 80 %)
    def row(n: int, form: DocumentForm, unit: int) -> DocumentRow:
        return DocumentRow(
            id=n, agency_id=1, direction=Direction.OUTGOING, day=date(2026, 7, n), form=form,
            scanned=False, signed=True, counterparts=frozenset({Counterpart.INTERNAL}), unit_id=unit,
        )  # fmt: skip

    return [row(1, DocumentForm.ELECTRONIC, 5), row(2, DocumentForm.PAPER, 6)]


def test_measures_chart_is_accessible_and_drawn_from_the_table() -> None:
    table = measure_table(_rows(), Q3, scope=SCOPE, targets=TargetTable(), today=date(2026, 10, 1))
    svg = parse(render_measures_svg(table, names=["internal_electronic", "government_dossiers"]))
    assert svg.tag == f"{SVG}svg"
    assert svg.get("role") == "img"
    title_id, desc_id = svg.get("aria-labelledby").split()  # type: ignore[union-attr]
    assert svg.find(f"{SVG}title").get("id") == title_id  # type: ignore[union-attr]
    assert svg.find(f"{SVG}desc").get("id") == desc_id  # type: ignore[union-attr]
    title = svg.findtext(f"{SVG}title")
    assert title == "Sử dụng văn bản điện tử — UBND tỉnh <Nghệ An> & co, quý III năm 2026"
    desc = svg.findtext(f"{SVG}desc")
    assert "Văn bản nội bộ điện tử hoàn toàn: 50,0% — Chưa đạt, mục tiêu ≥ 80%" in desc  # type: ignore[operator]
    assert "Hồ sơ trình Chính phủ, Thủ tướng có bản điện tử đầy đủ: Không có số liệu" in desc  # type: ignore[operator]
    groups = svg.findall(f"{SVG}g")
    assert len(groups) == 2
    first, second = groups
    # the first bar: the track, then the value bar at half of the 300 px track, red
    rects = first.findall(f"{SVG}rect")
    assert [r.get("width") for r in rects] == ["300", "150.0"]
    assert rects[1].get("fill") == "#c62828"
    (line,) = first.findall(f"{SVG}line")
    assert float(line.get("x1")) == 330 + 300 * 0.8  # type: ignore[arg-type]  # the target, 80 %
    assert first.findtext(f"{SVG}title") == (
        "Văn bản nội bộ điện tử hoàn toàn: 50,0% — Chưa đạt (mục tiêu ≥ 80%)"
    )
    # no data: the track and the target line, no value bar
    assert len(second.findall(f"{SVG}rect")) == 1
    assert len(second.findall(f"{SVG}line")) == 1


def test_two_charts_get_different_ids_and_hostile_names_are_escaped() -> None:
    ev = evaluation(
        _rows(), scope=SCOPE, period=Q3, as_of=date(2026, 9, 30), targets=TargetTable(),
        units={5: "<script>alert(1)</script>", 6: "Phòng & Ban"},
    )  # fmt: skip
    text = render_evaluation_svg(ev)
    assert "<script>" not in text
    svg = parse(text)
    labels = [g.findall(f"{SVG}text")[0].text for g in svg.findall(f"{SVG}g")]
    assert labels == ["1. <script>alert(1)</script>", "2. Phòng & Ban"]
    other = parse(bars_svg("Khác", "", [Bar("x", 10.0)]))
    assert other.get("aria-labelledby") != svg.get("aria-labelledby")


def test_an_empty_chart_says_so() -> None:
    svg = parse(bars_svg("Trống", "Không có gì", []))
    assert svg.findall(f"{SVG}g") == []
    assert "Không có số liệu" in [t.text for t in svg.findall(f"{SVG}text")]
