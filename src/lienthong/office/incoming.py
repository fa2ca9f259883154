"""Incoming documents: accept or reject, assign, handle, finish, recall, paper arrivals.

received (01) → accepted with an incoming number (03) or rejected with a reason (02) → a
leader assigns a lead handler, co-handlers and a deadline (04) → the handlers record
progress (05) → finished (06). A recall request (13) from the sender is answered by the
clerk: agreed (15, the document is cancelled) or refused (16, back where it was).

Every step the sender should hear of adds an ``office_outbox`` record in the same
transaction (only for documents that came through the hub); the hub's sync worker turns
them into status packages (:mod:`.intake` has the other half of that seam).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from lienthong.db.uow import UnitOfWork
from lienthong.errors import NotFound, PermissionDenied, ValidationError
from lienthong.office.access import agency_of, visible_incoming
from lienthong.office.common import (
    MAX_NOTE,
    attachment_of,
    clean_text,
    lost_race,
    read_blob,
    required_text,
)
from lienthong.office.documents import Channel, Event, IncomingDocument
from lienthong.office.model import Actor, Role
from lienthong.office.numbering import incoming_series, numbering_year, vn_date
from lienthong.office.repository_incoming import IncomingFilter
from lienthong.office.workflow import (
    INCOMING_STATUS,
    IncomingAction,
    IncomingState,
    incoming_step,
)
from lienthong.storage import BlobStore

_A = IncomingAction


@dataclass(frozen=True, slots=True)
class Assignment:
    """A leader's decision: who handles the document, by when, with what direction."""

    lead: str
    co_handlers: tuple[str, ...] = ()
    deadline: date | None = None
    direction: str | None = None


class IncomingService:
    """The incoming workflow over a unit-of-work factory."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], blobs: BlobStore) -> None:
        self._uow = uow_factory
        self._blobs = blobs

    def accept(self, actor: Actor, doc_id: int, note: str | None = None) -> IncomingDocument:
        """Register the document: the next incoming number of the year (03)."""
        text = clean_text(note, field="note", max_length=MAX_NOTE)
        with self._uow() as uow:
            doc = visible_incoming(uow, actor, doc_id)
            to = incoming_step(doc.state, _A.ACCEPT, actor)
        series = incoming_series(doc.confidentiality)
        with self._uow() as uow:
            now = uow.clock.now()
            number = uow.office.counters.next(doc.agency_id, series, numbering_year(now))
            values = {
                "state": to.value,
                "series": series.value,
                "year": numbering_year(now),
                "number": number,
                "registered_at": now,
                "registered_by": actor.user_id,
            }
            self._move(uow, actor, doc, _A.ACCEPT, to=to, values=values, note=text)
            uow.commit()
            return uow.office.incoming.get(doc.agency_id, doc.id)

    def reject(self, actor: Actor, doc_id: int, reason: str) -> IncomingDocument:
        """Return the document to its sender with a reason (02)."""
        text = required_text(reason, field="reason")
        with self._uow() as uow:
            doc = visible_incoming(uow, actor, doc_id)
            to = incoming_step(doc.state, _A.REJECT, actor)
            self._move(
                uow, actor, doc, _A.REJECT, to=to, values={"rejected_reason": text}, note=text
            )
            uow.commit()
            return uow.office.incoming.get(doc.agency_id, doc.id)

    def assign(self, actor: Actor, doc_id: int, assignment: Assignment) -> IncomingDocument:
        """A leader names the lead handler, co-handlers, deadline and direction (04)."""
        direction = clean_text(assignment.direction, field="direction", max_length=MAX_NOTE)
        with self._uow() as uow:
            doc = visible_incoming(uow, actor, doc_id)
            to = incoming_step(doc.state, _A.ASSIGN, actor)
            lead = self._colleague(uow, doc.agency_id, assignment.lead)
            co = [self._colleague(uow, doc.agency_id, name) for name in assignment.co_handlers]
            if assignment.deadline is not None and assignment.deadline < vn_date(uow.clock.now()):
                raise ValidationError("the deadline is already past", code="office.deadline_past")
            values = {
                "deadline": assignment.deadline,
                "direction": direction,
                "assigned_by": actor.user_id,
                "assigned_at": uow.clock.now(),
            }
            uow.office.incoming.set_handlers(doc.id, lead, co)
            for user_id, reason in [(lead, "handler"), *((c, "handler") for c in co)]:
                uow.office.trail.grant("in", doc.id, user_id, reason)
            if actor.user_id is not None:
                uow.office.trail.grant("in", doc.id, actor.user_id, "assigner")
            names = ", ".join([assignment.lead, *assignment.co_handlers])
            self._move(uow, actor, doc, _A.ASSIGN, to=to, values=values, note=direction or names)
            uow.commit()
            return uow.office.incoming.get(doc.agency_id, doc.id)

    def progress(self, actor: Actor, doc_id: int, note: str) -> IncomingDocument:
        """A handler records progress (05 the first time)."""
        text = required_text(note, field="note")
        with self._uow() as uow:
            doc = visible_incoming(uow, actor, doc_id)
            to = incoming_step(doc.state, _A.PROGRESS, actor)
            self._require_handler(actor, doc, lead_only=False)
            notify = doc.state is not to
            self._move(uow, actor, doc, _A.PROGRESS, to=to, values={}, note=text, notify=notify)
            uow.commit()
            return uow.office.incoming.get(doc.agency_id, doc.id)

    def finish(self, actor: Actor, doc_id: int, note: str | None = None) -> IncomingDocument:
        """The lead handler (or the leader who assigned it) closes the handling (06)."""
        text = clean_text(note, field="note", max_length=MAX_NOTE)
        with self._uow() as uow:
            doc = visible_incoming(uow, actor, doc_id)
            to = incoming_step(doc.state, _A.FINISH, actor)
            if actor.user_id != doc.assigned_by:
                self._require_handler(actor, doc, lead_only=True)
            values = {"finished_at": uow.clock.now()}
            self._move(uow, actor, doc, _A.FINISH, to=to, values=values, note=text)
            uow.commit()
            return uow.office.incoming.get(doc.agency_id, doc.id)

    def recall_received(
        self, actor: Actor, sender_document_id: str, reason: str = ""
    ) -> IncomingDocument:
        """The sender asks for its document back (status 13, through the sync worker)."""
        text = clean_text(reason, field="reason", max_length=MAX_NOTE)
        agency_id = agency_of(actor)
        with self._uow() as uow:
            ids = uow.office.incoming.by_sender_document(agency_id, sender_document_id)
            if not ids:
                raise NotFound(
                    f"no incoming document {sender_document_id!r}", code="office.document_unknown"
                )
            doc = visible_incoming(uow, actor, ids[0])
            to = incoming_step(doc.state, _A.RECALL_RECEIVED, actor)
            values = {"state_before_recall": doc.state.value, "recall_reason": text}
            self._move(uow, actor, doc, _A.RECALL_RECEIVED, to=to, values=values, note=text)
            uow.commit()
            return uow.office.incoming.get(doc.agency_id, doc.id)

    def agree_recall(self, actor: Actor, doc_id: int) -> IncomingDocument:
        """The clerk agrees: the document is cancelled here (15)."""
        with self._uow() as uow:
            doc = visible_incoming(uow, actor, doc_id)
            to = incoming_step(doc.state, _A.AGREE_RECALL, actor)
            self._move(
                uow, actor, doc, _A.AGREE_RECALL, to=to, values={"state_before_recall": None}
            )
            uow.commit()
            return uow.office.incoming.get(doc.agency_id, doc.id)

    def refuse_recall(self, actor: Actor, doc_id: int, reason: str) -> IncomingDocument:
        """The clerk refuses (16): the document goes back to where it was."""
        text = required_text(reason, field="reason")
        with self._uow() as uow:
            doc = visible_incoming(uow, actor, doc_id)
            to = incoming_step(doc.state, _A.REFUSE_RECALL, actor, doc.state_before_recall)
            values = {"state_before_recall": None}
            self._move(uow, actor, doc, _A.REFUSE_RECALL, to=to, values=values, note=text)
            uow.commit()
            return uow.office.incoming.get(doc.agency_id, doc.id)

    def grant(self, actor: Actor, doc_id: int, username: str) -> None:
        """Let a colleague see a (confidential) document: by a clerk or leader who sees it —
        e.g. the clerk hands a secret document to the leader who will assign it."""
        with self._uow() as uow:
            doc = visible_incoming(uow, actor, doc_id)
            if not actor.has(Role.CLERK, Role.LEADER):
                raise PermissionDenied(
                    "only a clerk or a leader shares a document", code="office.forbidden_role"
                )
            user_id = self._colleague(uow, doc.agency_id, username)
            uow.office.trail.grant("in", doc.id, user_id, "granted")
            uow.office.trail.record(
                "in", doc.id, agency_id=doc.agency_id, actor=actor, action="grant", note=username
            )
            uow.commit()

    # -- reading -------------------------------------------------------------------------

    def get(self, actor: Actor, doc_id: int) -> IncomingDocument:
        with self._uow() as uow:
            return visible_incoming(uow, actor, doc_id)

    def search(
        self, actor: Actor, filters: IncomingFilter | None = None
    ) -> Sequence[IncomingDocument]:
        """The agency's incoming documents the actor may see (``overdue`` set on each)."""
        with self._uow() as uow:
            return uow.office.incoming.search(
                agency_of(actor), actor.user_id, filters or IncomingFilter()
            )

    def overdue(self, actor: Actor) -> Sequence[IncomingDocument]:
        """Documents past their deadline and not finished."""
        return self.search(actor, IncomingFilter(overdue_only=True))

    def events(self, actor: Actor, doc_id: int) -> Sequence[Event]:
        with self._uow() as uow:
            doc = visible_incoming(uow, actor, doc_id)
            return uow.office.trail.events("in", doc.id)

    def pdf(self, actor: Actor, doc_id: int) -> bytes:
        """The main PDF (or the scan of a paper arrival)."""
        with self._uow() as uow:
            doc = visible_incoming(uow, actor, doc_id)
        if doc.pdf_sha256 is None:
            raise NotFound("the document has no PDF", code="office.no_pdf")
        return read_blob(self._blobs, doc.pdf_sha256)

    def attachment(self, actor: Actor, doc_id: int, file_id: int) -> tuple[str, str, bytes]:
        """``(name, content type, bytes)`` of an attachment that came with the document."""
        with self._uow() as uow:
            doc = visible_incoming(uow, actor, doc_id)
        return attachment_of(self._blobs, doc.attachments, file_id)

    # -- helpers -------------------------------------------------------------------------

    @staticmethod
    def _colleague(uow: UnitOfWork, agency_id: int, username: str) -> int:
        user = uow.office.people.find_user(username.strip().lower())
        membership = uow.office.people.membership(user.id, agency_id) if user else None
        if (
            user is None
            or membership is None
            or not membership.roles
            & {
                Role.SPECIALIST,
                Role.LEADER,
                Role.CLERK,
            }
        ):
            raise ValidationError(
                f"{username!r} is not staff of the agency", code="office.handler_unknown"
            )
        return user.id

    @staticmethod
    def _require_handler(actor: Actor, doc: IncomingDocument, *, lead_only: bool) -> None:
        handlers = [h for h in doc.handlers if h.lead or not lead_only]
        if actor.user_id not in {h.user_id for h in handlers}:
            what = "the lead handler" if lead_only else "a handler"
            raise PermissionDenied(
                f"only {what} of the document does this", code="workflow.not_a_handler"
            )

    @staticmethod
    def _move(
        uow: UnitOfWork,
        actor: Actor,
        doc: IncomingDocument,
        action: IncomingAction,
        *,
        to: IncomingState,
        values: dict[str, Any],
        note: str | None = None,
        notify: bool = True,
    ) -> None:
        if not uow.office.incoming.change(doc.id, doc.state, {**values, "state": to.value}):
            raise lost_race("incoming", doc.id)
        uow.office.trail.record(
            "in",
            doc.id,
            agency_id=doc.agency_id,
            actor=actor,
            action=action.value,
            from_state=doc.state.value,
            to_state=to.value,
            note=note,
        )
        status = INCOMING_STATUS.get(action)
        if notify and status is not None:
            add_status(uow, actor, doc, status.value, note)


def add_status(
    uow: UnitOfWork, actor: Actor, doc: IncomingDocument, status_code: str, note: str | None
) -> None:
    """Queue a business status for the sender (documents that came through the hub only)."""
    from lienthong.edxml.model import StatusCode

    if doc.channel is not Channel.HUB or not doc.sender_document_id or not doc.sender_code:
        return
    meaning = StatusCode(status_code).meaning_vi
    department = ""
    email = ""
    if actor.user_id is not None:
        user = uow.office.people.user(actor.user_id)
        email = user.email or ""
        if actor.unit_id is not None:
            department = uow.office.people.unit(actor.unit_id).name
    if not department:
        department = uow.office.people.agency(doc.agency_id).name
    uow.office.incoming.add_outbox(
        {
            "agency_id": doc.agency_id,
            "incoming_id": doc.id,
            "status_code": status_code,
            "description": f"{meaning}: {note}" if note else meaning,
            "staff_name": actor.display_name[:200],
            "staff_department": department[:500],
            "staff_email": email,
            "at": uow.clock.now(),
            "recipient_code": doc.sender_code,
            "sender_document_id": doc.sender_document_id,
            "document_code": doc.code,
            "document_date": doc.document_date,
        }
    )
