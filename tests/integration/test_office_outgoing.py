"""The outgoing workflow on SQLite and PostgreSQL, with real PDFs and real signatures:
draft → review → signer signs → clerk issues → agency signs → ready to dispatch."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from lienthong.clock import FixedClock
from lienthong.db.uow import UnitOfWork
from lienthong.errors import NotFound, PermissionDenied, ValidationError, WorkflowError
from lienthong.office.dispatch import DispatchItem, RecipientOutcome
from lienthong.office.documents import Channel, DispatchState, FileInput, RecipientInput
from lienthong.office.model import Actor, Confidentiality, DocumentForm, Urgency
from lienthong.office.repository_outgoing import OutgoingFilter
from lienthong.office.workflow import OutgoingState
from lienthong.pdfsign import sample
from lienthong.pdfsign.report import Verdict
from lienthong.pdfsign.validate import validate_pdf
from lienthong.pki.ca import DemoPki
from lienthong.storage import FileBlobStore
from officekit import A_CODE, A_NAME, B_CODE, C_CODE, OfficeWorld, build_world, make_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPki:
    return make_pki(tmp_path_factory.mktemp("office-pki"))


@pytest.fixture
def world(
    make_uow: Callable[[], UnitOfWork], tmp_path: Path, clock: FixedClock, pki: DemoPki
) -> OfficeWorld:
    return build_world(make_uow, FileBlobStore(tmp_path / "blobs"), pki, clock)


def _to_signed(world: OfficeWorld, **changes: object) -> int:
    """A draft of A's specialist, submitted and signed by A's leader; its id."""
    out, issuing = world.services.outgoing, world.services.issuing
    created = out.create(
        world.actor("a.specialist"), world.draft(**changes), main_pdf=sample.decision_pdf()
    )
    doc_id = created.value.id
    out.submit(world.actor("a.specialist"), doc_id)
    if Confidentiality(changes.get("confidentiality", Confidentiality.NONE)).secret:
        out.grant(world.actor("a.specialist"), doc_id, "a.vanthu")
    issuing.sign(world.actor("a.leader"), doc_id)
    return doc_id


def test_the_whole_way_to_ready_to_dispatch(
    world: OfficeWorld, clock: FixedClock, pki: DemoPki
) -> None:
    out, issuing = world.services.outgoing, world.services.issuing
    specialist, leader, clerk = (
        world.actor("a.specialist"),
        world.actor("a.leader"),
        world.actor("a.clerk"),
    )
    created = out.create(
        specialist,
        world.draft(urgency=Urgency.KHAN),
        main_pdf=sample.decision_pdf(),
        attachments=[FileInput("phu-luc.pdf", sample.attachment_pdf())],
    )
    assert created.warnings == ()
    doc = created.value
    assert doc.state is OutgoingState.DRAFT
    assert doc.form is DocumentForm.ELECTRONIC  # công văn trao đổi ý kiến: electronic only
    assert [(r.name, r.channel) for r in doc.recipients] == [
        ("Ủy ban nhân dân tỉnh Bình Dương", Channel.HUB),
        ("Văn phòng Chính phủ", Channel.HUB),
    ]
    out.comment(leader, doc.id, "Đề nghị bổ sung thời hạn")
    assert out.submit(specialist, doc.id).state is OutgoingState.IN_REVIEW
    out.comment(leader, doc.id, "Đồng ý")
    clock.advance(timedelta(minutes=5))
    signed = issuing.sign(leader, doc.id)
    assert signed.state is OutgoingState.SIGNED
    assert signed.pdf_sha256 != signed.draft_sha256
    issued = issuing.issue(clerk, doc.id)
    assert issued.state is OutgoingState.REGISTERED
    assert issued.number == 1
    assert issued.code == "01/UBND-TTĐT"
    assert issued.year == 2026
    assert issued.series == "out"
    assert issued.issued_at == clock.now()
    assert issued.document_id == f"{A_CODE},2026/05/10,01/UBND-TTĐT"
    ready = issuing.agency_sign(clerk, doc.id)
    assert ready.state is OutgoingState.READY_TO_DISPATCH
    assert ready.attachments[0].stamped_sha256 is not None

    report = validate_pdf(out.pdf(clerk, doc.id), pki.trust_store, clock=clock)
    assert report.verdict is Verdict.VALID
    person, agency = report.signatures
    assert person.field_name == "ChuKyNguoiCoThamQuyen"
    assert person.valid
    assert person.agency_id == A_CODE
    assert agency.field_name == "ChuKyCoQuan"
    assert agency.valid
    assert agency.signer == A_NAME
    _, _, attachment = out.attachment(clerk, doc.id, ready.attachments[0].id)
    assert validate_pdf(attachment, pki.trust_store, clock=clock).verdict is Verdict.VALID

    actions = [e.action for e in out.events(clerk, doc.id)]
    assert actions == ["create", "comment", "submit", "comment", "sign", "issue", "agency_sign"]


def test_dispatch_seam_records_outcomes(world: OfficeWorld) -> None:
    doc_id = _to_signed(world)
    clerk = world.actor("a.clerk")
    world.services.issuing.issue(clerk, doc_id)
    world.services.issuing.agency_sign(clerk, doc_id)
    dispatch = world.services.dispatch
    system = Actor.system(world.a.agency_id)
    [item] = dispatch.ready(system)
    assert isinstance(item, DispatchItem)
    assert item.agency.code == A_CODE
    assert [r.agency_code for r in item.recipients] == [B_CODE, C_CODE]

    class Half:
        def dispatch(self, item: DispatchItem) -> list[RecipientOutcome]:
            first, second = item.recipients
            return [
                RecipientOutcome(first.id, "PKG1"),
                RecipientOutcome(second.id, error="hub down"),
            ]

    [partly] = dispatch.dispatch_ready(system, Half())
    assert partly.state is OutgoingState.READY_TO_DISPATCH
    assert [r.dispatch_state for r in partly.recipients] == [
        DispatchState.SENT,
        DispatchState.FAILED,
    ]
    [again] = dispatch.ready(system)
    assert [r.agency_code for r in again.recipients] == [C_CODE]
    done = dispatch.record(system, doc_id, [RecipientOutcome(again.recipients[0].id, "PKG2")])
    assert done.state is OutgoingState.DISPATCHED
    assert dispatch.ready(system) == []


def test_confidential_documents_never_reach_the_hub(world: OfficeWorld) -> None:
    out = world.services.outgoing
    with pytest.raises(WorkflowError) as exc:
        out.create(
            world.actor("a.specialist"),
            world.draft(
                confidentiality=Confidentiality.MAT,
                recipients=(RecipientInput(agency=B_CODE, channel=Channel.HUB),),
            ),
        )
    assert exc.value.code == "workflow.confidential_not_dispatchable"
    doc_id = _to_signed(world, confidentiality=Confidentiality.MAT)
    clerk = world.actor("a.clerk")
    doc = out.get(clerk, doc_id)
    assert [r.channel for r in doc.recipients] == [Channel.PAPER, Channel.PAPER]
    assert doc.form is DocumentForm.PAPER
    issued = world.services.issuing.issue(clerk, doc_id)
    assert issued.series == "out_secret"
    assert issued.number == 1
    with pytest.raises(WorkflowError) as exc:
        world.services.issuing.agency_sign(clerk, doc_id)
    assert exc.value.code == "workflow.confidential_not_dispatchable"
    system = Actor.system(world.a.agency_id)
    assert world.services.dispatch.ready(system) == []
    with pytest.raises(NotFound):  # the system never even sees it
        world.services.dispatch.record(system, doc_id, [])
    handed = world.services.issuing.hand_over(clerk, doc_id, "Chuyển bằng bì thư dán kín")
    assert handed.state is OutgoingState.HANDED_OVER
    # and an open document numbers in its own series from 01
    assert world.services.issuing.issue(clerk, _to_signed(world)).code == "01/UBND-TTĐT"


def test_confidential_documents_are_seen_by_the_people_on_them(world: OfficeWorld) -> None:
    out = world.services.outgoing
    created = out.create(
        world.actor("a.specialist"), world.draft(confidentiality=Confidentiality.TOI_MAT)
    )
    doc_id = created.value.id
    for name in ("a.specialist", "a.leader"):
        assert out.get(world.actor(name), doc_id).id == doc_id
    for name in ("a.clerk", "a.deputy", "a.specialist2", "a.admin"):
        with pytest.raises(NotFound):
            out.get(world.actor(name), doc_id)
        assert doc_id not in [d.id for d in out.search(world.actor(name))]
    out.grant(world.actor("a.leader"), doc_id, "a.vanthu")
    assert out.get(world.actor("a.clerk"), doc_id).confidentiality is Confidentiality.TOI_MAT


def test_agencies_are_isolated(world: OfficeWorld) -> None:
    doc_id = _to_signed(world)
    with pytest.raises(NotFound):
        world.services.outgoing.get(world.actor("b.leader"), doc_id)
    with pytest.raises(NotFound):
        world.services.issuing.issue(world.actor("b.clerk"), doc_id)
    assert world.services.outgoing.search(world.actor("b.leader")) == []
    assert [d.id for d in world.services.outgoing.search(world.actor("a.admin"))] == [doc_id]


def test_roles_and_people_are_checked(world: OfficeWorld) -> None:
    out, issuing = world.services.outgoing, world.services.issuing
    doc_id = out.create(
        world.actor("a.specialist"), world.draft(), main_pdf=sample.decision_pdf()
    ).value.id
    with pytest.raises(PermissionDenied):
        out.create(world.actor("a.admin"), world.draft())
    with pytest.raises(PermissionDenied):  # another specialist cannot edit the draft
        out.set_main_pdf(world.actor("a.specialist2"), doc_id, sample.decision_pdf())
    out.submit(world.actor("a.specialist"), doc_id)
    with pytest.raises(PermissionDenied) as exc:
        issuing.sign(world.actor("a.deputy"), doc_id)  # a leader, but not the named signer
    assert exc.value.code == "workflow.not_the_signer"
    with pytest.raises(PermissionDenied) as exc:
        issuing.sign(world.actor("a.clerk"), doc_id)
    assert exc.value.code == "office.forbidden_role"
    with pytest.raises(WorkflowError) as exc:
        issuing.issue(world.actor("a.clerk"), doc_id)
    assert exc.value.code == "workflow.illegal_transition"
    returned = out.return_for_revision(world.actor("a.leader"), doc_id, "Sửa lại trích yếu")
    assert returned.state is OutgoingState.DRAFT
    with pytest.raises(ValidationError) as exc:
        out.edit(world.actor("a.specialist"), doc_id, world.draft(signer="a.chuyenvien2"))
    assert exc.value.code == "office.signer_not_leader"


def test_submit_needs_pdf_signer_and_recipients(world: OfficeWorld) -> None:
    out = world.services.outgoing
    me = world.actor("a.specialist")
    doc = out.create(me, world.draft(signer=None, recipients=())).value
    for code in ("workflow.missing_pdf", "workflow.missing_signer", "workflow.no_recipients"):
        with pytest.raises(WorkflowError) as exc:
            out.submit(me, doc.id)
        assert exc.value.code == code
        if code == "workflow.missing_pdf":
            out.set_main_pdf(me, doc.id, sample.decision_pdf())
        elif code == "workflow.missing_signer":
            out.edit(me, doc.id, world.draft(recipients=()))
    with pytest.raises(ValidationError) as exc:
        out.set_main_pdf(me, doc.id, b"not a pdf at all")
    assert exc.value.code == "office.not_pdf"


def test_catalogue_warns_but_saves(world: OfficeWorld) -> None:
    out = world.services.outgoing
    result = out.create(
        world.actor("a.specialist"), world.draft(doctype="giay_moi", form=DocumentForm.PAPER)
    )
    assert result.value.form is DocumentForm.PAPER
    assert [w.code for w in result.warnings] == ["catalogue.form_departs"]
    dossier = out.create(world.actor("a.specialist"), world.draft(doctype="to_trinh"))
    assert dossier.value.form is DocumentForm.MIXED
    assert dossier.warnings == ()


def test_external_recipients(world: OfficeWorld) -> None:
    out = world.services.outgoing
    draft = world.draft(
        recipients=(
            RecipientInput(name="Công ty ABC", email="vanthu@abc.vn"),
            RecipientInput(name="Ông Nguyễn Văn B", address="12 Lê Lợi, Vinh"),
        )
    )
    doc = out.create(world.actor("a.specialist"), draft).value
    assert [r.channel for r in doc.recipients] == [Channel.EMAIL, Channel.PAPER]
    with pytest.raises(ValidationError) as exc:
        out.create(
            world.actor("a.specialist"),
            world.draft(recipients=(RecipientInput(name="Công ty ABC", channel=Channel.HUB),)),
        )
    assert exc.value.code == "office.recipient_not_on_hub"
    listed = out.search(world.actor("a.clerk"), OutgoingFilter(text="chuyen doi so"))
    assert [d.id for d in listed] == [doc.id]


def test_paper_and_email_recipients_are_recorded_when_sent(world: OfficeWorld) -> None:
    draft = world.draft(
        recipients=(
            RecipientInput(agency=B_CODE),
            RecipientInput(name="Công ty ABC", email="vanthu@abc.vn"),
            RecipientInput(name="Ông Nguyễn Văn B", address="12 Lê Lợi, Vinh"),
        )
    )
    doc_id = _to_signed(world, recipients=draft.recipients)
    clerk, specialist = world.actor("a.clerk"), world.actor("a.specialist")
    handover = world.services.handover
    email, paper = (
        r
        for r in world.services.outgoing.get(clerk, doc_id).recipients
        if r.channel is not Channel.HUB
    )
    with pytest.raises(WorkflowError) as not_issued:
        handover.record_sent(clerk, doc_id, paper.id)
    assert not_issued.value.code == "workflow.not_issued"

    world.services.issuing.issue(clerk, doc_id)
    with pytest.raises(PermissionDenied):
        handover.record_sent(specialist, doc_id, paper.id)
    hub_recipient = next(
        r for r in world.services.outgoing.get(clerk, doc_id).recipients if r.channel is Channel.HUB
    )
    with pytest.raises(ValidationError) as on_hub:
        handover.record_sent(clerk, doc_id, hub_recipient.id)
    assert on_hub.value.code == "office.recipient_on_hub"

    after = handover.record_sent(clerk, doc_id, paper.id, note="gửi bảo đảm số RR123")
    sent = {r.id: r for r in after.recipients}
    assert sent[paper.id].dispatch_state is DispatchState.SENT
    assert sent[paper.id].dispatched_at is not None
    assert sent[email.id].dispatch_state is DispatchState.PENDING
    assert sent[hub_recipient.id].dispatch_state is DispatchState.PENDING
    again = handover.record_sent(clerk, doc_id, paper.id)
    assert again.recipients == after.recipients
    notes = [
        e.note
        for e in world.services.outgoing.events(clerk, doc_id)
        if e.action == "offline_dispatch"
    ]
    assert notes == ["Ông Nguyễn Văn B (bưu chính/trao tay): gửi bảo đảm số RR123"]


def test_a_key_of_another_agency_or_a_seal_does_not_sign_as_a_person(
    world: OfficeWorld, pki: DemoPki
) -> None:
    from lienthong.office.outgoing_issue import _check_personal_key

    world.services.users.add_user(
        Actor.operator(),
        world.a.agency_id,
        username="a.mao",
        full_name="Người Mạo Danh",
        password="password-123",
        roles=["leader", "specialist"],
        signing_key="b.signer",  # agency B's competent person
    )
    mao = world.services.users.actor_for("a.mao", world.a.agency_id)
    out = world.services.outgoing
    doc_id = out.create(mao, world.draft(signer="a.mao"), main_pdf=sample.decision_pdf()).value.id
    out.submit(mao, doc_id)

    with pytest.raises(PermissionDenied) as refused:
        world.services.issuing.sign(mao, doc_id)
    with pytest.raises(PermissionDenied) as seal:
        _check_personal_key(pki.agency(A_CODE), {A_CODE}, "a.mao")

    assert refused.value.code == "office.key_mismatch"
    assert seal.value.code == "office.key_mismatch"
    assert out.get(mao, doc_id).state is OutgoingState.IN_REVIEW  # nothing signed


@pytest.mark.parametrize("name", ["phu-luc\r\nX-Evil: 1.pdf", "tab\there.pdf", "x" * 256 + ".pdf"])
def test_an_attachment_name_that_cannot_be_served_is_refused(world: OfficeWorld, name: str) -> None:
    out = world.services.outgoing

    with pytest.raises(ValidationError) as refused:
        out.create(
            world.actor("a.specialist"),
            world.draft(),
            main_pdf=sample.decision_pdf(),
            attachments=[FileInput(name, sample.attachment_pdf())],
        )

    assert refused.value.code == "office.invalid_name"
