"""The load generators of ``bench/hub_load.py``: sender and receiver *processes*.

Each is a separate process (so the GIL of one does not cap the others) using the lean
client of ``_lean_client`` (the default) or the real ``HubClient`` (``--client
hubclient``): both send the same signed requests. Times are ``time.monotonic()``, which on Linux is one clock for every
process of the machine, so a sender's send time and a receiver's arrival time compare.

Not a benchmark itself (``make bench`` runs it and nothing happens).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import dataclass
from multiprocessing.queues import Queue
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class SenderJob:
    """What one sender process does: its system, agency, recipient, packages per phase."""

    index: int
    url: str
    system_id: str
    secret: str
    pki_dir: Path
    sender: str
    recipient: str
    #: phase name → number of packages to build for it
    counts: dict[str, int]
    #: "lean" (``_lean_client.LeanClient``) or "hubclient" (``HubClient``)
    client: str = "lean"


def open_client(kind: str, url: str, system_id: str, secret: str) -> Any:
    """The load generator's client: ``LeanClient`` or the real ``HubClient``."""
    if kind == "hubclient":
        from lienthong.hub.client import HubClient

        return HubClient(url, system_id, secret, timeout=60)
    from _lean_client import LeanClient

    return LeanClient(url, system_id, secret, timeout=60)


@dataclass(frozen=True)
class RunPhase:
    """Send this phase's packages: as fast as possible (``interval`` None), or one every
    ``interval`` seconds starting at ``start`` (scheduled, open loop), until ``deadline``."""

    phase: str
    start: float
    deadline: float
    interval: float | None = None


#: (document_id, scheduled or actual start, end, error code or "")
SendRecord = tuple[str, float, float, str]
#: (document_id, available: the receive call returned it, acknowledged)
ReceiveRecord = tuple[str, float, float]


def sender_main(job: SenderJob, commands: Queue[Any], results: Queue[Any]) -> None:
    """Build and sign the packages, say ready, then run the phases the parent asks for."""
    from _hub_world import agency_identity, signed_package
    from lienthong.errors import HubError

    identity = agency_identity(job.pki_dir, job.sender)
    packages: dict[str, list[tuple[str, bytes]]] = {}
    number = job.index * 1_000_000
    for phase, count in job.counts.items():
        made = []
        for _ in range(count):
            number += 1
            made.append(signed_package(identity, job.sender, [job.recipient], number, "L"))
        packages[phase] = made
    results.put(("ready", job.index))
    with open_client(job.client, job.url, job.system_id, job.secret) as client:
        while True:
            command = commands.get()
            if command is None:
                return
            assert isinstance(command, RunPhase)
            records: list[SendRecord] = []
            for k, (document_id, data) in enumerate(packages[command.phase]):
                if command.interval is not None:
                    start = command.start + k * command.interval
                    if start >= command.deadline:
                        break
                    delay = start - time.monotonic()
                    if delay > 0:
                        time.sleep(delay)
                else:
                    start = time.monotonic()
                    if start >= command.deadline:
                        break
                error = ""
                try:
                    client.send(data)
                except HubError as exc:
                    error = exc.code
                records.append((document_id, start, time.monotonic(), error))
            results.put(("sent", job.index, command.phase, records))


def receiver_main(  # noqa: PLR0917 - a process target takes positional arguments
    index: int,
    url: str,
    system_id: str,
    secret: str,
    events: tuple[Event, Event, Synchronized[int]],
    delivered: Synchronized[int],
    results: Queue[Any],
    client_kind: str = "lean",
) -> None:
    """Long-poll, fetch and acknowledge until told to stop; then report what came.

    ``events``: stop (for good), receiving (cleared: pause after the current round) and
    the count of paused receivers."""
    from lienthong.errors import HubError

    stop, receiving, paused = events
    records: list[ReceiveRecord] = []
    errors: dict[str, int] = {}
    with open_client(client_kind, url, system_id, secret) as client:
        while not stop.is_set():
            if not receiving.is_set():
                with paused.get_lock():
                    paused.value += 1
                while not receiving.wait(0.1) and not stop.is_set():
                    pass
                with paused.get_lock():
                    paused.value -= 1
                continue
            try:
                items = client.receive(max=10, wait=1, visibility=120)
            except HubError as exc:
                errors[exc.code] = errors.get(exc.code, 0) + 1
                time.sleep(0.1)
                continue
            available = time.monotonic()
            for item in items:
                try:
                    client.fetch(item.delivery_id)
                    client.ack(item.delivery_id, "done")
                except HubError as exc:
                    errors[exc.code] = errors.get(exc.code, 0) + 1
                    continue
                records.append((item.document_id, available, time.monotonic()))
                with delivered.get_lock():
                    delivered.value += 1
    with contextlib.suppress(Exception):
        results.put(("received", index, records, errors))
