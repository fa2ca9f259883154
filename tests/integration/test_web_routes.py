"""The web pages through Starlette's TestClient over a real SQLite office: authentication
on every page, CSRF on every POST, the language switch, forms that answer next to the
field, and the incoming and outgoing workflows as people click through them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from lienthong.edxml.model import StatusCode
from lienthong.office.intake import ReceivedDocument
from lienthong.office.model import Actor
from lienthong.pdfsign import sample
from lienthong.pki.ca import DemoPki
from lienthong.web.app import create_ui_app, page_routes
from officekit import A_CODE, B_CODE, C_CODE, PASSWORD, make_pki
from webkit import WebWorld, build_web_world, csrf_of

PUBLIC = {"/login", "/lang/{lang}", "/hub/login"}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPki:
    return make_pki(tmp_path_factory.mktemp("web-pki"))


@pytest.fixture
def web(tmp_path: Path, pki: DemoPki) -> Iterator[WebWorld]:
    world = build_web_world(tmp_path, pki)
    yield world
    world.engine.dispose()


@pytest.fixture
def client(web: WebWorld) -> Iterator[TestClient]:
    with TestClient(create_ui_app(web.ctx), follow_redirects=False) as test_client:
        yield test_client


def login(client: TestClient, username: str, password: str = PASSWORD) -> None:
    client.cookies.clear()
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={"csrf_token": csrf_of(page.text), "username": username, "password": password},
    )
    assert answer.status_code == 303, answer.text
    assert "lt_session" in client.cookies


def post(client: TestClient, path: str, data: dict[str, Any], page: str | None = None) -> Any:
    """Submit a form the way a browser does: with the CSRF token of the page it is on."""
    token = csrf_of(client.get(page or path.rsplit("/", 1)[0]).text)
    return client.post(path, data={"csrf_token": token, **data})


def _routes(method: str) -> list[str]:
    return sorted({path for path, methods in page_routes() if method in methods})


def _concrete(path: str) -> str:
    values = {
        "doc_id": "1",
        "number": "1",
        "file_id": "1",
        "action": "accept",
        "lang": "en",
        "username": "a.vanthu",
        "entry_id": "1",
        "what": "systems",
        "ident": "x",
    }
    return re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: values.get(m.group(1), "1"), path)


@pytest.mark.parametrize("path", [p for p in _routes("GET") if p not in PUBLIC])
def test_every_page_needs_a_session(client: TestClient, path: str) -> None:
    login(client, "a.vanthu")
    client.cookies.delete("lt_session")
    answer = client.get(_concrete(path))
    assert answer.status_code == 303
    expected = "/hub/login?next=" if path.startswith("/hub") else "/login?next="
    assert answer.headers["location"].startswith(expected)
    if path.startswith("/hub"):  # an office session is not a hub operator's
        login(client, "a.quantri")
        assert client.get(_concrete(path)).headers["location"].startswith(expected)


@pytest.mark.parametrize("path", _routes("POST"))
def test_every_form_needs_its_csrf_token(client: TestClient, path: str) -> None:
    login(client, "a.quantri")
    refused = client.post(_concrete(path), data={"username": "a.vanthu", "password": PASSWORD})
    assert refused.status_code == 403
    assert "Phiên làm việc đã thay đổi" in refused.text
    forged = client.post(_concrete(path), data={"csrf_token": "0" * 64})
    assert forged.status_code == 403


def test_a_token_from_another_browser_is_refused(client: TestClient, web: WebWorld) -> None:
    token = csrf_of(client.get("/login").text)
    with TestClient(create_ui_app(web.ctx), follow_redirects=False) as other:
        other.get("/login")
        answer = other.post(
            "/login", data={"csrf_token": token, "username": "a.vanthu", "password": PASSWORD}
        )
    assert answer.status_code == 403


def test_login_mistakes_are_shown_next_to_the_field(client: TestClient) -> None:
    page = client.get("/login")
    assert page.headers["content-security-policy"].startswith("default-src 'self'")
    empty = client.post("/login", data={"csrf_token": csrf_of(page.text), "username": ""})
    assert empty.status_code == 422
    assert 'id="f-username-error">Vui lòng nhập tên đăng nhập.</p>' in empty.text
    assert 'aria-describedby="f-username-error" aria-invalid="true"' in empty.text
    wrong = client.post(
        "/login",
        data={"csrf_token": csrf_of(page.text), "username": "a.vanthu", "password": "sai-mat-khau"},
    )
    assert wrong.status_code == 401
    assert 'id="f-password-error">Sai tên đăng nhập hoặc mật khẩu.</p>' in wrong.text
    assert "lt_session" not in client.cookies


def test_session_cookie_is_httponly_and_lax_and_logout_ends_it(client: TestClient) -> None:
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={
            "csrf_token": csrf_of(page.text),
            "username": "a.vanthu",
            "password": PASSWORD,
            "next": "/incoming",
        },
    )
    assert answer.headers["location"] == "/incoming"
    cookie = next(h for h in answer.headers.get_list("set-cookie") if h.startswith("lt_session="))
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    token = client.cookies["lt_session"]
    home = client.get("/")
    assert home.status_code == 200
    assert "Nguyễn Thị Vân" in home.text
    client.post("/logout", data={"csrf_token": csrf_of(home.text)})
    client.cookies.set("lt_session", token)
    assert client.get("/").status_code == 303  # the session is over on the server too


def test_next_never_leaves_the_site(client: TestClient) -> None:
    page = client.get("/login")
    answer = client.post(
        "/login",
        data={
            "csrf_token": csrf_of(page.text),
            "username": "a.vanthu",
            "password": PASSWORD,
            "next": "//evil.example/x",
        },
    )
    assert answer.headers["location"] == "/"


def test_english_switch(client: TestClient) -> None:
    assert "Đăng nhập" in client.get("/login").text
    switched = client.get("/lang/en", params={"next": "/login"})
    assert switched.headers["location"] == "/login"
    assert client.cookies["lt_lang"] == "en"
    page = client.get("/login")
    assert '<html lang="en">' in page.text
    assert "Log in" in page.text
    assert "Đăng nhập</h1>" not in page.text
    assert "Tiếng Việt" in client.get("/login", params={"lang": "vi"}).text
    assert client.cookies["lt_lang"] == "vi"


def _arrival(web: WebWorld) -> int:
    system = Actor.system(web.world.a.agency_id)
    arrived = web.world.services.intake.receive(
        system,
        ReceivedDocument(
            "DLV-WEB-1",
            f"{C_CODE},2026/05/09,10/VPCP-HC",
            C_CODE,
            "Văn phòng Chính phủ",
            "Về việc họp trực tuyến",
            code="10/VPCP-HC",
            main_pdf=None,
        ),
    )
    return arrived.id


def test_incoming_across_roles(client: TestClient, web: WebWorld) -> None:
    doc = _arrival(web)
    login(client, "a.vanthu")
    listing = client.get("/incoming", params={"q": "10/VPCP"})
    assert f'href="/incoming/{doc}"' in listing.text
    assert f'href="/incoming/{doc}"' not in client.get("/incoming", params={"q": "99/XYZ"}).text
    rejected = post(client, f"/incoming/{doc}/reject", {"reason": "  "}, f"/incoming/{doc}")
    assert rejected.status_code == 422
    html = rejected.text
    assert '<p class="field-error" id="reject-reason-error">Vui lòng nhập lý do.</p>' in html
    assert 'aria-describedby="reject-reason-hint reject-reason-error" aria-invalid="true"' in html
    accepted = post(client, f"/incoming/{doc}/accept", {"note": ""}, f"/incoming/{doc}")
    assert accepted.headers["location"] == f"/incoming/{doc}?done=accepted"
    page = client.get(f"/incoming/{doc}?done=accepted")
    assert "Đã tiếp nhận và vào sổ văn bản đến." in page.text
    assert "Đã vào sổ" in page.text
    login(client, "a.lanhdao")
    past = post(
        client,
        f"/incoming/{doc}/assign",
        {"lead": "a.chuyenvien", "deadline": "2026-05-01"},
        f"/incoming/{doc}",
    )
    assert past.status_code == 422
    assert 'id="assign-deadline-error">Hạn xử lý không được là ngày đã qua.' in past.text
    assigned = post(
        client,
        f"/incoming/{doc}/assign",
        {
            "lead": "a.chuyenvien",
            "co_handlers": "a.chuyenvien2",
            "deadline": "2026-05-20",
            "direction": "Tham mưu trả lời",
        },
        f"/incoming/{doc}",
    )
    assert assigned.status_code == 303
    login(client, "a.chuyenvien")
    assert "Xử lý văn bản" in client.get("/").text  # on the specialist's task list
    post(client, f"/incoming/{doc}/progress", {"note": "Đã dự thảo"}, f"/incoming/{doc}")
    finished = post(client, f"/incoming/{doc}/finish", {"note": "Xong"}, f"/incoming/{doc}")
    assert finished.headers["location"].endswith("done=finished")
    statuses = web.world.services.intake.outbox(web.world.actor("a.clerk"), doc)
    assert [s.status_code for s in statuses] == ["01", "03", "04", "05", "06"]
    page = client.get(f"/incoming/{doc}")
    assert "Hoàn thành" in page.text
    assert "Trạng thái đã báo bên gửi" in page.text


def test_outgoing_from_compose_to_tracking(client: TestClient, web: WebWorld) -> None:
    login(client, "a.chuyenvien")
    form = client.get("/outgoing/new")
    missing = client.post("/outgoing/new", data={"csrf_token": csrf_of(form.text), "subject": ""})
    assert missing.status_code == 422
    assert 'id="f-subject-error">Vui lòng nhập trích yếu nội dung.</p>' in missing.text
    assert 'id="f-recipients-error">' in missing.text
    created = client.post(
        "/outgoing/new",
        data={
            "csrf_token": csrf_of(form.text),
            "doctype": "cong_van",
            "subject": "V/v thử nghiệm giao diện",
            "urgency": "hoa_toc",
            "signer": "a.lanhdao",
            "recipients": [B_CODE, C_CODE],
            "unit": "TTĐT",
        },
        files={"main_pdf": ("du-thao.pdf", sample.decision_pdf(), "application/pdf")},
    )
    assert created.status_code == 303, created.text
    doc = int(created.headers["location"].split("/")[2].split("?")[0])
    detail = client.get(f"/outgoing/{doc}")
    assert "Hỏa tốc" in detail.text
    assert f'src="/outgoing/{doc}/pages/1"' in detail.text
    image = client.get(f"/outgoing/{doc}/pages/1")
    assert image.headers["content-type"] == "image/png"
    assert image.content.startswith(b"\x89PNG")
    post(client, f"/outgoing/{doc}/submit", {}, f"/outgoing/{doc}")
    login(client, "a.lanhdao")
    assert post(client, f"/outgoing/{doc}/sign", {}, f"/outgoing/{doc}").status_code == 303
    login(client, "a.vanthu")
    post(client, f"/outgoing/{doc}/issue", {}, f"/outgoing/{doc}")
    post(client, f"/outgoing/{doc}/agency_sign", {}, f"/outgoing/{doc}")
    page = client.get(f"/outgoing/{doc}")
    assert "01/UBND-TTĐT" in page.text
    assert "Tất cả 2 chữ ký số đều hợp lệ." in page.text
    document_id = web.world.services.outgoing.get(web.world.actor("a.clerk"), doc).document_id
    assert document_id is not None
    system = Actor.system(web.world.a.agency_id)
    recipient = web.world.services.outgoing.get(web.world.actor("a.clerk"), doc).hub_recipients
    from lienthong.office.dispatch import RecipientOutcome

    web.world.services.dispatch.record(
        system, doc, [RecipientOutcome(r.id, f"PKG-{r.id}") for r in recipient]
    )
    for code in ("01", "03", "04", "05", "06"):
        web.world.services.dispatch.recipient_status(system, document_id, B_CODE, StatusCode(code))
    tracking = client.get(f"/outgoing/{doc}/tracking").text
    row = tracking[tracking.index(f'data-recipient="{B_CODE}"') :]
    row = row[: row.index("</tr>")]
    assert re.findall(r'class="done" data-code="(\d\d)"', row) == ["01", "03", "04", "05", "06"]
    other = tracking[tracking.index(f'data-recipient="{C_CODE}"') :]
    assert re.findall(r'class="done" data-code="(\d\d)"', other[: other.index("</tr>")]) == []


def test_others_documents_are_not_found(client: TestClient, web: WebWorld) -> None:
    doc = _arrival(web)
    login(client, "b.vanthu")
    answer = client.get(f"/incoming/{doc}")
    assert answer.status_code == 404
    assert "Không tìm thấy" in answer.text
    assert A_CODE not in answer.text


def test_registers_export(client: TestClient, web: WebWorld) -> None:
    doc = _arrival(web)
    login(client, "a.vanthu")
    post(client, f"/incoming/{doc}/accept", {}, f"/incoming/{doc}")
    book = client.get("/registers", params={"kind": "in", "year": "2026"})
    assert "SỔ ĐĂNG KÝ VĂN BẢN ĐẾN" in book.text
    assert "10/VPCP-HC" in book.text
    xlsx = client.get("/registers/export", params={"kind": "in", "year": "2026", "format": "xlsx"})
    assert xlsx.content.startswith(b"PK")
    assert "so-van-ban-den-2026.xlsx" in xlsx.headers["content-disposition"]
    pdf = client.get("/registers/export", params={"kind": "out", "year": "2026", "format": "pdf"})
    assert pdf.content.startswith(b"%PDF")


def test_admin_pages_follow_the_roles(client: TestClient) -> None:
    login(client, "a.quantri")
    page = client.get("/admin")
    bad = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf_of(page.text),
            "username": "Ã",
            "full_name": "Người Mới",
            "password": "12345678",
            "roles": "specialist",
        },
    )
    assert bad.status_code == 422
    assert 'id="new-username-error">Tên đăng nhập 2–64 ký tự' in bad.text
    added = client.post(
        "/admin/users",
        data={
            "csrf_token": csrf_of(page.text),
            "username": "a.moi",
            "full_name": "Người Mới",
            "password": "12345678",
            "roles": "specialist",
            "unit": "VP",
        },
    )
    assert added.status_code == 303
    assert "a.moi" in client.get("/admin").text
    login(client, "a.chuyenvien")
    denied = client.post(
        "/admin/units",
        data={
            "csrf_token": csrf_of(client.get("/admin").text),
            "name": "Phòng X",
            "abbreviation": "PX",
        },
    )
    assert denied.status_code == 403
    assert "Vai trò của bạn không được thực hiện thao tác này." in denied.text


def test_hub_operator_pages(client: TestClient, web: WebWorld) -> None:
    page = client.get("/hub/login")
    wrong = client.post("/hub/login", data={"csrf_token": csrf_of(page.text), "token": "lta_x"})
    assert wrong.status_code == 401
    assert 'id="f-token-error">Mã truy cập không đúng hoặc đã bị thu hồi.</p>' in wrong.text
    ok = client.post(
        "/hub/login", data={"csrf_token": csrf_of(page.text), "token": web.admin_token}
    )
    assert ok.headers["location"] == "/hub"
    overview = client.get("/hub")
    assert "sys-web" in overview.text
    assert A_CODE in overview.text
    locked = client.post("/hub/systems/sys-web/lock", data={"csrf_token": csrf_of(overview.text)})
    assert locked.status_code == 303
    assert "sys-web" in client.get("/hub/errors").text
    assert "Không có gói tin nào đang chờ." in client.get("/hub/queues").text
    audit = client.get("/hub/audit", params={"verify": "1"})
    assert "Nhật ký nguyên vẹn" in audit.text


def test_the_login_page_holds_an_account_after_five_failures(client: TestClient) -> None:
    def attempt(password: str) -> Any:
        page = client.get("/login")
        return client.post(
            "/login",
            data={
                "csrf_token": csrf_of(page.text),
                "username": "a.vanthu",
                "password": password,
                "next": "/",
            },
        )

    failures = [attempt("sai-mat-khau").status_code for _ in range(5)]
    held = attempt(PASSWORD)

    assert failures == [401] * 5
    assert held.status_code == 429
    assert "Đăng nhập sai quá nhiều lần" in held.text
    assert "lt_session" not in client.cookies
