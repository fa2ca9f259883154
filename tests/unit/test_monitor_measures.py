"""The measures on a constructed data set whose answers are worked out by hand below.

Agency A (id 1, a province) in the third quarter of 2026 (1 July – 30 September), judged
on 15 October 2026, so processing is judged as of 30 September. Units: 5 "Văn phòng",
6 "Phòng Kinh tế", 7 "Phòng Nội vụ" (no documents). Handlers: 100 and 101.

Directory: 1 A (root) ─ 2 department, 3 district ─ 4 ward; 10 B (root) ─ 11 B's
department; 22 the Government Office (root, the Government/PM list).
"""

from __future__ import annotations

from datetime import date
from fractions import Fraction

import pytest

from lienthong.errors import ConfigError, ValidationError
from lienthong.monitor.classify import AgencyTree, Counterpart
from lienthong.monitor.measures import (
    Direction,
    DocumentRow,
    Processing,
    Scope,
    counted,
    measure_names,
    measure_table,
)
from lienthong.monitor.periods import Period, PeriodKind
from lienthong.monitor.reports import GroupBy, evaluation, registers_summary, status_report
from lienthong.monitor.targets import Comparison, Target, TargetTable, load_targets
from lienthong.office.model import DocumentForm

E, M, P = DocumentForm.ELECTRONIC, DocumentForm.MIXED, DocumentForm.PAPER
OUT, IN = Direction.OUTGOING, Direction.INCOMING
INT, SUB, BTW, GOV, EXT = (
    Counterpart.INTERNAL,
    Counterpart.SUBORDINATE,
    Counterpart.BETWEEN,
    Counterpart.GOVERNMENT,
    Counterpart.EXTERNAL,
)
Q3 = Period(2026, PeriodKind.QUARTER, 3)
Q4 = Period(2026, PeriodKind.QUARTER, 4)
TODAY = date(2026, 10, 15)
SCOPE = Scope("000.00.00.H41", "UBND tỉnh Nghệ An")
UNITS = {5: "Văn phòng", 6: "Phòng Kinh tế", 7: "Phòng Nội vụ"}


def d(month: int, day: int) -> date:
    return date(2026, month, day)


def out(
    n: int, day: date, form: DocumentForm, kinds: set[Counterpart], **kw: object
) -> DocumentRow:
    values: dict[str, object] = {
        "scanned": False,
        "signed": True,
        "unit_id": 5,
        "doctype": "cong_van",
    }
    values.update(kw)
    return DocumentRow(
        id=n, agency_id=1, direction=OUT, day=day, form=form, counterparts=frozenset(kinds),
        ref=f"000.00.00.H41,2026/{day:%m/%d},{n}/UBND", **values,  # type: ignore[arg-type]
    )  # fmt: skip


def inc(n: int, day: date, form: DocumentForm, kind: Counterpart, **kw: object) -> DocumentRow:
    values: dict[str, object] = {
        "scanned": False, "signed": True, "unit_id": 5, "doctype": "cong_van",
        "ref": f"SENDER,{n}",
    }  # fmt: skip
    values.update(kw)
    return DocumentRow(
        id=100 + n, agency_id=1, direction=IN, day=day, form=form,
        counterparts=frozenset({kind}), **values,  # type: ignore[arg-type]
    )  # fmt: skip


ROWS = [
    # -- outgoing, counted in Q3 ------------------------------------------------------------
    out(1, d(7, 1), E, {INT}),  # first day of the quarter
    out(2, d(7, 15), E, {INT}, scanned=True, doctype="giay_moi"),
    out(3, d(8, 2), M, {INT, SUB}, unit_id=6),  # two kinds: counts once in each
    out(4, d(8, 20), P, {SUB}, signed=False, unit_id=6, doctype="quyet_dinh"),
    out(5, d(9, 10), E, {BTW, GOV}, dossier=True, doctype="to_trinh"),
    out(6, d(9, 12), P, {GOV}, signed=False, unit_id=6, dossier=True, doctype="to_trinh"),
    out(7, d(9, 30), M, {SUB}, scanned=True, signed=False, doctype="bao_cao"),  # last day
    # -- outgoing, not counted in Q3 -------------------------------------------------------
    out(8, d(8, 1), P, {INT}, confidential=True),
    out(9, d(8, 5), E, {BTW}, withdrawn=True),  # recalled
    out(10, d(9, 1), E, {BTW}, withdrawn=True),  # replaced
    out(11, d(10, 1), E, {INT}),  # Q4
    out(12, d(6, 30), E, {INT}),  # Q2
    # -- incoming, counted in Q3 ------------------------------------------------------------
    inc(1, d(7, 3), E, GOV, handler_id=100, deadline=d(7, 10), finished_on=d(7, 9)),
    inc(2, d(7, 20), E, BTW, unit_id=6, handler_id=101, deadline=d(8, 1), finished_on=d(8, 5)),
    inc(3, d(8, 10), M, SUB, signed=False, unit_id=6, handler_id=101, deadline=d(10, 15), doctype="bao_cao"),
    inc(4, d(8, 25), P, EXT, scanned=True, signed=False, unit_id=None, doctype=""),
    # finished on 2 October, after the quarter: still open (and overdue) on 30 September
    inc(5, d(9, 5), E, BTW, handler_id=100, deadline=d(9, 20), finished_on=d(10, 2), doctype="quyet_dinh"),
    inc(6, d(9, 30), E, BTW, handler_id=100, finished_on=d(9, 30), doctype="giay_moi"),
    # the replacement of no. 7 (counts once, in its own period)
    inc(8, d(8, 3), E, BTW, unit_id=6, handler_id=101, deadline=d(8, 10), finished_on=d(8, 10),
        link_kind="replace", linked_ref="SENDER,7", ref="SENDER,8"),
    # -- incoming, not counted in Q3 -------------------------------------------------------
    inc(7, d(7, 25), E, BTW),  # replaced by no. 8
    inc(9, d(8, 15), E, BTW, withdrawn=True),  # cancelled at its sender's request
    inc(10, d(9, 2), E, BTW, withdrawn=True),  # rejected (returned)
    inc(11, d(9, 3), E, BTW, link_kind="update", linked_ref="SENDER,1"),  # an update of no. 1
    inc(12, d(7, 7), P, EXT, confidential=True),
    inc(15, d(9, 15), E, BTW),  # replaced by no. 14, which arrives in Q4
    inc(13, d(10, 1), E, BTW),  # Q4
    inc(14, d(10, 5), E, BTW, link_kind="replace", linked_ref="SENDER,15"),  # Q4
]  # fmt: skip


def table(rows: list[DocumentRow] = ROWS, period: Period = Q3, **kw: object):  # type: ignore[no-untyped-def]
    return measure_table(rows, period, scope=SCOPE, targets=TargetTable(), today=TODAY, **kw)  # type: ignore[arg-type]


def nd(t, name: str) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    m = t.get(name)
    return m.numerator, m.denominator


def test_which_documents_count() -> None:
    selection = counted(ROWS, Q3)
    # outgoing 1–7; incoming 1, 2, 3, 4, 5, 6, 8
    assert sorted(r.id for r in selection.rows) == [
        1,
        2,
        3,
        4,
        5,
        6,
        7,
        101,
        102,
        103,
        104,
        105,
        106,
        108,
    ]
    assert selection.confidential == 2  # out 8, in 12
    assert selection.withdrawn == 5  # out 9, 10; in 9, 10 and the update in 11
    assert selection.superseded == 2  # in 7 (replaced by 8) and in 15 (replaced by 14, in Q4)


def test_document_measures_by_hand() -> None:
    t = table()
    assert (t.documents, t.outgoing, t.incoming) == (14, 7, 7)
    assert (t.excluded_confidential, t.excluded_withdrawn) == (2, 7)
    # forms: electronic out 1, 2, 5 + in 1, 2, 5, 6, 8 = 8; mixed out 3, 7 + in 3 = 3;
    # paper out 4, 6 + in 4 = 3; 8 + 3 + 3 = 14
    assert nd(t, "electronic") == (8, 14)
    assert nd(t, "mixed") == (3, 14)
    # with an electronic version: 14 - 3 paper = 11; scanned among them: out 2, out 7
    # (in 4 is scanned but paper only)
    assert nd(t, "scanned") == (2, 11)
    # signed among the 11: all but out 7 and in 3
    assert nd(t, "signed") == (9, 11)
    # internal: out 1, 2, 3; fully electronic: out 1, 2; scanned among them: out 2
    assert nd(t, "internal_electronic") == (2, 3)
    assert nd(t, "internal_scanned") == (1, 3)
    # between agencies (Government Office included): out 5, 6; in 1, 2, 5, 6, 8 = 7;
    # fully electronic: all but out 6 (paper) = 6; with an electronic copy: the same 6
    assert nd(t, "between_agencies_electronic") == (6, 7)
    assert nd(t, "between_agencies_copy") == (6, 7)
    # subordinate: out 3, 4, 7; in 3 = 4; none fully electronic; mixed: out 3, 7; in 3
    assert nd(t, "subordinate_electronic") == (0, 4)
    assert nd(t, "subordinate_mixed") == (3, 4)
    # dossiers to the Government: out 5 (electronic), out 6 (paper)
    assert nd(t, "government_dossiers") == (1, 2)


def test_targets_gaps_and_verdicts_by_hand() -> None:
    t = table()
    internal = t.get("internal_electronic")  # 2/3 = 66.67 % against ≥ 80 % (from 2015)
    assert internal.share == pytest.approx(200 / 3)
    assert internal.target is not None
    assert internal.target.text == "≥ 80%"
    assert internal.gap == pytest.approx(200 / 3 - 80)  # −13.33 points
    assert internal.met is False
    scanned = t.get("internal_scanned")  # 1/3 = 33.33 % against < 50 %
    assert scanned.gap == pytest.approx(50 - 100 / 3)  # +16.67: on the good side
    assert scanned.met is True
    assert t.get("subordinate_electronic").gap == pytest.approx(-30.0)  # 0 % vs ≥ 30 %
    assert t.get("subordinate_mixed").met is True  # 75 % vs ≥ 50 % (from 2015)
    assert t.get("government_dossiers").gap == pytest.approx(-50.0)  # 50 % vs 100 %
    assert t.get("between_agencies_copy").met is True  # 85.7 % vs ≥ 50 %
    # no target: a share, but neither gap nor verdict
    electronic = t.get("electronic")
    assert (electronic.target, electronic.gap, electronic.met) == (None, None, None)
    assert electronic.share == pytest.approx(800 / 14)


def test_processing_by_hand() -> None:
    t = table()
    assert t.as_of == d(9, 30)  # the quarter is over on 15 October
    # in 1 on time; in 2 late; in 3 in progress (deadline 15/10); in 4 no deadline;
    # in 5 overdue on 30/09 (finished on 02/10); in 6 on time (no deadline, finished);
    # in 8 on time (finished on its deadline day)
    assert nd(t, "processing_on_time") == (3, 7)
    assert nd(t, "processing_overdue") == (2, 7)  # late 2 + overdue 5
    assert nd(t, "processing_unfinished") == (3, 7)  # 3, 4, 5


def test_processing_while_the_period_runs() -> None:
    # judged on 20 September: in 5 (deadline 20/09) is still within its deadline
    row = ROWS[16]
    assert row.id == 105
    assert row.processing(d(9, 20)) is Processing.IN_PROGRESS
    assert row.processing(d(9, 21)) is Processing.OVERDUE
    assert row.processing(d(10, 2)) is Processing.LATE
    t = measure_table(ROWS, Q3, scope=SCOPE, targets=TargetTable(), today=d(9, 20))
    assert t.as_of == d(9, 20)


def test_the_next_quarter_counts_the_replacement_once() -> None:
    t = table(period=Q4)
    # out 11, in 13, in 14 (the replacement of in 15, which stays out of Q3)
    assert (t.documents, t.outgoing, t.incoming) == (3, 1, 2)
    assert nd(t, "electronic") == (3, 3)


def test_no_documents_means_no_data() -> None:
    t = table(rows=[])
    assert t.documents == 0
    for m in t.measures:
        assert (m.numerator, m.denominator, m.share, m.gap, m.met) == (0, 0, None, None, None)
    assert [m.name for m in t.measures] == list(measure_names())


def test_only_confidential_documents_means_no_data() -> None:
    rows = [
        out(1, d(7, 1), P, {INT}, confidential=True),
        inc(1, d(7, 2), P, EXT, confidential=True),
    ]
    t = table(rows=rows)
    assert (t.documents, t.excluded_confidential) == (0, 2)
    internal = t.get("internal_electronic")
    assert (internal.share, internal.met, internal.gap) == (None, None, None)
    assert internal.target is not None  # the target is shown, with no data beside it


def test_one_unit() -> None:
    t = table(unit_id=6)
    # unit 6: out 3 (M), 4 (P), 6 (P); in 2 (E), 3 (M), 8 (E)
    assert (t.documents, t.outgoing, t.incoming) == (6, 3, 3)
    assert nd(t, "electronic") == (2, 6)


def test_status_form_by_unit_handler_and_agency() -> None:
    kept = counted(ROWS, Q3).rows
    by_unit = status_report(
        kept, scope=SCOPE, period=Q3, as_of=d(9, 30), group_by=GroupBy.UNIT, names=UNITS
    )
    # (label, received, on time, late, in progress, overdue, no deadline); names sorted
    assert [(r.label, *r.cells()) for r in by_unit.rows] == [
        ("Phòng Kinh tế", 3, 1, 1, 1, 0, 0),  # in 2 late, 3 in progress, 8 on time
        ("Văn phòng", 3, 2, 0, 0, 1, 0),  # in 1, 6 on time; 5 overdue
        ("(chưa xác định)", 1, 0, 0, 0, 0, 1),  # in 4
    ]
    assert by_unit.total.cells() == (7, 3, 1, 1, 1, 1)
    by_handler = status_report(
        kept, scope=SCOPE, period=Q3, as_of=d(9, 30), group_by=GroupBy.HANDLER,
        names={100: "Nguyễn Văn An", 101: "Trần Thị Bình"},
    )  # fmt: skip
    assert [(r.label, r.received) for r in by_handler.rows] == [
        ("Nguyễn Văn An", 3),
        ("Trần Thị Bình", 3),
        ("(chưa xác định)", 1),
    ]
    whole = status_report(
        kept, scope=SCOPE, period=Q3, as_of=d(9, 30), group_by=GroupBy.AGENCY, names={}
    )
    assert [(r.label, *r.cells()) for r in whole.rows] == [("UBND tỉnh Nghệ An", 7, 3, 1, 1, 1, 1)]


def test_registers_summary_per_type_and_form() -> None:
    summary = registers_summary(counted(ROWS, Q3).rows, scope=SCOPE, period=Q3)
    # cells: out E, M, P; in E, M, P; total
    assert [(line.doctype, *line.cells()) for line in summary.lines] == [
        ("Công văn", 1, 1, 0, 3, 0, 0, 5),  # out 1, 3; in 1, 2, 8
        ("Báo cáo", 0, 1, 0, 0, 1, 0, 2),  # out 7; in 3
        ("Giấy mời", 1, 0, 0, 1, 0, 0, 2),  # out 2; in 6
        ("Quyết định", 0, 0, 1, 1, 0, 0, 2),  # out 4; in 5
        ("Tờ trình", 1, 0, 1, 0, 0, 0, 2),  # out 5, 6
        ("(không rõ loại)", 0, 0, 0, 0, 0, 1, 1),  # in 4
    ]
    assert summary.total.cells() == (3, 2, 2, 5, 1, 1, 14)


def test_evaluation_ranks_units_by_electronic_use() -> None:
    ev = evaluation(
        counted(ROWS, Q3).rows,
        scope=SCOPE,
        period=Q3,
        as_of=d(9, 30),
        targets=TargetTable(),
        units=UNITS,
    )
    # Văn phòng: out 1, 2, 5, 7; in 1, 5, 6 = 7, electronic 6 (all but out 7) = 85.7 %;
    # Phòng Kinh tế: 6, electronic in 2, 8 = 33.3 %; no unit: in 4 (paper) = 0 %;
    # Phòng Nội vụ: no document, unranked, last
    assert [(x.rank, x.unit, x.documents, x.measures[0].numerator) for x in ev.lines] == [
        (1, "Văn phòng", 7, 6),
        (2, "Phòng Kinh tế", 6, 2),
        (3, "(chưa xác định)", 1, 0),
        (None, "Phòng Nội vụ", 0, 0),
    ]
    assert (ev.total.documents, ev.total.measures[0].numerator) == (14, 8)


def test_equal_shares_share_a_rank() -> None:
    rows = [
        out(1, d(7, 1), E, {INT}, unit_id=5), out(2, d(7, 2), P, {INT}, unit_id=5),
        out(3, d(7, 1), E, {INT}, unit_id=6), out(4, d(7, 2), P, {INT}, unit_id=6),
        out(5, d(7, 1), P, {INT}, unit_id=7),
    ]  # fmt: skip
    ev = evaluation(
        rows, scope=SCOPE, period=Q3, as_of=d(9, 30), targets=TargetTable(), units=UNITS
    )
    assert [(x.rank, x.unit) for x in ev.lines] == [
        (1, "Phòng Kinh tế"),
        (1, "Văn phòng"),
        (3, "Phòng Nội vụ"),
    ]


def test_classification_from_the_directory() -> None:
    tree = AgencyTree({1: None, 2: 1, 3: 1, 4: 3, 10: None, 11: 10, 22: None}, frozenset({22}))
    assert tree.classify(1, None) is EXT
    assert tree.classify(1, 22) is GOV
    assert tree.classify(1, 1) is INT
    assert tree.classify(1, 2) is SUB  # a department
    assert tree.classify(1, 4) is SUB  # a ward under a district
    assert tree.classify(2, 3) is SUB  # two units under the same province
    assert tree.classify(2, 1) is SUB  # up to the province
    assert tree.classify(1, 10) is BTW
    assert tree.classify(2, 11) is BTW
    assert tree.classify(22, 22) is INT  # the Government Office's own documents
    cyclic = AgencyTree({1: 2, 2: 1, 3: None})
    assert cyclic.classify(1, 3) is BTW  # a cycle ends the walk instead of looping


def test_periods() -> None:
    assert Period.parse("2026-Q3") == Q3
    assert Period.parse("2026-q3").key == "2026-Q3"
    assert Period.parse(" 2026-11 ").key == "2026-11"
    assert Period.parse("2026-2").key == "2026-02"
    assert Period.parse("2026").kind is PeriodKind.YEAR
    assert (Q3.start, Q3.end, Q3.next_start) == (d(7, 1), d(9, 30), d(10, 1))
    assert Period.parse("2026-12").next_start == date(2027, 1, 1)
    assert Period.parse("2024-02").end == date(2024, 2, 29)
    assert Q3.label_vi == "quý III năm 2026"
    start, until = Q3.instants
    assert start.isoformat() == "2026-07-01T00:00:00+07:00"
    assert until.isoformat() == "2026-10-01T00:00:00+07:00"
    for bad in ("2026-13", "2026-Q5", "26-Q1", "2026/11", "", "1999"):
        with pytest.raises(ValidationError) as caught:
            Period.parse(bad)
        assert caught.value.code == "monitor.period"


def test_targets_in_force_and_from_a_file(tmp_path) -> None:  # type: ignore[no-untyped-def]
    table_ = TargetTable()
    assert table_.for_year("internal_electronic", 2013) is None
    assert table_.for_year("internal_electronic", 2014).percent == 55  # type: ignore[union-attr]
    assert table_.for_year("internal_electronic", 2026).percent == 80  # type: ignore[union-attr]
    assert table_.for_year("electronic", 2026) is None
    below = Target("scanned", Comparison.BELOW, Fraction(50), 2014)
    assert below.met_by(1, 2) is False  # exactly 50 % is not below 50 %
    assert below.gap(1, 2) == 0
    path = tmp_path / "targets.toml"
    path.write_text(
        '[[target]]\nmeasure = "internal_electronic"\npercent = 90\nfrom_year = 2026\n'
        '[[target]]\nmeasure = "electronic"\ncomparison = ">="\npercent = 62.5\nfrom_year = 2020\n',
        encoding="utf-8",
    )
    loaded = load_targets(path)
    assert loaded.for_year("internal_electronic", 2026).percent == 90  # type: ignore[union-attr]
    assert loaded.for_year("internal_electronic", 2025).percent == 80  # type: ignore[union-attr]
    assert loaded.for_year("electronic", 2026).text == "≥ 62.5%"  # type: ignore[union-attr]
    path.write_text(
        '[[target]]\nmeasure = "x"\npercent = 120\nfrom_year = 2026\n', encoding="utf-8"
    )
    with pytest.raises(ConfigError):
        load_targets(path)
