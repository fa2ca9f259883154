"""Push: the hub POSTs signed notices to a real (tiny) HTTP server, retries with backoff."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from hubkit import G22, H41, HubWorld, build_world, serve
from lienthong.db.tables import hub_deliveries
from lienthong.db.uow import UnitOfWork, uow_factory
from lienthong.hub.auth import verify_webhook
from lienthong.hub.client import HubClient
from lienthong.hub.webhooks import PushWorker


@dataclass
class Receiver:
    """A webhook endpoint: answers the queued statuses (then 204), records the calls."""

    url: str = ""
    statuses: list[int] = field(default_factory=list)
    calls: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    arrived: threading.Event = field(default_factory=threading.Event)


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            state.calls.append((dict(self.headers.items()), body))
            status = state.statuses.pop(0) if state.statuses else 204
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()
            state.arrived.set()

        def log_message(self, format: str, *args: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/lienthong?x=1"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    server.shutdown()
    server.server_close()


def _push_row(world: HubWorld, delivery_id: str) -> tuple[str, int, object]:
    with world.uow() as uow:
        row = uow.session.execute(
            select(
                hub_deliveries.c.push_state,
                hub_deliveries.c.push_attempts,
                hub_deliveries.c.push_next_at,
            ).where(hub_deliveries.c.id == delivery_id)
        ).one()
    return row.push_state, int(row.push_attempts), row.push_next_at


def _worker(world: HubWorld, **options: object) -> PushWorker:
    return PushWorker(world.uow, systems=world.hub.systems, clock=world.clock, **options)  # type: ignore[arg-type]


def test_a_push_is_signed_retried_with_backoff_and_pull_still_works(
    make_uow: Callable[[], UnitOfWork], tmp_path: Path, receiver: Receiver
) -> None:
    world = build_world(make_uow, tmp_path / "blobs")
    world.hub.systems.set_webhook("sys-nghean", receiver.url)
    sent = world.send("sys-vpcp", world.document(G22, [H41]))
    delivery_id = sent.deliveries[0].delivery_id
    receiver.statuses = [500]
    worker = _worker(world, backoff_s=5.0)

    first = worker.run_once()
    after_failure = _push_row(world, delivery_id)
    not_yet = worker.run_once()
    world.advance(5)
    second = worker.run_once()
    worker.stop()

    assert (first, not_yet, second) == (1, 0, 1)
    assert after_failure == ("pending", 1, world.clock.now())
    assert _push_row(world, delivery_id)[:2] == ("done", 2)
    headers, body = receiver.calls[-1]
    notice = json.loads(body)
    assert notice == {
        "delivery_id": delivery_id,
        "package_id": sent.package_id,
        "kind": "document",
        "recipient": H41,
        "sender": G22,
        "document_id": sent.document_id,
    }
    verified = verify_webhook(
        headers,
        receiver.url,
        body,
        system_id="sys-nghean",
        system_secrets=[world.secrets["sys-nghean"].encode()],
        nonce_seen=lambda *_: False,
        clock=world.clock,
    )
    assert verified.system_id == "sys-nghean"
    assert [d.delivery_id for d in world.hub.delivery.receive("sys-nghean")] == [delivery_id]


def test_a_push_gives_up_after_its_attempts(
    make_uow: Callable[[], UnitOfWork], tmp_path: Path, receiver: Receiver
) -> None:
    world = build_world(make_uow, tmp_path / "blobs")
    world.hub.systems.set_webhook("sys-nghean", receiver.url)
    sent = world.send("sys-vpcp", world.document(G22, [H41]))
    receiver.statuses = [503, 503, 503]
    worker = _worker(world, backoff_s=1.0, max_attempts=3)

    for _ in range(3):
        worker.run_once()
        world.advance(60)
    worker.stop()

    assert len(receiver.calls) == 3
    assert _push_row(world, sent.deliveries[0].delivery_id)[:2] == ("failed", 3)


def test_an_acknowledged_delivery_is_not_pushed(
    make_uow: Callable[[], UnitOfWork], tmp_path: Path, receiver: Receiver
) -> None:
    from lienthong.hub.model import AckState

    world = build_world(make_uow, tmp_path / "blobs")
    world.hub.systems.set_webhook("sys-nghean", receiver.url)
    sent = world.send("sys-vpcp", world.document(G22, [H41]))
    world.hub.delivery.ack("sys-nghean", sent.deliveries[0].delivery_id, AckState.DONE)
    worker = _worker(world)

    assert worker.run_once() == 0
    worker.stop()
    assert receiver.calls == []


def test_the_hub_process_pushes_in_the_background(
    fresh_engine: Engine, tmp_path: Path, receiver: Receiver
) -> None:
    from lienthong.hub.app import create_hub_app

    world = build_world(uow_factory(fresh_engine), tmp_path / "blobs")
    world.hub.systems.set_webhook("sys-nghean", receiver.url)
    data = world.document(G22, [H41])
    app = create_hub_app(world.hub, engine=fresh_engine)
    with serve(app) as url:
        client = HubClient(url, "sys-vpcp", world.secrets["sys-vpcp"], clock=world.clock, retries=0)
        with client:
            sent = client.send(data)
        arrived = receiver.arrived.wait(timeout=30)

    assert arrived
    assert json.loads(receiver.calls[0][1])["delivery_id"] == sent.deliveries[0].delivery_id
