"""The query layer: the office's tables → :class:`~lienthong.monitor.measures.DocumentRow`.

SQLAlchemy Core, read only, the same statements on SQLite and PostgreSQL. Each query is
one pass over one agency's documents of a time range (an index on ``agency_id`` narrows
it); recipients and lead handlers are joined, never fetched per document.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, select
from sqlalchemy.orm import Session

from lienthong.db.tables import (
    agencies,
    agency_identifiers,
    office_handlers,
    office_incoming,
    office_memberships,
    office_outgoing,
    office_recipients,
    office_units,
    office_users,
)
from lienthong.directory.model import identifier_key
from lienthong.monitor.classify import AgencyTree, Counterpart
from lienthong.monitor.measures import Direction, DocumentRow
from lienthong.monitor.periods import Period, vn_day
from lienthong.office.model import Confidentiality, DocumentForm
from lienthong.office.workflow import OUTGOING_REGISTERED, IncomingState, OutgoingState

#: Outgoing states that withdraw a document from the measures.
OUTGOING_WITHDRAWN = frozenset({OutgoingState.RECALLED, OutgoingState.REPLACED})
#: Incoming states that withdraw a document (returned to its sender, or recalled).
INCOMING_WITHDRAWN = frozenset({IncomingState.REJECTED, IncomingState.CANCELLED})
#: The document type whose documents are dossiers unless flagged otherwise.
DOSSIER_DOCTYPE = "to_trinh"

_o, _i, _r = office_outgoing.c, office_incoming.c, office_recipients.c


class MonitorQueries:
    """Read-only queries for the monitor over one Session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    # -- the directory ---------------------------------------------------------------------

    def agency_tree(self, government: Iterable[str] = ()) -> AgencyTree:
        """Every agency's parent, and the ids of the ``government`` identifiers (unknown
        ones are ignored)."""
        parents = {
            int(r.id): (int(r.parent_id) if r.parent_id is not None else None)
            for r in self._session.execute(select(agencies.c.id, agencies.c.parent_id))
        }
        keys = [identifier_key(code) for code in government if code.strip()]
        ids: set[int] = set()
        if keys:
            found = select(agency_identifiers.c.agency_id).where(agency_identifiers.c.key.in_(keys))
            ids = {int(v) for v in self._session.execute(found).scalars()}
        return AgencyTree(parents, frozenset(ids))

    def resolve(self, identifier: str) -> int | None:
        """The directory id of any identifier, if known."""
        query = select(agency_identifiers.c.agency_id).where(
            agency_identifiers.c.key == identifier_key(identifier)
        )
        found = self._session.execute(query).scalar_one_or_none()
        return int(found) if found is not None else None

    # -- documents -------------------------------------------------------------------------

    def rows(self, agency_id: int, tree: AgencyTree, period: Period) -> list[DocumentRow]:
        """Every row :func:`~lienthong.monitor.measures.counted` needs for ``period``:
        the period's outgoing and incoming documents, and the later incoming ones that
        replace or revoke earlier documents."""
        start, until = period.instants
        return self.outgoing_rows(agency_id, tree, start, until) + self.incoming_rows(
            agency_id, tree, start, until
        )

    def outgoing_rows(
        self, agency_id: int, tree: AgencyTree, start: datetime, until: datetime
    ) -> list[DocumentRow]:
        """Outgoing documents issued in ``[start, until)`` (drafts never count)."""
        where = and_(
            _o.agency_id == agency_id,
            _o.state.in_([s.value for s in OUTGOING_REGISTERED]),
            _o.issued_at >= start,
            _o.issued_at < until,
        )
        kinds: dict[int, set[Counterpart]] = defaultdict(set)
        recipients = (
            select(_r.outgoing_id, _r.agency_id)
            .join(office_outgoing, office_outgoing.c.id == _r.outgoing_id)
            .where(where)
        )
        for rec in self._session.execute(recipients):
            kinds[int(rec.outgoing_id)].add(tree.classify(agency_id, rec.agency_id))
        columns = (
            _o.id,
            _o.state,
            _o.issued_at,
            _o.form,
            _o.scanned,
            _o.confidentiality,
            _o.signed_at,
            _o.agency_signed_at,
            _o.unit_id,
            _o.dossier,
            _o.document_id,
            _o.doctype_key,
        )
        result = self._session.execute(select(*columns).where(where).order_by(_o.id))
        return [_outgoing(agency_id, r, frozenset(kinds.get(int(r.id), ()))) for r in result]

    def incoming_rows(
        self, agency_id: int, tree: AgencyTree, start: datetime, until: datetime
    ) -> list[DocumentRow]:
        """Incoming documents that arrived in ``[start, until)``, and those arrived since
        ``start`` that replace or revoke another document."""
        lead = office_handlers.alias("lead")
        member = office_memberships.alias("member")
        query = (
            select(
                _i.id,
                _i.state,
                _i.received_at,
                _i.form,
                _i.scanned,
                _i.confidentiality,
                _i.signatures_valid,
                _i.sender_agency_id,
                _i.deadline,
                _i.finished_at,
                _i.sender_document_id,
                _i.link_kind,
                _i.linked_document_id,
                _i.doctype_key,
                _i.doctype_name,
                lead.c.user_id.label("handler_id"),
                member.c.unit_id.label("unit_id"),
            )
            .select_from(office_incoming)
            .outerjoin(lead, and_(lead.c.incoming_id == _i.id, lead.c.lead.is_(True)))
            .outerjoin(
                member, and_(member.c.user_id == lead.c.user_id, member.c.agency_id == agency_id)
            )
            .where(
                _i.agency_id == agency_id,
                _i.received_at >= start,
                (_i.received_at < until) | _i.link_kind.in_(("replace", "revoke")),
            )
            .order_by(_i.id)
        )
        return [_incoming(agency_id, tree, r) for r in self._session.execute(query)]

    # -- names -----------------------------------------------------------------------------

    def unit_names(self, agency_id: int) -> dict[int, str]:
        query = select(office_units.c.id, office_units.c.name).where(
            office_units.c.agency_id == agency_id
        )
        return {int(r.id): str(r.name) for r in self._session.execute(query)}

    def user_names(self, user_ids: Sequence[int]) -> dict[int, str]:
        if not user_ids:
            return {}
        query = select(office_users.c.id, office_users.c.full_name).where(
            office_users.c.id.in_(sorted(set(user_ids)))
        )
        return {int(r.id): str(r.full_name) for r in self._session.execute(query)}

    def set_dossier(self, agency_id: int, outgoing_id: int, value: bool | None) -> bool:
        """Flag an outgoing document as a dossier (or not; ``None``: by its type)."""
        result = self._session.execute(
            office_outgoing.update()
            .where(_o.id == outgoing_id, _o.agency_id == agency_id)
            .values(dossier=value)
        )
        return bool(result.rowcount)  # type: ignore[attr-defined]


def _outgoing(agency_id: int, r: Any, kinds: frozenset[Counterpart]) -> DocumentRow:
    dossier = r.dossier if r.dossier is not None else r.doctype_key == DOSSIER_DOCTYPE
    return DocumentRow(
        id=int(r.id),
        agency_id=agency_id,
        direction=Direction.OUTGOING,
        day=vn_day(r.issued_at),
        form=DocumentForm(r.form),
        scanned=bool(r.scanned),
        signed=r.signed_at is not None and r.agency_signed_at is not None,
        confidential=Confidentiality(r.confidentiality).secret,
        counterparts=kinds,
        unit_id=r.unit_id,
        dossier=bool(dossier),
        withdrawn=OutgoingState(r.state) in OUTGOING_WITHDRAWN,
        ref=r.document_id,
        doctype=r.doctype_key or "",
    )


def _incoming(agency_id: int, tree: AgencyTree, r: Any) -> DocumentRow:
    return DocumentRow(
        id=int(r.id),
        agency_id=agency_id,
        direction=Direction.INCOMING,
        day=vn_day(r.received_at),
        form=DocumentForm(r.form),
        scanned=bool(r.scanned),
        signed=r.signatures_valid is True,
        confidential=Confidentiality(r.confidentiality).secret,
        counterparts=frozenset({tree.classify(agency_id, r.sender_agency_id)}),
        unit_id=r.unit_id,
        handler_id=r.handler_id,
        deadline=r.deadline,
        finished_on=vn_day(r.finished_at) if r.finished_at is not None else None,
        withdrawn=IncomingState(r.state) in INCOMING_WITHDRAWN,
        ref=r.sender_document_id,
        link_kind=r.link_kind,
        linked_ref=r.linked_document_id,
        doctype=r.doctype_key or r.doctype_name or "",
    )
