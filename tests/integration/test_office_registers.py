"""Registers and their exports: the XLSX opened with openpyxl, the PDF book read back with
poppler's pdftotext and pdfinfo (Vietnamese text, page count, page numbers)."""

from __future__ import annotations

import io
import re
import shutil
import subprocess
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from openpyxl import load_workbook

from lienthong.clock import FixedClock
from lienthong.db.uow import UnitOfWork
from lienthong.errors import NotFound
from lienthong.office.documents import RecipientInput
from lienthong.office.exports import HEADER_ROW, ExportFormat, export_register, file_name
from lienthong.office.incoming import Assignment
from lienthong.office.intake import PaperArrival, ReceivedDocument
from lienthong.office.model import Actor, Confidentiality, Urgency
from lienthong.office.registers import INCOMING_COLUMNS, OUTGOING_COLUMNS, RegisterKind
from lienthong.office.workflow import OutgoingState
from lienthong.pdfsign import sample
from lienthong.pki.ca import DemoPki
from lienthong.storage import FileBlobStore
from officekit import C_CODE, C_NAME, OfficeWorld, build_world, make_pki

SUBJECTS = [f"Về việc kiểm tra công tác văn thư, lưu trữ đợt {i}" for i in range(1, 41)]


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPki:
    return make_pki(tmp_path_factory.mktemp("office-pki"))


@pytest.fixture
def world(
    make_uow: Callable[[], UnitOfWork], tmp_path: Path, clock: FixedClock, pki: DemoPki
) -> OfficeWorld:
    world = build_world(make_uow, FileBlobStore(tmp_path / "blobs"), pki, clock)
    specialist, clerk = world.actor("a.specialist"), world.actor("a.clerk")
    ids = []
    for i, subject in enumerate(SUBJECTS):
        draft = world.draft(
            doctype="quyet_dinh" if i % 2 else "cong_van",
            subject=subject,
            urgency=Urgency.HOA_TOC if i == 0 else Urgency.NORMAL,
            recipients=(RecipientInput(agency=C_CODE), RecipientInput(name="Lưu: VT, TTĐT")),
            copies=3,
        )
        ids.append(world.services.outgoing.create(specialist, draft).value.id)
    with make_uow() as uow:  # straight to "signed": the signing is tested elsewhere
        for doc_id in ids:
            uow.office.outgoing.change(doc_id, OutgoingState.DRAFT, {"state": "signed"})
        uow.commit()
    for doc_id in ids:
        world.services.issuing.issue(clerk, doc_id)
    world.services.issuing.hand_over(clerk, ids[1], "Gửi bản giấy")
    system = Actor.system(world.a.agency_id)
    arrived = world.services.intake.receive(
        system,
        ReceivedDocument(
            "DLV-1",
            f"{C_CODE},2026/05/09,7816/VPCP-TTĐT",
            C_CODE,
            C_NAME,
            "Về việc báo cáo tình hình ứng dụng công nghệ thông tin",
            code="7816/VPCP-TTĐT",
            document_date=date(2026, 5, 9),
            doctype_name="Công văn",
        ),
    )
    world.services.incoming.accept(clerk, arrived.id)
    world.services.incoming.assign(world.actor("a.leader"), arrived.id, Assignment("a.chuyenvien"))
    world.services.intake.register_paper(
        clerk,
        PaperArrival(
            "Sở Nội vụ tỉnh Nghệ An",
            "Về việc tuyển dụng công chức",
            code="45/SNV-CCVC",
            document_date=date(2026, 5, 7),
            doctype="Thông báo",
        ),
        sample.decision_pdf(),
    )
    world.services.intake.register_paper(
        clerk,
        PaperArrival("Công an tỉnh", "Tài liệu mật", confidentiality=Confidentiality.MAT),
        sample.decision_pdf(),
    )
    return world


def test_outgoing_register_rows(world: OfficeWorld) -> None:
    register = world.services.registers.register(
        world.actor("a.leader"), RegisterKind.OUTGOING, 2026
    )
    assert register.columns == OUTGOING_COLUMNS
    assert len(register.rows) == 40
    first, second = register.rows[0], register.rows[1]
    assert first == (
        "01/UBND-TTĐT",
        "10/05/2026",
        f"Công văn: {SUBJECTS[0]}",
        "Trần Văn Lãnh",
        "Văn phòng Chính phủ; Lưu: VT, TTĐT",
        "Trung tâm Thông tin điện tử",
        "3",
        "",
        "",
        "Hỏa tốc",
    )
    assert second[0] == "02/QĐ-UBND"
    assert second[2].startswith("Quyết định: ")
    assert second[7] == "10/05/2026"  # handed over
    assert register.first_date == register.last_date == date(2026, 5, 10)
    assert (
        world.services.registers.register(world.actor("a.leader"), RegisterKind.OUTGOING, 2025).rows
        == ()
    )


def test_incoming_register_rows_and_secret_register(world: OfficeWorld) -> None:
    registers = world.services.registers
    register = registers.register(world.actor("a.specialist"), RegisterKind.INCOMING, 2026)
    assert register.columns == INCOMING_COLUMNS
    assert register.rows == (
        (
            "10/05/2026",
            "01",
            C_NAME,
            "7816/VPCP-TTĐT",
            "09/05/2026",
            "Công văn: Về việc báo cáo tình hình ứng dụng công nghệ thông tin",
            "Phạm Văn Chuyên",
            "",
            "",
        ),
        (
            "10/05/2026",
            "02",
            "Sở Nội vụ tỉnh Nghệ An",
            "45/SNV-CCVC",
            "07/05/2026",
            "Thông báo: Về việc tuyển dụng công chức",
            "",
            "",
            "",
        ),
    )
    secret = registers.register(world.actor("a.clerk"), RegisterKind.INCOMING, 2026, secret=True)
    assert [(r[1], r[2], r[8]) for r in secret.rows] == [("01", "Công an tỉnh", "Mật")]
    assert (
        registers.register(world.actor("a.leader"), RegisterKind.INCOMING, 2026, secret=True).rows
        == ()
    )
    with pytest.raises(NotFound):
        registers.register(
            world.actor("b.leader"), RegisterKind.INCOMING, 2026, agency_id=world.a.agency_id
        )
    operator = registers.register(
        Actor.operator(), RegisterKind.INCOMING, 2026, agency_id=world.a.agency_id
    )
    assert len(operator.rows) == 2


def test_xlsx_export(world: OfficeWorld) -> None:
    register = world.services.registers.register(
        world.actor("a.clerk"), RegisterKind.OUTGOING, 2026
    )
    data = export_register(register, ExportFormat.XLSX)
    assert file_name(register, ExportFormat.XLSX) == "so-van-ban-di-2026.xlsx"
    sheet = load_workbook(io.BytesIO(data)).active
    assert sheet.title == "Sổ đi 2026"
    assert sheet["A1"].value == "ỦY BAN NHÂN DÂN TỈNH NGHỆ AN"
    assert sheet["A2"].value == "SỔ ĐĂNG KÝ VĂN BẢN ĐI"
    assert sheet["A3"].value == "Năm 2026"
    header = [c.value for c in sheet[HEADER_ROW]]
    assert header == list(OUTGOING_COLUMNS)
    first = [c.value for c in sheet[HEADER_ROW + 1]]
    assert first[:4] == ["01/UBND-TTĐT", "10/05/2026", f"Công văn: {SUBJECTS[0]}", "Trần Văn Lãnh"]
    assert sheet.cell(row=HEADER_ROW + 40, column=1).value == "40/QĐ-UBND"
    assert sheet.max_row == HEADER_ROW + 40
    assert sheet.page_setup.orientation == "landscape"
    assert sheet.freeze_panes == f"A{HEADER_ROW + 1}"


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils needed")
def test_pdf_book(world: OfficeWorld, tmp_path: Path) -> None:
    register = world.services.registers.register(
        world.actor("a.clerk"), RegisterKind.OUTGOING, 2026
    )
    path = tmp_path / file_name(register, ExportFormat.PDF)
    path.write_bytes(export_register(register, ExportFormat.PDF))
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
    pages = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))  # type: ignore[union-attr]
    assert "841.89 x 595.276 pts (A4)" in info  # landscape: wider than high
    assert pages >= 3  # the cover and at least two pages of 40 rows
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    cover, *table_pages = text.split("\f")[:pages]
    assert "ỦY BAN NHÂN DÂN TỈNH NGHỆ AN" in cover
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐI" in cover
    assert "Năm: 2026" in cover
    assert "Từ số 01 đến số 40" in cover
    assert "Gồm 40 văn bản" in cover
    assert "Trang" not in cover
    for n, page in enumerate(table_pages, start=2):
        assert f"Trang {n}/{pages}" in page
        assert "Tên loại và trích yếu" in page  # the header repeats
    raw = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True)
    body = " ".join(raw.stdout.split("\f", 1)[1].split())  # the table pages, reading order
    assert "01/UBND-TTĐT" in body
    assert "40/QĐ-UBND" in body
    assert "kiểm tra công tác văn thư" in body
    assert "Trần Văn Lãnh" in body
    assert "Hỏa tốc" in body


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils needed")
def test_an_empty_register_still_prints(world: OfficeWorld, tmp_path: Path) -> None:
    register = world.services.registers.register(
        world.actor("a.clerk"), RegisterKind.INCOMING, 2027
    )
    path = tmp_path / "empty.pdf"
    path.write_bytes(export_register(register, ExportFormat.PDF))
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in text
    assert "Không có văn bản" in text
    assert "Trang 2/2" in text
