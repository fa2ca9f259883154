"""A lean load generator for ``bench/hub_load.py``: the hub's API over one keep-alive socket.

The clients of a real hub run on other machines. Here they share the hub's two cores, so
whatever a client spends per request is taken from the hub. ``HubClient`` (httpx, h11,
pydantic models, retries with backoff) costs about 2 ms of CPU to send a 400 KB package
and about 3 ms to receive, fetch and acknowledge one (docs/performance.md): more than
PostgreSQL spends on it. This client sends the very same requests, signed by the same
code (:func:`lienthong.hub.auth.sign_headers`: same headers, nonce, body hash and HMAC),
over a plain socket with HTTP/1.1 keep-alive, and reads the answers with no more parsing
than the load needs — the way load generators (wrk, k6) are written, so that what is
measured is the hub. ``hub_load.py --client hubclient`` runs the real ``HubClient``
instead, for comparison.

Only what the bench uses: ``send``, ``receive``, ``fetch``, ``ack``. An answer of 503 is
retried (a new signature each time, as ``HubClient`` does); any other 4xx/5xx raises
:class:`lienthong.errors.HubError` with the problem's code. Not a benchmark itself.
"""

from __future__ import annotations

import json
import socket
import time
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self
from urllib.parse import urlsplit

from lienthong.clock import SystemClock
from lienthong.errors import HubError
from lienthong.hub.auth import encode_query, sign_headers

API = "/api/v1"
_RETRIES = 5
#: A keep-alive connection idle longer than this is replaced before use.
_IDLE_S = 4.0


@dataclass(frozen=True, slots=True)
class Item:
    """A claimed delivery: what the receivers use of ``receive``'s answer."""

    delivery_id: str
    document_id: str


class LeanClient:
    """``send``/``receive``/``fetch``/``ack`` as a system, over one keep-alive connection."""

    def __init__(self, base_url: str, system_id: str, secret: str, *, timeout: float = 60):
        parts = urlsplit(base_url)
        self._address = (parts.hostname or "127.0.0.1", parts.port or 80)
        self._host = parts.netloc.encode("ascii")
        self._system_id = system_id
        self._secret = secret.encode("utf-8")
        self._timeout = timeout
        self._clock = SystemClock()
        self._sock: socket.socket | None = None
        self._buffer = b""
        self._used = 0.0

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
            self._buffer = b""

    # -- the API ----------------------------------------------------------------------------

    def send(self, package: bytes) -> dict[str, Any]:
        status, body = self._call("POST", f"{API}/packages", "", package, "application/xml")
        return _json(status, body)

    def receive(self, max: int = 10, wait: int = 0, visibility: int = 60) -> list[Item]:
        query = encode_query({"max": max, "wait": wait, "visibility": visibility})
        status, body = self._call("POST", f"{API}/inbox/receive", query, b"", None)
        found = _json(status, body)["deliveries"]
        return [Item(d["delivery_id"], d["document_id"]) for d in found]

    def fetch(self, delivery_id: str) -> bytes:
        status, body = self._call("GET", f"{API}/deliveries/{delivery_id}/content", "", b"", None)
        if status != 200:
            raise _error(status, body)
        return body

    def ack(self, delivery_id: str, state: str) -> dict[str, Any]:
        data = json.dumps({"state": state}).encode("utf-8")
        path = f"{API}/deliveries/{delivery_id}/ack"
        status, body = self._call("POST", path, "", data, "application/json")
        return _json(status, body)

    # -- HTTP/1.1 ---------------------------------------------------------------------------

    def _call(
        self, method: str, path: str, query: str, body: bytes, content_type: str | None
    ) -> tuple[int, bytes]:
        stale_retried = False
        attempt = 0
        while True:
            headers = sign_headers(
                self._system_id, self._secret, method, path, query, body, clock=self._clock
            )
            target = f"{path}?{query}" if query else path
            lines = [f"{method} {target} HTTP/1.1", f"Host: {self._host.decode()}"]
            lines += [f"{name}: {value}" for name, value in headers.items()]
            if content_type is not None:
                lines.append(f"Content-Type: {content_type}")
            lines.append(f"Content-Length: {len(body)}")
            head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
            reused = self._sock is not None
            try:
                status, reply, retry_after = self._exchange(head, body)
            except (BrokenPipeError, ConnectionResetError):
                # The hub closed a kept-alive connection before answering (uvicorn drops
                # idle ones): once, on a new connection, signed afresh.
                self.close()
                if not reused or stale_retried:
                    raise
                stale_retried = True
                continue
            if status != 503 or attempt == _RETRIES:
                return status, reply
            time.sleep(min(retry_after or 0.2 * 2**attempt, 5.0))
            attempt += 1

    def _exchange(self, head: bytes, body: bytes) -> tuple[int, bytes, float | None]:
        if self._sock is not None and time.monotonic() - self._used > _IDLE_S:
            self.close()  # uvicorn drops keep-alive connections idle for 5 s
        if self._sock is None:
            self._sock = socket.create_connection(self._address, timeout=self._timeout)
            self._sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sock = self._sock
        if len(body) < 65536:
            sock.sendall(head + body)
        else:
            sock.sendall(head)
            sock.sendall(body)
        status, headers = self._read_head()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            reply = self._read_chunked()
        else:
            reply = self._read_exact(int(headers.get("content-length", "0")))
        if headers.get("connection", "").lower() == "close":
            self.close()
        self._used = time.monotonic()
        retry = headers.get("retry-after", "")
        return status, reply, float(retry) if retry.isdigit() else None

    def _fill(self) -> None:
        assert self._sock is not None
        chunk = self._sock.recv(1 << 20)
        if not chunk:
            raise ConnectionResetError("the hub closed the connection")
        self._buffer += chunk

    def _read_head(self) -> tuple[int, dict[str, str]]:
        while (end := self._buffer.find(b"\r\n\r\n")) < 0:
            self._fill()
        head, self._buffer = self._buffer[:end].decode("latin-1"), self._buffer[end + 4 :]
        status_line, *rest = head.split("\r\n")
        headers = {}
        for line in rest:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        return int(status_line.split(" ", 2)[1]), headers

    def _read_exact(self, size: int) -> bytes:
        parts = [self._buffer[:size]]
        have = len(parts[0])
        self._buffer = self._buffer[size:]
        assert self._sock is not None
        while have < size:
            chunk = self._sock.recv(min(1 << 20, size - have))
            if not chunk:
                self.close()
                raise HubError("the hub closed the connection mid-answer", code="hub.unreachable")
            parts.append(chunk)
            have += len(chunk)
        return b"".join(parts)

    def _read_chunked(self) -> bytes:
        parts = []
        while True:
            while (end := self._buffer.find(b"\r\n")) < 0:
                self._fill()
            size = int(self._buffer[:end].split(b";")[0], 16)
            self._buffer = self._buffer[end + 2 :]
            parts.append(self._read_exact(size))
            self._read_exact(2)  # the CRLF after the chunk
            if size == 0:
                return b"".join(parts)


def _json(status: int, body: bytes) -> dict[str, Any]:
    if not 200 <= status < 300:
        raise _error(status, body)
    found = json.loads(body)
    assert isinstance(found, dict)
    return found


def _error(status: int, body: bytes) -> HubError:
    try:
        problem = json.loads(body)
        code = str(problem.get("code") or "hub.http_error")
        message = str(problem.get("message") or f"HTTP {status}")
    except (ValueError, AttributeError):
        code, message = "hub.http_error", f"HTTP {status}"
    return HubError(message, code=code, http_status=status)
