"""The four busiest routes answered as plain ASGI, in front of FastAPI's routing.

Every package costs a ``POST /packages`` on the way in, and a ``POST /inbox/receive``
(one per package or per batch), a ``GET …/content`` and a ``POST …/ack`` on the way out.
Through FastAPI each of these pays for the router, the dependency resolution, the
response model's validation and a few middleware layers: about a millisecond of CPU per
request, as much as the database work of an acknowledgement (docs/performance.md,
"Hub"). :class:`FastRoutes` serves them directly, calling the very functions the FastAPI
routes call (:mod:`.http_auth`, :mod:`.api`, :mod:`.views`, the services) and answering
errors with the same problem bodies (:mod:`.problems`); ``receive`` is the same
:func:`.api.receive_deliveries`. The FastAPI routes stay: they document the API
(OpenAPI) and answer whatever the fast path does not take — another method, or
parameters it does not accept as they are, which FastAPI then refuses with its usual
``400 request.invalid`` (the body, if read, is handed on unchanged).

Security is unchanged: the same signed-request check runs first (for ``POST /packages``
before the body is read; the others read their small body first, as before), the
services check authorization.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from functools import partial
from urllib.parse import parse_qsl

import pydantic
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.types import ASGIApp, Receive, Scope, Send

from lienthong.errors import LienthongError
from lienthong.hub import schemas as s
from lienthong.hub import views
from lienthong.hub.api import (
    ReceiveParams,
    content_headers,
    read_content,
    receive_deliveries,
    take_package,
)
from lienthong.hub.body_limit import body_chunks, replay_body
from lienthong.hub.http_auth import (
    SignedParts,
    read_limited,
    run_signed,
)
from lienthong.hub.metrics import HubMetrics
from lienthong.hub.model import MAX_CLAIM, MAX_VISIBILITY_S, MAX_WAIT_S, AckState, PackageKind
from lienthong.hub.problems import error_response, unexpected_response
from lienthong.hub.services import HubService

_CONTENT = re.compile(r"/api/v1/deliveries/([^/]+)/content")
_ACK = re.compile(r"/api/v1/deliveries/([^/]+)/ack")
_RECEIVE = "/api/v1/inbox/receive"
#: Bytes of the content stream sent at a time (packages above ``CONTENT_IN_MEMORY``).
_STREAM_CHUNK = 1024 * 1024


class FastRoutes:
    """ASGI middleware: ``POST /api/v1/packages``, ``GET …/content``, ``POST …/ack``."""

    def __init__(self, app: ASGIApp, hub: HubService, metrics: HubMetrics) -> None:
        self.app = app
        self.hub = hub
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        handler = self._route(scope) if scope["type"] == "http" else None
        if handler is None:
            await self.app(scope, receive, send)
            return
        try:
            await handler(scope, receive, send)
        except LienthongError as exc:
            await error_response(exc, self.metrics.error)(scope, receive, send)
        except Exception as exc:  # a bug: 500, logged, as FastAPI's handler would
            await unexpected_response(exc, self.metrics.error)(scope, receive, send)

    def _route(self, scope: Scope) -> Callable[[Scope, Receive, Send], Awaitable[None]] | None:
        method, path = scope["method"], scope["path"]
        if method == "POST" and path == "/api/v1/packages":
            return self._send_package
        if method == "POST" and path == _RECEIVE:
            return self._receive
        if method == "GET" and (found := _CONTENT.fullmatch(path)):
            return partial(self._content, found.group(1))
        if method == "POST" and (found := _ACK.fullmatch(path)):
            return partial(self._ack, found.group(1))
        return None

    # -- POST /api/v1/packages ------------------------------------------------------------

    async def _send_package(self, scope: Scope, receive: Receive, send: Send) -> None:
        await _json(
            send, 202, await take_package(self.hub, self.metrics, scope, body_chunks(receive))
        )

    # -- POST /api/v1/inbox/receive ------------------------------------------------------

    async def _receive(self, scope: Scope, receive: Receive, send: Send) -> None:
        params = _receive_params(scope)
        if params is None:  # FastAPI answers the 400 (or takes what it accepts, as it does)
            await self.app(scope, receive, send)
            return
        _body, body_sha256 = await read_limited(
            body_chunks(receive), self.hub.config.max_request_bytes
        )
        items = await receive_deliveries(
            self.hub,
            partial(run_signed, self.hub, scope, body_sha256),
            Request(scope, receive).is_disconnected,
            params,
        )
        await _json(send, 200, s.ReceiveResult(deliveries=[views.delivery(d) for d in items]))

    # -- GET /api/v1/deliveries/{id}/content ----------------------------------------------

    async def _content(self, delivery_id: str, scope: Scope, receive: Receive, send: Send) -> None:
        if scope.get("query_string"):  # no parameters here: let FastAPI say so, or ignore them
            await self.app(scope, receive, send)
            return
        _body, body_sha256 = await read_limited(
            body_chunks(receive), self.hub.config.max_request_bytes
        )
        etag_wanted = SignedParts.of(scope).headers.get("if-none-match", "").strip()
        found, data, stream = await run_signed(
            self.hub,
            scope,
            body_sha256,
            lambda system_id, claim: read_content(
                self.hub, system_id, delivery_id, etag_wanted, claim
            ),
        )
        headers = content_headers(found)
        if etag_wanted == headers["ETag"]:
            del headers["Content-Length"]
            await _start(send, 304, headers)
            await send({"type": "http.response.body", "body": b""})
            return
        headers["Content-Type"] = "application/xml"
        if data is not None:
            await _start(send, 200, headers)
            await send({"type": "http.response.body", "body": data})
            return
        assert stream is not None  # noqa: S101 - read_content gives one or the other
        try:
            await _start(send, 200, headers)
            while chunk := await run_in_threadpool(stream.read, _STREAM_CHUNK):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
        finally:
            stream.close()
        await send({"type": "http.response.body", "body": b""})

    # -- POST /api/v1/deliveries/{id}/ack -------------------------------------------------

    async def _ack(self, delivery_id: str, scope: Scope, receive: Receive, send: Send) -> None:
        body, body_sha256 = await read_limited(
            body_chunks(receive), self.hub.config.max_request_bytes
        )
        visibility = _visibility(scope)
        request = None
        if _is_json(SignedParts.of(scope).headers.get("content-type", "")):
            try:
                request = s.AckRequest.model_validate_json(body)
            except pydantic.ValidationError:
                request = None
        if visibility is None or request is None:  # FastAPI answers the 400
            await self.app(scope, replay_body(body, receive), send)
            return
        result = await run_signed(
            self.hub,
            scope,
            body_sha256,
            lambda system_id, claim: self.hub.delivery.ack(
                system_id,
                delivery_id,
                AckState(request.state),
                reason=request.reason,
                visibility_s=visibility,
                claim=claim,
            ),
        )
        await _json(send, 200, views.ack(result))


def _is_json(content_type: str) -> bool:
    """``application/json`` or ``application/…+json``, as FastAPI reads JSON bodies."""
    maintype, _, subtype = content_type.partition(";")[0].strip().lower().partition("/")
    return maintype == "application" and (subtype == "json" or subtype.endswith("+json"))


#: ``receive``'s parameters: name → (smallest, largest) for the integers, ``None`` else.
_RECEIVE_PARAMS: dict[str, tuple[int, int] | None] = {
    "agency": None,
    "kind": None,
    "max": (1, MAX_CLAIM),
    "wait": (0, MAX_WAIT_S),
    "visibility": (1, MAX_VISIBILITY_S),
}
_KINDS = {kind.value: kind for kind in PackageKind}


def _receive_params(scope: Scope) -> ReceiveParams | None:
    """``receive``'s parameters when each is given at most once, known and well-formed
    (decimal integers in range, a known kind); else ``None``, for FastAPI to judge."""
    query = scope.get("query_string", b"").decode("latin-1")
    given: dict[str, str] = {}
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key not in _RECEIVE_PARAMS or key in given:
            return None
        bounds = _RECEIVE_PARAMS[key]
        if bounds is not None and _in_range(value, *bounds) is None:
            return None
        given[key] = value
    kind = given.get("kind")
    if kind is not None and kind not in _KINDS:
        return None
    return ReceiveParams(
        agency=given.get("agency"),
        kind=_KINDS[kind] if kind is not None else None,
        max_items=int(given.get("max", 10)),
        wait=int(given.get("wait", 0)),
        visibility=int(given.get("visibility", 60)),
    )


def _visibility(scope: Scope) -> int | None:
    """``visibility`` (default 60) when given once as an integer in range, else ``None``."""
    query = scope.get("query_string", b"").decode("latin-1")
    values = [v for k, v in parse_qsl(query, keep_blank_values=True) if k == "visibility"]
    if not values:
        return 60
    if len(values) > 1:
        return None
    return _in_range(values[0], 1, MAX_VISIBILITY_S)


def _in_range(text: str, low: int, high: int) -> int | None:
    """``text`` as an integer when it is plain decimal digits (at most 9: never a number
    ``int`` refuses to read, or that takes long to) within ``low``–``high``; else ``None``."""
    if not (text.isascii() and text.isdigit() and len(text) <= 9):
        return None
    value = int(text)
    return value if low <= value <= high else None


async def _start(send: Send, status: int, headers: dict[str, str]) -> None:
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()
            ],
        }
    )


async def _json(send: Send, status: int, model: pydantic.BaseModel) -> None:
    body = model.model_dump_json().encode("utf-8")
    headers = {"Content-Type": "application/json", "Content-Length": str(len(body))}
    await _start(send, status, headers)
    await send({"type": "http.response.body", "body": body})
