"""Storage of packages, deliveries and links (SQLAlchemy Core through the unit of work).

The repository never commits. Routing reads (agencies by identifier, the sender of a
document, its recipients), package and link writes, tracking reads; the delivery queries
are in :mod:`.repository_deliveries`.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Row, and_, insert, or_, select, text, update
from sqlalchemy.orm import Session

from lienthong.db.tables import (
    agencies,
    agency_identifiers,
    hub_audit_head,
    hub_deliveries,
    hub_links,
    hub_packages,
    hub_system_agencies,
)
from lienthong.db.tables.hub import AUDIT_HEAD_ID
from lienthong.directory.model import AgencyState, identifier_key
from lienthong.hub import pgsql
from lienthong.hub.model import DedupKey, PackageKind, Recipient, SystemState
from lienthong.hub.records import DeliveryRef, IntakeResult
from lienthong.hub.repository_deliveries import DeliveryQueries
from lienthong.hub.repository_systems import webhook_map, webhook_rows

#: The PostgreSQL channel that says "deliveries appeared for these agencies".
NOTIFY_CHANNEL = "lienthong_hub"
#: First item of a NOTIFY payload whose deliveries include some to push by webhook.
PUSH_MARK = "push"
#: The item of a NOTIFY payload that stands for every agency: sent when the agencies'
#: ids would not fit (a broadcast to some thousand agencies).
ALL_MARK = "all"
#: Longest NOTIFY payload the hub sends (PostgreSQL refuses 8000 bytes or more).
NOTIFY_PAYLOAD_MAX = 7900
_BATCH = 500

d = hub_deliveries
p = hub_packages


_PACKAGE_KEYS = frozenset(pgsql.PACKAGE_COLUMNS)
_DELIVERY_KEYS = frozenset(pgsql.DELIVERY_COLUMNS)


def notify_payload(agency_ids: Iterable[int], *, push: bool) -> str:
    """The NOTIFY payload for new deliveries to ``agency_ids``: their ids, after
    :data:`PUSH_MARK` when some are to be pushed. Ids that would make it longer than
    :data:`NOTIFY_PAYLOAD_MAX` (PostgreSQL's limit is 8000 bytes) are replaced by
    :data:`ALL_MARK`: every listener then wakes all its long-polls, rather than some of
    the recipients' waiting for their next re-check. Empty for no agency."""
    ids = [str(a) for a in sorted(set(agency_ids))]
    if not ids:
        return ""
    mark = [PUSH_MARK] if push else []
    payload = ",".join([*mark, *ids])
    return payload if len(payload) <= NOTIFY_PAYLOAD_MAX else ",".join([*mark, ALL_MARK])


def _first_send(
    package_id: str, kind: str, document_id: str, sha256: str, refs: Iterable[Sequence[str]]
) -> IntakeResult:
    """The answer to a repeated send: the first send's, ``duplicate`` set; ``refs``: its
    deliveries' (id, recipient code), by id."""
    return IntakeResult(
        package_id=package_id,
        kind=PackageKind(kind),
        document_id=document_id,
        sha256=sha256,
        duplicate=True,
        deliveries=tuple(DeliveryRef(i, code) for i, code in refs),
    )


def _json_value(value: object) -> str:
    """Rows as JSON for ``json_populate_record``: instants in ISO 8601 with their offset."""
    if isinstance(value, datetime):
        return value.isoformat()
    raise TypeError(f"not a JSON value: {type(value).__name__}")


class ResolvedAgency:
    """An agency found by one of its identifiers (what routing needs of it)."""

    __slots__ = ("agency_id", "code", "locked")

    def __init__(self, agency_id: int, code: str, locked: bool) -> None:
        self.agency_id = agency_id
        self.code = code
        self.locked = locked


@dataclass(frozen=True, slots=True)
class IntakeReads:
    """What intake reads before it decides (:meth:`HubRepository.intake_reads`)."""

    #: The sender and whether the calling system hosts it; ``None``: not in the directory.
    sender: tuple[ResolvedAgency, bool] | None
    #: The first send under the dedup key (``duplicate`` set), if any.
    duplicate: IntakeResult | None
    #: Identifier key → agency, for those of the identifiers asked that resolve.
    agencies: dict[str, ResolvedAgency]
    #: Agency → (system id, webhook URL), for those agencies (see ``webhook_targets``).
    webhooks: dict[int, tuple[str, str]]


class HubRepository(DeliveryQueries):
    """Packages, deliveries and links, read and written inside one unit of work.

    The delivery queries (claims, inbox, rows) come from :class:`DeliveryQueries`. On
    PostgreSQL the statements of every request go through :mod:`.pgsql`."""

    def __init__(self, session: Session, *, fast: bool = True) -> None:
        """``fast=False`` keeps the portable Core statements on PostgreSQL too (tests
        compare both forms)."""
        self._session = session
        self._pg = pgsql.pg_cursor(session) if fast else None
        self._dialect = session.get_bind().dialect.name

    def take_write_lock(self) -> None:
        """On SQLite, take the database's write lock now (before any read), so a use case
        that reads then writes cannot fail on a snapshot another writer made stale. A
        no-op on PostgreSQL (row locks are taken where needed)."""
        if self.dialect == "sqlite":
            self._session.execute(
                update(hub_audit_head)
                .where(hub_audit_head.c.id == AUDIT_HEAD_ID)
                .values(seq=hub_audit_head.c.seq)
            )

    @contextlib.contextmanager
    def batched(self) -> Iterator[None]:
        """On PostgreSQL, statements inside are pipelined (sent together; see
        :meth:`.pgsql.PgCursor.pipeline`): use it around writes whose results are not
        read. Leave it before committing. Elsewhere, nothing changes."""
        if self._pg is None:
            yield
            return
        with self._pg.pipeline():
            yield

    def intake_writes(
        self,
        package: Mapping[str, Any],
        deliveries: Sequence[Mapping[str, Any]],
        agency_ids: Iterable[int],
        *,
        push: bool,
    ) -> pgsql.Prelude | None:
        """On PostgreSQL, what :meth:`add_package`, :meth:`add_deliveries` and
        :meth:`notify` would do, as a prelude to the intake's audit entry: all in one
        statement (``pgsql.INTAKE_WRITE``), where they were four. ``None`` elsewhere: make
        the three calls."""
        if self._pg is None:
            return None
        # json_populate_record takes a missing key for NULL: every column, or refuse.
        if set(package) != _PACKAGE_KEYS or any(set(r) != _DELIVERY_KEYS for r in deliveries):
            raise ValueError("a package and its deliveries need a value for every column")
        payload = notify_payload(agency_ids, push=push)
        return pgsql.Prelude(
            pgsql.INTAKE_WRITE,
            {
                "package": json.dumps(package, default=_json_value, ensure_ascii=False),
                "deliveries": json.dumps(list(deliveries), default=_json_value, ensure_ascii=False),
                "channel": NOTIFY_CHANNEL,
                "payload": payload,
            },
        )

    def notify(self, agency_ids: Iterable[int], *, push: bool = True) -> None:
        """On PostgreSQL, NOTIFY the hub's channel (delivered at commit) with the agencies;
        ``push``: some of the new deliveries are to be pushed (wakes the push workers)."""
        if self.dialect != "postgresql":
            return
        payload = notify_payload(agency_ids, push=push)
        if payload and self._pg is not None:
            self._pg.execute(pgsql.NOTIFY, {"channel": NOTIFY_CHANNEL, "payload": payload})
        elif payload:
            self._session.execute(
                text("SELECT pg_notify(:channel, :payload)"),
                {"channel": NOTIFY_CHANNEL, "payload": payload},
            )

    # -- the directory, as routing needs it ---------------------------------------------

    def resolve_agencies(self, identifiers: Iterable[str]) -> dict[str, ResolvedAgency]:
        """Identifier key → agency for every identifier that resolves (one query per 500)."""
        keys = sorted({identifier_key(i) for i in identifiers if identifier_key(i)})
        found: dict[str, ResolvedAgency] = {}
        if self._pg is not None:
            for key, agency_id, qcvn, qd20, state in self._pg.all(pgsql.RESOLVE, {"keys": keys}):
                locked = state == AgencyState.LOCKED.value
                found[key] = ResolvedAgency(int(agency_id), qcvn or qd20, locked)
            return found
        for start in range(0, len(keys), _BATCH):
            rows = self._session.execute(
                select(
                    agency_identifiers.c.key,
                    agencies.c.id,
                    agencies.c.qcvn_id,
                    agencies.c.qd20_id,
                    agencies.c.state,
                )
                .join(agencies, agencies.c.id == agency_identifiers.c.agency_id)
                .where(agency_identifiers.c.key.in_(keys[start : start + _BATCH]))
            ).all()
            for key, agency_id, qcvn, qd20, state in rows:
                found[key] = ResolvedAgency(
                    int(agency_id), qcvn or qd20, state == AgencyState.LOCKED.value
                )
        return found

    def sender(self, identifier: str, system_id: str) -> tuple[ResolvedAgency, bool] | None:
        """The agency ``identifier`` names and whether ``system_id`` hosts it (one query)."""
        if self._pg is not None:
            found = self._pg.one(
                pgsql.SENDER, {"system_id": system_id, "key": identifier_key(identifier)}
            )
            if found is None:
                return None
            agency_id, qcvn, qd20, state, hosted_by = found
            locked = state == AgencyState.LOCKED.value
            return ResolvedAgency(int(agency_id), qcvn or qd20, locked), hosted_by is not None
        hosting = hub_system_agencies
        row = self._session.execute(
            select(
                agencies.c.id,
                agencies.c.qcvn_id,
                agencies.c.qd20_id,
                agencies.c.state,
                hosting.c.system_id,
            )
            .join(agency_identifiers, agency_identifiers.c.agency_id == agencies.c.id)
            .outerjoin(
                hosting,
                and_(hosting.c.agency_id == agencies.c.id, hosting.c.system_id == system_id),
            )
            .where(agency_identifiers.c.key == identifier_key(identifier))
        ).first()
        if row is None:
            return None
        agency = ResolvedAgency(
            int(row.id), row.qcvn_id or row.qd20_id, row.state == AgencyState.LOCKED.value
        )
        return agency, row.system_id is not None

    def intake_reads(
        self, system_id: str, sender: str, key: DedupKey, identifiers: Sequence[str]
    ) -> IntakeReads:
        """Intake's planning reads: the sender (by identifier) as :meth:`sender` finds it,
        the first send under ``key`` completed with the sender's id, the agencies of
        ``identifiers`` as :meth:`resolve_agencies` finds them and their webhooks. On
        PostgreSQL one statement (``pgsql.INTAKE_READS``), where each read was a round
        trip and ~0.2 ms of the hub's CPU."""
        keys = sorted({identifier_key(i) for i in identifiers if identifier_key(i)})
        if self._pg is None:
            found = self.sender(sender, system_id)
            first = self.find_duplicate(key.for_sender(str(found[0].agency_id))) if found else None
            agencies = self.resolve_agencies(keys)
            ids = sorted({a.agency_id for a in agencies.values()})
            targets = webhook_map(webhook_rows(self._session, ids)) if ids else {}
            return IntakeReads(found, first, agencies, targets)
        row = self._pg.one(
            pgsql.INTAKE_READS,
            {
                "system_id": system_id,
                "sender_key": identifier_key(sender),
                "key_before": key.before.encode("utf-8"),
                "key_after": key.after.encode("utf-8"),
                "keys": keys,
                "active": SystemState.ACTIVE.value,
            },
        )
        sid, qcvn, qd20, state, hosted_by, dup_id, dup_kind, dup_doc, dup_sha = row[:9]
        refs, resolved, hooks = row[9] or [], row[10] or [], row[11] or []
        locked = AgencyState.LOCKED.value
        return IntakeReads(
            sender=None
            if sid is None
            else (ResolvedAgency(int(sid), qcvn or qd20, state == locked), hosted_by is not None),
            duplicate=None
            if dup_id is None
            else _first_send(dup_id, dup_kind, dup_doc, dup_sha, refs),
            agencies={
                k: ResolvedAgency(int(i), q or z, st == locked) for k, i, q, z, st in resolved
            },
            webhooks=webhook_map(hooks),
        )

    def agency_codes(self, agency_ids: Iterable[int]) -> dict[int, str]:
        """Internal agency id → the code to show (QCVN 102 id, else QĐ 20 id)."""
        ids = sorted(set(agency_ids))
        out: dict[int, str] = {}
        for start in range(0, len(ids), _BATCH):
            rows = self._session.execute(
                select(agencies.c.id, agencies.c.qcvn_id, agencies.c.qd20_id).where(
                    agencies.c.id.in_(ids[start : start + _BATCH])
                )
            ).all()
            out.update({int(i): q or z for i, q, z in rows})
        return out

    # -- packages -------------------------------------------------------------------------

    def find_duplicate(self, dedup_key: str) -> IntakeResult | None:
        """The first send with this dedup key, as its answer (``duplicate`` set)."""
        if self._pg is not None:
            first = self._pg.one(pgsql.DUPLICATE, {"key": dedup_key})
            if first is None:
                return None
            package_id, kind, document_id, sha256 = first
            found = self._pg.all(pgsql.PACKAGE_DELIVERY_REFS, {"id": package_id})
            return _first_send(package_id, kind, document_id, sha256, found)
        row = self._session.execute(
            select(p.c.id, p.c.kind, p.c.document_id, p.c.sha256).where(p.c.dedup_key == dedup_key)
        ).first()
        if row is None:
            return None
        refs = self._session.execute(
            select(d.c.id, d.c.recipient_code).where(d.c.package_id == row.id).order_by(d.c.id)
        ).all()
        return _first_send(row.id, row.kind, row.document_id, row.sha256, refs)

    def add_package(self, values: Mapping[str, Any]) -> None:
        """Insert one package row (``values`` has every column)."""
        if self._pg is not None:
            self._pg.execute(pgsql.INSERT_PACKAGE, dict(values))
            return
        self._session.execute(insert(p).values(dict(values)))

    def add_deliveries(self, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert the deliveries of a package in one executemany (batched by the driver)."""
        if rows and self._pg is not None:
            self._pg.many(pgsql.INSERT_DELIVERY, [dict(r) for r in rows])
        elif rows:
            self._session.execute(insert(d), [dict(r) for r in rows])

    def add_links(self, rows: Sequence[Mapping[str, Any]]) -> None:
        if rows and self._pg is not None:
            self._pg.many(pgsql.INSERT_LINK, [dict(r) for r in rows])
        elif rows:
            self._session.execute(insert(hub_links), [dict(r) for r in rows])

    def senders_to(self, document_id: str, recipient_id: int) -> list[Recipient]:
        """The agencies whose document packages under ``document_id`` were delivered to
        ``recipient_id``, first sender first (one, unless two agencies used the same id)."""
        rows = self._session.execute(
            select(p.c.sender_id, p.c.sender_code, agencies.c.state, p.c.received_at, p.c.id)
            .join(d, d.c.package_id == p.c.id)
            .join(agencies, agencies.c.id == p.c.sender_id)
            .where(
                p.c.document_id == document_id,
                p.c.kind == PackageKind.DOCUMENT.value,
                d.c.recipient_id == recipient_id,
            )
            .order_by(p.c.received_at, p.c.id)
        ).all()
        found: dict[int, Recipient] = {}
        for row in rows:
            locked = row.state == AgencyState.LOCKED.value
            found.setdefault(
                int(row.sender_id), Recipient(int(row.sender_id), row.sender_code, locked)
            )
        return list(found.values())

    def document_known(self, document_id: str) -> bool:
        """Whether any agency sent a document package under ``document_id`` here."""
        row = self._session.execute(
            select(p.c.id)
            .where(p.c.document_id == document_id, p.c.kind == PackageKind.DOCUMENT.value)
            .limit(1)
        ).first()
        return row is not None

    def sent_by(self, document_ids: Sequence[str], sender_id: int) -> set[str]:
        """Which of ``document_ids`` the agency ``sender_id`` sent document packages under."""
        if not document_ids:
            return set()
        rows = self._session.execute(
            select(p.c.document_id)
            .where(
                p.c.document_id.in_(list(document_ids)),
                p.c.kind == PackageKind.DOCUMENT.value,
                p.c.sender_id == sender_id,
            )
            .distinct()
        ).scalars()
        return set(rows)

    def document_recipients(self, document_id: str, sender_id: int) -> list[Recipient]:
        """Every agency the sender's packages of ``document_id`` were delivered to."""
        rows = self._session.execute(
            select(d.c.recipient_id, d.c.recipient_code, agencies.c.state)
            .join(p, p.c.id == d.c.package_id)
            .join(agencies, agencies.c.id == d.c.recipient_id)
            .where(
                p.c.document_id == document_id,
                p.c.kind == PackageKind.DOCUMENT.value,
                p.c.sender_id == sender_id,
            )
            .order_by(d.c.created_at, d.c.id)
        ).all()
        locked = AgencyState.LOCKED.value
        return [Recipient(int(a), code, state == locked) for a, code, state in rows]

    def package_row(self, package_id: str) -> Row[Any] | None:
        return self._session.execute(select(p).where(p.c.id == package_id)).first()

    def packages_of_document(self, document_id: str, sender_ids: Sequence[int]) -> list[Row[Any]]:
        """The document packages sent under ``document_id`` by one of ``sender_ids``."""
        return list(
            self._session.execute(
                select(p)
                .where(
                    p.c.document_id == document_id,
                    p.c.kind == PackageKind.DOCUMENT.value,
                    p.c.sender_id.in_(list(sender_ids)),
                )
                .order_by(p.c.received_at, p.c.id)
            ).all()
        )

    def statuses_of_document(self, document_id: str, sender_id: int) -> list[Row[Any]]:
        """The status packages on ``document_id`` that concern the agency ``sender_id``'s
        sending of it — those routed to it, and its own — oldest first. (Another agency
        using the same DocumentId sees only the statuses routed to it.)"""
        routed_to_sender = (
            select(d.c.id).where(d.c.package_id == p.c.id, d.c.recipient_id == sender_id).exists()
        )
        return list(
            self._session.execute(
                select(p)
                .where(
                    p.c.document_id == document_id,
                    p.c.kind == PackageKind.STATUS.value,
                    or_(p.c.sender_id == sender_id, routed_to_sender),
                )
                .order_by(p.c.status_at, p.c.received_at, p.c.id)
            ).all()
        )

    def deliveries_of_package(self, package_id: str) -> list[Row[Any]]:
        return list(
            self._session.execute(
                select(d).where(d.c.package_id == package_id).order_by(d.c.id)
            ).all()
        )

    def senders_seen_by(self, document_id: str, agency_ids: Sequence[int]) -> set[int]:
        """The agencies whose document packages under ``document_id`` one of
        ``agency_ids`` sent or received: the sendings of that id they took part in
        (empty: none of them is a party to it). Statuses make no agency a party."""
        if not agency_ids:
            return set()
        ids = list(agency_ids)
        rows = self._session.execute(
            select(p.c.sender_id)
            .outerjoin(d, d.c.package_id == p.c.id)
            .where(
                p.c.document_id == document_id,
                p.c.kind == PackageKind.DOCUMENT.value,
                or_(p.c.sender_id.in_(ids), d.c.recipient_id.in_(ids)),
            )
            .distinct()
        ).scalars()
        return {int(a) for a in rows}

    def links_of(self, document_id: str) -> list[Row[Any]]:
        """Links where ``document_id`` is the earlier or the later document, each with the
        agency that sent the linking package (``sender_id``)."""
        return list(
            self._session.execute(
                select(hub_links, p.c.sender_id)
                .join(p, p.c.id == hub_links.c.package_id)
                .where(
                    or_(
                        hub_links.c.document_id == document_id,
                        hub_links.c.linked_document_id == document_id,
                    )
                )
                .order_by(hub_links.c.created_at, hub_links.c.id)
            ).all()
        )
