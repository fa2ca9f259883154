"""A size limit on every request body but a package's, checked before anything reads it.

``POST /api/v1/packages`` carries packages (up to ``max_package_bytes``) and is read only
after its caller is authenticated (:func:`lienthong.hub.api.take_package`). Every other
route takes a small JSON body or none, but FastAPI reads (and parses) a body before the
route's dependencies — the credential check among them — run. :class:`BodyLimit` sits in
front of everything: a body declared or found larger than ``limit`` is refused at once
(``413 request.too_large``) without being buffered, so an unauthenticated caller cannot
make the hub hold more than ``limit`` bytes per request. A body within the limit is read
here and handed on unchanged.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from lienthong.errors import LienthongError, LimitExceeded
from lienthong.hub.problems import error_response

#: The one route whose body is a package (limited and read by the route itself).
PACKAGES = ("POST", "/api/v1/packages")


class BodyLimit:
    """ASGI middleware: bodies of at most ``limit`` bytes, except on ``POST /packages``."""

    def __init__(self, app: ASGIApp, *, limit: int, on_error: Callable[[str], None]) -> None:
        self.app = app
        self.limit = limit
        self.on_error = on_error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (scope["method"], scope["path"]) == PACKAGES:
            await self.app(scope, receive, send)
            return
        try:
            self._check_declared(scope)
            body = await self._read(receive)
        except LienthongError as exc:
            await error_response(exc, self.on_error)(scope, receive, send)
            return
        await self.app(scope, replay_body(body, receive), send)

    def _too_large(self) -> LimitExceeded:
        return LimitExceeded(
            f"the request body exceeds the limit of {self.limit} bytes "
            "(only POST /api/v1/packages takes large bodies)",
            code="request.too_large",
            limit=self.limit,
        )

    def _check_declared(self, scope: Scope) -> None:
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.limit:
                raise self._too_large()

    async def _read(self, receive: Receive) -> bytes:
        parts: list[bytes] = []
        size = 0
        async for chunk in body_chunks(receive):
            size += len(chunk)
            if size > self.limit:
                raise self._too_large()
            parts.append(chunk)
        return b"".join(parts)


async def body_chunks(receive: Receive) -> AsyncIterator[bytes]:
    """The request body's chunks as they arrive (``request.incomplete`` if the client
    goes away first)."""
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            raise LienthongError(
                "the client closed the connection before the whole body arrived",
                code="request.incomplete",
            )
        if body := message.get("body", b""):
            yield body
        if not message.get("more_body", False):
            return


def replay_body(body: bytes, receive: Receive) -> Receive:
    """``receive`` handing out the already-read ``body`` first, then what the client sends
    next (a disconnect, which long-polls watch for)."""
    pending = [body]

    async def replayed() -> Message:
        if pending:
            return {"type": "http.request", "body": pending.pop(), "more_body": False}
        return await receive()

    return replayed
