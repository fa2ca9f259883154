"""Delivery: claims, leases, the visibility timeout, acknowledgements, the inbox view."""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine

from hubkit import G12, G22, H08, H41, HubWorld, build_world
from lienthong.db.uow import UnitOfWork, uow_factory
from lienthong.errors import Conflict, NotFound, PermissionDenied
from lienthong.hub.model import AckState, DeliveryState, PackageKind


@pytest.fixture
def world(make_uow: Callable[[], UnitOfWork], tmp_path: Path) -> HubWorld:
    return build_world(make_uow, tmp_path / "blobs")


def test_receive_leases_deliveries_until_the_visibility_timeout(world: HubWorld) -> None:
    sent = world.send("sys-vpcp", world.document(G22, [H41]))

    first = world.hub.delivery.receive("sys-nghean", visibility_s=30)
    leased_at = world.clock.now()
    hidden = world.hub.delivery.receive("sys-nghean")
    world.advance(31)
    again = world.hub.delivery.receive("sys-nghean", visibility_s=30)

    assert [d.delivery_id for d in first] == [sent.deliveries[0].delivery_id]
    assert first[0].state is DeliveryState.LEASED
    assert first[0].lease_until == leased_at + timedelta(seconds=30)
    assert first[0].attempts == 1
    assert first[0].sender == G22
    assert first[0].recipient == H41
    assert first[0].kind is PackageKind.DOCUMENT
    assert hidden == []
    assert [d.delivery_id for d in again] == [sent.deliveries[0].delivery_id]
    assert again[0].attempts == 2


def test_a_system_receives_only_for_the_agencies_it_hosts(world: HubWorld) -> None:
    world.send("sys-vpcp", world.document(G22, [H41, G12]))

    mine = world.hub.delivery.receive("sys-other")
    with pytest.raises(PermissionDenied) as caught:
        world.hub.delivery.receive("sys-other", agency=H41)

    assert [d.recipient for d in mine] == [G12]
    assert caught.value.code == "forbidden.inbox"


def test_receive_filters_by_agency_and_kind(world: HubWorld) -> None:
    doc = world.send("sys-vpcp", world.document(G22, [G12, H08]))
    world.send("sys-other", world.status(G12, doc.document_id, "01"))

    only_h08 = world.hub.delivery.receive("sys-other", agency=H08)
    statuses = world.hub.delivery.receive("sys-vpcp", kind=PackageKind.STATUS)
    no_documents = world.hub.delivery.receive("sys-vpcp", kind=PackageKind.DOCUMENT)

    assert [d.recipient for d in only_h08] == [H08]
    assert [(d.kind, d.status_code) for d in statuses] == [(PackageKind.STATUS, "01")]
    assert no_documents == []


def test_done_and_fail_are_final_and_accepted_once(world: HubWorld) -> None:
    sent = world.send("sys-vpcp", world.document(G22, [H41, G12]))
    to_h41, to_g12 = (d.delivery_id for d in sent.deliveries)
    world.hub.delivery.receive("sys-nghean")

    done = world.hub.delivery.ack("sys-nghean", to_h41, AckState.DONE)
    failed = world.hub.delivery.ack("sys-other", to_g12, AckState.FAIL, reason="hỏng")
    with pytest.raises(Conflict) as fail_after_done:
        world.hub.delivery.ack("sys-nghean", to_h41, AckState.FAIL)
    with pytest.raises(Conflict) as done_after_fail:
        world.hub.delivery.ack("sys-other", to_g12, AckState.DONE)
    with pytest.raises(Conflict) as processing_after_fail:
        world.hub.delivery.ack("sys-other", to_g12, AckState.PROCESSING)
    world.advance(3600)

    assert done.state is DeliveryState.DONE
    assert failed.state is DeliveryState.FAILED
    assert fail_after_done.value.code == "delivery.already_acknowledged"
    assert done_after_fail.value.code == "delivery.already_acknowledged"
    assert processing_after_fail.value.code == "delivery.already_acknowledged"
    assert world.hub.delivery.receive("sys-nghean") == []
    assert world.hub.delivery.receive("sys-other") == []


@pytest.mark.parametrize(("ack", "final"), [(AckState.DONE, "done"), (AckState.FAIL, "failed")])
def test_a_repeated_final_ack_answers_the_existing_result_and_changes_nothing(
    world: HubWorld, ack: AckState, final: str
) -> None:
    sent = world.send("sys-vpcp", world.document(G22, [H41]))
    delivery_id = sent.deliveries[0].delivery_id
    world.hub.delivery.receive("sys-nghean")
    first = world.hub.delivery.ack("sys-nghean", delivery_id, ack, reason="lần đầu")
    acked_at = world.hub.tracking.package("sys-vpcp", sent.package_id).recipients[0]
    audit_before = world.count("hub_audit")
    world.advance(5)

    again = world.hub.delivery.ack("sys-nghean", delivery_id, ack, reason="lần hai")
    after = world.hub.tracking.package("sys-vpcp", sent.package_id).recipients[0]

    assert first.state.value == final
    assert (again.delivery_id, again.state, again.lease_until) == (delivery_id, first.state, None)
    assert after.acknowledged_at == acked_at.acknowledged_at
    assert after.state.value == final
    assert world.count("hub_audit") == audit_before


def test_a_final_ack_repeated_by_another_system_is_still_a_conflict(world: HubWorld) -> None:
    # A second system hosting the same agency (sys-nghean2 next to sys-nghean).
    world.hub.systems.register("sys-nghean2", "Hệ thống dự phòng", [H41])
    sent = world.send("sys-vpcp", world.document(G22, [H41]))
    delivery_id = sent.deliveries[0].delivery_id
    world.hub.delivery.receive("sys-nghean")
    world.hub.delivery.ack("sys-nghean", delivery_id, AckState.DONE)

    with pytest.raises(Conflict) as other:
        world.hub.delivery.ack("sys-nghean2", delivery_id, AckState.DONE)

    assert other.value.code == "delivery.already_acknowledged"


def test_processing_extends_the_lease(world: HubWorld) -> None:
    sent = world.send("sys-vpcp", world.document(G22, [H41]))
    delivery_id = sent.deliveries[0].delivery_id
    world.hub.delivery.receive("sys-nghean", visibility_s=10)
    world.advance(8)

    extended = world.hub.delivery.ack(
        "sys-nghean", delivery_id, AckState.PROCESSING, visibility_s=60
    )
    world.advance(30)

    assert extended.state is DeliveryState.LEASED
    assert extended.lease_until is not None
    assert world.hub.delivery.receive("sys-nghean") == []
    world.advance(31)
    assert [d.delivery_id for d in world.hub.delivery.receive("sys-nghean")] == [delivery_id]


def test_acks_check_who_asks(world: HubWorld) -> None:
    sent = world.send("sys-vpcp", world.document(G22, [H41]))
    delivery_id = sent.deliveries[0].delivery_id

    with pytest.raises(PermissionDenied):
        world.hub.delivery.ack("sys-other", delivery_id, AckState.DONE)
    with pytest.raises(NotFound) as missing:
        world.hub.delivery.ack("sys-nghean", "0" * 26, AckState.DONE)

    assert missing.value.code == "not_found.delivery"


def test_the_inbox_pages_what_is_available(world: HubWorld) -> None:
    sent = [world.send("sys-vpcp", world.document(G22, [H41])) for _ in range(5)]
    ids = [s.deliveries[0].delivery_id for s in sent]
    world.hub.delivery.receive("sys-nghean", max_items=1)

    page1 = world.hub.delivery.inbox("sys-nghean", limit=2)
    page2 = world.hub.delivery.inbox("sys-nghean", limit=2, cursor=page1.next_cursor)

    seen = [d.delivery_id for p in (page1, page2) for d in p.items]
    assert seen == ids[1:]
    assert page1.next_cursor == ids[2]
    assert page2.next_cursor is None
    assert all(d.state is DeliveryState.PENDING for p in (page1, page2) for d in p.items)


def test_content_and_trace(world: HubWorld) -> None:
    data = world.document(G22, [H41])
    sent = world.send("sys-vpcp", data)
    delivery_id = sent.deliveries[0].delivery_id

    content = world.hub.delivery.content("sys-nghean", delivery_id)
    with world.hub.delivery.open(content) as stream:
        body = stream.read()
    with pytest.raises(PermissionDenied):
        world.hub.delivery.content("sys-other", delivery_id)

    assert body == data
    assert content.sha256 == sent.sha256
    assert [t.organ_id for t in content.trace] == [G22, "lienthong-hub"]


def test_concurrent_receivers_never_get_the_same_delivery(
    fresh_engine: Engine, tmp_path: Path
) -> None:
    # PostgreSQL: FOR UPDATE SKIP LOCKED; SQLite: one writer, the claim is one statement.
    world = build_world(uow_factory(fresh_engine), tmp_path / "blobs")
    recipients = [H41]
    for _ in range(40):
        world.send("sys-vpcp", world.document(G22, recipients))
    got: list[list[str]] = []
    lock = threading.Lock()
    start = threading.Barrier(4)

    def worker() -> None:
        mine: list[str] = []
        start.wait()
        while True:
            batch = world.hub.delivery.receive("sys-nghean", max_items=3)
            if not batch:
                break
            mine.extend(d.delivery_id for d in batch)
        with lock:
            got.append(mine)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    claimed = [d for batch in got for d in batch]
    assert len(claimed) == 40
    assert len(set(claimed)) == 40
