"""Storage of outgoing documents and their recipients.

Every read is scoped to one agency; listings take the reader's user id so that
confidential documents appear only to the people on their access list. State changes are
conditional (``UPDATE … WHERE state = :expected``): a use case that lost a race changes
nothing and learns it from the return value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Row, Select, and_, delete, insert, or_, select, update
from sqlalchemy.orm import Session

from lienthong.clock import Clock
from lienthong.db.tables import agencies, office_access, office_outgoing, office_recipients
from lienthong.errors import NotFound
from lienthong.office.documents import (
    Channel,
    DispatchState,
    OutgoingDocument,
    Recipient,
    RecipientKind,
)
from lienthong.office.model import Confidentiality, DocumentForm, Urgency
from lienthong.office.numbering import day_start
from lienthong.office.repository_records import TrailRepository
from lienthong.office.workflow import OutgoingState
from lienthong.text import fold


@dataclass(frozen=True, slots=True)
class NewRecipient:
    """A recipient ready to be stored (the directory agency already resolved)."""

    kind: RecipientKind
    channel: Channel
    name: str
    agency_id: int | None = None
    email: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class OutgoingFilter:
    """What a listing of outgoing documents may be narrowed to."""

    states: tuple[OutgoingState, ...] = ()
    year: int | None = None
    series: str | None = None
    text: str | None = None
    doctype_key: str | None = None
    issued_from: date | None = None
    issued_to: date | None = None
    limit: int | None = None
    offset: int = 0


def visible_to(table: Any, access_column: Any, viewer_id: int | None) -> Any:
    """SQL condition: not confidential, or the viewer is on the document's access list."""
    open_doc = table.c.confidentiality == Confidentiality.NONE.value
    if viewer_id is None:
        return open_doc
    listed = select(access_column).where(
        office_access.c.user_id == viewer_id, access_column.is_not(None)
    )
    return or_(open_doc, table.c.id.in_(listed))


class OutgoingRepository:
    """Outgoing documents of every agency, read per agency."""

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
                insert(office_outgoing).values(row).returning(office_outgoing.c.id)
            ).scalar_one()
        )

    def find(self, agency_id: int, doc_id: int) -> OutgoingDocument | None:
        row = self._session.execute(
            select(office_outgoing).where(
                office_outgoing.c.id == doc_id, office_outgoing.c.agency_id == agency_id
            )
        ).first()
        if row is None:
            return None
        return self._complete([row])[0]

    def get(self, agency_id: int, doc_id: int) -> OutgoingDocument:
        found = self.find(agency_id, doc_id)
        if found is None:
            raise NotFound(f"no outgoing document {doc_id}", code="office.document_unknown")
        return found

    def change(
        self,
        doc_id: int,
        expected: OutgoingState | Sequence[OutgoingState],
        values: dict[str, Any],
    ) -> bool:
        """Update a document still in ``expected`` state(s); False if it was not."""
        states = [expected] if isinstance(expected, OutgoingState) else list(expected)
        values = {**values, "updated_at": self._clock.now()}
        if "subject" in values:
            values["subject_key"] = fold(values["subject"])
        result = self._session.execute(
            update(office_outgoing)
            .where(
                office_outgoing.c.id == doc_id,
                office_outgoing.c.state.in_([s.value for s in states]),
            )
            .values(values)
        )
        return bool(getattr(result, "rowcount", 0))

    def search(
        self, agency_id: int, viewer_id: int | None, filters: OutgoingFilter
    ) -> Sequence[OutgoingDocument]:
        """The agency's outgoing documents the viewer may see, newest first."""
        query = self._query(agency_id, viewer_id, filters)
        query = query.order_by(
            office_outgoing.c.issued_at.desc().nulls_first(), office_outgoing.c.id.desc()
        )
        if filters.offset:
            query = query.offset(filters.offset)
        if filters.limit is not None:
            query = query.limit(filters.limit)
        return self._complete(self._session.execute(query).all())

    def register(
        self, agency_id: int, viewer_id: int | None, year: int, series: str, filters: OutgoingFilter
    ) -> Sequence[OutgoingDocument]:
        """The register of a year and series, in number order."""
        base = OutgoingFilter(
            states=filters.states,
            year=year,
            series=series,
            text=filters.text,
            doctype_key=filters.doctype_key,
            issued_from=filters.issued_from,
            issued_to=filters.issued_to,
        )
        query = self._query(agency_id, viewer_id, base).where(office_outgoing.c.number.is_not(None))
        return self._complete(self._session.execute(query.order_by(office_outgoing.c.number)).all())

    def _query(self, agency_id: int, viewer_id: int | None, f: OutgoingFilter) -> Select[Any]:
        t = office_outgoing
        conditions = [
            t.c.agency_id == agency_id,
            visible_to(t, office_access.c.outgoing_id, viewer_id),
        ]
        if f.states:
            conditions.append(t.c.state.in_([s.value for s in f.states]))
        if f.year is not None:
            conditions.append(t.c.year == f.year)
        if f.series is not None:
            conditions.append(t.c.series == f.series)
        if f.text:
            conditions.append(t.c.subject_key.contains(fold(f.text), autoescape=True))
        if f.doctype_key:
            conditions.append(t.c.doctype_key == f.doctype_key)
        if f.issued_from is not None:
            conditions.append(t.c.issued_at >= day_start(f.issued_from))
        if f.issued_to is not None:
            conditions.append(t.c.issued_at < day_start(f.issued_to, next_day=True))
        return select(t).where(and_(*conditions))

    # -- recipients ----------------------------------------------------------------------

    def set_recipients(self, doc_id: int, recipients: Sequence[NewRecipient]) -> None:
        self._session.execute(
            delete(office_recipients).where(office_recipients.c.outgoing_id == doc_id)
        )
        for position, r in enumerate(recipients, start=1):
            self._session.execute(
                insert(office_recipients).values(
                    outgoing_id=doc_id,
                    position=position,
                    kind=r.kind.value,
                    channel=r.channel.value,
                    agency_id=r.agency_id,
                    name=r.name,
                    email=r.email,
                    address=r.address,
                    dispatch_state=DispatchState.PENDING.value,
                )
            )

    def update_recipient(self, doc_id: int, recipient_id: int, **values: Any) -> bool:
        result = self._session.execute(
            update(office_recipients)
            .where(
                office_recipients.c.id == recipient_id,
                office_recipients.c.outgoing_id == doc_id,
            )
            .values(values)
        )
        return bool(getattr(result, "rowcount", 0))

    def by_document_id(self, document_id: str) -> Sequence[tuple[int, int]]:
        """``(agency id, document id)`` of the outgoing documents with an edXML DocumentId."""
        rows = self._session.execute(
            select(office_outgoing.c.agency_id, office_outgoing.c.id).where(
                office_outgoing.c.document_id == document_id
            )
        )
        return [(int(r.agency_id), int(r.id)) for r in rows]

    # -- mapping -------------------------------------------------------------------------

    def _complete(self, rows: Sequence[Row[Any]]) -> list[OutgoingDocument]:
        ids = [int(r.id) for r in rows]
        recipients: dict[int, list[Recipient]] = {}
        if ids:
            query = (
                select(office_recipients, agencies.c.qcvn_id, agencies.c.qd20_id)
                .outerjoin(agencies, agencies.c.id == office_recipients.c.agency_id)
                .where(office_recipients.c.outgoing_id.in_(ids))
                .order_by(office_recipients.c.position)
            )
            for r in self._session.execute(query):
                recipients.setdefault(int(r.outgoing_id), []).append(_to_recipient(r))
        files = self._trail.files_of("out", ids)
        return [
            _to_document(r, tuple(recipients.get(int(r.id), ())), tuple(files.get(int(r.id), ())))
            for r in rows
        ]


def _to_recipient(r: Row[Any]) -> Recipient:
    return Recipient(
        id=r.id,
        kind=RecipientKind(r.kind),
        channel=Channel(r.channel),
        name=r.name,
        agency_id=r.agency_id,
        agency_code=r.qcvn_id or r.qd20_id,
        email=r.email,
        address=r.address,
        dispatch_state=DispatchState(r.dispatch_state),
        hub_package_id=r.hub_package_id,
        dispatched_at=r.dispatched_at,
        dispatch_error=r.dispatch_error,
        status_code=r.status_code,
        status_at=r.status_at,
        status_description=r.status_description,
    )


def _to_document(
    r: Row[Any], recipients: tuple[Recipient, ...], files: tuple[Any, ...]
) -> OutgoingDocument:
    return OutgoingDocument(
        id=r.id,
        agency_id=r.agency_id,
        state=OutgoingState(r.state),
        doctype_key=r.doctype_key,
        subject=r.subject,
        urgency=Urgency(r.urgency),
        confidentiality=Confidentiality(r.confidentiality),
        form=DocumentForm(r.form),
        scanned=bool(r.scanned),
        drafter_id=r.drafter_id,
        unit_id=r.unit_id,
        signer_id=r.signer_id,
        catalogue_id=r.catalogue_id,
        created_at=r.created_at,
        updated_at=r.updated_at,
        draft_sha256=r.draft_sha256,
        pdf_sha256=r.pdf_sha256,
        signed_at=r.signed_at,
        series=r.series,
        year=r.year,
        number=r.number,
        notation=r.notation,
        code=r.code,
        issued_at=r.issued_at,
        issued_by=r.issued_by,
        document_id=r.document_id,
        agency_signed_at=r.agency_signed_at,
        dispatched_at=r.dispatched_at,
        handed_over_at=r.handed_over_at,
        file_keeper=r.file_keeper,
        copies=r.copies,
        notes=r.notes,
        request_reason=r.request_reason,
        recipients=recipients,
        attachments=files,
    )
