"""Delivery queries of the hub repository: claims, the inbox view, rows, queue depths.

:class:`DeliveryQueries` is mixed into :class:`lienthong.hub.repository.HubRepository`.
A claim is one ``UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING id`` statement: on
PostgreSQL the sub-select takes ``FOR UPDATE SKIP LOCKED``; on SQLite the statement takes
the write lock before it reads (see ``docs/hub.md``, "Delivery and leases").
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, case, func, select, update
from sqlalchemy.orm import Session

from lienthong.db.tables import hub_deliveries, hub_packages
from lienthong.hub.model import DeliveryState, PackageKind
from lienthong.hub.records import Delivery

d = hub_deliveries
p = hub_packages


class DeliveryQueries:
    """Reads and writes of ``hub_deliveries`` (needs ``_session`` and ``dialect``)."""

    _session: Session

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._session.get_bind().dialect.name

    def _available(self, agency_ids: Sequence[int], kind: PackageKind | None, now: datetime) -> Any:
        condition = and_(
            d.c.recipient_id.in_(list(agency_ids)),
            d.c.state.in_([DeliveryState.PENDING.value, DeliveryState.LEASED.value]),
            d.c.available_at <= now,
        )
        if kind is not None:
            condition = and_(condition, d.c.kind == kind.value)
        return condition

    def claim(
        self,
        agency_ids: Sequence[int],
        *,
        kind: PackageKind | None,
        limit: int,
        now: datetime,
        until: datetime,
        system_id: str,
    ) -> list[str]:
        """Lease up to ``limit`` available deliveries to ``system_id``; their ids, oldest first."""
        if not agency_ids or limit <= 0:
            return []
        pick = (
            select(d.c.id)
            .where(self._available(agency_ids, kind, now))
            .order_by(d.c.available_at, d.c.id)
            .limit(limit)
        )
        if self.dialect == "postgresql":
            pick = pick.with_for_update(skip_locked=True)
        result = self._session.execute(
            update(d)
            .where(d.c.id.in_(pick.scalar_subquery()))
            .values(
                state=DeliveryState.LEASED.value,
                leased_by=system_id,
                leased_until=until,
                available_at=until,
                claims=d.c.claims + 1,
                received_at=func.coalesce(d.c.received_at, now),
            )
            .returning(d.c.id)
        )
        return sorted(str(i) for i in result.scalars())

    def deliveries(self, delivery_ids: Sequence[str]) -> list[Delivery]:
        """The deliveries with these ids, with their package's facts, in id order."""
        if not delivery_ids:
            return []
        rows = self._session.execute(
            _delivery_select().where(d.c.id.in_(list(delivery_ids))).order_by(d.c.id)
        ).all()
        return [_to_delivery(r) for r in rows]

    def inbox(
        self,
        agency_ids: Sequence[int],
        *,
        kind: PackageKind | None,
        since: datetime | None,
        cursor: str | None,
        limit: int,
        now: datetime,
    ) -> list[Delivery]:
        """Deliveries available now (pending, or with a lease run out), in id order."""
        if not agency_ids:
            return []
        query = _delivery_select().where(self._available(agency_ids, kind, now))
        if since is not None:
            query = query.where(d.c.created_at > since)
        if cursor:
            query = query.where(d.c.id > cursor)
        rows = self._session.execute(query.order_by(d.c.id).limit(limit)).all()
        return [_to_delivery(r) for r in rows]

    def delivery_row(self, delivery_id: str, *, for_update: bool = False) -> Row[Any] | None:
        """The delivery's row joined with its package's sha256, size and trace."""
        query = (
            select(d, p.c.sha256, p.c.size, p.c.trace, p.c.sender_code, p.c.document_id)
            .join(p, p.c.id == d.c.package_id)
            .where(d.c.id == delivery_id)
        )
        if for_update and self.dialect == "postgresql":
            query = query.with_for_update(of=d)
        return self._session.execute(query).first()

    def set_delivery(self, delivery_id: str, values: Mapping[str, Any]) -> None:
        self._session.execute(update(d).where(d.c.id == delivery_id).values(dict(values)))

    def queue_stats(self, now: datetime) -> Sequence[Any]:
        """Per recipient agency: available, leased and failed counts, oldest available."""
        available = and_(
            d.c.state.in_([DeliveryState.PENDING.value, DeliveryState.LEASED.value]),
            d.c.available_at <= now,
        )
        leased = and_(d.c.state == DeliveryState.LEASED.value, d.c.available_at > now)
        query = (
            select(
                d.c.recipient_id,
                func.sum(_flag(available)).label("pending"),
                func.sum(_flag(leased)).label("leased"),
                func.sum(_flag(d.c.state == DeliveryState.FAILED.value)).label("failed"),
                func.min(d.c.created_at).filter(available).label("oldest"),
            )
            .where(d.c.state != DeliveryState.DONE.value)
            .group_by(d.c.recipient_id)
            .order_by(d.c.recipient_id)
        )
        return self._session.execute(query).all()


def _flag(condition: Any) -> Any:
    return case((condition, 1), else_=0)


def _delivery_select() -> Any:
    return select(
        d.c.id,
        d.c.package_id,
        d.c.kind,
        d.c.recipient_code,
        d.c.state,
        d.c.leased_until,
        d.c.claims,
        p.c.sender_code,
        p.c.document_id,
        p.c.sha256,
        p.c.size,
        p.c.status_code,
        p.c.received_at,
    ).join(p, p.c.id == d.c.package_id)


def _to_delivery(row: Row[Any]) -> Delivery:
    state = DeliveryState(row.state)
    return Delivery(
        delivery_id=row.id,
        package_id=row.package_id,
        kind=PackageKind(row.kind),
        sender=row.sender_code,
        recipient=row.recipient_code,
        document_id=row.document_id,
        sha256=row.sha256,
        size=int(row.size),
        status_code=row.status_code,
        state=state,
        received_at=row.received_at,
        lease_until=row.leased_until if state is DeliveryState.LEASED else None,
        attempts=int(row.claims),
    )
