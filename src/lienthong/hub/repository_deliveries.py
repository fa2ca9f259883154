"""Delivery queries of the hub repository: claims, the inbox view, rows, queue depths.

:class:`DeliveryQueries` is mixed into :class:`lienthong.hub.repository.HubRepository`.
A claim is one ``UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING id`` statement: on
PostgreSQL the sub-select takes ``FOR UPDATE SKIP LOCKED``; on SQLite the statement takes
the write lock before it reads (see ``docs/hub.md``, "Delivery and leases").
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

from psycopg.rows import namedtuple_row
from sqlalchemy import ColumnElement, and_, case, exists, func, literal_column, select, update
from sqlalchemy.orm import Session

from lienthong.db.tables import hub_deliveries, hub_packages, hub_system_agencies
from lienthong.hub import pgsql
from lienthong.hub.model import DeliveryState, PackageKind
from lienthong.hub.records import Delivery

d = hub_deliveries
p = hub_packages


def written_out(value: str) -> ColumnElement[str]:
    """A state as an SQL literal, not a bound parameter: PostgreSQL uses a partial index
    (``OPEN_DELIVERY``, ``PUSH_DUE`` in :mod:`lienthong.db.tables.hub`) only for a
    condition that implies the index's, which it proves from values it can read. For the
    hub's own constants only."""
    return literal_column(f"'{value}'")


#: Deliveries a claim may take (if their time has come): pending, or leased.
CLAIMABLE = d.c.state.in_(
    [written_out(DeliveryState.PENDING.value), written_out(DeliveryState.LEASED.value)]
)
#: Deliveries not acknowledged done (those the claim index holds on PostgreSQL).
OPEN = d.c.state != written_out(DeliveryState.DONE.value)


class DeliveryQueries:
    """Reads and writes of ``hub_deliveries`` (needs ``_session``, ``_pg``, ``_dialect``)."""

    _session: Session
    _pg: pgsql.PgCursor | None
    _dialect: str

    @property
    def dialect(self) -> str:
        """``sqlite`` or ``postgresql``."""
        return self._dialect

    def _available(self, agency_ids: Sequence[int], kind: PackageKind | None, now: datetime) -> Any:
        condition = and_(d.c.recipient_id.in_(list(agency_ids)), CLAIMABLE, d.c.available_at <= now)
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
    ) -> list[Delivery]:
        """Lease up to ``limit`` available deliveries (oldest first) to ``system_id``; them,
        leased, in id order (on PostgreSQL, one statement)."""
        if not agency_ids or limit <= 0:
            return []
        if self._pg is not None:
            params: dict[str, Any] = {
                "system_id": system_id,
                "until": until,
                "now": now,
                "agencies": list(agency_ids),
                "limit": limit,
            }
            if kind is not None:
                params["kind"] = kind.value
            sql = pgsql.CLAIM_ANY if kind is None else pgsql.CLAIM_KIND
            return [_pg_delivery(*r) for r in self._pg.all(sql, params)]
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
        return self.deliveries(sorted(str(i) for i in result.scalars()))

    def next_claimable(self, agency_ids: Sequence[int], now: datetime) -> datetime | None:
        """The earliest time after ``now`` one of these agencies' open deliveries becomes
        claimable (a lease running out); ``None`` if none will."""
        if not agency_ids:
            return None
        found = self._session.execute(
            select(func.min(d.c.available_at)).where(
                d.c.recipient_id.in_(list(agency_ids)), CLAIMABLE, d.c.available_at > now
            )
        ).scalar()
        return found if isinstance(found, datetime) else None

    def deliveries(self, delivery_ids: Sequence[str]) -> list[Delivery]:
        """The deliveries with these ids, with their package's facts, in id order."""
        if not delivery_ids:
            return []
        if self._pg is not None:
            found = self._pg.all(pgsql.DELIVERIES, {"ids": list(delivery_ids)})
            return [_pg_delivery(*r) for r in found]
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

    def delivery_row(self, delivery_id: str, system_id: str, *, for_update: bool = False) -> Any:
        """The delivery's row joined with its package's sha256, size and trace (columns as
        attributes), and ``hosted``: whether ``system_id`` hosts its recipient; or
        ``None``. One statement."""
        if self._pg is not None:
            sql = pgsql.DELIVERY_ROW_FOR_UPDATE if for_update else pgsql.DELIVERY_ROW
            row = self._pg.one(sql, {"id": delivery_id, "system_id": system_id}, namedtuple_row)
            if row is None:
                return None
            return row._replace(**{c: pgsql.utc(getattr(row, c)) for c in pgsql.DELIVERY_TIMES})
        hosted = (
            exists()
            .where(
                hub_system_agencies.c.system_id == system_id,
                hub_system_agencies.c.agency_id == d.c.recipient_id,
            )
            .label("hosted")
        )
        query = (
            select(d, p.c.sha256, p.c.size, p.c.trace, p.c.sender_code, p.c.document_id, hosted)
            .join(p, p.c.id == d.c.package_id)
            .where(d.c.id == delivery_id)
        )
        if for_update and self.dialect == "postgresql":
            query = query.with_for_update(of=d)
        return self._session.execute(query).first()

    def delivery_update(self, delivery_id: str, values: Mapping[str, Any]) -> pgsql.Prelude | None:
        """On PostgreSQL, :meth:`set_delivery` as a prelude to the audit entry that records
        it: one statement where there were two and a pipeline. ``None`` elsewhere."""
        if self._pg is None:
            return None
        params = {f"d_{column}": value for column, value in values.items()}
        return pgsql.Prelude(_update_then_audit_sql(tuple(values)), {**params, "d_id": delivery_id})

    def set_delivery(self, delivery_id: str, values: Mapping[str, Any]) -> None:
        if self._pg is not None:
            sql = _update_sql(tuple(values))
            self._pg.execute(sql, {**values, "id": delivery_id})
            return
        self._session.execute(update(d).where(d.c.id == delivery_id).values(dict(values)))

    def queue_stats(self, now: datetime) -> Sequence[Any]:
        """Per recipient agency: available, leased and failed counts, oldest available."""
        available = and_(CLAIMABLE, d.c.available_at <= now)
        leased = and_(d.c.state == DeliveryState.LEASED.value, d.c.available_at > now)
        query = (
            select(
                d.c.recipient_id,
                func.sum(_flag(available)).label("pending"),
                func.sum(_flag(leased)).label("leased"),
                func.sum(_flag(d.c.state == DeliveryState.FAILED.value)).label("failed"),
                func.min(d.c.created_at).filter(available).label("oldest"),
            )
            .where(OPEN)
            .group_by(d.c.recipient_id)
            .order_by(d.c.recipient_id)
        )
        return self._session.execute(query).all()


@functools.lru_cache(maxsize=64)
def _update_sql(columns: tuple[str, ...]) -> str:
    return pgsql.update_delivery_sql(columns)


@functools.lru_cache(maxsize=64)
def _update_then_audit_sql(columns: tuple[str, ...]) -> str:
    return pgsql.update_delivery_then_audit_sql(columns)


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


def _to_delivery(row: Any) -> Delivery:
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


def _pg_delivery(  # noqa: PLR0917 - the columns of pgsql.DELIVERIES, in order
    delivery_id: str,
    package_id: str,
    kind: str,
    recipient_code: str,
    state_value: str,
    leased_until: datetime | None,
    claims: int,
    sender_code: str,
    document_id: str,
    sha256: str,
    size: int,
    status_code: str | None,
    received_at: datetime,
) -> Delivery:
    state = DeliveryState(state_value)
    return Delivery(
        delivery_id=delivery_id,
        package_id=package_id,
        kind=PackageKind(kind),
        sender=sender_code,
        recipient=recipient_code,
        document_id=document_id,
        sha256=sha256,
        size=int(size),
        status_code=status_code,
        state=state,
        received_at=received_at.astimezone(UTC),
        lease_until=pgsql.utc(leased_until) if state is DeliveryState.LEASED else None,
        attempts=int(claims),
    )
