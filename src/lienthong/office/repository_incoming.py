"""Storage of incoming documents, their handlers, and the status outbox.

Reads are scoped to one agency and, for confidential documents, to the people on the
access list (see :func:`lienthong.office.repository_outgoing.visible_to`). ``overdue``
is computed from the unit of work's clock: a deadline before today (Vietnam time) on a
document that is not closed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, Select, and_, delete, insert, select, update
from sqlalchemy.orm import Session

from lienthong.clock import Clock
from lienthong.db.tables import (
    agencies,
    office_access,
    office_handlers,
    office_incoming,
    office_outbox,
    office_users,
)
from lienthong.errors import NotFound
from lienthong.office.documents import (
    Channel,
    Handler,
    IncomingDocument,
    OutboxRecord,
)
from lienthong.office.model import Confidentiality, DocumentForm, Urgency
from lienthong.office.numbering import day_start, vn_date
from lienthong.office.repository_outgoing import visible_to
from lienthong.office.repository_records import TrailRepository
from lienthong.office.workflow import INCOMING_CLOSED, IncomingState
from lienthong.text import fold

_CLOSED = [s.value for s in INCOMING_CLOSED]


@dataclass(frozen=True, slots=True)
class IncomingFilter:
    """What a listing of incoming documents may be narrowed to."""

    states: tuple[IncomingState, ...] = ()
    year: int | None = None
    series: str | None = None
    text: str | None = None
    overdue_only: bool = False
    handler_id: int | None = None
    received_from: date | None = None
    received_to: date | None = None
    limit: int | None = None
    offset: int = 0


class IncomingRepository:
    """Incoming documents of every agency, read per agency."""

    def __init__(self, session: Session, clock: Clock, trail: TrailRepository) -> None:
        self._session = session
        self._clock = clock
        self._trail = trail

    def add(self, agency_id: int, values: dict[str, Any]) -> int:
        now = self._clock.now()
        row = {
            **values,
            "agency_id": agency_id,
            "subject_key": fold(values["subject"]),
            "created_at": now,
            "updated_at": now,
        }
        return int(
            self._session.execute(
                insert(office_incoming).values(row).returning(office_incoming.c.id)
            ).scalar_one()
        )

    def find(self, agency_id: int, doc_id: int) -> IncomingDocument | None:
        row = self._session.execute(
            select(office_incoming).where(
                office_incoming.c.id == doc_id, office_incoming.c.agency_id == agency_id
            )
        ).first()
        return None if row is None else self._complete([row])[0]

    def get(self, agency_id: int, doc_id: int) -> IncomingDocument:
        found = self.find(agency_id, doc_id)
        if found is None:
            raise NotFound(f"no incoming document {doc_id}", code="office.document_unknown")
        return found

    def by_delivery(self, agency_id: int, delivery_id: str) -> IncomingDocument | None:
        row = self._session.execute(
            select(office_incoming).where(
                office_incoming.c.agency_id == agency_id,
                office_incoming.c.hub_delivery_id == delivery_id,
            )
        ).first()
        return None if row is None else self._complete([row])[0]

    def by_sender_document(self, agency_id: int, sender_document_id: str) -> Sequence[int]:
        """Ids of the agency's incoming documents with this sender DocumentId, newest first."""
        rows = self._session.execute(
            select(office_incoming.c.id)
            .where(
                office_incoming.c.agency_id == agency_id,
                office_incoming.c.sender_document_id == sender_document_id,
            )
            .order_by(office_incoming.c.id.desc())
        )
        return [int(r.id) for r in rows]

    def change(
        self,
        doc_id: int,
        expected: IncomingState | Sequence[IncomingState],
        values: dict[str, Any],
    ) -> bool:
        """Update a document still in ``expected`` state(s); False if it was not."""
        states = [expected] if isinstance(expected, IncomingState) else list(expected)
        values = {**values, "updated_at": self._clock.now()}
        result = self._session.execute(
            update(office_incoming)
            .where(
                office_incoming.c.id == doc_id,
                office_incoming.c.state.in_([s.value for s in states]),
            )
            .values(values)
        )
        return bool(getattr(result, "rowcount", 0))

    def search(
        self, agency_id: int, viewer_id: int | None, filters: IncomingFilter
    ) -> Sequence[IncomingDocument]:
        """The agency's incoming documents the viewer may see, newest first."""
        query = self._query(agency_id, viewer_id, filters).order_by(
            office_incoming.c.received_at.desc(), office_incoming.c.id.desc()
        )
        if filters.offset:
            query = query.offset(filters.offset)
        if filters.limit is not None:
            query = query.limit(filters.limit)
        return self._complete(self._session.execute(query).all())

    def register(
        self, agency_id: int, viewer_id: int | None, year: int, series: str, filters: IncomingFilter
    ) -> Sequence[IncomingDocument]:
        """The incoming register of a year and series, in incoming-number order."""
        base = IncomingFilter(
            year=year,
            series=series,
            text=filters.text,
            received_from=filters.received_from,
            received_to=filters.received_to,
        )
        query = self._query(agency_id, viewer_id, base).where(office_incoming.c.number.is_not(None))
        return self._complete(self._session.execute(query.order_by(office_incoming.c.number)).all())

    def _query(self, agency_id: int, viewer_id: int | None, f: IncomingFilter) -> Select[Any]:
        t = office_incoming
        conditions = [
            t.c.agency_id == agency_id,
            visible_to(t, office_access.c.incoming_id, viewer_id),
        ]
        if f.states:
            conditions.append(t.c.state.in_([s.value for s in f.states]))
        if f.year is not None:
            conditions.append(t.c.year == f.year)
        if f.series is not None:
            conditions.append(t.c.series == f.series)
        if f.text:
            conditions.append(t.c.subject_key.contains(fold(f.text), autoescape=True))
        if f.overdue_only:
            conditions.append(t.c.deadline < self._today())
            conditions.append(t.c.state.not_in(_CLOSED))
        if f.handler_id is not None:
            handled = select(office_handlers.c.incoming_id).where(
                office_handlers.c.user_id == f.handler_id
            )
            conditions.append(t.c.id.in_(handled))
        if f.received_from is not None:
            conditions.append(t.c.received_at >= day_start(f.received_from))
        if f.received_to is not None:
            conditions.append(t.c.received_at < day_start(f.received_to, next_day=True))
        return select(t).where(and_(*conditions))

    def _today(self) -> date:
        return vn_date(self._clock.now())

    # -- handlers ------------------------------------------------------------------------

    def set_handlers(self, doc_id: int, lead_id: int, co_ids: Sequence[int]) -> None:
        self._session.execute(
            delete(office_handlers).where(office_handlers.c.incoming_id == doc_id)
        )
        self._session.execute(
            insert(office_handlers).values(incoming_id=doc_id, user_id=lead_id, lead=True)
        )
        for user_id in dict.fromkeys(co_ids):
            if user_id != lead_id:
                self._session.execute(
                    insert(office_handlers).values(incoming_id=doc_id, user_id=user_id, lead=False)
                )

    # -- outbox --------------------------------------------------------------------------

    def add_outbox(self, values: dict[str, Any]) -> int:
        row = {**values, "state": "pending", "attempts": 0}
        return int(
            self._session.execute(
                insert(office_outbox).values(row).returning(office_outbox.c.id)
            ).scalar_one()
        )

    def outbox(
        self,
        *,
        agency_id: int | None = None,
        incoming_id: int | None = None,
        states: Sequence[str] = ("pending",),
        limit: int | None = None,
    ) -> Sequence[OutboxRecord]:
        query = (
            select(office_outbox, agencies.c.qcvn_id, agencies.c.qd20_id)
            .join(agencies, agencies.c.id == office_outbox.c.agency_id)
            .where(office_outbox.c.state.in_(list(states)))
            .order_by(office_outbox.c.id)
        )
        if agency_id is not None:
            query = query.where(office_outbox.c.agency_id == agency_id)
        if incoming_id is not None:
            query = query.where(office_outbox.c.incoming_id == incoming_id)
        if limit is not None:
            query = query.limit(limit)
        return [_to_outbox(r) for r in self._session.execute(query)]

    def outbox_record(self, agency_id: int, record_id: int) -> OutboxRecord:
        query = (
            select(office_outbox, agencies.c.qcvn_id, agencies.c.qd20_id)
            .join(agencies, agencies.c.id == office_outbox.c.agency_id)
            .where(office_outbox.c.id == record_id, office_outbox.c.agency_id == agency_id)
        )
        row = self._session.execute(query).first()
        if row is None:
            raise NotFound(f"no status record {record_id}", code="office.outbox_unknown")
        return _to_outbox(row)

    def update_outbox(self, record_id: int, **values: Any) -> bool:
        result = self._session.execute(
            update(office_outbox).where(office_outbox.c.id == record_id).values(values)
        )
        return bool(getattr(result, "rowcount", 0))

    # -- mapping -------------------------------------------------------------------------

    def _complete(self, rows: Sequence[Row[Any]]) -> list[IncomingDocument]:
        ids = [int(r.id) for r in rows]
        handlers: dict[int, list[Handler]] = {}
        if ids:
            query = (
                select(office_handlers, office_users.c.full_name)
                .join(office_users, office_users.c.id == office_handlers.c.user_id)
                .where(office_handlers.c.incoming_id.in_(ids))
                .order_by(office_handlers.c.lead.desc(), office_users.c.full_name)
            )
            for h in self._session.execute(query):
                handlers.setdefault(int(h.incoming_id), []).append(
                    Handler(int(h.user_id), h.full_name, bool(h.lead))
                )
        files = self._trail.files_of("in", ids)
        today = self._today()
        return [
            _to_document(
                r,
                tuple(handlers.get(int(r.id), ())),
                tuple(files.get(int(r.id), ())),
                today,
            )
            for r in rows
        ]


def _to_document(
    r: Row[Any], handlers: tuple[Handler, ...], files: tuple[Any, ...], today: date
) -> IncomingDocument:
    state = IncomingState(r.state)
    overdue = r.deadline is not None and r.deadline < today and state not in INCOMING_CLOSED
    return IncomingDocument(
        id=r.id,
        agency_id=r.agency_id,
        state=state,
        channel=Channel(r.channel),
        sender_name=r.sender_name,
        subject=r.subject,
        urgency=Urgency(r.urgency),
        confidentiality=Confidentiality(r.confidentiality),
        form=DocumentForm(r.form),
        scanned=bool(r.scanned),
        received_at=r.received_at,
        created_at=r.created_at,
        updated_at=r.updated_at,
        sender_agency_id=r.sender_agency_id,
        sender_code=r.sender_code,
        hub_delivery_id=r.hub_delivery_id,
        sender_document_id=r.sender_document_id,
        code=r.code,
        document_date=r.document_date,
        doctype_key=r.doctype_key,
        doctype_name=r.doctype_name,
        signer_name=r.signer_name,
        series=r.series,
        year=r.year,
        number=r.number,
        registered_at=r.registered_at,
        registered_by=r.registered_by,
        rejected_reason=r.rejected_reason,
        deadline=r.deadline,
        direction=r.direction,
        assigned_by=r.assigned_by,
        assigned_at=r.assigned_at,
        finished_at=r.finished_at,
        state_before_recall=IncomingState(r.state_before_recall) if r.state_before_recall else None,
        recall_reason=r.recall_reason,
        pdf_sha256=r.pdf_sha256,
        package_sha256=r.package_sha256,
        signatures_valid=r.signatures_valid,
        signature_summary=r.signature_summary,
        link_kind=r.link_kind,
        linked_document_id=r.linked_document_id,
        notes=r.notes,
        overdue=overdue,
        handlers=handlers,
        attachments=files,
    )


def _to_outbox(r: Row[Any]) -> OutboxRecord:
    return OutboxRecord(
        id=r.id,
        agency_id=r.agency_id,
        agency_code=r.qcvn_id or r.qd20_id,
        incoming_id=r.incoming_id,
        status_code=r.status_code,
        description=r.description,
        staff_name=r.staff_name,
        staff_department=r.staff_department,
        staff_email=r.staff_email,
        at=r.at,
        recipient_code=r.recipient_code,
        sender_document_id=r.sender_document_id,
        document_code=r.document_code,
        document_date=r.document_date,
        state=r.state,
        attempts=int(r.attempts),
        sent_at=r.sent_at,
        hub_package_id=r.hub_package_id,
        last_error=r.last_error,
    )
