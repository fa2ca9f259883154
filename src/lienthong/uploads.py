"""Large request bodies only from authenticated callers: an ASGI middleware.

FastAPI reads and parses a request's body (a form, a multipart upload, JSON) before the
route's dependencies — the session or token check among them — run. Without a guard, an
unauthenticated caller could make the office API or the web UI read a 100 MB upload
before being told to log in. :class:`CredentialedBodies` reads the first ``small`` bytes
of every body (enough for any login form or JSON request); a body that goes on past
them is let through only once ``authenticated(scope)`` says the caller holds a valid
session or token (checked in the threadpool: it reads the database), else it is refused
at once — ``401 auth.login_required`` — without reading the rest. What follows is
streamed to the app as it arrives (the routes keep their own upload limits).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from starlette.concurrency import run_in_threadpool
from starlette.types import ASGIApp, Message, Receive, Scope, Send

#: Body bytes anyone may send (login forms, JSON requests).
SMALL_BODY = 64 * 1024


class CredentialedBodies:
    """ASGI middleware: bodies over ``small`` bytes only from authenticated callers."""

    def __init__(
        self, app: ASGIApp, *, authenticated: Callable[[Scope], bool], small: int = SMALL_BODY
    ) -> None:
        self.app = app
        self.authenticated = authenticated
        self.small = small

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is not None and declared <= self.small:
            await self.app(scope, receive, send)
            return
        head: list[Message] = []
        size = 0
        more = True
        while more and size <= self.small:
            message = await receive()
            head.append(message)
            if message["type"] != "http.request":
                break
            size += len(message.get("body", b""))
            more = bool(message.get("more_body", False))
        if size > self.small and not await run_in_threadpool(self.authenticated, scope):
            await _refuse(send)
            return
        await self.app(scope, _replaying(head, receive), send)


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length" and value.isdigit():
            return int(value)
    return None


def _replaying(head: list[Message], receive: Receive) -> Receive:
    """``receive`` handing out the messages already read, then the rest as it comes."""
    pending = list(reversed(head))

    async def replayed() -> Message:
        if pending:
            return pending.pop()
        return await receive()

    return replayed


async def _refuse(send: Send) -> None:
    body = json.dumps(
        {
            "code": "auth.login_required",
            "message": "log in before sending a file: large bodies are taken from "
            "authenticated callers only",
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 401,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
