"""Three agencies on one hub, end to end, on SQLite and on PostgreSQL.

The hub runs as a real HTTP server (uvicorn) over its own database. Two office installs,
each over its own database and blob store, reach it only through ``HubClient``: office X
hosts A (system ``sys-x``), office Y hosts B and C (system ``sys-y``); both learn the
directory from the hub. Real demo PKI, real PAdES and XML signatures.

An outgoing document of A is drafted, signed by its signer, numbered, signed by the agency
and dispatched to B and C (and noted for a paper recipient); office Y receives it with
``lienthong office sync --once`` as an operator runs it; B rejects it, C accepts,
assigns, handles and finishes it; A sees every status; A asks for it back (13), C agrees
(15): the document is cancelled at C and recalled at A.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine
from sqlalchemy.engine import URL

from exchangekit import PREFIX, A, B, C, Office, exchange_pki, make_hub, open_office, ready_document
from hubkit import serve
from lienthong.clock import SystemClock
from lienthong.db import migrate
from lienthong.db.engine import make_engine
from lienthong.db.uow import uow_factory
from lienthong.hub.app import create_hub_app
from lienthong.hub.client import HubClient
from lienthong.office.documents import Channel, DispatchState, RecipientInput
from lienthong.office.incoming import Assignment
from lienthong.office.numbering import vn_date
from lienthong.office.workflow import IncomingState, OutgoingState
from lienthong.pki.ca import DemoPki
from lienthong.pki.testing import TEST_PASSPHRASE
from lienthong.storage import FileBlobStore

LIENTHONG = Path(sys.executable).with_name("lienthong")

pytestmark = pytest.mark.slow

DB_KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@dataclass
class Network:
    x: Office
    y: Office
    url: str
    secrets: dict[str, str]
    pki: DemoPki
    y_env: dict[str, str]

    def client(self, system_id: str) -> HubClient:
        return HubClient(self.url, system_id, self.secrets[system_id], retries=0)


def _database(kind: str, tmp_path: Path, name: str, request: pytest.FixtureRequest) -> str:
    if kind == "sqlite":
        return f"sqlite:///{tmp_path / f'{name}.sqlite3'}"
    url: URL = request.getfixturevalue("pg_databases")()
    return url.render_as_string(hide_password=False)


@pytest.fixture(params=DB_KINDS)
def network(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Network]:
    kind = str(request.param)
    clock = SystemClock()
    pki = exchange_pki(tmp_path / "pki-root")
    engines: list[Engine] = []

    def database(name: str) -> tuple[str, Engine]:
        url = _database(kind, tmp_path, name, request)
        engine = make_engine(url)
        migrate.upgrade(engine)
        engines.append(engine)
        return url, engine

    _, hub_engine = database("hub")
    hub, secrets = make_hub(
        uow_factory(hub_engine, clock=clock),
        FileBlobStore(tmp_path / "hub-blobs"),
        pki,
        clock,
        {"sys-x": [A], "sys-y": [B, C]},
    )
    _, x_engine = database("office-x")
    y_url, y_engine = database("office-y")
    y_data = tmp_path / "office-y"
    try:
        with serve(create_hub_app(hub, engine=hub_engine)) as url:
            x_hub = HubClient(url, "sys-x", secrets["sys-x"], retries=1)
            y_hub = HubClient(url, "sys-y", secrets["sys-y"], retries=1)
            x = open_office(
                uow_factory(x_engine, clock=clock),
                FileBlobStore(tmp_path / "office-x" / "blobs"),
                pki,
                clock,
                hub=x_hub,
                hosted=[A],
            )
            y = open_office(
                uow_factory(y_engine, clock=clock),
                FileBlobStore(y_data / "blobs"),  # where the CLI's settings put blobs
                pki,
                clock,
                hub=y_hub,
                hosted=[B, C],
            )
            env = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
            env.update(
                COLUMNS="250",
                LIENTHONG_DATA_DIR=str(y_data),
                LIENTHONG_DATABASE_URL=y_url,
                LIENTHONG_PKI_DIR=str(pki.pki_dir),
                LIENTHONG_PKI_PASSPHRASE=TEST_PASSPHRASE,
                LIENTHONG_HUB_URL=url,
                LIENTHONG_HUB_SYSTEM="sys-y",
                LIENTHONG_HUB_SECRET=secrets["sys-y"],
            )
            try:
                yield Network(x, y, url, secrets, pki, env)
            finally:
                x_hub.close()
                y_hub.close()
    finally:
        for engine in engines:
            engine.dispose()


def _lienthong(*args: str, env: dict[str, str], cwd: Path) -> str:
    result = subprocess.run(
        [str(LIENTHONG), *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def _status_chain(office: Office, doc_id: int) -> dict[str, list[str]]:
    """recipient name → the statuses recorded for it, in order (from the trail)."""
    chain: dict[str, list[str]] = {}
    for event in office.services.outgoing.events(office.actor("a.clerk"), doc_id):
        if event.action.startswith("status_") and event.note:
            chain.setdefault(event.note, []).append(event.action.removeprefix("status_"))
    return chain


def test_three_agencies_exchange_a_document(network: Network, tmp_path: Path) -> None:
    x, y = network.x, network.y
    a_clerk = x.actor("a.clerk")
    b_clerk, c_clerk, c_leader = y.actor("b.clerk"), y.actor("c.clerk"), y.actor("c.leader")

    # -- A drafts, signs, numbers, seals and dispatches --------------------------------------
    doc = ready_document(
        x,
        A,
        [
            RecipientInput(agency=B),
            RecipientInput(agency=C),
            RecipientInput(name="Công ty Cổ phần ABC", address="12 Lê Lợi, Vinh"),
        ],
    )
    assert doc.state is OutgoingState.READY_TO_DISPATCH
    sent = x.exchange.send_once()
    assert sent.dispatch.documents == [(doc.id, "dispatched")]
    out = x.services.outgoing.get(a_clerk, doc.id)
    assert out.state is OutgoingState.DISPATCHED
    assert [(r.agency_code, r.dispatch_state) for r in out.hub_recipients] == [
        (B, DispatchState.SENT),
        (C, DispatchState.SENT),
    ]
    [paper] = [r for r in out.recipients if r.channel is Channel.PAPER]
    assert paper.dispatch_state is DispatchState.PENDING  # recorded for paper dispatch
    package_id = out.hub_recipients[0].hub_package_id or ""

    # -- office Y receives, as its operator runs the worker ---------------------------------
    printed = _lienthong("office", "sync", "--once", "--wait", "5", env=network.y_env, cwd=tmp_path)
    assert "Received: 2 delivery(ies)" in printed
    assert printed.count("document  stored") == 2
    assert "Statuses sent: 2" in printed
    journal = _lienthong("office", "inbound", "--agency", C, env=network.y_env, cwd=tmp_path)
    assert "stored" in journal
    [shown] = json.loads(
        _lienthong("office", "inbound", "--agency", C, "--reports", env=network.y_env, cwd=tmp_path)
    )
    assert shown["outcome"] == "stored"
    assert shown["reports"]["package"]["verdict"] == "valid"

    [at_b] = y.services.incoming.search(b_clerk)
    [at_c] = y.services.incoming.search(c_clerk)
    for incoming, code in ((at_b, B), (at_c, C)):
        assert incoming.state is IncomingState.RECEIVED
        assert incoming.sender_document_id == doc.document_id
        assert incoming.signatures_valid is True
        entry = y.services.inbound.for_incoming(y.system(code), incoming.id)
        assert entry is not None
        assert entry.reports is not None
        assert entry.reports["package"]["valid"] is True
        assert entry.reports["package"]["certificate_agency_id"] == A
        assert [p["report"]["verdict"] for p in entry.reports["pdf"]] == ["valid", "valid"]
        signers = [s["signer"] for p in entry.reports["pdf"] for s in p["report"]["signatures"]]
        assert len(signers) == 3  # the leader and the seal on the main PDF, the stamp
    assert at_c.form.value == "mixed"  # a paper copy follows

    # -- B rejects; C accepts, assigns, handles and finishes -------------------------------
    y.services.incoming.reject(b_clerk, at_b.id, "Không thuộc thẩm quyền giải quyết")
    accepted = y.services.incoming.accept(c_clerk, at_c.id)
    y.services.incoming.assign(
        c_leader,
        at_c.id,
        Assignment(
            lead=f"{PREFIX[C]}.chuyenvien",
            co_handlers=(f"{PREFIX[C]}.chuyenvien2",),
            deadline=vn_date(SystemClock().now()) + timedelta(days=10),
            direction="Đề nghị tham mưu trả lời",
        ),
    )
    y.services.incoming.progress(y.actor("c.specialist"), at_c.id, "Đang tổng hợp số liệu")
    finished = y.services.incoming.finish(y.actor("c.specialist"), at_c.id, "Đã trả lời")
    assert accepted.number == 1
    assert accepted.year == vn_date(SystemClock().now()).year
    assert finished.state is IncomingState.FINISHED
    statuses = y.exchange.send_once().statuses
    assert [code for _, code, _ in statuses.sent] == ["02", "03", "04", "05", "06"]

    # -- A sees the whole chain ----------------------------------------------------------------
    x.drain(wait=2)
    out = x.services.outgoing.get(a_clerk, doc.id)
    assert {r.agency_code: r.status_code for r in out.hub_recipients} == {B: "02", C: "06"}
    chain = _status_chain(x, doc.id)
    names = {r.agency_code: r.name for r in out.hub_recipients}
    assert chain[names[B]] == ["01", "02"]
    assert chain[names[C]] == ["01", "03", "04", "05", "06"]
    with network.client("sys-x") as hub:
        tracking = hub.tracking(package_id)
    by_recipient = {r.recipient: r for r in tracking.recipients}
    assert {code: r.state for code, r in by_recipient.items()} == {B: "done", C: "done"}
    assert [s.code for s in by_recipient[B].history] == ["01", "02"]
    assert [s.code for s in by_recipient[C].history] == ["01", "03", "04", "05", "06"]

    # -- A asks for it back; C agrees ------------------------------------------------------------
    x.services.dispatch.request_recall(a_clerk, doc.id, "Văn bản ban hành chưa đúng thể thức")
    requested = x.exchange.send_once()
    assert [(d, a) for d, a, _ in requested.dispatch.requests] == [(doc.id, "request_recall")]
    assert x.exchange.send_once().dispatch.requests == []  # sent once
    outcomes = y.drain(wait=2)
    assert sorted(outcomes) == ["status:13:applied", "status:13:ignored"]
    assert y.services.incoming.get(b_clerk, at_b.id).state is IncomingState.REJECTED
    recalled_at_c = y.services.incoming.get(c_clerk, at_c.id)
    assert recalled_at_c.state is IncomingState.RECALL_REQUESTED
    assert recalled_at_c.recall_reason == "Văn bản ban hành chưa đúng thể thức"
    cancelled = y.services.incoming.agree_recall(c_clerk, at_c.id)
    assert cancelled.state is IncomingState.CANCELLED
    assert [code for _, code, _ in y.exchange.send_once().statuses.sent] == ["15"]
    x.drain(wait=2)

    out = x.services.outgoing.get(a_clerk, doc.id)
    assert out.state is OutgoingState.RECALLED
    assert {r.agency_code: r.status_code for r in out.hub_recipients} == {B: "02", C: "15"}
    assert _status_chain(x, doc.id)[names[C]] == ["01", "03", "04", "05", "06", "15"]
    with network.client("sys-x") as hub:
        tracking = hub.tracking(package_id)
    history = {r.recipient: [s.code for s in r.history] for r in tracking.recipients}
    assert history[C] == ["01", "03", "04", "05", "06", "13", "15"]
    assert x.services.inbound.entries(x.system(A), outcome="failed") == []
    assert y.services.inbound.entries(y.system(C), outcome="failed") == []
