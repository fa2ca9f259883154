"""The hub's plain rules: delivery states, acknowledgements, dedup keys, ids, backoff."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from lienthong.errors import Conflict
from lienthong.hub.model import (
    AckState,
    DeliveryState,
    IdGenerator,
    LinkKind,
    PackageKind,
    dedup_key,
    dedup_key_parts,
    effective_state,
    push_backoff,
)

NOW = datetime(2026, 5, 10, 8, 0, tzinfo=UTC)


def test_a_lease_that_ran_out_reads_as_pending() -> None:
    assert effective_state(DeliveryState.LEASED, NOW + timedelta(seconds=1), NOW) is (
        DeliveryState.LEASED
    )
    assert effective_state(DeliveryState.LEASED, NOW, NOW) is DeliveryState.PENDING
    assert effective_state(DeliveryState.DONE, None, NOW) is DeliveryState.DONE


@pytest.mark.parametrize(
    ("ack", "after"),
    [
        (AckState.DONE, DeliveryState.DONE),
        (AckState.FAIL, DeliveryState.FAILED),
        (AckState.PROCESSING, DeliveryState.LEASED),
    ],
)
def test_acks_from_a_lease(ack: AckState, after: DeliveryState) -> None:
    state = _ack(DeliveryState.LEASED, ack, leased_by="sys-a", until=NOW + timedelta(minutes=1))
    assert state is after


@pytest.mark.parametrize("final", [DeliveryState.DONE, DeliveryState.FAILED])
@pytest.mark.parametrize("ack", list(AckState))
def test_final_states_accept_nothing_more(final: DeliveryState, ack: AckState) -> None:
    with pytest.raises(Conflict) as caught:
        _ack(final, ack)
    assert caught.value.code == "delivery.already_acknowledged"


@pytest.mark.parametrize(
    ("final", "ack", "acked_by", "repeat"),
    [
        (DeliveryState.DONE, AckState.DONE, "sys-a", True),
        (DeliveryState.FAILED, AckState.FAIL, "sys-a", True),
        (DeliveryState.DONE, AckState.FAIL, "sys-a", False),
        (DeliveryState.FAILED, AckState.DONE, "sys-a", False),
        (DeliveryState.DONE, AckState.PROCESSING, "sys-a", False),
        (DeliveryState.DONE, AckState.DONE, "sys-b", False),
        (DeliveryState.DONE, AckState.DONE, None, False),
        (DeliveryState.LEASED, AckState.DONE, "sys-a", False),
        (DeliveryState.PENDING, AckState.DONE, "sys-a", False),
    ],
)
def test_only_the_same_final_ack_by_the_same_system_is_a_repeat(
    final: DeliveryState, ack: AckState, acked_by: str | None, repeat: bool
) -> None:
    from lienthong.hub.model import repeats_final_ack

    assert repeats_final_ack(final, ack, acked_by=acked_by, system_id="sys-a") is repeat


def test_another_systems_running_lease_is_a_conflict() -> None:
    until = NOW + timedelta(seconds=30)
    with pytest.raises(Conflict) as caught:
        _ack(DeliveryState.LEASED, AckState.DONE, leased_by="sys-b", until=until)
    assert caught.value.code == "delivery.leased"
    # Once that lease ran out, anyone hosting the recipient may acknowledge.
    assert _ack(DeliveryState.LEASED, AckState.DONE, leased_by="sys-b", until=NOW) is (
        DeliveryState.DONE
    )


def _ack(
    state: DeliveryState,
    ack: AckState,
    *,
    leased_by: str | None = None,
    until: datetime | None = None,
) -> DeliveryState:
    from lienthong.hub.model import ack_transition

    return ack_transition(
        state, ack, leased_by=leased_by, leased_until=until, system_id="sys-a", now=NOW
    )


def test_dedup_keys() -> None:
    doc = "000.00.00.G22,2026/05/10,1/VPCP-TTĐT"

    new = dedup_key(PackageKind.DOCUMENT, document_id=doc, sender="7", business_type=0)
    same = dedup_key(PackageKind.DOCUMENT, document_id=f" {doc} ", sender="7", business_type=0)
    revoke = dedup_key(PackageKind.DOCUMENT, document_id=doc, sender="7", business_type=1)
    update_a = dedup_key(
        PackageKind.DOCUMENT, document_id=doc, sender="7", business_type=2, content_sha256="a"
    )
    update_b = dedup_key(
        PackageKind.DOCUMENT, document_id=doc, sender="7", business_type=2, content_sha256="b"
    )
    status = dedup_key(
        PackageKind.STATUS, document_id=doc, sender="9", status_code="03", status_timestamp="t1"
    )
    later = dedup_key(
        PackageKind.STATUS, document_id=doc, sender="9", status_code="03", status_timestamp="t2"
    )

    assert new == same
    assert len({new, revoke, update_a, update_b, status, later}) == 6


def test_dedup_keys_keep_their_stored_form() -> None:
    """Keys already in hub_packages must still match: SHA-256 of the parts joined by
    U+001F; the parts around the sender give the same key (the database completes it)."""
    doc = "000.00.00.G22,2026/05/10,1/VPCP-TTĐT"

    def sha(*parts: str) -> str:
        return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()

    document = PackageKind.DOCUMENT
    plain = dedup_key_parts(document, document_id=f" {doc} ")
    update = dedup_key_parts(document, document_id=doc, business_type=2, content_sha256="c")
    status = dedup_key_parts(
        PackageKind.STATUS, document_id=doc, status_code="03", status_timestamp="t"
    )

    assert plain.for_sender("7") == sha("document", doc, "7", "0")
    assert update.for_sender("7") == sha("document", doc, "7", "2", "c")
    assert status.for_sender("7") == sha("status", doc, "7", "03", "t")
    assert dedup_key(document, document_id=doc, sender=" 7 ") == plain.for_sender("7")
    assert dedup_key(
        document, document_id=doc, sender="7", business_type=2, content_sha256="c"
    ) == update.for_sender("7")


def test_ids_are_time_ordered_and_unique() -> None:
    ids = IdGenerator()
    made = [ids(NOW) for _ in range(1000)] + [ids(NOW + timedelta(milliseconds=1))]

    assert len(set(made)) == len(made)
    assert made == sorted(made)
    assert all(len(i) == 26 for i in made)
    assert ids(NOW + timedelta(days=1)) > made[-1]


def test_push_backoff_doubles_up_to_a_cap() -> None:
    waits = [push_backoff(n, base_s=5, cap_s=60).total_seconds() for n in range(1, 7)]
    assert waits == [5, 10, 20, 40, 60, 60]


def test_link_kinds_of_business_types() -> None:
    assert [LinkKind.of_business_type(n) for n in range(5)] == [
        None,
        LinkKind.REVOKE,
        LinkKind.UPDATE,
        LinkKind.REPLACE,
        None,
    ]
