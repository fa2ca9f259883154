"""Fixtures of the package-signature tests: a demo PKI, a clock a day later, a signed package."""

from __future__ import annotations

from datetime import timedelta

import pytest

from dsigkit import H41, T0, make_package
from lienthong.clock import FixedClock
from lienthong.edxml.xmldsig import sign_package
from lienthong.pki.ca import DemoPki
from lienthong.pki.testing import demo_pki


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPki:
    return demo_pki(tmp_path_factory.mktemp("pki"), clock=FixedClock(T0))


@pytest.fixture(scope="module")
def clock() -> FixedClock:
    return FixedClock(T0 + timedelta(days=1))


@pytest.fixture(scope="module")
def signed(pki: DemoPki) -> bytes:
    return sign_package(make_package(), pki.agency(H41))
