"""Read models of the hub: what the services return (plain, frozen data).

The records the API turns into JSON (:mod:`.views`), the CLI prints and tests compare.
Rules and states live in :mod:`.model`.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from lienthong.hub.model import DeliveryState, PackageKind, SystemState


@dataclass(frozen=True, slots=True)
class System:
    """A document system (one installation hosting one or more agencies)."""

    system_id: str
    name: str
    state: SystemState
    webhook_url: str | None
    agencies: tuple[str, ...]
    created_at: datetime
    updated_at: datetime
    previous_expires_at: datetime | None = None

    @property
    def is_active(self) -> bool:
        return self.state is SystemState.ACTIVE


@dataclass(frozen=True, slots=True)
class IssuedSecret:
    """A system secret as shown once to the operator."""

    system_id: str
    secret: str


@dataclass(frozen=True, slots=True)
class TraceEntry:
    """One hop of a package: who took it in and when (aware; Vietnam time on the wire)."""

    organ_id: str
    timestamp: datetime


@dataclass(frozen=True, slots=True)
class DeliveryRef:
    delivery_id: str
    recipient: str


@dataclass(frozen=True, slots=True)
class IntakeResult:
    """The answer to a send: the package, its deliveries, whether it repeated a send."""

    package_id: str
    kind: PackageKind
    document_id: str
    sha256: str
    duplicate: bool
    deliveries: tuple[DeliveryRef, ...]


@dataclass(frozen=True, slots=True)
class Delivery:
    """A delivery as a receiver sees it (inbox, claims)."""

    delivery_id: str
    package_id: str
    kind: PackageKind
    sender: str
    recipient: str
    document_id: str
    sha256: str
    size: int
    status_code: str | None
    state: DeliveryState
    #: When the hub took the package in.
    received_at: datetime
    lease_until: datetime | None
    attempts: int


class Claimed(list[Delivery]):
    """The deliveries a receive claimed (a list, as before), and ``agencies``: the
    inboxes it read, which a long-poll then waits on; ``next_due``, when asked for and
    nothing was claimed: the earliest time one of their deliveries becomes claimable
    without a new one arriving (a lease running out), or ``None``."""

    __slots__ = ("agencies", "next_due")

    def __init__(
        self,
        items: Iterable[Delivery] = (),
        agencies: Iterable[int] = (),
        next_due: datetime | None = None,
    ) -> None:
        super().__init__(items)
        self.agencies = list(agencies)
        self.next_due = next_due


@dataclass(frozen=True, slots=True)
class InboxPage:
    items: tuple[Delivery, ...]
    next_cursor: str | None


@dataclass(frozen=True, slots=True)
class AckResult:
    delivery_id: str
    state: DeliveryState
    lease_until: datetime | None


@dataclass(frozen=True, slots=True)
class Content:
    """Where a delivery's exact package bytes are, and their trace."""

    delivery_id: str
    package_id: str
    sha256: str
    size: int
    trace: tuple[TraceEntry, ...]


@dataclass(frozen=True, slots=True)
class StatusEntry:
    """One business status reported on a document."""

    code: str
    timestamp: datetime
    description: str
    reporter: str
    package_id: str


@dataclass(frozen=True, slots=True)
class RecipientTracking:
    """The sender's view of one recipient of a package."""

    recipient: str
    delivery_id: str
    state: DeliveryState
    claimed_at: datetime | None
    acknowledged_at: datetime | None
    latest_status: StatusEntry | None
    history: tuple[StatusEntry, ...] = ()


@dataclass(frozen=True, slots=True)
class PackageTracking:
    package_id: str
    document_id: str
    kind: PackageKind
    sender: str
    received_at: datetime
    recipients: tuple[RecipientTracking, ...]


@dataclass(frozen=True, slots=True)
class DocumentLink:
    """Another document related to the one asked about, seen from it."""

    relation: str
    document_id: str
    package_id: str
    linked_at: datetime


@dataclass(frozen=True, slots=True)
class AgencyCertificate:
    agency: str
    fingerprint: str
    subject: str
    not_before: datetime
    not_after: datetime


@dataclass(frozen=True, slots=True)
class QueueStats:
    agency: str
    pending: int
    leased: int
    failed: int
    oldest_pending_at: datetime | None


@dataclass(frozen=True, slots=True)
class PushTask:
    """A delivery the webhook worker has to POST."""

    delivery_id: str
    package_id: str
    kind: PackageKind
    recipient: str
    sender: str
    document_id: str
    system_id: str
    url: str
    attempts: int


def trace_to_json(entries: Sequence[TraceEntry]) -> str:
    """The stored (and ``X-Lienthong-Trace``) form of a trace."""
    return json.dumps(
        [{"organ_id": e.organ_id, "timestamp": e.timestamp.isoformat()} for e in entries],
        ensure_ascii=False,
        separators=(",", ":"),
    )


def trace_from_json(data: str) -> tuple[TraceEntry, ...]:
    """A trace as stored by :func:`trace_to_json`."""
    return tuple(
        TraceEntry(str(e["organ_id"]), datetime.fromisoformat(str(e["timestamp"])))
        for e in json.loads(data)
    )
