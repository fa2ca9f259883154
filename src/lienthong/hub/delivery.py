"""Delivery: claims with leases, the inbox view, content, acknowledgements.

A system reads only the inboxes of the agencies it hosts (``forbidden.inbox``). A claim
leases deliveries to the calling system for ``visibility`` seconds; a lease that runs out
makes them available again (see :mod:`.model`). The long-poll wait lives at the HTTP edge
(:mod:`.api`): it calls :meth:`DeliveryService.receive` again when woken.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any, BinaryIO

from lienthong.clock import Clock
from lienthong.db.uow import UnitOfWork
from lienthong.errors import NotFound, PermissionDenied
from lienthong.hub.audit import AuditLog
from lienthong.hub.model import (
    MAX_CLAIM,
    MAX_VISIBILITY_S,
    AckState,
    DeliveryState,
    PackageKind,
    ack_transition,
    clamp,
    effective_state,
    repeats_final_ack,
)
from lienthong.hub.nonce_claims import NonceClaim
from lienthong.hub.records import (
    AckResult,
    Claimed,
    Content,
    Delivery,
    InboxPage,
    trace_from_json,
)
from lienthong.storage import BlobStore


class DeliveryService:
    """Receiving side of the hub."""

    def __init__(
        self,
        uow_factory: Callable[[], UnitOfWork],
        *,
        blobs: BlobStore,
        clock: Clock,
        audit: AuditLog,
    ) -> None:
        self._uow = uow_factory
        self._blobs = blobs
        self._clock = clock
        self._audit = audit

    # -- access ---------------------------------------------------------------------------

    @staticmethod
    def _agencies(uow: UnitOfWork, system_id: str, agency: str | None) -> list[int]:
        hosted = uow.hub_systems.hosted(system_id)
        if agency is None or not agency.strip():
            return hosted
        found = uow.hub.resolve_agencies([agency])
        target = next(iter(found.values()), None)
        if target is None or target.agency_id not in hosted:
            raise PermissionDenied(
                f"system {system_id} does not host {agency}",
                code="forbidden.inbox",
                agency=agency,
            )
        return [target.agency_id]

    @staticmethod
    def _row(uow: UnitOfWork, system_id: str, delivery_id: str, *, lock: bool = False) -> Any:
        row = uow.hub.delivery_row(delivery_id, system_id, for_update=lock)
        if row is None:
            raise NotFound(
                f"no delivery {delivery_id}", code="not_found.delivery", delivery_id=delivery_id
            )
        if not row.hosted:
            raise PermissionDenied(
                f"delivery {delivery_id} is not for an agency system {system_id} hosts",
                code="forbidden.inbox",
            )
        return row

    # -- use cases ------------------------------------------------------------------------

    def receive(
        self,
        system_id: str,
        *,
        agency: str | None = None,
        agencies: list[int] | None = None,
        kind: PackageKind | None = None,
        max_items: int = 10,
        visibility_s: int = 60,
        claim: NonceClaim | None = None,
        next_due: bool = False,
    ) -> Claimed:
        """Claim up to ``max_items`` available deliveries, leased for ``visibility_s``;
        the answer also names the inboxes read (``agencies``, or the ones ``agency`` and
        the system's hosting give), for a long-poll to wait on. ``claim``: the request's
        nonce, recorded first in the same transaction (kept when nothing is claimed).
        ``next_due``: when nothing is claimed, also say when something next becomes
        claimable without arriving (``Claimed.next_due``), for a long wait."""
        now = self._clock.now()
        until = now + timedelta(seconds=clamp(visibility_s, 1, MAX_VISIBILITY_S))
        with self._uow() as uow:
            uow.hub.take_write_lock()
            uow.claim_nonce(claim)
            targets = agencies if agencies is not None else self._agencies(uow, system_id, agency)
            items = uow.hub.claim(
                targets,
                kind=kind,
                limit=clamp(max_items, 1, MAX_CLAIM),
                now=now,
                until=until,
                system_id=system_id,
            )
            if not items:
                due = uow.hub.next_claimable(targets, now) if next_due else None
                if claim is not None:
                    uow.commit()  # the request's nonce, with nothing else
                return Claimed((), targets, due)
            claimed = sorted(d.delivery_id for d in items)
            entry = {"deliveries": claimed, "lease_until": until.isoformat()}
            # Last: the audit head row stays locked from here to the commit.
            self._audit.append(uow, [("claim", system_id, agency or "*", entry)], now)
            uow.commit()
        return Claimed((_seen(d, now) for d in items), targets)

    def inbox(
        self,
        system_id: str,
        *,
        agency: str | None = None,
        kind: PackageKind | None = None,
        since: datetime | None = None,
        cursor: str | None = None,
        limit: int = 100,
    ) -> InboxPage:
        """A read-only page of the deliveries available now, in arrival order."""
        now = self._clock.now()
        size = clamp(limit, 1, 1000)
        with self._uow() as uow:
            targets = self._agencies(uow, system_id, agency)
            items = uow.hub.inbox(
                targets, kind=kind, since=since, cursor=cursor, limit=size + 1, now=now
            )
        more = len(items) > size
        items = items[:size]
        return InboxPage(
            items=tuple(_seen(d, now) for d in items),
            next_cursor=items[-1].delivery_id if more and items else None,
        )

    def content(
        self, system_id: str, delivery_id: str, *, claim: NonceClaim | None = None
    ) -> Content:
        """Where the delivery's exact bytes are (see :meth:`open`), and the trace."""
        with self._uow() as uow:
            uow.autocommit()  # reads only (and the request's nonce: one statement)
            uow.claim_nonce(claim)
            row = self._row(uow, system_id, delivery_id)
        return Content(
            delivery_id=delivery_id,
            package_id=row.package_id,
            sha256=row.sha256,
            size=int(row.size),
            trace=trace_from_json(row.trace),
        )

    def open(self, content: Content) -> BinaryIO:
        """A stream of the exact package bytes."""
        return self._blobs.open(content.sha256)

    def ack(
        self,
        system_id: str,
        delivery_id: str,
        state: AckState,
        *,
        reason: str = "",
        visibility_s: int = 60,
        claim: NonceClaim | None = None,
    ) -> AckResult:
        """``done``/``fail`` (final, once) or ``processing`` (extends the lease).

        The same ``done``/``fail`` repeated by the system that made it final answers the
        existing result and writes nothing (a retry after a lost answer); a final
        delivery's ``leased_by`` records that system.
        """
        now = self._clock.now()
        with self._uow() as uow:
            uow.hub.take_write_lock()
            uow.claim_nonce(claim)
            row = self._row(uow, system_id, delivery_id, lock=True)
            current = DeliveryState(row.state)
            if repeats_final_ack(current, state, acked_by=row.leased_by, system_id=system_id):
                return AckResult(delivery_id=delivery_id, state=current, lease_until=None)
            new = ack_transition(
                current,
                state,
                leased_by=row.leased_by,
                leased_until=row.leased_until,
                system_id=system_id,
                now=now,
            )
            until: datetime | None = None
            if new is DeliveryState.LEASED:
                until = now + timedelta(seconds=clamp(visibility_s, 1, MAX_VISIBILITY_S))
                values: dict[str, object] = {
                    "state": new.value,
                    "leased_by": system_id,
                    "leased_until": until,
                    "available_at": until,
                }
                if row.received_at is None:
                    values["received_at"] = now
            else:
                values = {
                    "state": new.value,
                    "acked_at": now,
                    "ack_reason": reason or None,
                    "leased_by": system_id,
                }
            data = {"state": state.value, "reason": reason} if reason else {"state": state.value}
            # On PostgreSQL the update goes out in the audit entry's statement.
            prelude = uow.hub.delivery_update(delivery_id, values)
            if prelude is None:
                uow.hub.set_delivery(delivery_id, values)
            self._audit.append(uow, [("ack", system_id, delivery_id, data)], now, prelude=prelude)
            uow.commit()
        return AckResult(delivery_id=delivery_id, state=new, lease_until=until)


def _seen(delivery: Delivery, now: datetime) -> Delivery:
    """``delivery`` with the state a reader sees now (a run-out lease reads ``pending``)."""
    state = effective_state(delivery.state, delivery.lease_until, now)
    if state is delivery.state:
        return delivery
    return replace(delivery, state=state, lease_until=None)
