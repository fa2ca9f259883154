"""The incoming workflow on SQLite and PostgreSQL: intake, accept/reject, assign, progress,
finish, recall, paper arrivals, overdue items, and the status outbox each step fills."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from lienthong.clock import VN_TZ, FixedClock
from lienthong.db.uow import UnitOfWork
from lienthong.edxml import model as m
from lienthong.edxml.attachments import attachment_from_bytes
from lienthong.errors import NotFound, PermissionDenied, ValidationError, WorkflowError
from lienthong.office.documents import Channel, FileInput, IncomingDocument
from lienthong.office.incoming import Assignment
from lienthong.office.intake import (
    PaperArrival,
    ReceivedDocument,
    SignatureCheck,
    received_from_package,
)
from lienthong.office.model import Actor, Confidentiality, DocumentForm, Urgency
from lienthong.office.repository_incoming import IncomingFilter
from lienthong.office.workflow import IncomingState
from lienthong.pdfsign import sample
from lienthong.pki.ca import DemoPki
from lienthong.storage import FileBlobStore
from officekit import A_CODE, B_CODE, C_CODE, C_NAME, OfficeWorld, build_world, make_pki

SENDER_DOC = f"{C_CODE},2026/05/09,7816/VPCP-TTĐT"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPki:
    return make_pki(tmp_path_factory.mktemp("office-pki"))


@pytest.fixture
def world(
    make_uow: Callable[[], UnitOfWork], tmp_path: Path, clock: FixedClock, pki: DemoPki
) -> OfficeWorld:
    return build_world(make_uow, FileBlobStore(tmp_path / "blobs"), pki, clock)


def _received(delivery: str = "DLV-1", document_id: str = SENDER_DOC) -> ReceivedDocument:
    return ReceivedDocument(
        hub_delivery_id=delivery,
        sender_document_id=document_id,
        sender_code=C_CODE,
        sender_name="VPCP",
        subject="Về việc báo cáo tình hình gửi, nhận văn bản điện tử",
        code="7816/VPCP-TTĐT",
        document_date=date(2026, 5, 9),
        doctype_name="Công văn",
        urgency=Urgency.HOA_TOC,
        signer_name="Nguyễn Văn An",
        signatures=(
            SignatureCheck(
                "package", "Văn phòng Chính phủ", valid=True, agency_id=C_CODE, verdict="valid"
            ),
        ),
    )


def _arrive(world: OfficeWorld, delivery: str = "DLV-1", document_id: str = SENDER_DOC) -> int:
    system = Actor.system(world.a.agency_id)
    return world.services.intake.receive(system, _received(delivery, document_id)).id


def _statuses(world: OfficeWorld, doc_id: int) -> list[str]:
    return [r.status_code for r in world.services.intake.outbox(world.actor("a.clerk"), doc_id)]


def test_intake_stores_the_document_and_queues_arrival(world: OfficeWorld) -> None:
    system = Actor.system(world.a.agency_id)
    doc = world.services.intake.receive(system, _received())
    assert doc.state is IncomingState.RECEIVED
    assert doc.channel is Channel.HUB
    assert doc.sender_name == C_NAME  # the directory's name wins
    assert doc.doctype_key == "cong_van"
    assert doc.form is DocumentForm.ELECTRONIC
    assert doc.signatures_valid is True
    assert doc.number is None
    assert world.services.intake.receive(system, _received()).id == doc.id  # idempotent
    [record] = world.services.intake.pending_statuses(system)
    assert record.status_code == "01"
    assert record.recipient_code == C_CODE
    assert record.sender_document_id == SENDER_DOC
    assert record.document_code == "7816/VPCP-TTĐT"
    assert record.agency_code == A_CODE
    world.services.intake.status_sent(system, record.id, "PKG-STATUS-1")
    assert world.services.intake.pending_statuses(system) == []


def test_accept_assign_progress_finish(world: OfficeWorld, clock: FixedClock) -> None:
    incoming = world.services.incoming
    doc_id = _arrive(world)
    accepted = incoming.accept(world.actor("a.clerk"), doc_id)
    assert accepted.state is IncomingState.REGISTERED
    assert (accepted.number, accepted.year, accepted.series) == (1, 2026, "in")
    with pytest.raises(PermissionDenied):
        incoming.assign(world.actor("a.specialist"), doc_id, Assignment("a.chuyenvien"))
    deadline = date(2026, 5, 15)
    assigned = incoming.assign(
        world.actor("a.leader"),
        doc_id,
        Assignment("a.chuyenvien", ("a.chuyenvien2",), deadline, "Tham mưu trả lời"),
    )
    assert assigned.state is IncomingState.ASSIGNED
    assert assigned.deadline == deadline
    assert [(h.full_name, h.lead) for h in assigned.handlers] == [
        ("Phạm Văn Chuyên", True),
        ("Hoàng Thị Hà", False),
    ]
    with pytest.raises(PermissionDenied) as exc:
        incoming.progress(world.actor("a.clerk"), doc_id, "không phải người xử lý")
    assert exc.value.code == "workflow.not_a_handler"
    incoming.progress(world.actor("a.specialist2"), doc_id, "Đã xin ý kiến các phòng")
    incoming.progress(world.actor("a.specialist"), doc_id, "Đã dự thảo văn bản trả lời")
    with pytest.raises(PermissionDenied):
        incoming.finish(world.actor("a.specialist2"), doc_id)
    clock.advance(timedelta(days=1))
    finished = incoming.finish(world.actor("a.specialist"), doc_id, "Đã trả lời")
    assert finished.state is IncomingState.FINISHED
    assert finished.finished_at == clock.now()
    assert _statuses(world, doc_id) == ["01", "03", "04", "05", "06"]
    records = world.services.intake.outbox(world.actor("a.clerk"), doc_id)
    assigned_record = records[2]
    assert assigned_record.staff_name == "Trần Văn Lãnh"
    assert assigned_record.description == "Đã phân công xử lý: Tham mưu trả lời"
    finish_record = records[-1]
    assert finish_record.staff_department == "Trung tâm Thông tin điện tử"
    assert finish_record.staff_email == "chuyenvien@a.gov.vn"


def test_reject_needs_a_reason(world: OfficeWorld) -> None:
    doc_id = _arrive(world)
    with pytest.raises(ValidationError) as exc:
        world.services.incoming.reject(world.actor("a.clerk"), doc_id, "  ")
    assert exc.value.code == "office.missing_field"
    rejected = world.services.incoming.reject(
        world.actor("a.clerk"), doc_id, "Văn bản thiếu chữ ký số của cơ quan"
    )
    assert rejected.state is IncomingState.REJECTED
    assert rejected.number is None
    records = world.services.intake.outbox(world.actor("a.clerk"), doc_id)
    assert [r.status_code for r in records] == ["01", "02"]
    assert records[1].description == "Từ chối tiếp nhận: Văn bản thiếu chữ ký số của cơ quan"
    with pytest.raises(WorkflowError) as wf:
        world.services.incoming.accept(world.actor("a.clerk"), doc_id)
    assert wf.value.code == "workflow.illegal_transition"


def test_a_specialist_cannot_accept(world: OfficeWorld) -> None:
    doc_id = _arrive(world)
    with pytest.raises(PermissionDenied) as exc:
        world.services.incoming.accept(world.actor("a.specialist"), doc_id)
    assert exc.value.code == "office.forbidden_role"


def test_paper_and_electronic_share_the_incoming_series(world: OfficeWorld) -> None:
    clerk = world.actor("a.clerk")
    scan = sample.decision_pdf()
    first = world.services.incoming.accept(clerk, _arrive(world, "D1", "x,1"))
    paper = world.services.intake.register_paper(
        clerk,
        PaperArrival(
            sender_name="Sở Tài chính tỉnh Nghệ An",
            subject="Về việc quyết toán kinh phí năm 2025",
            code="123/STC-NS",
            document_date=date(2026, 5, 8),
            doctype="Công văn",
        ),
        scan,
    )
    second = world.services.incoming.accept(clerk, _arrive(world, "D2", "x,2"))
    assert [first.number, paper.number, second.number] == [1, 2, 3]
    assert paper.state is IncomingState.REGISTERED
    assert paper.channel is Channel.PAPER
    assert paper.form is DocumentForm.PAPER
    assert paper.scanned is True
    assert world.services.incoming.pdf(clerk, paper.id) == scan
    assert world.services.intake.outbox(clerk, paper.id) == []  # nobody to notify


def test_overdue_items_are_flagged(world: OfficeWorld, clock: FixedClock) -> None:
    incoming, leader = world.services.incoming, world.actor("a.leader")
    late = _arrive(world, "D1", "x,1")
    done = _arrive(world, "D2", "x,2")
    for doc_id in (late, done):
        incoming.accept(world.actor("a.clerk"), doc_id)
        incoming.assign(leader, doc_id, Assignment("a.chuyenvien", deadline=date(2026, 5, 11)))
    incoming.finish(world.actor("a.specialist"), done)
    assert incoming.overdue(leader) == []
    clock.advance(timedelta(days=2))
    assert [d.id for d in incoming.overdue(leader)] == [late]
    flags = {d.id: d.overdue for d in incoming.search(leader)}
    assert flags == {late: True, done: False}
    with pytest.raises(ValidationError) as exc:
        incoming.assign(leader, late, Assignment("a.chuyenvien", deadline=date(2026, 5, 1)))
    assert exc.value.code == "office.deadline_past"


def test_recall_agreed_cancels(world: OfficeWorld) -> None:
    doc_id = _arrive(world)
    world.services.incoming.accept(world.actor("a.clerk"), doc_id)
    system = Actor.system(world.a.agency_id)
    recalled = world.services.incoming.recall_received(system, SENDER_DOC, "Ban hành nhầm")
    assert recalled.state is IncomingState.RECALL_REQUESTED
    assert recalled.state_before_recall is IncomingState.REGISTERED
    cancelled = world.services.incoming.agree_recall(world.actor("a.clerk"), doc_id)
    assert cancelled.state is IncomingState.CANCELLED
    assert _statuses(world, doc_id) == ["01", "03", "15"]


def test_recall_refused_goes_back(world: OfficeWorld) -> None:
    doc_id = _arrive(world)
    incoming = world.services.incoming
    incoming.accept(world.actor("a.clerk"), doc_id)
    incoming.assign(world.actor("a.leader"), doc_id, Assignment("a.chuyenvien"))
    incoming.recall_received(Actor.system(world.a.agency_id), SENDER_DOC)
    with pytest.raises(WorkflowError):
        incoming.progress(world.actor("a.specialist"), doc_id, "đang chờ")
    back = incoming.refuse_recall(world.actor("a.clerk"), doc_id, "Đã triển khai thực hiện")
    assert back.state is IncomingState.ASSIGNED
    assert back.state_before_recall is None
    assert _statuses(world, doc_id) == ["01", "03", "04", "16"]


def test_confidential_paper_arrivals(world: OfficeWorld) -> None:
    clerk = world.actor("a.clerk")
    secret = world.services.intake.register_paper(
        clerk,
        PaperArrival(
            sender_name="Công an tỉnh",
            subject="Kế hoạch bảo vệ",
            confidentiality=Confidentiality.MAT,
        ),
        sample.decision_pdf(),
    )
    assert (secret.series, secret.number) == ("in_secret", 1)
    for name in ("a.leader", "a.specialist", "a.admin"):
        with pytest.raises(NotFound):
            world.services.incoming.get(world.actor(name), secret.id)
    assert world.services.incoming.search(world.actor("a.leader")) == []
    world.services.incoming.get(clerk, secret.id)
    with pytest.raises(NotFound):  # a leader who cannot see it cannot assign it
        world.services.incoming.assign(
            world.actor("a.leader"), secret.id, Assignment("a.chuyenvien")
        )
    world.services.incoming.grant(clerk, secret.id, "a.lanhdao")
    world.services.incoming.assign(world.actor("a.leader"), secret.id, Assignment("a.chuyenvien"))
    assert world.services.incoming.get(world.actor("a.specialist"), secret.id).handlers
    with pytest.raises(NotFound):
        world.services.incoming.get(world.actor("a.specialist2"), secret.id)


def test_agencies_are_isolated(world: OfficeWorld) -> None:
    doc_id = _arrive(world)
    for name in ("b.leader", "b.clerk"):
        with pytest.raises(NotFound):
            world.services.incoming.get(world.actor(name), doc_id)
        assert world.services.incoming.search(world.actor(name)) == []
    with pytest.raises(NotFound):
        world.services.incoming.accept(world.actor("b.clerk"), doc_id)
    filtered = world.services.incoming.search(
        world.actor("a.leader"), IncomingFilter(states=(IncomingState.RECEIVED,))
    )
    assert [d.id for d in filtered] == [doc_id]


def test_a_package_maps_to_a_received_document() -> None:
    header = m.MessageHeader(
        from_=m.Organization(B_CODE, "UBND tỉnh Bình Dương"),
        to=[m.Organization(A_CODE)],
        code=m.Code("05", "UBND-VX"),
        promulgation_info=m.PromulgationInfo("Bình Dương", date(2026, 5, 9)),
        document_type=m.DocumentType(1, 0, "Công văn"),
        subject="V/v phối hợp",
        signer_info=m.SignerInfo(full_name="Lê Văn Cường"),
        other_info=m.OtherInfo(priority=2),
        document_id=f"{B_CODE},2026/05/09,05/UBND-VX",
    )
    package = m.DocumentPackage(
        header=header,
        business=m.Business(business_doc_type=m.BusinessDocType.REPLACE, document_id="old-id"),
        attachments=[
            attachment_from_bytes("cv.pdf", sample.decision_pdf(), content_type="application/pdf"),
            attachment_from_bytes(
                "bang.xlsx", b"PK\x03\x04", content_type="application/vnd.ms-excel"
            ),
        ],
    )
    received = received_from_package(package, delivery_id="DLV-9")
    assert received.code == "05/UBND-VX"
    assert received.urgency is Urgency.THUONG_KHAN
    assert received.main_pdf is not None
    assert received.main_pdf.name == "cv.pdf"
    assert [f.name for f in received.attachments] == ["bang.xlsx"]
    assert (received.link_kind, received.linked_document_id) == ("replace", "old-id")
    assert received.sender_document_id == f"{B_CODE},2026/05/09,05/UBND-VX"


@pytest.mark.parametrize(
    "received_at",
    [
        datetime(2026, 5, 10, 8, 0),  # noqa: DTZ001 - no time zone, on purpose
        datetime(9999, 12, 31, 23, 0, tzinfo=UTC),  # would poison the registers' years
        datetime(1900, 1, 1, tzinfo=UTC),
    ],
)
def test_a_paper_arrival_time_must_be_plausible(world: OfficeWorld, received_at: datetime) -> None:
    clerk = world.actor("a.clerk")

    def register(at: datetime | None) -> IncomingDocument:
        arrival = PaperArrival(sender_name="Sở Tài chính", subject="Về việc X", received_at=at)
        return world.services.intake.register_paper(clerk, arrival, sample.decision_pdf())

    with pytest.raises(ValidationError) as refused:
        register(received_at)
    earlier = register(datetime(2026, 5, 9, 15, 30, tzinfo=VN_TZ))

    assert refused.value.code == "office.invalid_date"
    assert earlier.number == 1  # the refused one burned no number
    assert earlier.received_at == datetime(2026, 5, 9, 8, 30, tzinfo=UTC)
    assert [d.id for d in world.services.incoming.search(clerk)] == [earlier.id]


def test_the_attachments_that_came_with_a_document_can_be_downloaded(world: OfficeWorld) -> None:
    from dataclasses import replace

    system = Actor.system(world.a.agency_id)
    annex = FileInput("Phụ lục.xlsx", b"PK\x03\x04 bang so lieu", "application/vnd.ms-excel")
    doc = world.services.intake.receive(system, replace(_received(), attachments=(annex,)))
    clerk = world.actor("a.clerk")
    (stored,) = doc.attachments

    name, media, data = world.services.incoming.attachment(clerk, doc.id, stored.id)
    with pytest.raises(NotFound) as other_agency:
        world.services.incoming.attachment(world.actor("b.clerk"), doc.id, stored.id)
    with pytest.raises(NotFound) as no_such_file:
        world.services.incoming.attachment(clerk, doc.id, stored.id + 99)

    assert (name, media, data) == ("Phụ lục.xlsx", "application/vnd.ms-excel", annex.content)
    assert other_agency.value.code == "office.document_unknown"
    assert no_such_file.value.code == "office.file_unknown"
