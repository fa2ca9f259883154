"""A small load on real hub processes: sender and receiver threads, and a ledger of what
each client saw, to check "every accepted package delivered exactly once" afterwards.

Senders send each package until the hub accepts it (a ``SendResult``: 202, or the first
send's answer for a duplicate): that is the client's proof of acceptance. Receivers claim
with long polls, fetch and check the bytes, and acknowledge ``done``. The ledger notes
every claim with the time the ``receive`` call started, and every ``ack`` with the time it
returned, so a delivery claimed by a call that started after its acknowledgement returned
— an acknowledged delivery that came back — is caught.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import httpx

from lienthong.errors import HubError
from lienthong.hub import schemas as s
from lienthong.hub.client import HubClient

_T = TypeVar("_T")


@dataclass
class Claim:
    """One delivery handed to a receiver."""

    delivery_id: str
    recipient: str
    lease_until: float  # POSIX seconds, the hub's clock
    attempts: int
    started: float  # monotonic time the receive call started


@dataclass
class Ledger:
    """What the clients saw (thread-safe)."""

    contents: dict[str, bytes]
    lock: threading.Lock = field(default_factory=threading.Lock)
    #: package sha256 → the hub's answer
    accepted: dict[str, s.SendResult] = field(default_factory=dict)
    claims: list[Claim] = field(default_factory=list)
    acked: dict[str, float] = field(default_factory=dict)  # delivery → monotonic time
    ack_successes: Counter[str] = field(default_factory=Counter)
    reappeared: list[str] = field(default_factory=list)
    wrong_bytes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)

    def expected(self) -> dict[str, str]:
        """Delivery id → recipient, of every accepted package."""
        with self.lock:
            return {
                d.delivery_id: d.recipient for r in self.accepted.values() for d in r.deliveries
            }

    def all_acked(self) -> bool:
        """Every delivery of every package accepted so far is acknowledged (wait for it
        once the senders are done)."""
        expected = self.expected()
        with self.lock:
            return bool(expected) and all(d in self.acked for d in expected)

    def received(self) -> Counter[str]:
        with self.lock:
            return Counter(c.delivery_id for c in self.claims)


def send_all(
    ledger: Ledger,
    client: HubClient,
    packages: list[bytes],
    deadline: float,
    enough: threading.Event | None = None,
) -> None:
    """Send each package until the hub accepts it (or ``deadline``: a ledger error); stop
    between two packages once ``enough`` is set."""
    for data in packages:
        if enough is not None and enough.is_set():
            return
        digest = hashlib.sha256(data).hexdigest()
        while True:
            try:
                result = client.send(data)
            except HubError as exc:
                if exc.http_status < 500 or time.monotonic() > deadline:
                    ledger.errors.append(f"send {digest[:12]}: {exc}")
                    break
                time.sleep(0.2)  # the client's own retries ran out: the hub is still down
                continue
            with ledger.lock:
                known = ledger.accepted.setdefault(digest, result)
            if known.package_id != result.package_id:
                ledger.errors.append(f"{digest[:12]} accepted as two packages")
            break


def receive_until(
    ledger: Ledger,
    client: HubClient,
    stop: threading.Event,
    *,
    visibility: int,
    agency: str | None = None,
) -> None:
    """Claim, fetch, check and acknowledge until ``stop`` is set."""
    while not stop.is_set():
        started = time.monotonic()
        try:
            items = client.receive(agency=agency, max=10, wait=1, visibility=visibility)
        except HubError as exc:
            if exc.http_status < 500:
                ledger.errors.append(f"receive: {exc}")
                return
            time.sleep(0.2)
            continue
        for item in items:
            _handle(ledger, client, item, started=started)


def _handle(
    ledger: Ledger,
    client: HubClient,
    item: s.DeliveryItem,
    *,
    started: float,
) -> None:
    lease = item.lease_until.timestamp() if item.lease_until else 0.0
    with ledger.lock:
        acked_at = ledger.acked.get(item.delivery_id)
        if acked_at is not None and acked_at < started:
            ledger.reappeared.append(item.delivery_id)
        ledger.claims.append(Claim(item.delivery_id, item.recipient, lease, item.attempts, started))
    try:
        fetched = _persist(lambda: client.fetch(item.delivery_id))
        if ledger.contents.get(fetched.sha256) != fetched.content:
            ledger.wrong_bytes.append(item.delivery_id)
        # Acknowledging again after a lost answer is safe: the same ack is idempotent.
        result = _persist(lambda: client.ack(item.delivery_id, "done"))
    except HubError as exc:
        if exc.http_status >= 500:
            return  # not acknowledged: the lease runs out and it comes back
        ledger.errors.append(f"{item.delivery_id}: {exc}")
        return
    with ledger.lock:
        if result.state == "done":
            ledger.acked.setdefault(item.delivery_id, time.monotonic())
            ledger.ack_successes[item.delivery_id] += 1


def _persist(call: Callable[[], _T], patience: float = 60.0) -> _T:
    """``call()`` again while the hub is unavailable (5xx once the client's own retries
    ran out), for up to ``patience`` seconds."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return call()
        except HubError as exc:
            if exc.http_status < 500 or time.monotonic() > deadline:
                raise
            time.sleep(0.2)


class Load:
    """Sender and receiver threads over one :class:`Ledger`; closing stops and joins them
    and closes their clients."""

    def __init__(self, ledger: Ledger, *, patience: float = 150.0) -> None:
        self.ledger = ledger
        self.enough = threading.Event()  # senders stop between two packages
        self.stop = threading.Event()  # receivers stop
        self.deadline = time.monotonic() + patience
        self._senders: list[threading.Thread] = []
        self._receivers: list[threading.Thread] = []
        self._clients: list[HubClient] = []

    def __enter__(self) -> Load:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.enough.set()
        self.stop.set()
        for thread in self._senders + self._receivers:
            thread.join(timeout=60)
        for client in self._clients:
            client.close()

    def send(self, client: HubClient, packages: list[bytes]) -> None:
        """A sender thread for ``packages``."""
        self._clients.append(client)
        self._senders += run_threads(
            [lambda: send_all(self.ledger, client, packages, self.deadline, self.enough)]
        )

    def receive(self, client: HubClient, *, visibility: int, agency: str | None = None) -> None:
        """A receiver thread."""
        self._clients.append(client)
        self._receivers += run_threads(
            [
                lambda: receive_until(
                    self.ledger, client, self.stop, visibility=visibility, agency=agency
                )
            ]
        )

    def accepted(self) -> int:
        with self.ledger.lock:
            return len(self.ledger.accepted)

    def finish(self, *, at_least: int, timeout: float = 120.0) -> bool:
        """Let the senders go on until ``at_least`` packages are accepted (or they ran out),
        stop them, and wait until every delivery is acknowledged; whether it was."""
        wait_for(
            lambda: self.accepted() >= at_least or not any(t.is_alive() for t in self._senders),
            timeout,
        )
        self.enough.set()
        for thread in self._senders:
            thread.join(timeout=timeout)
        return wait_for(self.ledger.all_acked, timeout)


def run_threads(targets: list[Callable[[], None]]) -> list[threading.Thread]:
    """Start a daemon thread per target."""
    threads = [threading.Thread(target=t, daemon=True) for t in targets]
    for thread in threads:
        thread.start()
    return threads


def wait_for(condition: Callable[[], bool], timeout: float, step: float = 0.1) -> bool:
    """Poll ``condition`` until true or ``timeout`` seconds passed; its last value."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return condition()


class Recorder(httpx.BaseTransport):
    """A real HTTP transport that notes every answer's status and ``Retry-After``."""

    def __init__(self) -> None:
        self._inner = httpx.HTTPTransport()
        self.lock = threading.Lock()
        self.answers: list[tuple[int, str | None]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self._inner.handle_request(request)
        with self.lock:
            self.answers.append((response.status_code, response.headers.get("Retry-After")))
        return response

    def close(self) -> None:
        self._inner.close()
