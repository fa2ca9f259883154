"""Failed logins slow the next ones down: per username and per client address.

Each password check costs an argon2 hash (tens of milliseconds of CPU, by design), so
unlimited attempts are both a guessing attack and a way to burn the server's CPU. After
``free`` failures within ``window`` for one username (known or not: the answer must not
tell which exist) or ``free_per_client`` from one address, further attempts are refused
*before* the password is checked — ``429 auth.throttled`` with ``retry_after`` — until
the oldest failure leaves the window. A successful login clears the username's count.

The counts live in the process (a dictionary under a lock, bounded): several server
processes each count their own, which multiplies the allowance by their number but still
bounds it. Persisting them would make every failed login a database write an attacker
controls.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from lienthong.errors import LienthongError


class Throttled(LienthongError):
    """Too many failed logins: try again after ``retry_after`` seconds."""

    code = "auth.throttled"
    http_status = 429


class LoginThrottle:
    """Counts failed logins per key within a sliding window (thread-safe, bounded)."""

    def __init__(
        self,
        *,
        free: int = 5,
        free_per_client: int = 30,
        window_s: float = 900.0,
        max_keys: int = 100_000,
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.free = free
        self.free_per_client = free_per_client
        self.window_s = window_s
        self._max_keys = max_keys
        self._now = now
        self._failures: OrderedDict[str, deque[float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, username: str, client: str | None) -> None:
        """Raise :class:`Throttled` if either key has used up its failures."""
        for key, free in self._keys(username, client):
            wait = self._wait(key, free)
            if wait > 0:
                raise Throttled(
                    "too many failed logins: try again later",
                    code="auth.throttled",
                    retry_after=int(wait) + 1,
                )

    def failed(self, username: str, client: str | None) -> None:
        """Count a failed attempt for the username and the client."""
        now = self._now()
        with self._lock:
            for key, _free in self._keys(username, client):
                times = self._failures.pop(key, None) or deque()
                times.append(now)
                while len(times) > max(self.free, self.free_per_client):
                    times.popleft()
                self._failures[key] = times
            while len(self._failures) > self._max_keys:
                self._failures.popitem(last=False)

    def succeeded(self, username: str) -> None:
        """Forget the username's failures (its owner knows the password)."""
        with self._lock:
            self._failures.pop(f"user:{username}", None)

    def _keys(self, username: str, client: str | None) -> list[tuple[str, int]]:
        keys = [(f"user:{username}", self.free)]
        if client:
            keys.append((f"client:{client}", self.free_per_client))
        return keys

    def _wait(self, key: str, free: int) -> float:
        """Seconds until ``key`` may try again (0: now)."""
        now = self._now()
        with self._lock:
            times = self._failures.get(key)
            if times is None:
                return 0.0
            while times and now - times[0] >= self.window_s:
                times.popleft()
            if len(times) < free:
                return 0.0
            return self.window_s - (now - times[-free])
