"""The sync worker's journal: what each hub delivery became, with its signature reports.

One row per delivery (``office_inbound``, keyed by the hub's delivery id): a document
stored as an incoming document, a status or take-back request applied, a valid package
that could be applied to nothing here (``ignored``), or an invalid one acknowledged
``fail`` (with the reason). The signature reports of documents — the package's XML
signature and every PDF's PAdES signatures, as :meth:`to_dict` gives them — are kept here
in full; the incoming document keeps their summary (``signature_summary``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update

from lienthong.db.tables.office_inbound import office_inbound
from lienthong.db.uow import UnitOfWork
from lienthong.office.access import agency_of, require_roles, visible_incoming
from lienthong.office.model import Actor, Role

#: What happened to a delivery.
STORED, APPLIED, IGNORED, FAILED = "stored", "applied", "ignored", "failed"


@dataclass(frozen=True, slots=True)
class InboundEntry:
    """One delivery as the worker handled it (``id`` is 0 until recorded)."""

    delivery_id: str
    package_id: str
    kind: str
    recipient: str
    sender: str
    document_id: str
    outcome: str
    received_at: datetime
    agency_id: int | None = None
    status_code: str | None = None
    reason: str | None = None
    incoming_id: int | None = None
    package_sha256: str | None = None
    #: ``{"package": report, "pdf": [{"file": name, "report": report}]}`` (documents).
    reports: dict[str, Any] | None = field(default=None, compare=False)
    id: int = 0

    @property
    def failed(self) -> bool:
        return self.outcome == FAILED


class InboundJournal:
    """Records and reads the journal of hub deliveries."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self._uow = uow_factory

    def record(self, entry: InboundEntry) -> InboundEntry:
        """Write what happened to a delivery (a delivery handled again replaces its row)."""
        values = {
            "agency_id": entry.agency_id,
            "recipient": entry.recipient[:64],
            "delivery_id": entry.delivery_id,
            "package_id": entry.package_id,
            "kind": entry.kind,
            "sender": entry.sender[:64],
            "document_id": entry.document_id[:255],
            "status_code": entry.status_code,
            "outcome": entry.outcome,
            "reason": (entry.reason or "")[:2000] or None,
            "incoming_id": entry.incoming_id,
            "package_sha256": entry.package_sha256,
            "reports": json.dumps(entry.reports, ensure_ascii=False, default=str)
            if entry.reports is not None
            else None,
            "received_at": entry.received_at,
        }
        with self._uow() as uow:
            found = uow.session.execute(
                select(office_inbound.c.id).where(office_inbound.c.delivery_id == entry.delivery_id)
            ).scalar_one_or_none()
            if found is None:
                row_id = uow.session.execute(
                    insert(office_inbound).values(values).returning(office_inbound.c.id)
                ).scalar_one()
            else:
                row_id = found
                uow.session.execute(
                    update(office_inbound).where(office_inbound.c.id == found).values(values)
                )
            uow.commit()
        return replace(entry, id=int(row_id))

    def get(self, delivery_id: str) -> InboundEntry | None:
        """The entry of a delivery (for the worker; no actor)."""
        with self._uow() as uow:
            row = uow.session.execute(
                select(office_inbound).where(office_inbound.c.delivery_id == delivery_id)
            ).first()
        return None if row is None else _entry(row)

    def entries(
        self, actor: Actor, *, outcome: str | None = None, limit: int = 100
    ) -> Sequence[InboundEntry]:
        """The actor's agency's latest entries (optionally one outcome), newest first."""
        require_roles(
            actor, Role.CLERK, Role.LEADER, Role.ADMIN, Role.SYSTEM, Role.OPERATOR,
            action="read the exchange journal",
        )  # fmt: skip
        query = select(office_inbound).where(office_inbound.c.agency_id == agency_of(actor))
        if outcome is not None:
            query = query.where(office_inbound.c.outcome == outcome)
        query = query.order_by(office_inbound.c.id.desc()).limit(limit)
        with self._uow() as uow:
            return [_entry(r) for r in uow.session.execute(query)]

    def for_incoming(self, actor: Actor, incoming_id: int) -> InboundEntry | None:
        """The delivery an incoming document came in, with its full signature reports
        (``None`` for paper arrivals); the document must be visible to the actor."""
        with self._uow() as uow:
            doc = visible_incoming(uow, actor, incoming_id)
            row = uow.session.execute(
                select(office_inbound)
                .where(
                    office_inbound.c.incoming_id == doc.id,
                    office_inbound.c.agency_id == doc.agency_id,
                )
                .order_by(office_inbound.c.id)
            ).first()
        return None if row is None else _entry(row)


def _entry(row: Any) -> InboundEntry:
    return InboundEntry(
        id=int(row.id),
        agency_id=row.agency_id,
        recipient=row.recipient,
        delivery_id=row.delivery_id,
        package_id=row.package_id,
        kind=row.kind,
        sender=row.sender,
        document_id=row.document_id,
        status_code=row.status_code,
        outcome=row.outcome,
        reason=row.reason,
        incoming_id=row.incoming_id,
        package_sha256=row.package_sha256,
        reports=json.loads(row.reports) if row.reports else None,
        received_at=row.received_at,
    )
