"""Only a package's body may be large: every other route refuses a body over the limit
before anything buffers it (``413 request.too_large``), credential or not.

The app is driven as ASGI with a ``receive`` that counts what it hands out, so the tests
see how much of an endless body the hub pulled before answering.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from asgikit import body_of, call, status_of
from hubkit import G22, H41, HubWorld, build_world
from lienthong.db.uow import UnitOfWork
from lienthong.hub import auth
from lienthong.hub.app import create_hub_app
from lienthong.hub.model import HubConfig

LIMIT = 256 * 1024
CHUNK = 64 * 1024


class Endless:
    """An ASGI ``receive`` that sends ``CHUNK`` bytes forever (or ``total`` bytes)."""

    def __init__(self, total: int | None = None) -> None:
        self.total = total
        self.pulled = 0

    async def __call__(self) -> dict[str, Any]:
        if self.total is not None and self.pulled >= self.total:
            await asyncio.sleep(3600)  # then the client just waits
        size = CHUNK if self.total is None else min(CHUNK, self.total - self.pulled)
        self.pulled += size
        more = self.total is None or self.pulled < self.total
        return {"type": "http.request", "body": b"x" * size, "more_body": more}


def _call(
    app: Any, method: str, path: str, headers: dict[str, str], receive: Endless
) -> tuple[int, dict[str, Any]]:
    sent = call(app, method, path, headers, receive, wait_s=30)
    return status_of(sent), json.loads(body_of(sent))


@pytest.fixture
def world(make_uow: Callable[[], UnitOfWork], tmp_path: Path) -> HubWorld:
    return build_world(
        make_uow, tmp_path / "blobs", config=HubConfig(checkpoint_every=0, max_request_bytes=LIMIT)
    )


ROUTES = [
    ("GET", "/api/v1/inbox"),
    ("POST", "/api/v1/inbox/receive"),
    ("POST", "/api/v1/deliveries/D1/ack"),
    ("GET", "/api/v1/deliveries/D1/content"),
    ("POST", "/api/v1/admin/agencies"),
    ("GET", "/healthz"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("fast", [True, False], ids=["fast-path", "fastapi-routes"])
def test_an_endless_body_is_refused_after_the_limit(
    world: HubWorld, method: str, path: str, fast: bool
) -> None:
    app = create_hub_app(world.hub, background=False, fast_routes=fast)
    receive = Endless()

    status, problem = _call(app, method, path, {}, receive)

    assert (status, problem["code"]) == (413, "request.too_large")
    assert receive.pulled <= LIMIT + CHUNK


@pytest.mark.parametrize(("method", "path"), ROUTES)
def test_a_declared_length_over_the_limit_is_refused_unread(
    world: HubWorld, method: str, path: str
) -> None:
    app = create_hub_app(world.hub, background=False)
    receive = Endless()

    status, problem = _call(app, method, path, {"content-length": str(LIMIT + 1)}, receive)

    assert (status, problem["code"]) == (413, "request.too_large")
    assert receive.pulled == 0


def test_a_signed_caller_is_held_to_the_limit_too(world: HubWorld) -> None:
    app = create_hub_app(world.hub, background=False)
    body = b"{" + b" " * LIMIT + b"}"
    signed = auth.sign_headers(
        "sys-nghean",
        world.secrets["sys-nghean"].encode(),
        "POST",
        "/api/v1/inbox/receive",
        "",
        body,
        clock=world.clock,
    )

    status, problem = _call(app, "POST", "/api/v1/inbox/receive", signed, Endless(total=len(body)))

    assert (status, problem["code"]) == (413, "request.too_large")


def test_a_package_may_be_larger_than_the_limit(world: HubWorld) -> None:
    data = world.document(G22, [H41], attachment=b"%PDF-1.4 " + b"x" * LIMIT * 2)
    assert len(data) > LIMIT
    app = create_hub_app(world.hub, background=False)
    path = "/api/v1/packages"
    signed = auth.sign_headers(
        "sys-vpcp", world.secrets["sys-vpcp"].encode(), "POST", path, "", data, clock=world.clock
    )

    class Once(Endless):
        async def __call__(self) -> dict[str, Any]:
            self.pulled = len(data)
            return {"type": "http.request", "body": data, "more_body": False}

    status, result = _call(app, "POST", path, signed, Once())

    assert status == 202, result
    assert result["duplicate"] is False
