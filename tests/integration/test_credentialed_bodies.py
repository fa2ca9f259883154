"""The office API and the web UI take large bodies only from logged-in callers: anyone
else's upload is refused after its first 64 KiB, unread beyond (``lienthong.uploads``).

The apps are driven as ASGI with a ``receive`` that counts what it hands out."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from asgikit import call, status_of
from lienthong.office.app import office_app
from lienthong.office.model import TokenKind
from lienthong.pki.ca import DemoPki
from lienthong.uploads import SMALL_BODY
from lienthong.web.app import create_ui_app
from officekit import PASSWORD, make_pki
from webkit import WebWorld, build_web_world

CHUNK = 16 * 1024


class Endless:
    """An ASGI ``receive`` sending ``prefix``, then ``CHUNK`` bytes at a time forever."""

    def __init__(self, prefix: bytes = b"") -> None:
        self.prefix = prefix
        self.pulled = 0

    async def __call__(self) -> dict[str, Any]:
        body = self.prefix + b"x" * CHUNK
        self.prefix = b""
        self.pulled += len(body)
        return {"type": "http.request", "body": body, "more_body": True}


def _call(
    app: Any, path: str, headers: dict[str, str], receive: Endless, *, wait_s: float = 10
) -> int:
    return status_of(call(app, "POST", path, headers, receive, wait_s=wait_s, may_time_out=True))


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPki:
    return make_pki(tmp_path_factory.mktemp("office-pki"))


@pytest.fixture
def web(tmp_path: Path, pki: DemoPki) -> WebWorld:
    return build_web_world(tmp_path, pki)


MULTIPART = {"content-type": "multipart/form-data; boundary=x"}
#: The start of a multipart upload whose file part never ends.
FILE_PART = (
    b'--x\r\nContent-Disposition: form-data; name="scan"; filename="scan.pdf"\r\n'
    b"Content-Type: application/pdf\r\n\r\n%PDF-1.7\n"
)


def _token(web: WebWorld, kind: TokenKind) -> str:
    users = web.world.services.users
    return users.login("a.vanthu", PASSWORD, kind=kind).token


@pytest.mark.parametrize(
    ("which", "path"),
    [("api", "/office/api/v1/incoming/paper"), ("web", "/incoming/paper")],
)
@pytest.mark.parametrize("credential", ["none", "forged"])
def test_an_anonymous_upload_is_refused_after_the_first_bytes(
    web: WebWorld, which: str, path: str, credential: str
) -> None:
    app = office_app(web.world.services) if which == "api" else create_ui_app(web.ctx)
    headers = dict(MULTIPART)
    if credential == "forged":
        headers["authorization" if which == "api" else "cookie"] = (
            "Bearer forged-token" if which == "api" else "lt_session=forged-token"
        )
    receive = Endless(FILE_PART)

    status = _call(app, path, headers, receive)

    assert status == 401
    assert receive.pulled <= SMALL_BODY + CHUNK


@pytest.mark.parametrize(
    ("which", "path", "kind", "header"),
    [
        ("api", "/office/api/v1/incoming/paper", TokenKind.API, "authorization"),
        ("web", "/incoming/paper", TokenKind.SESSION, "cookie"),
    ],
)
def test_a_logged_in_caller_s_upload_is_read_past_the_first_bytes(
    web: WebWorld, which: str, path: str, kind: TokenKind, header: str
) -> None:
    app = office_app(web.world.services) if which == "api" else create_ui_app(web.ctx)
    token = _token(web, kind)
    value = f"Bearer {token}" if header == "authorization" else f"lt_session={token}"
    receive = Endless(FILE_PART)

    _call(app, path, {**MULTIPART, header: value}, receive, wait_s=2)

    assert receive.pulled > 4 * SMALL_BODY  # still reading when the test gave up


def test_a_small_anonymous_body_goes_through_to_the_login_check(web: WebWorld) -> None:
    from fastapi.testclient import TestClient

    with TestClient(office_app(web.world.services)) as client:
        answer = client.post(
            "/office/api/v1/auth/login", json={"username": "a.vanthu", "password": PASSWORD}
        )

    assert answer.status_code == 200
