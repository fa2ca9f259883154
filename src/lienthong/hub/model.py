"""Plain data and rules of the hub (no framework imports).

A *package* is one accepted send (a document or a status); a *delivery* is that package
for one recipient agency. A delivery's transport state moves::

    pending --claim--> leased --ack done--> done
       ^                 |    --ack fail--> failed
       |   lease expires |    --ack processing--> leased (lease extended)
       +-----------------+

``done`` and ``failed`` are final. A lease that runs out makes the delivery available
again: it reads as ``pending`` (see :func:`effective_state`) and may be claimed, even
before anything rewrites its row. A final acknowledgement repeated by the system that
made it (a client retrying after a lost answer) changes nothing and is answered with the
result it already has (:func:`repeats_final_ack`).
"""

from __future__ import annotations

import enum
import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from lienthong.errors import Conflict

#: Longest lease a receiver may ask for, and the longest long-poll wait (seconds).
MAX_VISIBILITY_S = 12 * 3600
MAX_WAIT_S = 60
MAX_CLAIM = 100


class DeliveryState(enum.StrEnum):
    """Transport state of one delivery."""

    PENDING = "pending"
    LEASED = "leased"
    DONE = "done"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self in (DeliveryState.DONE, DeliveryState.FAILED)


class AckState(enum.StrEnum):
    """What a receiver reports about a delivery."""

    DONE = "done"
    FAIL = "fail"
    PROCESSING = "processing"


class PackageKind(enum.StrEnum):
    DOCUMENT = "document"
    STATUS = "status"


class PushState(enum.StrEnum):
    """Whether the hub still has to POST a delivery to a webhook."""

    NONE = "none"
    PENDING = "pending"
    DONE = "done"
    FAILED = "failed"


class SystemState(enum.StrEnum):
    ACTIVE = "active"
    LOCKED = "locked"


class LinkKind(enum.StrEnum):
    """How a later document relates to an earlier one (BussinessDocType 1, 2, 3)."""

    REVOKE = "revoke"
    UPDATE = "update"
    REPLACE = "replace"

    @classmethod
    def of_business_type(cls, business_type: int) -> LinkKind | None:
        return {1: cls.REVOKE, 2: cls.UPDATE, 3: cls.REPLACE}.get(business_type)


def effective_state(
    state: DeliveryState, leased_until: datetime | None, now: datetime
) -> DeliveryState:
    """The state a reader sees: a lease that has run out reads as ``pending``."""
    if state is DeliveryState.LEASED and (leased_until is None or leased_until <= now):
        return DeliveryState.PENDING
    return state


_FINAL_STATE_OF_ACK = {AckState.DONE: DeliveryState.DONE, AckState.FAIL: DeliveryState.FAILED}


def repeats_final_ack(
    state: DeliveryState, ack: AckState, *, acked_by: str | None, system_id: str
) -> bool:
    """Whether ``ack`` by ``system_id`` repeats the final acknowledgement ``state`` came from.

    ``acked_by`` is the system that made the delivery final (its row's ``leased_by``). A
    repeat is answered with the existing result and changes nothing, so a client may retry
    ``done``/``fail`` after losing the answer; anything else on a final delivery (the other
    final state, ``processing``, another system) is still refused by :func:`ack_transition`.
    """
    return state.final and acked_by == system_id and _FINAL_STATE_OF_ACK.get(ack) is state


def ack_transition(
    state: DeliveryState,
    ack: AckState,
    *,
    leased_by: str | None,
    leased_until: datetime | None,
    system_id: str,
    now: datetime,
) -> DeliveryState:
    """The state after ``ack`` by ``system_id``; :class:`Conflict` when it is not allowed.

    ``done``/``fail`` change the state once (``delivery.already_acknowledged`` after —
    callers answer a repeat by the same system first, see :func:`repeats_final_ack`); a
    delivery leased by another system whose lease still runs is ``delivery.leased``.
    """
    if state.final:
        raise Conflict(
            f"the delivery was already acknowledged ({state.value})",
            code="delivery.already_acknowledged",
            state=state.value,
        )
    current = effective_state(state, leased_until, now)
    if current is DeliveryState.LEASED and leased_by != system_id:
        raise Conflict(
            "the delivery is leased by another system", code="delivery.leased", state="leased"
        )
    return {
        AckState.DONE: DeliveryState.DONE,
        AckState.FAIL: DeliveryState.FAILED,
        AckState.PROCESSING: DeliveryState.LEASED,
    }[ack]


def push_backoff(attempts: int, *, base_s: float = 5.0, cap_s: float = 3600.0) -> timedelta:
    """Wait before push attempt ``attempts + 1``: exponential (5 s, 10 s, 20 s…), capped."""
    exponent = max(attempts - 1, 0)
    return timedelta(seconds=min(cap_s, base_s * (2 ** min(exponent, 30))))


@dataclass(frozen=True, slots=True)
class DedupKey:
    """A dedup key before the sender is known: the parts around the sender's id.

    The key is the SHA-256 (hex) of ``before + sender + after`` (UTF-8), so a database
    that finds the sender can compute it in the same statement (``pgsql.INTAKE_READS``)."""

    before: str
    after: str

    def for_sender(self, sender: str) -> str:
        """The key, for the sender's id."""
        data = (self.before + sender.strip().upper() + self.after).encode("utf-8")
        return hashlib.sha256(data).hexdigest()


def dedup_key_parts(
    kind: PackageKind,
    *,
    document_id: str,
    business_type: int | None = None,
    status_code: str | None = None,
    status_timestamp: str | None = None,
    content_sha256: str | None = None,
) -> DedupKey:
    """What makes two sends the same send, around the sender (see :func:`dedup_key`)."""
    sep = "\x1f"
    if kind is PackageKind.DOCUMENT:
        after = [str(business_type or 0)]
        if business_type == 2 and content_sha256:
            after.append(content_sha256)
        return DedupKey(sep.join(["document", document_id.strip(), ""]), sep + sep.join(after))
    after = [status_code or "", status_timestamp or ""]
    return DedupKey(sep.join(["status", document_id.strip(), ""]), sep + sep.join(after))


def dedup_key(
    kind: PackageKind,
    *,
    document_id: str,
    sender: str,
    business_type: int | None = None,
    status_code: str | None = None,
    status_timestamp: str | None = None,
    content_sha256: str | None = None,
) -> str:
    """What makes two sends the same send, hashed (SHA-256 hex).

    A document: (DocumentId, sender, business type); an *update* (type 2) adds the content
    hash, since one document may be updated several times. A status: (DocumentId,
    reporter, status code, timestamp). Sender ids are compared upper-cased.
    """
    parts = dedup_key_parts(
        kind,
        document_id=document_id,
        business_type=business_type,
        status_code=status_code,
        status_timestamp=status_timestamp,
        content_sha256=content_sha256,
    )
    return parts.for_sender(sender)


# -- ids ---------------------------------------------------------------------------------

_CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


class IdGenerator:
    """Time-ordered ids (ULID layout: 48-bit milliseconds + 80 random bits, base32).

    Ids made in the same millisecond by one generator increase, so sorting by id is
    sorting by creation within a process (and roughly across nodes).
    """

    def __init__(self, now_ms: Callable[[], int] | None = None) -> None:
        self._now_ms = now_ms
        self._lock = threading.Lock()
        self._last_ms = -1
        self._last_rand = 0

    def __call__(self, at: datetime | None = None) -> str:
        if at is not None:
            ms = int(at.timestamp() * 1000)
        elif self._now_ms is not None:
            ms = self._now_ms()
        else:
            import time

            ms = time.time_ns() // 1_000_000
        with self._lock:
            if ms <= self._last_ms:
                ms = self._last_ms
                rand = (self._last_rand + 1) & ((1 << 80) - 1)
            else:
                rand = int.from_bytes(os.urandom(10), "big")
            self._last_ms, self._last_rand = ms, rand
        value = (ms << 80) | rand
        return "".join(_CROCKFORD[(value >> (5 * i)) & 31] for i in range(25, -1, -1))


# -- records -----------------------------------------------------------------------------


#: The relation names of links, seen from the earlier and from the later document.
RELATIONS: dict[LinkKind, tuple[str, str]] = {
    LinkKind.REVOKE: ("revoked_by", "revokes"),
    LinkKind.UPDATE: ("updated_by", "updates"),
    LinkKind.REPLACE: ("replaced_by", "replaces"),
}


@dataclass(frozen=True, slots=True)
class Recipient:
    """A routed recipient: the directory's agency id, the code to show, whether locked."""

    agency_id: int
    code: str
    locked: bool = False


def unique_recipients(recipients: Sequence[Recipient]) -> list[Recipient]:
    """One recipient per agency, in first-seen order."""
    seen: set[int] = set()
    out: list[Recipient] = []
    for recipient in recipients:
        if recipient.agency_id not in seen:
            seen.add(recipient.agency_id)
            out.append(recipient)
    return out


def clamp(value: int, low: int, high: int) -> int:
    """``value`` kept within ``[low, high]``."""
    return max(low, min(high, value))


@dataclass(frozen=True, slots=True)
class HubConfig:
    """The hub's tunables (what settings do not carry; defaults suit production)."""

    #: ``OrganId`` of the hub's own TraceHeader entry.
    organ_id: str = "lienthong-hub"
    #: Sign an audit checkpoint every N entries.
    checkpoint_every: int = 1000
    #: The largest request body of any route but ``POST /packages`` (JSON bodies of a few
    #: KB): refused beyond, before anything reads it (:mod:`.body_limit`).
    max_request_bytes: int = 1024 * 1024
    #: How far a request's timestamp may be from the hub's clock; nonces live this long.
    auth_window_s: int = 300
    #: Long-polls re-check the database at least this often (other nodes on SQLite,
    #: leases running out), unless this process hears every node (PostgreSQL's LISTEN).
    poll_interval_s: float = 1.0
    #: While it does, a long-poll wakes when told of a delivery for its inboxes, when one
    #: of their leases runs out, and at the latest this often (a safety net).
    idle_recheck_s: float = 30.0
    #: Webhook pushes: attempts before giving up, first backoff, request timeout.
    push_max_attempts: int = 10
    push_backoff_s: float = 5.0
    push_timeout_s: float = 10.0
    #: How long a signer certificate's chain result is reused.
    chain_cache_ttl_s: float = 60.0
    #: How long a rotated-out system secret stays valid.
    rotation_grace_s: int = 86_400
