"""Driving an ASGI app by hand: one HTTP request, the messages it sent back."""

from __future__ import annotations

import asyncio
import contextlib
from typing import Any

Message = dict[str, Any]


def http_scope(method: str, path: str, headers: dict[str, str]) -> Message:
    """The scope of a plain HTTP/1.1 request from a local client."""
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 5000),
        "server": ("127.0.0.1", 80),
    }


def call(
    app: Any,
    method: str,
    path: str,
    headers: dict[str, str],
    receive: Any,
    *,
    wait_s: float,
    may_time_out: bool = False,
) -> list[Message]:
    """Run one request for at most ``wait_s`` seconds; the messages the app sent. Past
    that, :class:`TimeoutError`, unless ``may_time_out`` (then what was sent so far)."""
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def run() -> None:
        request = app(http_scope(method, path, headers), receive, send)
        if may_time_out:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(request, wait_s)
        else:
            await asyncio.wait_for(request, wait_s)

    asyncio.run(run())
    return sent


def status_of(sent: list[Message]) -> int:
    """The response's status, or 0 if it never started."""
    starts = [m for m in sent if m["type"] == "http.response.start"]
    return int(starts[0]["status"]) if starts else 0


def body_of(sent: list[Message]) -> bytes:
    return b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
