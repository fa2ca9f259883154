"""The office's exchange pieces against a real hub (uvicorn) on SQLite and PostgreSQL.

Embedded set-up: the hub and one office install share a database (and so a directory);
the office hosts A and B under the hub system ``sys-office``; C is another system with no
office here (its packages are made by hand). The office reaches the hub only through
``HubClient``.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from exchangekit import (
    NAMES,
    A,
    B,
    C,
    Office,
    exchange_pki,
    make_hub,
    merged_trust,
    open_office,
    ready_document,
)
from hubkit import serve
from lienthong.clock import VN_TZ, FixedClock
from lienthong.db.uow import uow_factory
from lienthong.edxml import model as m
from lienthong.edxml.attachments import attachment_from_bytes
from lienthong.edxml.document_id import build_document_id
from lienthong.edxml.reader import read_package
from lienthong.edxml.validate import validate_package
from lienthong.edxml.writer import package_to_bytes
from lienthong.edxml.xmldsig import sign_package, verify_package
from lienthong.errors import HubError, PermissionDenied, StorageError, WorkflowError
from lienthong.hub.app import create_hub_app
from lienthong.hub.client import HubClient
from lienthong.hub.schemas import DeliveryItem
from lienthong.office.documents import Channel, DispatchState, OutgoingDraft, RecipientInput
from lienthong.office.hubsync import transient
from lienthong.office.hubsync_inbound import InboundProcessor
from lienthong.office.hubsync_journal import InboundEntry
from lienthong.office.hubsync_run import build_exchange
from lienthong.office.model import DocumentForm
from lienthong.office.workflow import IncomingState, OutgoingState
from lienthong.pdfsign import sample
from lienthong.pdfsign.report import Verdict
from lienthong.pdfsign.validate import validate_pdf
from lienthong.pki.ca import DemoPki
from lienthong.pki.model import SigningIdentity
from lienthong.pki.testing import demo_pki
from lienthong.storage import FileBlobStore

T0 = datetime(2026, 5, 10, 8, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPki:
    return exchange_pki(tmp_path_factory.mktemp("pki"), clock=FixedClock(T0))


@pytest.fixture(scope="module")
def foreign(tmp_path_factory: pytest.TempPathFactory) -> DemoPki:
    """Another hierarchy: the hub trusts it, the office does not."""
    return demo_pki(tmp_path_factory.mktemp("foreign"), [(C, NAMES[C])], clock=FixedClock(T0))


@dataclass
class World:
    office: Office
    url: str
    secrets: dict[str, str]
    clock: FixedClock
    pki: DemoPki
    blobs: FileBlobStore

    def client(self, system_id: str) -> HubClient:
        return HubClient(self.url, system_id, self.secrets[system_id], clock=self.clock, retries=0)


@pytest.fixture
def world(fresh_engine: Engine, tmp_path: Path, pki: DemoPki, foreign: DemoPki) -> Iterator[World]:
    clock = FixedClock(T0 + timedelta(hours=1))
    uows = uow_factory(fresh_engine, clock=clock)
    blobs = FileBlobStore(tmp_path / "blobs")
    trust = merged_trust(pki.trust_store, foreign.trust_store)
    hub, secrets = make_hub(
        uows, blobs, pki, clock, {"sys-office": [A, B], "sys-c": [C]}, trust=trust
    )
    with serve(create_hub_app(hub, engine=fresh_engine, background=False)) as url:
        client = HubClient(url, "sys-office", secrets["sys-office"], clock=clock, retries=0)
        office = open_office(
            uows, blobs, pki, clock, hub=client, hosted=[A, B], pull_directory=False
        )
        try:
            yield World(office, url, secrets, clock, pki, blobs)
        finally:
            client.close()


def office_draft() -> OutgoingDraft:
    return OutgoingDraft(
        doctype="cong_van",
        subject="Dự thảo",
        signer="a.lanhdao",
        recipients=(RecipientInput(agency=B),),
    )


def _c_package(world: World, number: int, signer: SigningIdentity) -> bytes:
    """A document package from C to B, signed by ``signer``."""
    now = world.clock.now().astimezone(VN_TZ).replace(tzinfo=None, microsecond=0)
    document_id = build_document_id(C, now.date(), number, "VPCP-TTĐT")
    header = m.MessageHeader(
        from_=m.Organization(C, NAMES[C]),
        to=[m.Organization(B, NAMES[B])],
        code=m.Code(f"{number:02d}", "VPCP-TTĐT"),
        promulgation_info=m.PromulgationInfo("Hà Nội", now.date()),
        document_type=m.DocumentType(1, 0, "Công văn"),
        subject="Về việc báo cáo tình hình gửi, nhận văn bản điện tử",
        signer_info=m.SignerInfo("KT. BỘ TRƯỞNG", "Thứ trưởng", "Nguyễn Văn An"),
        document_id=document_id,
    )
    package = m.DocumentPackage(
        header=header,
        trace_headers=[m.TraceHeader(C, now)],
        business=m.Business(),
        attachments=[attachment_from_bytes("vanban.pdf", sample.decision_pdf(), content_id="1")],
    )
    return sign_package(package_to_bytes(package), signer)


def test_dispatcher_builds_a_package_that_validates_and_verifies(world: World) -> None:
    office, clerk = world.office, world.office.actor("a.clerk")
    doc = ready_document(
        office,
        A,
        [
            RecipientInput(agency=B),
            RecipientInput(agency=C),
            RecipientInput(name="Công ty ABC", address="12 Lê Lợi, Vinh"),
        ],
    )
    report = office.exchange.dispatcher.run_once([office.agencies[A].agency_id])
    sent = office.services.outgoing.get(clerk, doc.id)

    assert report.documents == [(doc.id, "dispatched")]
    assert report.refused == []
    assert sent.state is OutgoingState.DISPATCHED
    hub_ids = {r.hub_package_id for r in sent.hub_recipients}
    assert len(hub_ids) == 1
    assert [(r.agency_code, r.dispatch_state) for r in sent.hub_recipients] == [
        (B, DispatchState.SENT),
        (C, DispatchState.SENT),
    ]
    paper = next(r for r in sent.recipients if r.channel is Channel.PAPER)
    assert paper.dispatch_state is DispatchState.PENDING  # left to the clerk, on paper

    with world.client("sys-c") as c:
        [item] = c.receive(agency=C)
        fetched = c.fetch(item.delivery_id)
    package = read_package(fetched.content)
    assert isinstance(package, m.DocumentPackage)
    assert validate_package(package, today=world.clock.now().date()).errors == []
    signature = verify_package(fetched.content, world.pki.trust_store, clock=world.clock)
    assert signature.valid
    assert signature.certificate_agency_id == A
    header = package.header
    assert header.from_.organ_id == A
    assert [o.organ_id for o in header.to] == [B, C]
    assert (header.code.code_number, header.code.code_notation) == ("01", "UBND-TTĐT")
    assert header.document_id == doc.document_id == item.document_id
    assert header.signer_info.full_name == "Trần Văn Lãnh"
    assert header.signer_info.position == "Chủ tịch"
    assert "Công ty ABC" in header.to_places
    assert package.business is not None
    assert package.business.paper  # a paper copy follows for the paper recipient
    assert [a.attachment_name for a in package.attachments] == ["01-UBND-TTDT.pdf", "phu-luc.pdf"]
    main = validate_pdf(
        package.attachments[0].read_bytes(), world.pki.trust_store, clock=world.clock
    )
    assert main.verdict is Verdict.VALID
    assert [s.field_name for s in main.signatures] == ["ChuKyNguoiCoThamQuyen", "ChuKyCoQuan"]
    stamped = validate_pdf(
        package.attachments[1].read_bytes(), world.pki.trust_store, clock=world.clock
    )
    assert stamped.verdict is Verdict.VALID


def test_a_clerk_dispatches_one_document_at_once(world: World) -> None:
    office, clerk = world.office, world.office.actor("a.clerk")
    doc = ready_document(office, A, [RecipientInput(agency=B)])
    draft = office.services.outgoing.create(
        office.actor("a.specialist"), office_draft(), main_pdf=sample.decision_pdf()
    ).value

    sent = office.exchange.dispatch_now(clerk, doc.id)
    with pytest.raises(WorkflowError) as not_ready:
        office.exchange.dispatch_now(clerk, draft.id)
    with pytest.raises(PermissionDenied):
        office.exchange.dispatch_now(office.actor("a.leader"), doc.id)

    assert sent.state is OutgoingState.DISPATCHED
    assert [r.dispatch_state for r in sent.hub_recipients] == [DispatchState.SENT]
    assert not_ready.value.code == "workflow.illegal_transition"


def test_worker_stores_acknowledges_and_answers_01(world: World) -> None:
    office = world.office
    doc = ready_document(office, A, [RecipientInput(agency=B)])
    office.exchange.dispatcher.run_once([office.agencies[A].agency_id])

    outcomes = office.drain()

    # B's worker stored it and sent 01; the same worker (A is hosted too) applied the 01.
    assert outcomes == ["document:-:stored", "status:01:applied"]
    b_clerk = office.actor("b.clerk")
    [incoming] = office.services.incoming.search(b_clerk)
    assert incoming.state is IncomingState.RECEIVED
    assert incoming.sender_document_id == doc.document_id
    assert incoming.code == "01/UBND-TTĐT"
    assert incoming.form is DocumentForm.ELECTRONIC
    assert incoming.signatures_valid is True
    assert [r.status_code for r in office.services.intake.outbox(b_clerk, incoming.id)] == ["01"]
    assert [r.state for r in office.services.intake.outbox(b_clerk, incoming.id)] == ["sent"]
    entry = office.services.inbound.for_incoming(b_clerk, incoming.id)
    assert entry is not None
    assert entry.outcome == "stored"
    assert entry.reports is not None
    assert entry.reports["package"]["verdict"] == "valid"
    assert [(p["file"], p["report"]["verdict"]) for p in entry.reports["pdf"]] == [
        ("01-UBND-TTDT.pdf", "valid"),
        ("phu-luc.pdf", "valid"),
    ]
    with world.blobs.open(entry.package_sha256 or "", verify=True) as fh:
        kept = fh.read()
    assert verify_package(kept, world.pki.trust_store, clock=world.clock).valid
    sender_view = office.services.outgoing.get(office.actor("a.clerk"), doc.id)
    assert [r.status_code for r in sender_view.hub_recipients] == ["01"]
    with world.client("sys-office") as hub:
        tracking = hub.tracking(sender_view.hub_recipients[0].hub_package_id or "")
    assert [(r.recipient, r.state) for r in tracking.recipients] == [(B, "done")]
    assert [s.code for s in tracking.recipients[0].history] == ["01"]


def test_receiving_is_idempotent_by_delivery(world: World) -> None:
    office = world.office
    with world.client("sys-c") as c:
        c.send(_c_package(world, 7, world.pki.agency(C)))
    with world.client("sys-office") as hub:
        [item] = hub.receive(agency=B, visibility=60)
        content = hub.fetch(item.delivery_id).content
    processor = InboundProcessor(
        office.services, blobs=world.blobs, trust=lambda: world.pki.trust_store, clock=world.clock
    )
    first = processor.handle(item, content)
    again = processor.handle(item, content)
    world.clock.advance(timedelta(seconds=61))  # the lease runs out: the hub offers it again
    outcomes = office.drain()

    assert first.outcome == "stored"
    assert again.id == first.id
    assert again.incoming_id == first.incoming_id
    assert outcomes[0] == "document:-:stored"
    docs = office.services.incoming.search(office.actor("b.clerk"))
    assert [d.id for d in docs] == [first.incoming_id]
    assert docs[0].signatures_valid is False  # the PDF of this package is not signed
    with world.client("sys-c") as c:
        tracking = c.tracking(item.package_id)
    assert [r.state for r in tracking.recipients] == ["done"]


def test_a_package_the_office_cannot_trust_is_acknowledged_fail(
    world: World, foreign: DemoPki
) -> None:
    office = world.office
    with world.client("sys-c") as c:
        sent = c.send(_c_package(world, 8, foreign.agency(C)))  # the hub trusts it

    outcomes = office.drain()

    assert outcomes == ["document:-:failed"]
    [entry] = office.services.inbound.entries(office.system(B), outcome="failed")
    assert entry.reason is not None
    assert entry.reason.startswith("package signature:")
    assert entry.reports is not None
    assert entry.reports["package"]["trusted"] is False
    assert office.services.incoming.search(office.actor("b.clerk")) == []
    with world.client("sys-c") as c:
        tracking = c.tracking(sent.package_id)
    assert [r.state for r in tracking.recipients] == ["failed"]


def test_update_and_replacement_reach_the_recipient(world: World) -> None:
    office = world.office
    a_clerk, b_clerk = office.actor("a.clerk"), office.actor("b.clerk")
    dispatcher, incoming = office.exchange.dispatcher, office.services.incoming
    a_id = office.agencies[A].agency_id
    first = ready_document(office, A, [RecipientInput(agency=B)], subject="Kế hoạch số một")
    second = ready_document(office, A, [RecipientInput(agency=B)], subject="Kế hoạch số hai")
    dispatcher.run_once([a_id])
    office.drain()
    originals = {d.sender_document_id: d.id for d in incoming.search(b_clerk)}

    office.services.dispatch.request_update(a_clerk, first.id, "Bổ sung phụ lục")
    office.services.dispatch.request_replace(a_clerk, second.id, "Sai thời hạn")
    report = dispatcher.run_once([a_id])
    office.drain()

    assert sorted((d, a) for d, a, _ in report.requests) == [
        (first.id, "request_update"),
        (second.id, "request_replace"),
    ]
    assert office.services.outgoing.get(a_clerk, first.id).state is OutgoingState.DISPATCHED
    assert office.services.outgoing.get(a_clerk, second.id).state is OutgoingState.REPLACED
    docs = incoming.search(b_clerk)
    links = sorted((d.link_kind or "", d.linked_document_id or "") for d in docs if d.link_kind)
    assert links == [
        ("replace", second.document_id or ""),
        ("update", first.document_id or ""),
    ]
    replaced = incoming.get(b_clerk, originals[second.document_id])
    assert replaced.state is IncomingState.RECALL_REQUESTED
    assert replaced.recall_reason == "Văn bản được thay thế: Sai thời hạn"
    assert incoming.get(b_clerk, originals[first.document_id]).state is IncomingState.RECEIVED

    incoming.agree_recall(b_clerk, replaced.id)
    office.drain()

    recipient = office.services.outgoing.get(a_clerk, second.id).hub_recipients[0]
    assert recipient.status_code == "15"


def test_an_unreachable_hub_is_a_transient_error(world: World, tmp_path: Path) -> None:
    dead = HubClient("http://127.0.0.1:9", "sys-office", world.secrets["sys-office"], retries=0)
    exchange = build_exchange(
        world.office.services,
        dead,
        world.office.keys,
        blobs=world.blobs,
        trust=world.pki.trust_store,
        clock=world.clock,
    )
    ready_document(world.office, A, [RecipientInput(agency=B)])
    with pytest.raises(HubError) as receiving:
        exchange.sync_once(0)
    with pytest.raises(HubError) as sending:
        exchange.send_once()
    dead.close()

    assert receiving.value.code == sending.value.code == "hub.unavailable"
    assert transient(receiving.value)
    [ready] = world.office.services.dispatch.ready(world.office.system(A))
    assert [r.dispatch_state for r in ready.recipients] == [DispatchState.PENDING]


def test_a_moment_of_database_refusal_is_tried_again_at_once(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    # SQLite refuses a writer whose snapshot another commit made stale ("database is
    # locked"): the worker handles the delivery again instead of leaving it leased.
    office = world.office
    ready_document(office, A, [RecipientInput(agency=B)])
    office.exchange.dispatcher.run_once([office.agencies[A].agency_id])
    handle = InboundProcessor.handle
    refused: list[str] = []

    def refused_once(self: InboundProcessor, item: DeliveryItem, content: bytes) -> InboundEntry:
        if not refused:
            refused.append(item.delivery_id)
            raise StorageError(
                "the database is unavailable: database is locked", code="storage.unavailable"
            )
        return handle(self, item, content)

    monkeypatch.setattr(InboundProcessor, "handle", refused_once)

    outcomes = office.drain()

    assert len(refused) == 1
    assert outcomes == ["document:-:stored", "status:01:applied"]
