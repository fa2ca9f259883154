"""Waking long-polls: "deliveries appeared for these agencies", within and across nodes.

:class:`Notifier` is process-local: intake calls :meth:`Notifier.notify` after its commit
and every waiter interested in one of the agencies wakes (an ``asyncio.Event`` set through
its loop, thread-safely, or a ``threading.Event``). Across hub nodes on PostgreSQL, intake
also runs ``pg_notify`` inside its transaction (delivered at commit) and one
:class:`PgListener` thread per process ``LISTEN``\\ s and forwards to the local notifier.
On SQLite, other processes are not heard: waiters also re-check on a short interval.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from sqlalchemy import Engine

from lienthong.hub.repository import ALL_MARK, NOTIFY_CHANNEL, PUSH_MARK

log = logging.getLogger("lienthong.hub.notify")


class Waiter:
    """One registered wait: the agencies it cares about (``None``: any), whether only
    deliveries to push concern it, and how to wake it."""

    __slots__ = ("agencies", "event", "pushes_only", "wake")

    def __init__(
        self,
        agencies: frozenset[int] | None,
        wake: Callable[[], None],
        event: asyncio.Event | threading.Event,
        *,
        pushes_only: bool = False,
    ) -> None:
        self.agencies = agencies
        self.wake = wake
        self.event = event
        self.pushes_only = pushes_only

    def wants(self, agencies: frozenset[int] | None, push: bool) -> bool:
        """Whether a notification about ``agencies`` (``None``: every agency; ``push``:
        some to push) concerns it."""
        if self.pushes_only and not push:
            return False
        return self.agencies is None or agencies is None or bool(self.agencies & agencies)

    async def wait(self, seconds: float) -> bool:
        """Wait (async) until woken or ``seconds`` passed; whether it was woken."""
        event = self.event
        if not isinstance(event, asyncio.Event):  # pragma: no cover - programming error
            raise TypeError("this waiter was registered for threads")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(event.wait(), seconds)
        woken = event.is_set()
        event.clear()
        return woken

    def wait_blocking(self, seconds: float) -> bool:
        """Wait (in a thread) until woken or ``seconds`` passed."""
        event = self.event
        if not isinstance(event, threading.Event):  # pragma: no cover - programming error
            raise TypeError("this waiter was registered for asyncio")
        woken = event.wait(seconds)
        event.clear()
        return woken


class Notifier:
    """Process-local wake-ups for long-polls and the push worker."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: set[Waiter] = set()
        #: Whether every node's new deliveries reach this notifier: set by a
        #: :class:`PgListener` while it listens (after it woke everyone for what it may
        #: have missed), cleared when it stops or loses its connection.
        self.hears_all = False

    @contextlib.contextmanager
    def waiting(self, agencies: Iterable[int] | None = None) -> Iterator[Waiter]:
        """Register an asyncio waiter (call from the event loop) for the ``with`` block."""
        loop = asyncio.get_running_loop()
        event = asyncio.Event()

        def wake() -> None:
            loop.call_soon_threadsafe(event.set)

        yield from self._registered(agencies, wake, event)

    @contextlib.contextmanager
    def waiting_thread(
        self, agencies: Iterable[int] | None = None, *, pushes_only: bool = False
    ) -> Iterator[Waiter]:
        """Register a waiter for a plain thread (``pushes_only``: woken only for deliveries
        to push by webhook, as the push worker is)."""
        event = threading.Event()
        yield from self._registered(agencies, event.set, event, pushes_only=pushes_only)

    def _registered(
        self,
        agencies: Iterable[int] | None,
        wake: Callable[[], None],
        event: asyncio.Event | threading.Event,
        *,
        pushes_only: bool = False,
    ) -> Iterator[Waiter]:
        chosen = None if agencies is None else frozenset(agencies)
        waiter = Waiter(chosen, wake, event, pushes_only=pushes_only)
        with self._lock:
            self._waiters.add(waiter)
        try:
            yield waiter
        finally:
            with self._lock:
                self._waiters.discard(waiter)

    def narrow(self, waiter: Waiter, agencies: Iterable[int]) -> None:
        """Let ``waiter`` (registered for any agency) wake only for ``agencies`` from now
        on. A wake-up it already had stays set."""
        chosen = frozenset(agencies)
        with self._lock:
            waiter.agencies = chosen

    def notify(self, agencies: Iterable[int] | None, *, push: bool = True) -> int:
        """Wake every waiter interested in one of ``agencies`` (``None``: in any agency);
        how many were woken.

        ``push=False`` says none of the new deliveries is pushed by webhook: waiters that
        only care about pushes sleep on."""
        wanted = None if agencies is None else frozenset(agencies)
        with self._lock:
            targets = [w for w in self._waiters if w.wants(wanted, push)]
        for waiter in targets:
            with contextlib.suppress(RuntimeError):  # its loop closed meanwhile
                waiter.wake()
        return len(targets)

    def notify_all(self) -> int:
        """Wake every waiter (after a gap in listening, say)."""
        with self._lock:
            targets = list(self._waiters)
        for waiter in targets:
            with contextlib.suppress(RuntimeError):
                waiter.wake()
        return len(targets)

    @property
    def waiters(self) -> int:
        with self._lock:
            return len(self._waiters)

    @property
    def targeted(self) -> int:
        """Waiters for given agencies: long-polls past their first claim (a receive's
        waiter waits for any agency until then, the push worker's always does)."""
        with self._lock:
            return sum(1 for w in self._waiters if w.agencies is not None)


def parse_payload(payload: str) -> list[int] | None:
    """The agency ids of a NOTIFY payload (``"3,17,42"``, or ``"push,3,17"``); junk is
    ignored. ``None`` for a payload about every agency (``"all"``, ``"push,all"``)."""
    parts = [part.strip() for part in payload.split(",")]
    if ALL_MARK in parts:
        return None
    return [int(part) for part in parts if part.isdigit()]


def payload_pushes(payload: str) -> bool:
    """Whether a NOTIFY payload says some of its deliveries are pushed (see
    :meth:`lienthong.hub.repository.HubRepository.notify`)."""
    return payload.split(",", 1)[0].strip() == PUSH_MARK


class PgListener:
    """A thread that LISTENs on the hub's channel and forwards to a :class:`Notifier`."""

    def __init__(
        self, engine: Engine, notifier: Notifier, *, channel: str = NOTIFY_CHANNEL
    ) -> None:
        self._engine = engine
        self._notifier = notifier
        self._channel = channel
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.listening = threading.Event()

    def start(self) -> None:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._run, name="lienthong-hub-listener", daemon=True
            )
            self._thread.start()

    def stop(self, timeout: float = 5.0) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def _run(self) -> None:
        delay = 0.5
        while not self._stop.is_set():
            try:
                self._listen()
                delay = 0.5
            except Exception as exc:  # reconnect on any failure of the connection
                self.listening.clear()
                log.warning("hub listener lost its connection: %s", type(exc).__name__)
                self._stop.wait(delay)
                delay = min(delay * 2, 30.0)

    def _listen(self) -> None:
        raw = self._engine.raw_connection()
        conn: Any = raw.driver_connection
        raw.detach()  # this connection leaves the pool: it only listens
        try:
            conn.rollback()
            conn.autocommit = True
            conn.execute(f'LISTEN "{self._channel}"')
            self.listening.set()
            self._notifier.hears_all = True
            # Anything committed while we were not listening: wake everyone to re-check.
            self._notifier.notify_all()
            while not self._stop.is_set():
                for note in conn.notifies(timeout=1.0):
                    payload = note.payload
                    self._notifier.notify(parse_payload(payload), push=payload_pushes(payload))
        finally:
            self._notifier.hears_all = False
            # Long-polls asleep on the strength of this listener go back to re-checking.
            self._notifier.notify_all()
            with contextlib.suppress(Exception):
                conn.close()
