"""The monitor over the office's database, on SQLite and PostgreSQL: documents made through
the office's services (``monitorkit``), measures and report forms read back from the
tables, equal to the figures worked out by hand here; exports opened and read."""

from __future__ import annotations

import io
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from openpyxl import load_workbook

from lienthong.clock import FixedClock
from lienthong.db.uow import UnitOfWork
from lienthong.errors import NotFound, PermissionDenied
from lienthong.monitor.exports import ExportFormat, export
from lienthong.monitor.measures import MeasureTable
from lienthong.monitor.periods import Period
from lienthong.monitor.printable import evaluation_sheet, measures_sheet, status_sheet
from lienthong.monitor.reports import GroupBy
from lienthong.monitor.services import AgencyMonitor
from lienthong.monitor.targets import TargetTable
from lienthong.office.model import Actor
from lienthong.pki.ca import DemoPki
from lienthong.storage import FileBlobStore
from monitorkit import build_quarter
from officekit import C_CODE, OfficeWorld, build_world, make_pki

Q3, Q4 = Period.parse("2026-Q3"), Period.parse("2026-Q4")


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPki:
    return make_pki(tmp_path_factory.mktemp("monitor-pki"))


@pytest.fixture
def world(
    make_uow: Callable[[], UnitOfWork], tmp_path: Path, clock: FixedClock, pki: DemoPki
) -> OfficeWorld:
    return build_world(make_uow, FileBlobStore(tmp_path / "blobs"), pki, clock)


@pytest.fixture
def monitor(make_uow: Callable[[], UnitOfWork], clock: FixedClock) -> AgencyMonitor:
    return AgencyMonitor(
        make_uow, clock=clock, targets=TargetTable(), government=[C_CODE], monitor_agency=C_CODE
    )


def nd(table: MeasureTable, name: str) -> tuple[int, int]:
    m = table.get(name)
    return m.numerator, m.denominator


def test_measures_and_forms_from_the_database(
    world: OfficeWorld, clock: FixedClock, monitor: AgencyMonitor
) -> None:
    docs = build_quarter(world, clock)
    leader = world.actor("a.leader")
    t = monitor.measures(leader, Q3)

    # counted: outgoing o1, o2, o3, o4; incoming i1, i2, i3, i4, i6
    assert (t.documents, t.outgoing, t.incoming) == (9, 4, 5)
    # confidential: o5, i9; withdrawn: o6 (replaced), i7 (recalled), i8 (rejected), and
    # i5 (replaced by i6)
    assert (t.excluded_confidential, t.excluded_withdrawn) == (2, 4)
    # electronic: o1, o3, i1, i4, i6; mixed: o2 (tờ trình), i2 (paper follows);
    # paper: o4, i3
    assert nd(t, "electronic") == (5, 9)
    assert nd(t, "mixed") == (2, 9)
    # 7 with an electronic version; scanned: o3; signed: all but o3 (handed over)
    assert nd(t, "scanned") == (1, 7)
    assert nd(t, "signed") == (6, 7)
    # internal (to A itself): o3, electronic and scanned
    assert nd(t, "internal_electronic") == (1, 1)
    assert nd(t, "internal_scanned") == (1, 1)
    assert t.get("internal_scanned").met is False  # 100 % is not below 50 %
    # between agencies: o1 (B, C), o2 (C), i1 (C), i2, i4, i6 (B): electronic o1, i1, i4,
    # i6; with an electronic copy: all six
    assert nd(t, "between_agencies_electronic") == (4, 6)
    assert nd(t, "between_agencies_copy") == (6, 6)
    # with the subordinate S: o4 (paper), i3 (paper)
    assert nd(t, "subordinate_electronic") == (0, 2)
    assert nd(t, "subordinate_mixed") == (0, 2)
    # dossiers to the Government: o2 (a tờ trình, mixed: it has the electronic copy)
    assert nd(t, "government_dossiers") == (1, 1)
    # judged on 30/09: i1 on time, i2 late, i3 in progress (deadline 15/10), i4 overdue
    # (deadline 10/09), i6 without deadline
    assert t.as_of.isoformat() == "2026-09-30"
    assert nd(t, "processing_on_time") == (1, 5)
    assert nd(t, "processing_overdue") == (2, 5)
    assert nd(t, "processing_unfinished") == (3, 5)

    # the fourth quarter: o7 and i10, issued / arrived after midnight on 1 October (ICT)
    q4 = monitor.measures(leader, Q4)
    assert (q4.documents, q4.outgoing, q4.incoming) == (2, 1, 1)

    # one unit: VP drafted o3; its handler (specialist 2) has i2, i4
    vp = monitor.measures(leader, Q3, unit="VP")
    assert vp.scope.unit_name == "Văn phòng"
    assert (vp.documents, *nd(vp, "electronic")) == (3, 2, 3)

    by_handler = monitor.status(leader, Q3, group_by=GroupBy.HANDLER)
    assert [(r.label, *r.cells()) for r in by_handler.rows] == [
        ("Hoàng Thị Hà", 2, 0, 1, 0, 1, 0),  # i2 late, i4 overdue
        ("Phạm Văn Chuyên", 2, 1, 0, 1, 0, 0),  # i1 on time, i3 in progress
        ("(chưa xác định)", 1, 0, 0, 0, 0, 1),  # i6
    ]
    assert by_handler.total.cells() == (5, 1, 1, 1, 1, 1)

    registers = monitor.registers(leader, Q3)
    # out E, M, P; in E, M, P; total
    assert [(x.doctype, *x.cells()) for x in registers.lines] == [
        ("Công văn", 1, 0, 1, 3, 1, 0, 6),  # out o1, o4; in i1, i2, i4, i6
        ("Báo cáo", 0, 0, 0, 0, 0, 1, 1),  # i3
        ("Giấy mời", 1, 0, 0, 0, 0, 0, 1),  # o3
        ("Tờ trình", 0, 1, 0, 0, 0, 0, 1),  # o2
    ]

    ev = monitor.evaluation(leader, Q3)
    # no unit: i6 (1/1); VP: o3, i2, i4 (2/3); TTĐT: o1, o2, o4, i1, i3 (2/5)
    assert [(x.rank, x.unit, x.documents, x.measures[0].numerator) for x in ev.lines] == [
        (1, "(chưa xác định)", 1, 1),
        (2, "Văn phòng", 3, 2),
        (3, "Trung tâm Thông tin điện tử", 5, 2),
    ]

    # a dossier by choice: o1 (to B and C) is one too; o2 is declared not to be one
    monitor.mark_dossier(world.actor("a.clerk"), docs["o1"], dossier=True)
    assert nd(monitor.measures(leader, Q3), "government_dossiers") == (2, 2)
    monitor.mark_dossier(leader, docs["o2"], dossier=False)
    assert nd(monitor.measures(leader, Q3), "government_dossiers") == (1, 1)
    monitor.mark_dossier(leader, docs["o2"], dossier=None)  # back to "by its type"
    assert nd(monitor.measures(leader, Q3), "government_dossiers") == (2, 2)


def test_who_may_read_and_mark(
    world: OfficeWorld, clock: FixedClock, monitor: AgencyMonitor
) -> None:
    docs = build_quarter(world, clock)
    # another agency's people never see A's figures; the operator scoped to A does
    with pytest.raises(NotFound):
        monitor.measures(world.actor("b.leader"), Q3, agency_id=world.a.agency_id)
    operator = Actor.operator(world.a.agency_id)
    assert monitor.measures(operator, Q3).documents == 9
    assert monitor.measures(world.actor("b.clerk"), Q3).documents == 0  # B's own: none
    with pytest.raises(PermissionDenied):
        monitor.mark_dossier(world.actor("a.specialist"), docs["o1"], dossier=True)
    with pytest.raises(NotFound):  # B's clerk cannot reach A's document
        monitor.mark_dossier(world.actor("b.clerk"), docs["o1"], dossier=True)
    with pytest.raises(NotFound):  # a confidential document the deputy is not granted
        monitor.mark_dossier(world.actor("a.deputy"), docs["o5"], dossier=True)


def test_exports_open_and_read(
    world: OfficeWorld, clock: FixedClock, monitor: AgencyMonitor, tmp_path: Path
) -> None:
    build_quarter(world, clock)
    leader = world.actor("a.leader")
    table = monitor.measures(leader, Q3)
    book = load_workbook(io.BytesIO(export(measures_sheet(table), ExportFormat.XLSX)))
    sheet = book.active
    assert sheet["A1"].value == "ỦY BAN NHÂN DÂN TỈNH NGHỆ AN"
    assert sheet["A2"].value == "KẾT QUẢ SỬ DỤNG VĂN BẢN ĐIỆN TỬ"
    rows = {r[0]: r for r in sheet.iter_rows(min_row=7, values_only=True)}
    internal = rows["Văn bản nội bộ điện tử hoàn toàn"]
    assert internal[1:5] == (1, 1, 1.0, "≥ 80%")  # 1/1 = 100 %
    assert internal[5] == 20.0  # +20 points
    assert internal[6] == "Đạt"
    assert rows["Văn bản điện tử hoàn toàn"][1:4] == (5, 9, pytest.approx(5 / 9))

    pdf_path = tmp_path / "report.pdf"
    both = [
        status_sheet(monitor.status(leader, Q3)),
        evaluation_sheet(monitor.evaluation(leader, Q3)),
    ]
    pdf_path.write_bytes(export(both, ExportFormat.PDF))
    text = subprocess.run(
        ["pdftotext", "-layout", str(pdf_path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "BÁO CÁO TÌNH HÌNH XỬ LÝ VĂN BẢN ĐẾN" in text
    assert "BẢNG ĐÁNH GIÁ MỨC ĐỘ SỬ DỤNG VĂN BẢN ĐIỆN TỬ CỦA CÁC ĐƠN VỊ" in text
    assert "Trung tâm Thông tin điện tử" in text
    assert "Trang 2" in text  # the evaluation starts on its own page
    assert "66,7%" in text  # VP's share of fully electronic documents
