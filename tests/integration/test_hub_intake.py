"""Intake (POST /packages) at the service level, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import select

from hubkit import G12, G22, H08, H14, H41, UNLISTED, HubWorld, build_world, sha256
from lienthong.db.tables import hub_deliveries, hub_links, hub_packages
from lienthong.db.uow import UnitOfWork
from lienthong.edxml import model as m
from lienthong.errors import LienthongError, PermissionDenied, RoutingError, SignatureError
from lienthong.hub.model import DeliveryState, PackageKind


@pytest.fixture
def world(make_uow: Callable[[], UnitOfWork], tmp_path: Path) -> HubWorld:
    return build_world(make_uow, tmp_path / "blobs")


def _business(business_type: int, document_id: str) -> m.Business:
    """A valid Bussiness block of type 1–3 acting on ``document_id``."""
    return m.Business(
        business_doc_type=m.BusinessDocType(business_type),
        business_doc_reason="lý do",
        document_id=document_id,
        business_document_info=m.BusinessDocumentInfo(document_info=True)
        if business_type == 2
        else None,
        replacement_infos=[m.ReplacementInfo(document_id, [H41])] if business_type == 3 else [],
    )


def _rows(world: HubWorld, table: object, *where: object) -> list[object]:
    with world.uow() as uow:
        return list(uow.session.execute(select(table).where(*where)).all())  # type: ignore[call-overload]


def test_a_document_is_stored_once_and_delivered_to_each_recipient(world: HubWorld) -> None:
    data = world.document(G22, [H41, G12, H08])
    before = world.counts()

    result = world.send("sys-vpcp", data)

    assert result.kind is PackageKind.DOCUMENT
    assert result.duplicate is False
    assert result.sha256 == sha256(data)
    assert [d.recipient for d in result.deliveries] == [H41, G12, H08]
    assert len({d.delivery_id for d in result.deliveries}) == 3
    after = world.counts()
    assert after["hub_packages"] == before["hub_packages"] + 1
    assert after["hub_deliveries"] == before["hub_deliveries"] + 3
    assert after["hub_audit"] == before["hub_audit"] + 1
    with world.blobs.open(result.sha256) as stream:
        assert stream.read() == data
    (package,) = _rows(world, hub_packages, hub_packages.c.id == result.package_id)
    assert package.document_id == result.document_id  # type: ignore[attr-defined]
    trace = json.loads(package.trace)  # type: ignore[attr-defined]
    assert trace[0]["organ_id"] == G22
    assert trace[-1] == {"organ_id": "lienthong-hub", "timestamp": "2026-05-10T15:00:00+07:00"}
    states = {
        r.state
        for r in _rows(world, hub_deliveries, hub_deliveries.c.package_id == result.package_id)
    }  # type: ignore[attr-defined]
    assert states == {DeliveryState.PENDING.value}


def test_a_repeated_send_answers_the_first_result_and_stores_nothing(world: HubWorld) -> None:
    data = world.document(G22, [H41])
    first = world.send("sys-vpcp", data)
    before = world.counts()

    again = world.send("sys-vpcp", data)
    # The same document signed again (other bytes) is the same send too.
    other_bytes = world.document(G22, [H41], number=1, document_id=first.document_id)

    assert again.duplicate is True
    assert again.package_id == first.package_id
    assert again.deliveries == first.deliveries
    assert world.send("sys-vpcp", other_bytes).package_id == first.package_id
    assert world.counts() == before


@pytest.mark.parametrize(
    ("make", "system", "code", "axis_family"),
    [
        (
            lambda w: w.document(G22, ["000.00.09.H99"]),
            "sys-vpcp",
            "recipient.unknown",
            RoutingError,
        ),
        (
            lambda w: w.document(G22, [H41], signer=w.pki.agency(H41)),
            "sys-vpcp",
            "signature.agency_mismatch",
            SignatureError,
        ),
        (
            lambda w: w.document(H41, [G22]),
            "sys-vpcp",
            "forbidden.sender_not_hosted",
            PermissionDenied,
        ),
    ],
)
def test_rejections_answer_their_code_and_store_nothing(
    world: HubWorld,
    make: Callable[[HubWorld], bytes],
    system: str,
    code: str,
    axis_family: type[LienthongError],
) -> None:
    data = make(world)
    before, blobs = world.counts(), world.blob_count()

    with pytest.raises(axis_family) as caught:
        world.send(system, data)

    assert caught.value.code == code
    assert world.counts() == before
    assert world.blob_count() == blobs


def test_a_locked_recipient_refuses_the_whole_package(world: HubWorld) -> None:
    world.hub.directory.lock(H08)
    data = world.document(G22, [H41, H08])
    before = world.counts()

    with pytest.raises(RoutingError) as caught:
        world.send("sys-vpcp", data)

    assert caught.value.code == "recipient.locked"
    assert caught.value.details == {"recipient": H08}
    assert world.counts() == before
    assert world.blob_count() == 0


def test_a_locked_sender_is_refused_and_nothing_is_stored(world: HubWorld) -> None:
    data = world.document(G22, [H41])
    world.hub.directory.lock(G22)
    before = world.counts()

    with pytest.raises(PermissionDenied) as caught:
        world.send("sys-vpcp", data)

    assert caught.value.code == "forbidden.sender_locked"
    assert world.counts() == before
    assert world.blob_count() == 0


def test_an_altered_package_fails_its_signature(world: HubWorld) -> None:
    data = world.document(G22, [H41])
    tampered = data.replace("thử nghiệm".encode(), "thay đổi".encode(), 1)

    with pytest.raises(SignatureError) as caught:
        world.send("sys-vpcp", tampered)

    assert caught.value.code.startswith("signature.")
    assert world.blob_count() == 0


def test_an_unsigned_package_is_refused(world: HubWorld) -> None:
    from lienthong.edxml.reader import read_package
    from lienthong.edxml.writer import package_to_bytes

    signed = world.document(G22, [H41])
    package = read_package(signed)
    unsigned = package_to_bytes(package)

    with pytest.raises(SignatureError) as caught:
        world.send("sys-vpcp", unsigned)

    assert caught.value.code == "signature.missing"


def test_a_registered_certificate_may_sign_for_another_agency(world: HubWorld) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding

    system_cert = world.pki.system.certificate.public_bytes(Encoding.PEM).decode()
    data = world.document(G22, [H41], signer=world.pki.system)
    with pytest.raises(SignatureError):
        world.send("sys-vpcp", data)

    world.hub.systems.add_certificate(G22, system_cert)

    assert world.send("sys-vpcp", data).duplicate is False


def test_an_invalid_package_is_refused_with_its_problems(world: HubWorld) -> None:
    from lienthong.errors import ValidationError

    data = world.document(G22, [H41], subject=" ")
    with pytest.raises(ValidationError) as caught:
        world.send("sys-vpcp", data)

    assert caught.value.code == "validation.package"
    assert [p["code"] for p in caught.value.details["problems"]] == ["subject.missing"]
    assert world.counts()["hub_packages"] == 0


def test_a_sender_outside_the_directory_is_refused(world: HubWorld) -> None:
    data = world.document(UNLISTED, [H41])

    with pytest.raises(RoutingError) as caught:
        world.send("sys-vpcp", data)

    assert caught.value.code == "sender.unknown"
    assert world.counts()["hub_packages"] == 0


def test_statuses_go_back_to_the_sender_of_the_document(world: HubWorld) -> None:
    sent = world.send("sys-vpcp", world.document(G22, [H41, G12]))

    status = world.send("sys-nghean", world.status(H41, sent.document_id, "03"))
    again = world.send("sys-nghean", world.status(H41, sent.document_id, "03"))

    assert status.kind is PackageKind.STATUS
    assert [d.recipient for d in status.deliveries] == [G22]
    assert again.duplicate is True
    assert again.package_id == status.package_id


def test_a_status_on_an_unknown_document_uses_response_for(world: HubWorld) -> None:
    document_id = "000.00.00.G12,2026/05/09,77/BTC-VP"

    status = world.send("sys-nghean", world.status(H41, document_id, "01"))

    assert [d.recipient for d in status.deliveries] == [G12]


def test_a_take_back_request_goes_to_every_recipient(world: HubWorld) -> None:
    sent = world.send("sys-vpcp", world.document(G22, [H41, G12, H14]))

    take_back = world.send("sys-vpcp", world.status(G22, sent.document_id, "13"))

    assert sorted(d.recipient for d in take_back.deliveries) == sorted([H41, G12, H14])
    with pytest.raises(PermissionDenied) as caught:
        world.send("sys-nghean", world.status(H41, sent.document_id, "13"))
    assert caught.value.code == "forbidden.not_document_sender"


@pytest.mark.parametrize(("business_type", "kind"), [(1, "revoke"), (2, "update"), (3, "replace")])
def test_business_types_link_documents(world: HubWorld, business_type: int, kind: str) -> None:
    original = world.send("sys-vpcp", world.document(G22, [H41]))
    business = _business(business_type, original.document_id)

    later = world.send("sys-vpcp", world.document(G22, [H41], business=business))

    (link,) = _rows(world, hub_links, hub_links.c.package_id == later.package_id)
    assert link.document_id == original.document_id  # type: ignore[attr-defined]
    assert link.linked_document_id == later.document_id  # type: ignore[attr-defined]
    assert link.kind == kind  # type: ignore[attr-defined]
    assert link.reason == "lý do"  # type: ignore[attr-defined]


def test_two_updates_of_one_document_are_both_delivered(world: HubWorld) -> None:
    original = world.send("sys-vpcp", world.document(G22, [H41]))
    business = _business(2, original.document_id)
    first = world.document(G22, [H41], business=business, number=50, subject="Bản sửa 1")
    second = world.document(G22, [H41], business=business, number=50, subject="Bản sửa 2")

    a = world.send("sys-vpcp", first)
    b = world.send("sys-vpcp", second)

    assert a.document_id == b.document_id
    assert not b.duplicate
    assert a.package_id != b.package_id


# -- one DocumentId, two agencies: a DocumentId proves nothing about who sent it ----------


def test_a_status_goes_back_to_the_agency_whose_document_the_reporter_received(
    world: HubWorld,
) -> None:
    document_id = "000.00.00.G22,2026/05/10,15/VPCP-TTĐT"
    # Another agency uses the id first (it only warns when the id names another organ:
    # real systems send such ids), to another recipient.
    first = world.send("sys-other", world.document(G12, [H08], document_id=document_id))
    real = world.send("sys-vpcp", world.document(G22, [H41], document_id=document_id))

    from_h41 = world.send("sys-nghean", world.status(H41, document_id, "03"))
    from_h08 = world.send("sys-other", world.status(H08, document_id, "03"))

    assert first.duplicate is False
    assert real.duplicate is False
    assert [d.recipient for d in from_h41.deliveries] == [G22]
    assert [d.recipient for d in from_h08.deliveries] == [G12]


def test_a_status_from_an_agency_that_did_not_receive_the_document_is_refused(
    world: HubWorld,
) -> None:
    sent = world.send("sys-vpcp", world.document(G22, [H41]))
    before = world.counts()

    with pytest.raises(PermissionDenied) as caught:
        world.send("sys-other", world.status(G12, sent.document_id, "15"))

    assert caught.value.code == "forbidden.not_document_recipient"
    assert world.counts() == before


def test_a_take_back_reaches_the_requester_s_own_recipients_only(world: HubWorld) -> None:
    document_id = "000.00.00.G22,2026/05/10,16/VPCP-TTĐT"
    world.send("sys-other", world.document(G12, [H08], document_id=document_id))
    world.send("sys-vpcp", world.document(G22, [H41, H14], document_id=document_id))

    take_back = world.send("sys-vpcp", world.status(G22, document_id, "13"))

    assert sorted(d.recipient for d in take_back.deliveries) == sorted([H41, H14])


def test_another_agency_s_document_cannot_be_revoked(world: HubWorld) -> None:
    original = world.send("sys-vpcp", world.document(G22, [H41]))
    before = world.counts()

    with pytest.raises(PermissionDenied) as caught:
        world.send(
            "sys-other", world.document(G12, [H41], business=_business(1, original.document_id))
        )

    assert caught.value.code == "forbidden.not_document_sender"
    assert world.counts() == before


def test_revoking_a_document_the_hub_never_carried_is_sent_without_a_link(
    world: HubWorld,
) -> None:
    elsewhere = "000.00.00.G22,2026/01/05,3/VPCP-TTĐT"  # sent on paper, say

    revocation = world.send(
        "sys-vpcp", world.document(G22, [H41], business=_business(1, elsewhere))
    )

    assert [d.recipient for d in revocation.deliveries] == [H41]
    assert _rows(world, hub_links) == []


def test_when_two_agencies_sent_one_id_to_the_reporter_response_for_decides(
    world: HubWorld,
) -> None:
    document_id = "000.00.00.G22,2026/05/10,17/VPCP-TTĐT"  # ResponseFor: 000.00.00.G22
    world.send("sys-other", world.document(G12, [H41], document_id=document_id))
    world.send("sys-vpcp", world.document(G22, [H41], document_id=document_id))

    status = world.send("sys-nghean", world.status(H41, document_id, "03"))

    assert [d.recipient for d in status.deliveries] == [G22]


def test_an_overlong_business_document_id_is_refused_on_every_database(world: HubWorld) -> None:
    long_id = "000.00.00.G22,2026/05/10,1/" + "X" * 273  # a valid form, 300 characters
    data = world.document(G22, [H41], business=_business(1, long_id))
    before = world.counts()

    with pytest.raises(LienthongError) as caught:
        world.send("sys-vpcp", data)

    assert caught.value.code == "validation.document_id"
    assert world.counts() == before
