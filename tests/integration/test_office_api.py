"""The office REST API through FastAPI's TestClient, on SQLite and PostgreSQL: tokens,
the outgoing and incoming workflows over HTTP, errors as JSON problems, exports."""

from __future__ import annotations

import io
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from openpyxl import load_workbook

from lienthong.clock import FixedClock
from lienthong.db.uow import UnitOfWork
from lienthong.office.app import office_app
from lienthong.office.intake import ReceivedDocument
from lienthong.office.model import Actor
from lienthong.pdfsign import sample
from lienthong.pdfsign.report import Verdict
from lienthong.pdfsign.validate import validate_pdf
from lienthong.pki.ca import DemoPki
from lienthong.storage import FileBlobStore
from officekit import A_CODE, B_CODE, C_CODE, PASSWORD, OfficeWorld, build_world, make_pki

API = "/office/api/v1"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPki:
    return make_pki(tmp_path_factory.mktemp("office-pki"))


@pytest.fixture
def world(
    make_uow: Callable[[], UnitOfWork], tmp_path: Path, clock: FixedClock, pki: DemoPki
) -> OfficeWorld:
    return build_world(make_uow, FileBlobStore(tmp_path / "blobs"), pki, clock)


@pytest.fixture
def client(world: OfficeWorld) -> Iterator[TestClient]:
    with TestClient(office_app(world.services), raise_server_exceptions=False) as test_client:
        yield test_client


def login(client: TestClient, username: str) -> dict[str, str]:
    response = client.post(f"{API}/auth/login", json={"username": username, "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"Authorization": f"Bearer {response.json()['token']}"}


def test_login_me_logout(client: TestClient) -> None:
    headers = login(client, "a.vanthu")
    me = client.get(f"{API}/me", headers=headers).json()
    assert me["username"] == "a.vanthu"
    assert me["roles"] == ["clerk"]
    assert client.post(f"{API}/auth/logout", headers=headers).status_code == 204
    gone = client.get(f"{API}/me", headers=headers)
    assert gone.status_code == 401
    assert gone.json()["code"] == "auth.token"
    assert gone.headers["WWW-Authenticate"].startswith("Bearer")
    missing = client.get(f"{API}/outgoing")
    assert (missing.status_code, missing.json()["code"]) == (401, "auth.missing")
    wrong = client.post(f"{API}/auth/login", json={"username": "a.vanthu", "password": "x"})
    assert (wrong.status_code, wrong.json()["code"]) == (401, "auth.login")


def test_outgoing_over_http(client: TestClient, pki: DemoPki, clock: FixedClock) -> None:
    specialist, leader, clerk = (
        login(client, u) for u in ("a.chuyenvien", "a.lanhdao", "a.vanthu")
    )
    draft = {
        "doctype": "giay_moi",
        "subject": "Mời họp triển khai công tác văn thư",
        "signer": "a.lanhdao",
        "recipients": [{"agency": B_CODE}, {"agency": C_CODE}],
        "form": "mixed",
    }
    created = client.post(f"{API}/outgoing", json=draft, headers=specialist)
    assert created.status_code == 201, created.text
    body = created.json()
    assert [w["code"] for w in body["warnings"]] == ["catalogue.form_departs"]
    doc_id = body["document"]["id"]
    assert body["document"]["state"] == "draft"
    put = client.put(
        f"{API}/outgoing/{doc_id}/pdf",
        content=sample.decision_pdf(),
        headers={**specialist, "Content-Type": "application/pdf"},
    )
    assert put.status_code == 200, put.text
    attached = client.post(
        f"{API}/outgoing/{doc_id}/attachments",
        params={"name": "Phụ lục.pdf"},
        content=sample.attachment_pdf(),
        headers={**specialist, "Content-Type": "application/pdf"},
    )
    assert attached.json()["attachments"][0]["name"] == "Phụ lục.pdf"
    assert (
        client.post(f"{API}/outgoing/{doc_id}/submit", headers=specialist).json()["state"]
        == "in_review"
    )
    comment = client.post(
        f"{API}/outgoing/{doc_id}/comments", json={"text": "Đồng ý"}, headers=leader
    )
    assert comment.status_code == 201
    # a specialist may not sign; the clerk may not issue before the signature
    denied = client.post(f"{API}/outgoing/{doc_id}/sign", headers=specialist)
    assert (denied.status_code, denied.json()["code"]) == (403, "office.forbidden_role")
    early = client.post(f"{API}/outgoing/{doc_id}/issue", headers=clerk)
    assert (early.status_code, early.json()["code"]) == (409, "workflow.illegal_transition")
    assert client.post(f"{API}/outgoing/{doc_id}/sign", headers=leader).json()["state"] == "signed"
    issued = client.post(f"{API}/outgoing/{doc_id}/issue", headers=clerk).json()
    assert (issued["code"], issued["state"]) == ("01/GM-UBND", "registered")
    ready = client.post(f"{API}/outgoing/{doc_id}/agency-sign", headers=clerk).json()
    assert ready["state"] == "ready_to_dispatch"
    pdf = client.get(f"{API}/outgoing/{doc_id}/pdf", headers=clerk)
    assert pdf.headers["content-type"] == "application/pdf"
    report = validate_pdf(pdf.content, pki.trust_store, clock=clock)
    assert report.verdict is Verdict.VALID
    assert len(report.signatures) == 2
    file_id = ready["attachments"][0]["id"]
    attachment = client.get(f"{API}/outgoing/{doc_id}/attachments/{file_id}", headers=clerk)
    assert (
        "filename*=UTF-8''Ph%E1%BB%A5%20l%E1%BB%A5c.pdf"
        in attachment.headers["content-disposition"]
    )
    events = client.get(f"{API}/outgoing/{doc_id}/events", headers=clerk).json()
    assert [e["action"] for e in events][-3:] == ["sign", "issue", "agency_sign"]
    listed = client.get(
        f"{API}/outgoing", params={"state": "ready_to_dispatch"}, headers=leader
    ).json()
    assert [d["id"] for d in listed] == [doc_id]
    other = client.get(f"{API}/outgoing/{doc_id}", headers=login(client, "b.lanhdao"))
    assert (other.status_code, other.json()["code"]) == (404, "office.document_unknown")


def test_incoming_over_http(client: TestClient, world: OfficeWorld) -> None:
    system = Actor.system(world.a.agency_id)
    arrived = world.services.intake.receive(
        system,
        ReceivedDocument("DLV-1", f"{C_CODE},2026/05/09,10/VPCP-HC", C_CODE, "VPCP", "Về việc họp"),
    )
    clerk, leader, handler = (login(client, u) for u in ("a.vanthu", "a.lanhdao", "a.chuyenvien"))
    specialist_accept = client.post(f"{API}/incoming/{arrived.id}/accept", headers=handler)
    assert specialist_accept.status_code == 403
    accepted = client.post(f"{API}/incoming/{arrived.id}/accept", headers=clerk).json()
    assert (accepted["state"], accepted["number"]) == ("registered", 1)
    assign = {"lead": "a.chuyenvien", "co_handlers": ["a.chuyenvien2"], "deadline": "2026-05-20"}
    assigned = client.post(
        f"{API}/incoming/{arrived.id}/assign", json=assign, headers=leader
    ).json()
    assert [h["lead"] for h in assigned["handlers"]] == [True, False]
    progress = client.post(
        f"{API}/incoming/{arrived.id}/progress", json={"text": "Đang xử lý"}, headers=handler
    )
    assert progress.json()["state"] == "in_progress"
    mine = client.get(f"{API}/incoming", params={"mine": "true"}, headers=handler).json()
    assert [d["id"] for d in mine] == [arrived.id]
    finished = client.post(
        f"{API}/incoming/{arrived.id}/finish", json={"note": "Xong"}, headers=handler
    )
    assert finished.json()["state"] == "finished"
    statuses = client.get(f"{API}/incoming/{arrived.id}/statuses", headers=clerk).json()
    assert [s["status_code"] for s in statuses] == ["01", "03", "04", "05", "06"]
    no_reason = client.post(f"{API}/incoming/{arrived.id}/reject", json={}, headers=clerk)
    assert (no_reason.status_code, no_reason.json()["code"]) == (422, "request.invalid")


def test_paper_registration_and_registers(client: TestClient) -> None:
    clerk = login(client, "a.vanthu")
    metadata = {
        "sender_name": "Sở Y tế tỉnh Nghệ An",
        "subject": "Về việc phòng, chống dịch bệnh mùa hè",
        "code": "88/SYT-NVY",
        "document_date": "2026-05-08",
        "doctype": "Công văn",
    }
    created = client.post(
        f"{API}/incoming/paper",
        data={"metadata": json.dumps(metadata, ensure_ascii=False)},
        files={"scan": ("scan.pdf", sample.decision_pdf(), "application/pdf")},
        headers=clerk,
    )
    assert created.status_code == 201, created.text
    assert (created.json()["form"], created.json()["scanned"]) == ("paper", True)
    not_pdf = client.post(
        f"{API}/incoming/paper",
        data={"metadata": json.dumps(metadata)},
        files={"scan": ("scan.pdf", b"hello", "application/pdf")},
        headers=clerk,
    )
    assert (not_pdf.status_code, not_pdf.json()["code"]) == (422, "office.not_pdf")
    register = client.get(f"{API}/registers/in", params={"year": 2026}, headers=clerk).json()
    assert register["title"] == "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN"
    assert register["rows"][0][2] == "Sở Y tế tỉnh Nghệ An"
    xlsx = client.get(
        f"{API}/registers/in/export", params={"year": 2026, "format": "xlsx"}, headers=clerk
    )
    assert xlsx.headers["content-disposition"].startswith(
        'attachment; filename="so-van-ban-den-2026.xlsx"'
    )
    sheet = load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet["C6"].value == "Sở Y tế tỉnh Nghệ An"
    pdf = client.get(
        f"{API}/registers/in/export", params={"year": 2026, "format": "pdf"}, headers=clerk
    )
    assert pdf.content.startswith(b"%PDF-")


def test_people_and_catalogue_over_http(client: TestClient) -> None:
    admin = login(client, "a.quantri")
    unit = client.post(
        f"{API}/units", json={"name": "Phòng Tổ chức", "abbreviation": "TC"}, headers=admin
    )
    assert unit.status_code == 201
    user = {
        "username": "a.moi",
        "full_name": "Người Mới",
        "password": PASSWORD,
        "roles": ["specialist"],
        "unit": "TC",
    }
    assert client.post(f"{API}/users", json=user, headers=admin).json()["unit"] == "TC"
    assert "a.moi" in [u["username"] for u in client.get(f"{API}/users", headers=admin).json()]
    clerk = login(client, "a.vanthu")
    forbidden = client.post(f"{API}/users", json={**user, "username": "a.khac"}, headers=clerk)
    assert forbidden.status_code == 403
    entries = client.get(f"{API}/catalogue", headers=clerk).json()
    assert len(entries) == 21
    patched = client.patch(
        f"{API}/catalogue/{entries[0]['id']}", json={"active": False}, headers=clerk
    )
    assert patched.json()["active"] is False
    spec = client.get(f"{API}/openapi.json").json()
    assert f"{API}/outgoing/{{doc_id}}/agency-sign" in spec["paths"]
    assert A_CODE not in json.dumps(spec)


def test_failed_logins_are_throttled_before_the_password_is_checked(client: TestClient) -> None:
    def attempt(password: str) -> Any:
        return client.post(f"{API}/auth/login", json={"username": "a.vanthu", "password": password})

    failures = [attempt("sai-mat-khau").status_code for _ in range(5)]
    held = attempt(PASSWORD)  # even the right password waits now

    assert failures == [401] * 5
    assert held.status_code == 429
    assert held.json()["code"] == "auth.throttled"
    assert int(held.headers["Retry-After"]) > 0
    other = client.post(f"{API}/auth/login", json={"username": "b.vanthu", "password": PASSWORD})
    assert other.status_code == 200  # another user is not held (5 failures < the address's 30)


def test_an_incoming_attachment_is_downloaded_with_its_name(
    client: TestClient, world: OfficeWorld
) -> None:
    from lienthong.office.documents import FileInput

    annex = sample.attachment_pdf()
    arrived = world.services.intake.receive(
        Actor.system(world.a.agency_id),
        ReceivedDocument(
            "DLV-9",
            f"{C_CODE},2026/05/09,11/VPCP-HC",
            C_CODE,
            "VPCP",
            "Về việc họp",
            attachments=(FileInput("Phụ lục 1.pdf", annex),),
        ),
    )
    clerk = login(client, "a.vanthu")
    (stored,) = arrived.attachments

    answer = client.get(f"{API}/incoming/{arrived.id}/attachments/{stored.id}", headers=clerk)

    assert answer.status_code == 200
    assert answer.content == annex
    assert "Ph%E1%BB%A5%20l%E1%BB%A5c%201.pdf" in answer.headers["content-disposition"]


def test_a_web_session_token_does_not_open_the_api(client: TestClient, world: OfficeWorld) -> None:
    from lienthong.office.model import TokenKind

    session = world.services.users.login("a.vanthu", PASSWORD, kind=TokenKind.SESSION)

    answer = client.get(f"{API}/me", headers={"Authorization": f"Bearer {session.token}"})

    assert answer.status_code == 401
    assert answer.json()["code"] == "auth.token"
