"""Tracking (the sender's view) and document links.

For each recipient of a package: the transport state of its delivery, when it was claimed
and acknowledged, the business statuses reported on the document (by that recipient, and
the sender's own take-back requests 13, which went to every recipient) and the latest of
them. Only a system hosting the package's sender sees its tracking
(``forbidden.tracking``); links are shown to the systems of the document's parties, those
made by the senders of the document they sent or received.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sqlalchemy import Row

from lienthong.clock import Clock
from lienthong.db.uow import UnitOfWork
from lienthong.errors import NotFound, PermissionDenied
from lienthong.hub.model import RELATIONS, DeliveryState, LinkKind, PackageKind, effective_state
from lienthong.hub.records import DocumentLink, PackageTracking, RecipientTracking, StatusEntry

TAKE_BACK = "13"


class TrackingService:
    """Read-only views for senders."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], *, clock: Clock) -> None:
        self._uow = uow_factory
        self._clock = clock

    def package(self, system_id: str, package_id: str) -> PackageTracking:
        """Tracking of one package the system's agency sent."""
        with self._uow() as uow:
            row = uow.hub.package_row(package_id)
            if row is None:
                raise NotFound(
                    f"no package {package_id}", code="not_found.package", package_id=package_id
                )
            if int(row.sender_id) not in uow.hub_systems.hosted(system_id):
                raise PermissionDenied(
                    f"package {package_id} was not sent by an agency system {system_id} hosts",
                    code="forbidden.tracking",
                )
            return self._tracking(uow, row)

    def document(self, system_id: str, document_id: str) -> list[PackageTracking]:
        """Tracking of every document package the system's agencies sent under the id."""
        with self._uow() as uow:
            hosted = uow.hub_systems.hosted(system_id)
            rows = uow.hub.packages_of_document(document_id, hosted)
            if not rows:
                raise NotFound(
                    f"no document {document_id} sent by an agency system {system_id} hosts",
                    code="not_found.document",
                    document_id=document_id,
                )
            return [self._tracking(uow, row) for row in rows]

    def links(self, system_id: str, document_id: str) -> list[DocumentLink]:
        """The revocations, updates and replacements linked to a document, seen from it."""
        with self._uow() as uow:
            hosted = uow.hub_systems.hosted(system_id)
            # Links made by the senders of this id the system's agencies dealt with: an
            # agency reusing another's DocumentId sees none of the other's links.
            senders = uow.hub.senders_seen_by(document_id, list(hosted))
            if not senders:
                raise NotFound(
                    f"no document {document_id} sent to or by an agency system {system_id} hosts",
                    code="not_found.document",
                    document_id=document_id,
                )
            out: list[DocumentLink] = []
            for link in uow.hub.links_of(document_id):
                if int(link.sender_id) not in senders:
                    continue
                earlier_view, later_view = RELATIONS[LinkKind(link.kind)]
                if link.document_id == document_id:
                    out.append(
                        DocumentLink(
                            earlier_view, link.linked_document_id, link.package_id, link.created_at
                        )
                    )
                else:
                    out.append(
                        DocumentLink(later_view, link.document_id, link.package_id, link.created_at)
                    )
            return out

    # -- helpers --------------------------------------------------------------------------

    def _tracking(self, uow: UnitOfWork, row: Row[Any]) -> PackageTracking:
        now = self._clock.now()
        deliveries = uow.hub.deliveries_of_package(row.id)
        statuses: list[Row[Any]] = []
        if row.kind == PackageKind.DOCUMENT.value:
            statuses = uow.hub.statuses_of_document(row.document_id, int(row.sender_id))
        recipients = [
            _recipient(d, _history(statuses, int(d.recipient_id), int(row.sender_id)), now)
            for d in deliveries
        ]
        return PackageTracking(
            package_id=row.id,
            document_id=row.document_id,
            kind=PackageKind(row.kind),
            sender=row.sender_code,
            received_at=row.received_at,
            recipients=tuple(recipients),
        )


def _history(statuses: Sequence[Row[Any]], recipient_id: int, sender_id: int) -> list[StatusEntry]:
    """Statuses the recipient reported, and the sender's take-back requests, oldest first."""
    chosen = [
        s
        for s in statuses
        if int(s.sender_id) == recipient_id
        or (int(s.sender_id) == sender_id and s.status_code == TAKE_BACK)
    ]
    entries = [
        StatusEntry(
            code=s.status_code,
            timestamp=s.status_at or s.received_at,
            description=s.status_description or "",
            reporter=s.sender_code,
            package_id=s.id,
        )
        for s in chosen
    ]
    entries.sort(key=lambda e: (e.timestamp, e.package_id))
    return entries


def _recipient(delivery: Row[Any], history: list[StatusEntry], now: Any) -> RecipientTracking:
    state = effective_state(DeliveryState(delivery.state), delivery.leased_until, now)
    return RecipientTracking(
        recipient=delivery.recipient_code,
        delivery_id=delivery.id,
        state=state,
        claimed_at=delivery.received_at,
        acknowledged_at=delivery.acked_at,
        latest_status=history[-1] if history else None,
        history=tuple(history),
    )
