"""Numbers the database cannot hold are bad requests, not server errors."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from lienthong.clock import FixedClock
from lienthong.db.uow import UnitOfWork
from lienthong.office.app import office_app
from lienthong.pki.ca import DemoPki
from lienthong.storage import FileBlobStore
from officekit import PASSWORD, OfficeWorld, build_world, make_pki

API = "/office/api/v1"
HUGE = str(10**30)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPki:
    return make_pki(tmp_path_factory.mktemp("office-pki"))


@pytest.fixture
def client(
    make_uow: Callable[[], UnitOfWork], tmp_path: Path, clock: FixedClock, pki: DemoPki
) -> Iterator[TestClient]:
    world: OfficeWorld = build_world(make_uow, FileBlobStore(tmp_path / "blobs"), pki, clock)
    with TestClient(office_app(world.services), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.mark.parametrize(
    "path",
    [
        f"/incoming?year={HUGE}",
        f"/incoming?offset={HUGE}",
        f"/outgoing?year={HUGE}",
        f"/outgoing?offset={HUGE}",
        f"/incoming/{HUGE}",
        f"/outgoing/{HUGE}",
    ],
)
def test_a_number_beyond_the_database_is_a_bad_request(client: TestClient, path: str) -> None:
    login = client.post(f"{API}/auth/login", json={"username": "a.vanthu", "password": PASSWORD})
    headers = {"Authorization": f"Bearer {login.json()['token']}"}

    answered = client.get(f"{API}{path}", headers=headers)

    assert answered.status_code == 422, answered.text
    assert answered.json()["code"] == "validation.out_of_range"
