"""The hub's cached signature check gives exactly verify_package's report."""

from __future__ import annotations

from pathlib import Path

import pytest

from hubkit import G22, H41, T0, HubWorld, shared_pki
from lienthong.clock import FixedClock
from lienthong.edxml.reader import read_package
from lienthong.edxml.writer import package_to_bytes
from lienthong.edxml.xmldsig import verify_package
from lienthong.hub.signatures import SignatureChecker
from support import SAMPLES_DIR


def _world() -> HubWorld:
    from lienthong.storage import FileBlobStore

    return HubWorld(
        hub=None,  # type: ignore[arg-type]  # only the package helpers are used
        pki=shared_pki(),
        clock=FixedClock(T0),
        blobs=FileBlobStore(Path("/nonexistent")),
        uow=None,  # type: ignore[arg-type]
    )


def _inputs() -> dict[str, bytes]:
    world = _world()
    good = world.document(G22, [H41])
    return {
        "valid": good,
        "tampered": good.replace("thử nghiệm".encode(), "thay đổi".encode(), 1),
        "other agency": world.document(G22, [H41], signer=world.pki.agency(H41)),
        "system certificate": world.document(G22, [H41], signer=world.pki.system),
        "unsigned": package_to_bytes(read_package(good)),
        "not xml": b"not a package",
        **{p.name: p.read_bytes() for p in sorted(SAMPLES_DIR.glob("*.edxml"))},
    }


@pytest.mark.parametrize("name", sorted(_inputs()))
def test_the_same_report_as_verify_package(name: str) -> None:
    data = _inputs()[name]
    pki = shared_pki()
    clock = FixedClock(T0)
    checker = SignatureChecker(pki.trust_store, clock=clock)
    allowed = {G22} if name == "system certificate" else None

    expected = verify_package(data, pki.trust_store, clock=clock, allowed_agencies=allowed)
    first = checker.check(data, (lambda _c: allowed) if allowed else None)
    cached = checker.check(data, (lambda _c: allowed) if allowed else None)

    assert first.to_dict() == expected.to_dict()
    assert cached.to_dict() == expected.to_dict()


def test_chain_results_are_reused_per_certificate() -> None:
    world = _world()
    pki = shared_pki()
    clock = FixedClock(T0)
    checker = SignatureChecker(pki.trust_store, clock=clock, ttl_s=60)
    packages = [world.document(G22, [H41]) for _ in range(3)]

    for data in packages:
        assert checker.check(data).valid
    from datetime import timedelta

    clock.advance(timedelta(seconds=61))
    assert checker.check(packages[0]).valid

    assert (checker.misses, checker.hits) == (2, 2)
