"""The pure parts of the office's exchange: packages built from documents, error classes,
the worker loop's backoff."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime

import pytest

from lienthong.clock import VN_TZ
from lienthong.edxml import model as m
from lienthong.edxml.validate import validate_package
from lienthong.errors import HubError, StorageError, ValidationError, WorkflowError
from lienthong.office.documents import (
    Channel,
    FileInput,
    OfficeAgencyRef,
    OutboxRecord,
    OutgoingDocument,
    Recipient,
    RecipientKind,
)
from lienthong.office.hubsync import transient
from lienthong.office.hubsync_packages import (
    document_package,
    file_name,
    from_vn_naive,
    outbox_status,
    request_business,
    take_back_status,
    vn_naive,
)
from lienthong.office.hubsync_worker import run_loop
from lienthong.office.model import Confidentiality, DocumentForm, Urgency
from lienthong.office.workflow import OutgoingAction, OutgoingState

ISSUED = datetime(2026, 5, 10, 2, 30, tzinfo=UTC)  # 09:30 in Vietnam
AGENCY = OfficeAgencyRef(7, "000.00.00.H41", "Ủy ban nhân dân tỉnh Nghệ An")
DOCUMENT_ID = "000.00.00.H41,2026/05/10,01/UBND-TTĐT"


def _recipient(rid: int, code: str | None, name: str, channel: Channel) -> Recipient:
    kind = RecipientKind.AGENCY if code else RecipientKind.EXTERNAL
    return Recipient(rid, kind, channel, name, agency_id=rid if code else None, agency_code=code)


def _document(
    form: DocumentForm = DocumentForm.ELECTRONIC, *, paper: bool = False
) -> OutgoingDocument:
    recipients = [
        _recipient(1, "000.00.00.H08", "Ủy ban nhân dân tỉnh Bình Dương", Channel.HUB),
        _recipient(2, "000.00.00.G22", "Văn phòng Chính phủ", Channel.HUB),
    ]
    if paper:
        recipients.append(_recipient(3, None, "Công ty ABC", Channel.PAPER))
    return OutgoingDocument(
        id=5,
        agency_id=AGENCY.agency_id,
        state=OutgoingState.READY_TO_DISPATCH,
        doctype_key="cong_van",
        subject="V/v triển khai chuyển đổi số năm 2026",
        urgency=Urgency.KHAN,
        confidentiality=Confidentiality.NONE,
        form=form,
        scanned=False,
        drafter_id=1,
        unit_id=None,
        signer_id=2,
        catalogue_id=None,
        created_at=ISSUED,
        updated_at=ISSUED,
        number=1,
        notation="UBND-TTĐT",
        code="01/UBND-TTĐT",
        issued_at=ISSUED,
        document_id=DOCUMENT_ID,
        recipients=tuple(recipients),
    )


def wall(text: str) -> datetime:
    """A naive Vietnam wall time (``2026-05-10 09:30:00``), as edXML writes timestamps."""
    return datetime.fromisoformat(text)


FILES = [
    FileInput("01-UBND-TTDT.pdf", b"%PDF-1.7\nmain\n"),
    FileInput("phu-luc.pdf", b"%PDF-1.7\n"),
]


def test_a_document_package_carries_the_documents_metadata() -> None:
    doc = _document(paper=True)
    pkg = document_package(
        doc,
        AGENCY,
        to=doc.hub_recipients,
        files=FILES,
        now=ISSUED,
        signer_name="Trần Văn Lãnh",
        signer_title="Chủ tịch",
    )
    header = pkg.header
    assert validate_package(pkg, today=date(2026, 5, 10)).errors == []
    assert (header.from_.organ_id, header.from_.organ_name) == (AGENCY.code, AGENCY.name)
    assert [o.organ_id for o in header.to] == ["000.00.00.H08", "000.00.00.G22"]
    assert (header.code.code_number, header.code.code_notation) == ("01", "UBND-TTĐT")
    assert header.promulgation_info.promulgation_date == date(2026, 5, 10)
    assert header.document_type.type_name == "Công văn"
    assert header.document_id == DOCUMENT_ID
    assert header.other_info.priority == 1  # Khẩn
    assert header.to_places == [
        "Ủy ban nhân dân tỉnh Bình Dương",
        "Văn phòng Chính phủ",
        "Công ty ABC",
    ]
    assert (header.signer_info.position, header.signer_info.full_name) == (
        "Chủ tịch",
        "Trần Văn Lãnh",
    )
    assert pkg.trace_headers == [m.TraceHeader(AGENCY.code, wall("2026-05-10 09:30:00"))]
    assert pkg.business == m.Business(paper=True)
    assert [(a.content_id, a.attachment_name) for a in pkg.attachments] == [
        ("cid:1", "01-UBND-TTDT.pdf"),
        ("cid:2", "phu-luc.pdf"),
    ]
    assert pkg.attachments[0].read_bytes() == FILES[0].content


def test_mixed_form_sends_the_paper_flag() -> None:
    doc = _document(DocumentForm.MIXED)
    pkg = document_package(doc, AGENCY, to=doc.hub_recipients, files=FILES, now=ISSUED)
    assert pkg.business is not None
    assert pkg.business.paper


def test_update_and_replacement_blocks_validate() -> None:
    doc = _document()
    for action, kind in [
        (OutgoingAction.REQUEST_UPDATE, m.BusinessDocType.UPDATE),
        (OutgoingAction.REQUEST_REPLACE, m.BusinessDocType.REPLACE),
    ]:
        business = request_business(doc, action, "Sai thời hạn", doc.hub_recipients)
        pkg = document_package(
            doc, AGENCY, to=doc.hub_recipients, files=FILES, now=ISSUED, business=business
        )
        assert validate_package(pkg, today=date(2026, 5, 10)).errors == []
        assert business.business_doc_type is kind
        assert business.document_id == DOCUMENT_ID
        assert business.business_doc_reason == "Sai thời hạn"
    replace = request_business(doc, OutgoingAction.REQUEST_REPLACE, "x", doc.hub_recipients)
    assert replace.replacement_infos == [
        m.ReplacementInfo(DOCUMENT_ID, ["000.00.00.H08", "000.00.00.G22"])
    ]
    with pytest.raises(WorkflowError):
        request_business(doc, OutgoingAction.REQUEST_RECALL, "x", doc.hub_recipients)


def test_take_back_status_is_dated_when_asked() -> None:
    asked = datetime(2026, 5, 11, 1, 2, 3, 456789, tzinfo=UTC)
    status = take_back_status(_document(), AGENCY, reason="Sai thể thức", requested_at=asked)
    assert validate_package(status, today=date(2026, 5, 11)).errors == []
    assert status.status_code is m.StatusCode.TAKE_BACK_REQUEST
    assert status.timestamp == wall("2026-05-11 08:02:03")
    assert status.response_for == m.ResponseFor(
        AGENCY.code, "01/UBND-TTĐT", date(2026, 5, 10), DOCUMENT_ID
    )
    assert status.description == "Sai thể thức"


def test_outbox_record_becomes_a_status_package() -> None:
    record = OutboxRecord(
        id=3,
        agency_id=9,
        agency_code="000.00.00.H08",
        incoming_id=4,
        status_code="03",
        description="Đã tiếp nhận, vào sổ",
        staff_name="Nguyễn Thị Vân",
        staff_department="Văn phòng",
        staff_email="vanthu@b.gov.vn",
        at=datetime(2026, 5, 10, 3, 0, tzinfo=UTC),
        recipient_code=AGENCY.code,
        sender_document_id=DOCUMENT_ID,
        document_code="01/UBND-TTĐT",
        document_date=date(2026, 5, 10),
        state="pending",
    )
    status = outbox_status(record, "Ủy ban nhân dân tỉnh Bình Dương")
    assert validate_package(status, today=date(2026, 5, 10)).errors == []
    assert status.status_code is m.StatusCode.ACCEPTED
    assert status.from_ == m.Organization("000.00.00.H08", "Ủy ban nhân dân tỉnh Bình Dương")
    assert status.response_for.document_id == DOCUMENT_ID
    assert status.timestamp == wall("2026-05-10 10:00:00")
    assert status.staff_info == m.StaffInfo("Văn phòng", "Nguyễn Thị Vân", "", "vanthu@b.gov.vn")


def test_times_and_names() -> None:
    assert vn_naive(ISSUED) == wall("2026-05-10 09:30:00")
    assert from_vn_naive(wall("2026-05-10 09:30:00")) == ISSUED
    assert from_vn_naive(wall("2026-05-10 09:30:00")).tzinfo == VN_TZ
    assert file_name("01/UBND-TTĐT") == "01-UBND-TTDT.pdf"
    assert file_name("12/QĐ-UBND") == "12-QD-UBND.pdf"
    assert file_name("///") == "van-ban.pdf"


def test_which_errors_are_worth_retrying() -> None:
    assert transient(HubError("down", code="hub.unavailable"))
    assert transient(HubError("busy", code="storage.unavailable", http_status=503))
    assert transient(HubError("clock", code="auth.expired", http_status=401))
    assert transient(StorageError("db", code="storage.unavailable"))
    assert not transient(HubError("who?", code="recipient.unknown", http_status=422))
    assert not transient(HubError("no", code="forbidden.sender_not_hosted", http_status=403))
    assert not transient(ValidationError("bad", code="spec.package_invalid"))


def test_the_loop_backs_off_and_survives_failures() -> None:
    stop = threading.Event()
    calls: list[int] = []

    def step() -> None:
        calls.append(len(calls))
        if len(calls) == 1:
            raise HubError("down", code="hub.unavailable")
        if len(calls) == 2:
            raise RuntimeError("a bug")
        stop.set()

    run_loop(step, stop, idle=0.0, first_backoff=0.001)
    assert calls == [0, 1, 2]
