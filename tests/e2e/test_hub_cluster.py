"""Two hub processes on one PostgreSQL database share the work without losing or
doubling anything.

Both nodes are real ``lienthong hub serve`` processes with their own data directories
(blobs in the database), the same database and master key. Three sender threads send
through both nodes; four receiver threads (two per system) claim through both nodes at
once. Every accepted package's deliveries must each be claimed once and acknowledged once:
leases of 60 s never run out here, so a second claim could only be a double delivery.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from hubload import Ledger, Load
from hubprocs import (
    G12,
    G22,
    H41,
    delivery_states,
    final_acks,
    hub_engine,
    new_site,
    package_count,
    package_maker,
    register,
    running,
)
from lienthong.hub.client import HubAdminClient, HubClient

pytestmark = [pytest.mark.postgres, pytest.mark.slow]

PER_SENDER = 30


def test_two_nodes_deliver_every_package_exactly_once(
    pg_databases: Callable[[], URL], tmp_path: Path
) -> None:
    first = new_site(
        tmp_path, pg_databases().render_as_string(hide_password=False), blob_store="db"
    )
    second = first.sibling("node-b")
    make = package_maker()
    pdf = b"%PDF-1.4 e2e\n" * 20
    batches = [
        [make.document(G22, [H41, G12], attachment=pdf) for _ in range(PER_SENDER)],
        [make.document(G22, [H41, G12], attachment=pdf) for _ in range(PER_SENDER)],
        [make.document(H41, [G22], attachment=pdf) for _ in range(PER_SENDER)],
    ]
    ledger = Ledger({hashlib.sha256(p).hexdigest(): p for batch in batches for p in batch})

    with running(first, second):
        secrets = register(first.url, first.token)
        urls = (first.url, second.url)

        def client(system_id: str, node: int) -> HubClient:
            return HubClient(urls[node], system_id, secrets[system_id], retries=8, backoff=0.2)

        with Load(ledger) as load:
            for (system_id, node), batch in zip(
                [("sys-a", 0), ("sys-a", 1), ("sys-b", 1)], batches, strict=True
            ):
                load.send(client(system_id, node), batch)
            for system_id, node in [("sys-a", 0), ("sys-a", 1), ("sys-b", 0), ("sys-b", 1)]:
                load.receive(client(system_id, node), visibility=60)
            delivered = load.finish(at_least=len(ledger.contents))
        with HubAdminClient(first.url, first.token) as admin:
            audit = admin.audit_verify()
            queues = admin.queues()

    engine = hub_engine(first)
    try:
        states, acks, packages = delivery_states(engine), final_acks(engine), package_count(engine)
    finally:
        engine.dispose()

    expected = ledger.expected()
    assert ledger.errors == []
    assert len(ledger.accepted) == 3 * PER_SENDER
    assert len(expected) == 5 * PER_SENDER
    assert delivered
    assert ledger.wrong_bytes == []
    assert ledger.reappeared == []
    received = ledger.received()
    assert set(received) == set(expected)
    assert set(received.values()) == {1}
    assert set(ledger.ack_successes.values()) == {1}
    assert packages == 3 * PER_SENDER
    assert states == dict.fromkeys(expected, ("done", 1))
    assert acks == dict.fromkeys(expected, 1)
    assert audit.ok
    assert all(q.pending == 0 and q.leased == 0 for q in queues.queues)
    # Both nodes did real work: each took packages in and handed deliveries out.
    for node in (first, second):
        done = {(path, status) for _, path, status in node.answered()}
        assert {("/api/v1/packages", 202), ("/api/v1/inbox/receive", 200)} <= done
