"""Crashes during a load: the hub process killed, the database gone for a while.

What a client was told stands: a package the hub answered 202 for (a ``SendResult``) is
never lost; a delivery acknowledged ``done`` never comes back; a delivery claimed and not
acknowledged comes back once its lease has run out — and not before. Every accepted
package's deliveries end ``done``, each made final by exactly one acknowledgement in the
hub's audit log, and the audit chain is intact.
"""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import URL

from hubload import Claim, Ledger, Load, Recorder, wait_for
from hubprocs import (
    G12,
    G22,
    H41,
    HubNode,
    delivery_states,
    final_acks,
    hub_engine,
    new_site,
    package_count,
    package_maker,
    register,
    running,
)
from lienthong.hub import schemas as s
from lienthong.hub.client import HubAdminClient, HubClient
from pgproxy import CuttableProxy

pytestmark = pytest.mark.slow

#: Packages ready to send (documents G22 → H41, G12); the senders stop some time after the
#: crash, so only part of them is sent.
PACKAGES = 150
#: Leases of the load's receivers, and of the deliveries held (claimed, never acked) over
#: the crash: long enough that they are usually still leased when the hub is back.
VISIBILITY_S = 8
HELD_VISIBILITY_S = 10


def _documents() -> list[bytes]:
    make = package_maker()
    pdf = b"%PDF-1.4 crash\n" * 10
    return [make.document(G22, [H41, G12], attachment=pdf) for _ in range(PACKAGES)]


def _check_every_package_delivered_once(ledger: Ledger, node: HubNode) -> None:
    """What the clients and the hub's records must agree on after the load."""
    engine = hub_engine(node)
    try:
        states, acks, packages = delivery_states(engine), final_acks(engine), package_count(engine)
    finally:
        engine.dispose()
    expected = ledger.expected()
    assert ledger.errors == []
    assert len(expected) == 2 * len(ledger.accepted)
    assert ledger.wrong_bytes == []
    assert ledger.reappeared == []
    assert set(ledger.acked) == set(expected)
    assert packages == len(ledger.accepted)  # nothing accepted is missing, nothing extra
    assert {d: state for d, (state, _) in states.items()} == dict.fromkeys(expected, "done")
    assert acks == dict.fromkeys(expected, 1)
    with HubAdminClient(node.url, node.token) as admin:
        assert admin.audit_verify().ok


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest) -> str:
    if request.param == "sqlite":
        return ""
    url: URL = request.getfixturevalue("pg_databases")()
    return url.render_as_string(hide_password=False)


def test_a_hub_killed_during_a_load_loses_and_doubles_nothing(
    database_url: str, tmp_path: Path
) -> None:
    node = new_site(tmp_path, database_url)
    documents = _documents()
    ledger = Ledger({hashlib.sha256(p).hexdigest(): p for p in documents})
    with running(node):
        secrets = register(node.url, node.token)

        def client(system_id: str) -> HubClient:
            return HubClient(node.url, system_id, secrets[system_id], retries=4, backoff=0.2)

        with Load(ledger) as load:
            load.send(client("sys-a"), documents[::2])
            load.send(client("sys-a"), documents[1::2])
            for _ in range(2):
                load.receive(client("sys-b"), visibility=VISIBILITY_S, agency=H41)
            assert wait_for(lambda: load.accepted() >= 20 and len(ledger.acked) >= 4, 60)
            # Some of G12's deliveries are claimed and held, unacknowledged, over the crash.
            with client("sys-b") as holder:
                held = holder.receive(agency=G12, max=5, visibility=HELD_VISIBILITY_S)
            accepted_before = load.accepted()
            node.kill()
            node.start()
            load.receive(client("sys-b"), visibility=VISIBILITY_S, agency=G12)
            delivered = load.finish(at_least=accepted_before + 10)
        assert delivered, node.log_tail()
        _check_every_package_delivered_once(ledger, node)

    assert node.starts == 2
    assert accepted_before < len(ledger.accepted), "the kill did not land during the load"
    assert len(held) == 5
    _check_held_came_back_after_their_lease(held, ledger)


def _check_held_came_back_after_their_lease(held: list[s.DeliveryItem], ledger: Ledger) -> None:
    """Each held delivery was claimed again, by a claim made when its lease had run out."""
    for item in held:
        assert item.lease_until is not None
        again: list[Claim] = [c for c in ledger.claims if c.delivery_id == item.delivery_id]
        assert again, f"{item.delivery_id} never came back"
        claimed_at = again[0].lease_until - VISIBILITY_S
        assert claimed_at >= item.lease_until.timestamp()
        assert again[0].attempts >= 2


# -- the database goes away ----------------------------------------------------------------


@pytest.fixture
def proxy(pg_databases: Callable[[], URL]) -> Iterator[tuple[CuttableProxy, URL]]:
    """A cuttable proxy in front of the PostgreSQL server, and a fresh database behind it."""
    url = pg_databases()
    cuttable = CuttableProxy(url.host or "127.0.0.1", url.port or 5432).start()
    try:
        yield cuttable, url.set(port=cuttable.port)
    finally:
        cuttable.close()


@pytest.mark.postgres
def test_a_database_restart_costs_clients_503s_and_retries_but_nothing_else(
    proxy: tuple[CuttableProxy, URL], tmp_path: Path
) -> None:
    """PostgreSQL "restarts" under the hub during a load.

    Restarting the machine's real PostgreSQL server would disturb every other test and
    person using it, so the hub reaches PostgreSQL through a TCP proxy in this process
    (``pgproxy.CuttableProxy``), and the test cuts it: every open connection is broken
    (mid-query, mid-transaction) and new ones are refused for three seconds, then it
    listens again. That is what a restart of the server looks like from the hub's side.
    Clients must see ``503`` with ``Retry-After``, ride it out with HubClient's retries,
    and afterwards every accepted package is delivered exactly once.
    """
    cuttable, via_proxy = proxy
    node = new_site(tmp_path, via_proxy.render_as_string(hide_password=False))
    documents = _documents()
    ledger = Ledger({hashlib.sha256(p).hexdigest(): p for p in documents})
    recorders: list[Recorder] = []
    with running(node):
        secrets = register(node.url, node.token)

        def client(system_id: str) -> HubClient:
            recorders.append(Recorder())
            return HubClient(
                node.url, system_id, secrets[system_id], transport=recorders[-1], retries=8
            )

        with Load(ledger) as load:
            load.send(client("sys-a"), documents[::2])
            load.send(client("sys-a"), documents[1::2])
            for _ in range(2):
                load.receive(client("sys-b"), visibility=30)
            assert wait_for(lambda: load.accepted() >= 15 and len(ledger.acked) >= 4, 60)
            connections_before = cuttable.connections
            accepted_at_cut = load.accepted()
            cuttable.cut()
            health = httpx.get(f"{node.url}/healthz", timeout=10)
            restore = threading.Timer(3.0, cuttable.restore)
            restore.start()
            with client("sys-b") as probe:
                page = probe.inbox(agency=G12)  # 503 first, then retried once restored
            restore.join()
            delivered = load.finish(at_least=accepted_at_cut + 10)
        assert delivered, node.log_tail()
        _check_every_package_delivered_once(ledger, node)

    assert (health.status_code, health.text) == (503, "unavailable")
    probe_answers = recorders[-1].answers
    assert probe_answers[0] == (503, "5")
    assert probe_answers[-1][0] == 200
    assert isinstance(page, s.InboxPage)
    load_answers = [a for r in recorders[:-1] for a in r.answers]
    assert (503, "5") in load_answers
    assert accepted_at_cut < len(ledger.accepted), "the cut did not land during the load"
    assert cuttable.connections > connections_before  # the hub reconnected through it
