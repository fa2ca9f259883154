"""Tracking (the sender's view) and document links."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import pytest

from hubkit import G12, G22, H08, H41, HubWorld, build_world
from lienthong.db.uow import UnitOfWork
from lienthong.edxml import model as m
from lienthong.errors import NotFound, PermissionDenied
from lienthong.hub.model import AckState, DeliveryState


@pytest.fixture
def world(make_uow: Callable[[], UnitOfWork], tmp_path: Path) -> HubWorld:
    return build_world(make_uow, tmp_path / "blobs")


def test_tracking_shows_transport_state_and_the_latest_business_status(world: HubWorld) -> None:
    sent = world.send("sys-vpcp", world.document(G22, [H41, G12]))
    to_h41 = sent.deliveries[0].delivery_id
    world.advance(10)
    world.hub.delivery.receive("sys-nghean")
    claimed_at = world.clock.now()
    world.advance(10)
    world.hub.delivery.ack("sys-nghean", to_h41, AckState.DONE)
    acked_at = world.clock.now()
    for code in ("01", "03", "05"):
        world.advance(60)
        world.send("sys-nghean", world.status(H41, sent.document_id, code))
    world.advance(60)
    world.send("sys-vpcp", world.status(G22, sent.document_id, "13", description="gửi nhầm"))
    world.advance(60)
    world.send("sys-nghean", world.status(H41, sent.document_id, "15"))

    report = world.hub.tracking.package("sys-vpcp", sent.package_id)

    h41, g12 = report.recipients
    assert (h41.recipient, h41.state, h41.claimed_at, h41.acknowledged_at) == (
        H41,
        DeliveryState.DONE,
        claimed_at,
        acked_at,
    )
    assert [e.code for e in h41.history] == ["01", "03", "05", "13", "15"]
    assert h41.latest_status is not None
    assert (h41.latest_status.code, h41.latest_status.reporter) == ("15", H41)
    assert (g12.recipient, g12.state, g12.claimed_at) == (G12, DeliveryState.PENDING, None)
    assert [e.code for e in g12.history] == ["13"]
    assert g12.history[0].description == "gửi nhầm"


def test_a_lease_that_ran_out_tracks_as_pending(world: HubWorld) -> None:
    sent = world.send("sys-vpcp", world.document(G22, [H41]))
    world.hub.delivery.receive("sys-nghean", visibility_s=30)
    leased = world.hub.tracking.package("sys-vpcp", sent.package_id).recipients[0].state
    world.clock.advance(timedelta(seconds=31))
    expired = world.hub.tracking.package("sys-vpcp", sent.package_id).recipients[0].state

    assert (leased, expired) == (DeliveryState.LEASED, DeliveryState.PENDING)


def test_only_the_sender_sees_tracking(world: HubWorld) -> None:
    sent = world.send("sys-vpcp", world.document(G22, [H41]))

    with pytest.raises(PermissionDenied) as forbidden:
        world.hub.tracking.package("sys-nghean", sent.package_id)
    with pytest.raises(NotFound):
        world.hub.tracking.document("sys-nghean", sent.document_id)
    with pytest.raises(NotFound):
        world.hub.tracking.package("sys-vpcp", "0" * 26)

    assert forbidden.value.code == "forbidden.tracking"
    assert [p.package_id for p in world.hub.tracking.document("sys-vpcp", sent.document_id)] == [
        sent.package_id
    ]


def test_links_are_seen_from_both_documents(world: HubWorld) -> None:
    original = world.send("sys-vpcp", world.document(G22, [H41]))
    business = m.Business(
        business_doc_type=m.BusinessDocType.REPLACE,
        business_doc_reason="thay thế",
        document_id=original.document_id,
        replacement_infos=[m.ReplacementInfo(original.document_id, [H41])],
    )
    replacement = world.send("sys-vpcp", world.document(G22, [H41], business=business))

    from_original = world.hub.tracking.links("sys-nghean", original.document_id)
    from_replacement = world.hub.tracking.links("sys-vpcp", replacement.document_id)
    with pytest.raises(NotFound):
        world.hub.tracking.links("sys-other", original.document_id)

    assert [(x.relation, x.document_id, x.package_id) for x in from_original] == [
        ("replaced_by", replacement.document_id, replacement.package_id)
    ]
    assert [(x.relation, x.document_id) for x in from_replacement] == [
        ("replaces", original.document_id)
    ]


def test_an_agency_reusing_a_document_id_sees_neither_statuses_nor_links_of_the_other(
    world: HubWorld,
) -> None:
    original = world.send("sys-vpcp", world.document(G22, [H41]))
    document_id = original.document_id
    reused = world.send("sys-other", world.document(G12, [H08], document_id=document_id))
    world.send("sys-nghean", world.status(H41, document_id, "03"))
    business = m.Business(
        business_doc_type=m.BusinessDocType.REVOKE,
        business_doc_reason="thu hồi",
        document_id=document_id,
    )
    world.send("sys-vpcp", world.document(G22, [H41], business=business))

    mine = world.hub.tracking.package("sys-vpcp", original.package_id)
    theirs = world.hub.tracking.package("sys-other", reused.package_id)
    links_for_g22 = world.hub.tracking.links("sys-vpcp", document_id)
    links_for_h41 = world.hub.tracking.links("sys-nghean", document_id)
    links_for_g12 = world.hub.tracking.links("sys-other", document_id)

    assert [s.code for s in mine.recipients[0].history] == ["03"]
    assert [r.history for r in theirs.recipients] == [()]
    assert [x.relation for x in links_for_g22] == ["revoked_by"]
    assert [x.relation for x in links_for_h41] == ["revoked_by"]
    assert links_for_g12 == []
