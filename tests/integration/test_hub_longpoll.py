"""Long-poll: ``inbox/receive?wait=`` answers as soon as a delivery appears, whichever
node took it in. The hubs here re-check the database only every 120 s, so an answer
within the test's bound can only come from a wake-up."""

from __future__ import annotations

import socket
import threading
import time
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from hubkit import G22, H41, MASTER_KEY, HubWorld, build_world, serve
from lienthong.db.uow import uow_factory
from lienthong.hub import schemas as s
from lienthong.hub.app import create_hub_app
from lienthong.hub.auth import encode_query, sign_headers
from lienthong.hub.client import HubClient
from lienthong.hub.model import HubConfig
from lienthong.hub.records import Claimed
from lienthong.hub.secrets import SecretBox

SLOW_POLL = HubConfig(checkpoint_every=0, poll_interval_s=120.0)


def _until(condition: object, what: str) -> None:
    for _ in range(1000):
        if condition():  # type: ignore[operator]
            return
        time.sleep(0.01)
    raise AssertionError(f"gave up waiting for {what}")


def _long_poll(url: str, world: HubWorld, found: list[s.DeliveryItem]) -> threading.Thread:
    def run() -> None:
        client = HubClient(url, "sys-nghean", world.secrets["sys-nghean"], clock=world.clock)
        with client:
            found.extend(client.receive(wait=60))

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def test_a_long_poll_wakes_when_a_delivery_is_taken_in(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    world = build_world(uow_factory(fresh_engine), tmp_path / "blobs", config=SLOW_POLL)
    data = world.document(G22, [H41])
    found: list[s.DeliveryItem] = []
    with serve(create_hub_app(world.hub, background=False)) as url:
        thread = _long_poll(url, world, found)
        _until(lambda: world.hub.notifier.targeted == 1, "the long-poll to wait")
        sent = world.send("sys-vpcp", data)
        thread.join(timeout=30)
        alive = thread.is_alive()

    assert not alive
    assert [d.delivery_id for d in found] == [sent.deliveries[0].delivery_id]
    assert found[0].state == "leased"


@pytest.mark.postgres
@pytest.mark.parametrize("db_kind", ["postgresql"])
def test_a_long_poll_wakes_for_a_delivery_another_node_took_in(
    db_kind: str, fresh_engine: Engine, tmp_path: Path
) -> None:
    node_a = build_world(uow_factory(fresh_engine), tmp_path / "a", config=SLOW_POLL)
    node_b = HubWorld(
        hub=type(node_a.hub)(
            node_a.uow,
            blobs=node_a.blobs,
            clock=node_a.clock,
            directory=node_a.hub.directory,
            trust=lambda: node_a.pki.trust_store,
            identity=lambda: node_a.pki.system,
            box=lambda: SecretBox(MASTER_KEY),
            config=SLOW_POLL,
        ),
        pki=node_a.pki,
        clock=node_a.clock,
        blobs=node_a.blobs,
        uow=node_a.uow,
        secrets=node_a.secrets,
    )
    data = node_b.document(G22, [H41])
    found: list[s.DeliveryItem] = []
    app = create_hub_app(node_a.hub, engine=fresh_engine, push_worker=None)
    with serve(app) as url:
        _until(lambda: app.state.listener is not None, "the listener to start")
        _until(app.state.listener.listening.is_set, "the listener to LISTEN")
        thread = _long_poll(url, node_a, found)
        _until(lambda: node_a.hub.notifier.targeted == 1, "the long-poll to wait")
        sent = node_b.send("sys-vpcp", data)
        thread.join(timeout=30)
        alive = thread.is_alive()

    assert node_b.hub.notifier is not node_a.hub.notifier
    assert not alive
    assert [d.delivery_id for d in found] == [sent.deliveries[0].delivery_id]


def test_a_delivery_taken_in_during_the_first_claim_wakes_the_long_poll(
    fresh_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The wake-up is registered before the first claim: a delivery committed after that
    claim found nothing, but before the wait began, still ends the wait at once."""
    world = build_world(uow_factory(fresh_engine), tmp_path / "blobs", config=SLOW_POLL)
    data = world.document(G22, [H41])
    delivery = world.hub.delivery
    first = delivery.receive
    sent: list[str] = []

    def claim_then_intake(*args: Any, **kwargs: Any) -> Claimed:
        found = first(*args, **kwargs)
        if not sent:  # the first claim found nothing; the package arrives right after
            sent.append(world.send("sys-vpcp", data).deliveries[0].delivery_id)
        return found

    monkeypatch.setattr(delivery, "receive", claim_then_intake)
    found: list[s.DeliveryItem] = []
    with serve(create_hub_app(world.hub, background=False)) as url:
        started = time.monotonic()
        thread = _long_poll(url, world, found)
        thread.join(timeout=30)
        took = time.monotonic() - started

    assert not thread.is_alive()
    assert [d.delivery_id for d in found] == sent
    assert took < 30  # woken, not the 120 s re-check of SLOW_POLL (nor the 60 s wait)


#: Re-check often unless the process hears every node: then only the wake-ups count.
QUICK_POLL = HubConfig(checkpoint_every=0, poll_interval_s=0.1, idle_recheck_s=120.0)


def _listening_app(world: HubWorld, engine: Engine) -> Any:
    return create_hub_app(world.hub, engine=engine, push_worker=None)


def _idle_long_poll(
    engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, *, listening: bool, wait: int
) -> tuple[HubWorld, list[s.DeliveryItem], float, int]:
    """One long-poll on an empty inbox, with the hub's listener or without; the world,
    what it returned, how long it took and how many claims ``delivery.receive`` made."""
    world = build_world(uow_factory(engine), tmp_path / "blobs", config=QUICK_POLL)
    calls: list[int] = []
    claim = world.hub.delivery.receive

    def counted(*args: Any, **kwargs: Any) -> Claimed:
        calls.append(1)
        return claim(*args, **kwargs)

    monkeypatch.setattr(world.hub.delivery, "receive", counted)
    app = (
        _listening_app(world, engine) if listening else create_hub_app(world.hub, background=False)
    )
    with serve(app) as url:
        if listening:
            _until(lambda: world.hub.notifier.hears_all, "the listener to LISTEN")
        client = HubClient(url, "sys-nghean", world.secrets["sys-nghean"], clock=world.clock)
        with client:
            started = time.monotonic()
            found = client.receive(wait=wait)
            took = time.monotonic() - started
    return world, found, took, len(calls)


@pytest.mark.postgres
@pytest.mark.parametrize("db_kind", ["postgresql"])
def test_an_idle_long_poll_that_hears_every_node_claims_once_not_every_poll_interval(
    db_kind: str, fresh_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _world, found, took, claims = _idle_long_poll(
        fresh_engine, tmp_path, monkeypatch, listening=True, wait=2
    )

    assert found == []
    assert took >= 1.9  # it did wait
    assert claims == 1  # not one every 0.1 s: ~20


@pytest.mark.parametrize("db_kind", ["sqlite"])
def test_a_long_poll_that_does_not_hear_every_node_re_checks_every_poll_interval(
    db_kind: str, fresh_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world, found, _took, claims = _idle_long_poll(
        fresh_engine, tmp_path, monkeypatch, listening=False, wait=1
    )

    assert found == []
    assert not world.hub.notifier.hears_all
    assert claims >= 5  # another process's intake on SQLite is found within 0.1 s


@pytest.mark.postgres
@pytest.mark.parametrize("db_kind", ["postgresql"])
def test_a_long_poll_wakes_when_a_lease_of_its_inbox_runs_out(
    db_kind: str, fresh_engine: Engine, tmp_path: Path
) -> None:
    """No NOTIFY says a lease ran out: the empty claim tells the long-poll when the next
    one does, and it claims then (here neither the poll interval nor the safety re-check
    could end the wait within the test's bound)."""
    # The long-poll waits 60 s: longer than the poll interval, so it sleeps as told.
    slow = HubConfig(checkpoint_every=0, poll_interval_s=30.0, idle_recheck_s=120.0)
    world = build_world(uow_factory(fresh_engine), tmp_path / "blobs", config=slow)
    world.send("sys-vpcp", world.document(G22, [H41]))
    leased = world.hub.delivery.receive("sys-nghean", visibility_s=1)  # a lost client's
    assert len(leased) == 1
    found: list[s.DeliveryItem] = []
    with serve(_listening_app(world, fresh_engine)) as url:
        _until(lambda: world.hub.notifier.hears_all, "the listener to LISTEN")
        started = time.monotonic()
        thread = _long_poll(url, world, found)
        _until(lambda: world.hub.notifier.targeted == 1, "the long-poll to wait")
        world.advance(5)  # the lease has run out (the hub's clock is the world's)
        thread.join(timeout=30)
        took = time.monotonic() - started

    assert not thread.is_alive()
    assert [d.delivery_id for d in found] == [leased[0].delivery_id]
    assert took < 15  # woken when the lease was due (~1 s), not after 30 s or 120 s


@pytest.mark.postgres
@pytest.mark.parametrize("db_kind", ["postgresql"])
def test_a_long_poll_whose_caller_hung_up_claims_nothing_when_woken(
    db_kind: str, fresh_engine: Engine, tmp_path: Path
) -> None:
    """A long sleep is followed by a check that the caller is still there: a delivery
    arriving after it hung up stays pending for its next request."""
    world = build_world(uow_factory(fresh_engine), tmp_path / "blobs", config=QUICK_POLL)
    with serve(_listening_app(world, fresh_engine)) as url:
        _until(lambda: world.hub.notifier.hears_all, "the listener to LISTEN")
        host, port = url.removeprefix("http://").split(":")
        path, query = "/api/v1/inbox/receive", encode_query({"wait": 30})
        headers = sign_headers(
            "sys-nghean",
            world.secrets["sys-nghean"].encode(),
            "POST",
            path,
            query,
            b"",
            clock=world.clock,
        )
        head = [f"POST {path}?{query} HTTP/1.1", f"Host: {host}:{port}", "Content-Length: 0"]
        head += [f"{name}: {value}" for name, value in headers.items()]
        with socket.create_connection((host, int(port))) as sock:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode("latin-1"))
            _until(lambda: world.hub.notifier.targeted == 1, "the long-poll to wait")
        sent = world.send("sys-vpcp", world.document(G22, [H41]))
        # (the push worker waits too, for any agency: only the long-poll targets one)
        _until(lambda: world.hub.notifier.targeted == 0, "the long-poll to end")

    taken = world.hub.delivery.receive("sys-nghean")
    assert [d.delivery_id for d in taken] == [sent.deliveries[0].delivery_id]
    assert taken[0].attempts == 1  # the hung-up long-poll never leased it
