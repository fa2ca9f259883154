"""The ASGI app of ``bench/hub_floor.py``: the least a hub does to accept a package.

Per ``POST``: the request's HMAC signature checked (``lienthong.hub.auth``, the secret
known), the body read and hashed, its hash checked against the signed one, the bytes
stored durably (``FileBlobStore.put``: temporary file, fsync, rename, directory fsync),
and one PostgreSQL transaction (a package row and the request's nonce) committed before
the 202 — no XML parsing, no package signature, no routing, no audit. Served by uvicorn
(``--workers``), configured by ``FLOOR_DSN``, ``FLOOR_BLOBS`` and ``FLOOR_SECRET``. Not a
benchmark itself.
"""

from __future__ import annotations

import hashlib
import json
import os
import secrets
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import psycopg
from starlette.concurrency import run_in_threadpool

from lienthong.clock import SystemClock
from lienthong.hub import auth
from lienthong.storage.files import FileBlobStore

_DSN = os.environ.get("FLOOR_DSN", "")
_SECRET = os.environ.get("FLOOR_SECRET", "").encode()
_STORE = FileBlobStore(Path(os.environ.get("FLOOR_BLOBS", "/nonexistent")))
_CLOCK = SystemClock()
_LOCAL = threading.local()


def _store(body: bytes, sha256: str, nonce: str) -> str:
    _STORE.put(body, sha256=sha256)
    conn = getattr(_LOCAL, "conn", None)
    if conn is None:
        conn = _LOCAL.conn = psycopg.connect(_DSN)
    package_id = secrets.token_hex(13)
    with conn.cursor() as cur:
        cur.execute(
            "INSERT INTO floor_packages (id, sha256, size, received_at) VALUES (%s, %s, %s, %s)",
            (package_id, sha256, len(body), datetime.now(UTC)),
        )
        cur.execute("INSERT INTO floor_nonces (nonce) VALUES (%s)", (nonce,))
    conn.commit()
    return package_id


async def _reply(send: Any, status: int, data: dict[str, Any]) -> None:
    body = json.dumps(data).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def app(scope: Any, receive: Any, send: Any) -> None:
    if scope["type"] == "lifespan":
        while True:
            event = await receive()
            if event["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            else:
                await send({"type": "lifespan.shutdown.complete"})
                return
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
    try:
        verified = auth.verify_request(
            headers,
            scope["method"],
            scope["path"],
            "",
            None,
            lookup_secrets=lambda _system: [_SECRET],
            nonce_seen=lambda *_args: False,
            clock=_CLOCK,
        )
    except auth.AuthError as exc:
        await _reply(send, 401, {"code": exc.code, "message": str(exc)})
        return
    parts: list[bytes] = []
    digest = hashlib.sha256()
    while True:
        message = await receive()
        chunk = message.get("body", b"")
        digest.update(chunk)
        parts.append(chunk)
        if not message.get("more_body"):
            break
    body, sha256 = b"".join(parts), digest.hexdigest()
    verified.check_body(sha256)
    package_id = await run_in_threadpool(_store, body, sha256, verified.nonce)
    await _reply(send, 202, {"package_id": package_id, "sha256": sha256, "duplicate": False})
