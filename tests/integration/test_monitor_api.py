"""The monitor's routes through FastAPI's TestClient, on SQLite and PostgreSQL: an agency's
reports on the office API (office tokens), the national table on the hub's admin API."""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from hubkit import G22, H41, admin_token
from hubkit import build_world as build_hub_world
from lienthong.clock import FixedClock
from lienthong.db.uow import UnitOfWork
from lienthong.hub.app import create_hub_app
from lienthong.monitor.api import mount_office_monitor
from lienthong.monitor.api_hub import mount_hub_monitor
from lienthong.monitor.rollup import HubMonitor
from lienthong.monitor.services import AgencyMonitor
from lienthong.monitor.targets import TargetTable
from lienthong.office.app import office_app
from lienthong.office.intake import PaperArrival, ReceivedDocument
from lienthong.office.model import Actor
from lienthong.pdfsign import sample
from lienthong.pki.ca import DemoPki
from lienthong.storage import FileBlobStore
from officekit import C_CODE, PASSWORD, OfficeWorld, build_world, make_pki

API = "/office/api/v1"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPki:
    return make_pki(tmp_path_factory.mktemp("monitor-api-pki"))


@pytest.fixture
def office(
    make_uow: Callable[[], UnitOfWork], tmp_path: Path, clock: FixedClock, pki: DemoPki
) -> Iterator[tuple[OfficeWorld, TestClient]]:
    world = build_world(make_uow, FileBlobStore(tmp_path / "blobs"), pki, clock)
    app = office_app(world.services)
    monitor = AgencyMonitor(
        make_uow, clock=clock, targets=TargetTable(), government=[C_CODE], monitor_agency=C_CODE
    )
    mount_office_monitor(app, monitor)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield world, client


def login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post(f"{API}/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_an_agency_reads_its_reports_over_http(office: tuple[OfficeWorld, TestClient]) -> None:
    world, client = office
    # May 2026: a paper arrival and an electronic one from the Government Office
    clerk = world.actor("a.clerk")
    world.services.intake.register_paper(
        clerk, PaperArrival(sender_name="Sở Tài chính", subject="Quyết toán"), sample.decision_pdf()
    )
    world.services.intake.receive(
        Actor.system(world.a.agency_id),
        ReceivedDocument("D-1", f"{C_CODE},2026/05/09,1/VPCP", C_CODE, "VPCP", "Chuyển đổi số"),
    )
    headers = login(client, "a.lanhdao")
    answer = client.get(f"{API}/monitor/measures", params={"period": "2026-05"}, headers=headers)
    assert answer.status_code == 200, answer.text
    data = answer.json()
    assert (data["agency"], data["period"], data["documents"]) == ("000.00.00.H41", "2026-05", 2)
    electronic = next(m for m in data["measures"] if m["name"] == "electronic")
    assert (electronic["numerator"], electronic["denominator"], electronic["share"]) == (1, 2, 50.0)

    workbook = client.get(
        f"{API}/monitor/measures", params={"period": "2026-05", "format": "xlsx"}, headers=headers
    )
    assert workbook.headers["content-type"].startswith("application/vnd.openxmlformats")
    assert "chi-tieu-2026-05.xlsx" in workbook.headers["content-disposition"]
    assert (
        load_workbook(io.BytesIO(workbook.content)).active["A7"].value
        == "Văn bản điện tử hoàn toàn"
    )
    chart = client.get(
        f"{API}/monitor/evaluation", params={"period": "2026", "format": "svg"}, headers=headers
    )
    assert chart.headers["content-type"].startswith("image/svg+xml")
    assert chart.text.startswith("<svg")
    pdf = client.get(
        f"{API}/monitor/status", params={"period": "2026-Q2", "format": "pdf"}, headers=headers
    )
    assert pdf.content.startswith(b"%PDF-")
    by_handler = client.get(
        f"{API}/monitor/status", params={"period": "2026", "by": "handler"}, headers=headers
    ).json()
    assert by_handler["total"]["received"] == 2
    registers = client.get(f"{API}/monitor/registers", params={"period": "2026"}, headers=headers)
    assert registers.json()["total"]["total"] == 2

    # B's people read B's figures only
    other = client.get(
        f"{API}/monitor/measures", params={"period": "2026-05"}, headers=login(client, "b.lanhdao")
    )
    assert other.json()["documents"] == 0
    # errors are the office's JSON problems
    missing = client.get(f"{API}/monitor/measures", params={"period": "2026-05"})
    assert (missing.status_code, missing.json()["code"]) == (401, "auth.missing")
    bad = client.get(f"{API}/monitor/measures", params={"period": "2026-13"}, headers=headers)
    assert (bad.status_code, bad.json()["code"]) == (422, "monitor.period")
    no_chart = client.get(
        f"{API}/monitor/status", params={"period": "2026", "format": "svg"}, headers=headers
    )
    assert (no_chart.status_code, no_chart.json()["code"]) == (422, "monitor.no_chart")
    flag = client.put(
        f"{API}/monitor/outgoing/999/dossier", json={"dossier": True}, headers=headers
    )
    assert (flag.status_code, flag.json()["code"]) == (404, "office.document_unknown")
    specialist = login(client, "a.chuyenvien")
    refused = client.put(
        f"{API}/monitor/outgoing/1/dossier", json={"dossier": True}, headers=specialist
    )
    assert (refused.status_code, refused.json()["code"]) == (403, "office.forbidden_role")
    unsent = client.post(f"{API}/monitor/reports", params={"period": "2026-05"}, headers=headers)
    assert (unsent.status_code, unsent.json()["code"]) == (500, "config.monitor_hub")
    assert client.get(f"{API}/monitor/reports", headers=headers).json() == []


def test_the_national_table_is_for_operators(
    make_uow: Callable[[], UnitOfWork], tmp_path: Path
) -> None:
    world = build_hub_world(make_uow, tmp_path / "blobs")
    world.send("sys-vpcp", world.document(G22, [H41]))
    app = create_hub_app(world.hub, background=False)
    mount_hub_monitor(
        app,
        HubMonitor(
            make_uow,
            blobs=world.blobs,
            clock=world.clock,
            monitor_agency=G22,
            targets=TargetTable(),
        ),
    )
    token = admin_token(world)
    with TestClient(app, raise_server_exceptions=False) as client:
        path = "/api/v1/admin/monitor/national"
        answer = client.get(
            path, params={"period": "2026-05"}, headers={"Authorization": f"Bearer {token}"}
        )
        assert answer.status_code == 200, answer.text
        data = answer.json()
        assert (data["period"], data["reporting"]) == ("2026-05", 0)
        assert (data["hub"]["documents"], data["hub"]["deliveries"], data["hub"]["waiting"]) == (
            1,
            1,
            1,
        )
        assert [a["code"] for a in data["agencies"]] == [G22]  # active, not reporting
        assert data["agencies"][0]["reported"] is False
        collected = client.post(
            "/api/v1/admin/monitor/collect", headers={"Authorization": f"Bearer {token}"}
        )
        assert collected.json() == {"accepted": [], "rejected": []}
        refused = client.get(path, params={"period": "2026-05"})
        assert refused.status_code == 401


def test_the_container_apps_serve_the_monitor(tmp_path: Path) -> None:
    from lienthong.bootstrap import build_container
    from lienthong.hub.app import create_hub_app
    from lienthong.office.app import create_office_app
    from lienthong.settings import load_settings

    with build_container(load_settings(data_dir=tmp_path)) as container:
        office_client = TestClient(create_office_app(container))
        hub_client = TestClient(create_hub_app(container, background=False))
        # mounted (a credential is asked for), unlike an unknown route
        answer = office_client.get(f"{API}/monitor/measures", params={"period": "2026"})
        assert (answer.status_code, answer.json()["code"]) == (401, "auth.missing")
        national = hub_client.get("/api/v1/admin/monitor/national", params={"period": "2026"})
        assert national.status_code == 401
        assert hub_client.get("/api/v1/admin/monitor/unknown").status_code == 404
