"""The seam to the hub for outgoing documents: dispatch, delivery statuses, recall,
update and replacement requests.

The office never talks to the hub itself. A :class:`Dispatcher` (built by the hub
integration over ``lienthong.hub.client.HubClient``) turns a :class:`DispatchItem` —
a document in ``ready_to_dispatch`` with its agency-signed PDF, stamped attachments and
hub recipients — into edXML packages and sends them; :meth:`DispatchService.record`
stores what happened per recipient. Statuses the recipients send back (01–06, 15, 16)
come in through :meth:`DispatchService.recipient_status`.

Confidential documents never reach a dispatcher: they cannot become ready (the agency
signature refuses them), :meth:`DispatchService.ready` filters them out again, and
:meth:`DispatchService.record` refuses them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from lienthong.db.uow import UnitOfWork
from lienthong.edxml.model import StatusCode
from lienthong.errors import NotFound, ValidationError, WorkflowError
from lienthong.office.access import agency_of, require_roles, visible_outgoing
from lienthong.office.common import lost_race, required_text
from lienthong.office.documents import (
    DispatchState,
    OfficeAgencyRef,
    OutgoingDocument,
    Recipient,
)
from lienthong.office.model import Actor, Role
from lienthong.office.repository_outgoing import OutgoingFilter
from lienthong.office.workflow import OutgoingAction, OutgoingState, outgoing_step

_A = OutgoingAction
#: The request each waiting state stands for.
_REQUESTS = {
    OutgoingState.RECALL_REQUESTED: _A.REQUEST_RECALL,
    OutgoingState.UPDATE_REQUESTED: _A.REQUEST_UPDATE,
    OutgoingState.REPLACE_REQUESTED: _A.REQUEST_REPLACE,
}
#: Trail action: a recall request (status 13) went through the hub.
_REQUEST_SENT = "request_sent"


@dataclass(frozen=True, slots=True)
class DispatchItem:
    """A document ready to go: what a dispatcher needs to build its packages.

    ``document.pdf_sha256`` and each attachment's ``current_sha256`` are blob keys (the
    agency-signed versions); ``recipients`` are the hub recipients still to be sent.
    """

    agency: OfficeAgencyRef
    document: OutgoingDocument
    recipients: tuple[Recipient, ...]
    #: The competent person who signed (``SignerInfo`` of the package).
    signer_name: str = ""
    signer_title: str = ""


@dataclass(frozen=True, slots=True)
class RequestItem:
    """A recall, update or replacement request still to be sent through the hub.

    ``action`` is the request (``request_recall``, ``request_update``,
    ``request_replace``); ``requested_at`` is when it was made (a status 13 is dated so,
    which makes a repeated send a duplicate at the hub).
    """

    agency: OfficeAgencyRef
    document: OutgoingDocument
    action: OutgoingAction
    reason: str
    requested_at: datetime
    signer_name: str = ""
    signer_title: str = ""


@dataclass(frozen=True, slots=True)
class RecipientOutcome:
    """What sending to one recipient gave: a hub package id, or an error."""

    recipient_id: int
    hub_package_id: str | None = None
    error: str | None = None

    @property
    def sent(self) -> bool:
        return self.hub_package_id is not None and self.error is None


class Dispatcher(Protocol):
    """Sends a ready document to its hub recipients (implemented by the hub integration)."""

    def dispatch(self, item: DispatchItem) -> Sequence[RecipientOutcome]:
        """Send one document; one outcome per recipient of ``item``."""
        ...


class DispatchService:
    """The outgoing side of the hub seam."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork]) -> None:
        self._uow = uow_factory

    def ready(self, actor: Actor, *, limit: int = 50) -> list[DispatchItem]:
        """Documents of the actor's agency waiting to be dispatched, oldest first."""
        require_roles(actor, Role.SYSTEM, Role.CLERK, action="dispatch")
        agency_id = agency_of(actor)
        with self._uow() as uow:
            agency = uow.office.people.agency(agency_id)
            docs = uow.office.outgoing.search(
                agency_id, None, OutgoingFilter(states=(OutgoingState.READY_TO_DISPATCH,))
            )
            ref = OfficeAgencyRef(agency.agency_id, agency.code, agency.name)
            return [
                DispatchItem(
                    ref,
                    doc,
                    tuple(
                        r for r in doc.hub_recipients if r.dispatch_state is not DispatchState.SENT
                    ),
                    *self._signer(uow, doc),
                )
                for doc in [
                    d for d in sorted(docs, key=lambda d: d.id) if not d.confidentiality.secret
                ][:limit]
            ]

    def record(
        self, actor: Actor, doc_id: int, outcomes: Sequence[RecipientOutcome]
    ) -> OutgoingDocument:
        """Store the outcome per recipient; once every hub recipient has been sent to,
        the document is ``dispatched``."""
        with self._uow() as uow:
            doc = visible_outgoing(uow, actor, doc_id)
            if doc.confidentiality.secret:
                raise WorkflowError(
                    "a confidential document never travels through the exchange hub",
                    code="workflow.confidential_not_dispatchable",
                )
            to = outgoing_step(doc.state, _A.DISPATCH, actor)
            now = uow.clock.now()
            by_id = {r.id: r for r in doc.hub_recipients}
            for outcome in outcomes:
                if outcome.recipient_id not in by_id:
                    raise ValidationError(
                        f"recipient {outcome.recipient_id} is not a hub recipient of {doc.id}",
                        code="office.recipient_unknown",
                    )
                uow.office.outgoing.update_recipient(
                    doc.id,
                    outcome.recipient_id,
                    dispatch_state=(
                        DispatchState.SENT if outcome.sent else DispatchState.FAILED
                    ).value,
                    hub_package_id=outcome.hub_package_id,
                    dispatched_at=now if outcome.sent else None,
                    dispatch_error=(outcome.error or "")[:500] or None,
                )
            after = uow.office.outgoing.get(doc.agency_id, doc.id)
            if all(r.dispatch_state is DispatchState.SENT for r in after.hub_recipients):
                if not uow.office.outgoing.change(
                    doc.id, doc.state, {"state": to.value, "dispatched_at": now}
                ):
                    raise lost_race("outgoing", doc.id)
                self._record(uow, actor, doc, "dispatch", from_state=doc.state, to=to)
            else:
                failed = [
                    r.name for r in after.hub_recipients if r.dispatch_state is DispatchState.FAILED
                ]
                note = "; ".join(failed)
                self._record(
                    uow, actor, doc, "dispatch_failed", from_state=None, to=None, note=note
                )
            uow.commit()
            return uow.office.outgoing.get(doc.agency_id, doc.id)

    def dispatch_ready(self, actor: Actor, dispatcher: Dispatcher) -> list[OutgoingDocument]:
        """Hand every ready document to ``dispatcher`` and record the outcomes."""
        done = []
        for item in self.ready(actor):
            outcomes = dispatcher.dispatch(item)
            done.append(self.record(actor, item.document.id, outcomes))
        return done

    # -- requests after dispatch ------------------------------------------------------------

    def request_recall(self, actor: Actor, doc_id: int, reason: str) -> OutgoingDocument:
        """Ask the recipients to give the document back (a status 13 goes out)."""
        return self._request(actor, doc_id, _A.REQUEST_RECALL, reason)

    def request_update(self, actor: Actor, doc_id: int, reason: str) -> OutgoingDocument:
        """Announce an update of the document (the dispatcher sends it, then
        :meth:`request_done` with ``update_sent``)."""
        return self._request(actor, doc_id, _A.REQUEST_UPDATE, reason)

    def request_replace(self, actor: Actor, doc_id: int, reason: str) -> OutgoingDocument:
        """Announce that the document is replaced (the dispatcher sends the replacement)."""
        return self._request(actor, doc_id, _A.REQUEST_REPLACE, reason)

    def request_done(
        self, actor: Actor, doc_id: int, action: OutgoingAction, *, note: str | None = None
    ) -> OutgoingDocument:
        """``update_sent`` or ``replacement_sent``: the dispatcher delivered the new version
        (``note``: e.g. the hub's package id)."""
        if action not in (_A.UPDATE_SENT, _A.REPLACEMENT_SENT):
            raise ValidationError(f"{action} is not a request outcome", code="office.bad_action")
        with self._uow() as uow:
            doc = visible_outgoing(uow, actor, doc_id)
            to = outgoing_step(doc.state, action, actor)
            if not uow.office.outgoing.change(doc.id, doc.state, {"state": to.value}):
                raise lost_race("outgoing", doc.id)
            self._record(uow, actor, doc, action.value, from_state=doc.state, to=to, note=note)
            uow.commit()
            return uow.office.outgoing.get(doc.agency_id, doc.id)

    def requests(self, actor: Actor, *, limit: int = 50) -> list[RequestItem]:
        """Recall, update and replacement requests of the actor's agency not sent yet,
        oldest first (a recall stays listed until :meth:`request_sent`)."""
        require_roles(actor, Role.SYSTEM, Role.CLERK, action="dispatch")
        agency_id = agency_of(actor)
        with self._uow() as uow:
            agency = uow.office.people.agency(agency_id)
            ref = OfficeAgencyRef(agency.agency_id, agency.code, agency.name)
            docs = uow.office.outgoing.search(
                agency_id, None, OutgoingFilter(states=tuple(_REQUESTS))
            )
            items = []
            for doc in sorted(docs, key=lambda d: d.id):
                action = _REQUESTS[doc.state]
                events = uow.office.trail.events("out", doc.id)
                asked = next((e for e in reversed(events) if e.action == action.value), None)
                if asked is None or doc.confidentiality.secret:
                    continue
                if any(e.id > asked.id and e.action == _REQUEST_SENT for e in events):
                    continue
                reason = doc.request_reason or asked.note or ""
                items.append(
                    RequestItem(ref, doc, action, reason, asked.at, *self._signer(uow, doc))
                )
        return items[:limit]

    def request_sent(self, actor: Actor, doc_id: int, hub_package_id: str) -> OutgoingDocument:
        """The request went through the hub: a recall waits for the answers (15/16); an
        update or a replacement is done (``update_sent`` / ``replacement_sent``)."""
        require_roles(actor, Role.SYSTEM, Role.CLERK, action="dispatch")
        with self._uow() as uow:
            doc = visible_outgoing(uow, actor, doc_id)
            if doc.state is OutgoingState.RECALL_REQUESTED:
                self._record(
                    uow, actor, doc, _REQUEST_SENT, from_state=None, to=None, note=hub_package_id
                )
                uow.commit()
                return uow.office.outgoing.get(doc.agency_id, doc.id)
        done = {
            OutgoingState.UPDATE_REQUESTED: _A.UPDATE_SENT,
            OutgoingState.REPLACE_REQUESTED: _A.REPLACEMENT_SENT,
        }.get(doc.state)
        if done is None:
            raise WorkflowError(
                f"document {doc.id} has no pending request ({doc.state.value})",
                code="workflow.illegal_transition",
            )
        return self.request_done(actor, doc_id, done, note=hub_package_id)

    def recipient_status(
        self,
        actor: Actor,
        document_id: str,
        recipient_code: str,
        status: StatusCode,
        *,
        description: str = "",
        at: datetime | None = None,
    ) -> OutgoingDocument:
        """A recipient reported a business status on one of our documents (by its edXML
        DocumentId). On a pending recall, 15 from every hub recipient makes the document
        ``recalled``; once all answered and one refused (16), it is ``dispatched`` again."""
        require_roles(actor, Role.SYSTEM, action="record a delivery status")
        agency_id = agency_of(actor)
        with self._uow() as uow:
            matches = [
                d for a, d in uow.office.outgoing.by_document_id(document_id) if a == agency_id
            ]
            if not matches:
                raise NotFound(
                    f"no outgoing document {document_id!r}", code="office.document_unknown"
                )
            doc = uow.office.outgoing.get(agency_id, matches[0])
            recipient = self._recipient_by_code(uow, doc, recipient_code)
            when = at or uow.clock.now()
            # A status older than the one recorded (delivered out of order) joins the
            # trail but does not replace the latest.
            if recipient.status_at is None or when >= recipient.status_at:
                uow.office.outgoing.update_recipient(
                    doc.id,
                    recipient.id,
                    status_code=status.value,
                    status_at=when,
                    status_description=description[:4000] or None,
                )
            self._record(
                uow,
                actor,
                doc,
                f"status_{status.value}",
                from_state=None,
                to=None,
                note=recipient.name,
            )
            self._settle_recall(uow, actor, doc.agency_id, doc.id)
            uow.commit()
            return uow.office.outgoing.get(doc.agency_id, doc.id)

    # -- helpers -----------------------------------------------------------------------------

    def _request(
        self, actor: Actor, doc_id: int, action: OutgoingAction, reason: str
    ) -> OutgoingDocument:
        note = required_text(reason, field="reason")
        with self._uow() as uow:
            doc = visible_outgoing(uow, actor, doc_id)
            to = outgoing_step(doc.state, action, actor)
            if not uow.office.outgoing.change(
                doc.id, doc.state, {"state": to.value, "request_reason": note}
            ):
                raise lost_race("outgoing", doc.id)
            self._record(uow, actor, doc, action.value, from_state=doc.state, to=to, note=note)
            uow.commit()
            return uow.office.outgoing.get(doc.agency_id, doc.id)

    @staticmethod
    def _signer(uow: UnitOfWork, doc: OutgoingDocument) -> tuple[str, str]:
        if doc.signer_id is None:
            return "", ""
        user = uow.office.people.user(doc.signer_id)
        return user.full_name, user.title or ""

    @staticmethod
    def _recipient_by_code(uow: UnitOfWork, doc: OutgoingDocument, code: str) -> Recipient:
        agency = uow.agencies.lookup(code)
        for r in doc.hub_recipients:
            if agency is not None and r.agency_id == agency.id:
                return r
        raise NotFound(f"{code} is not a recipient of {doc.code}", code="office.recipient_unknown")

    def _settle_recall(self, uow: UnitOfWork, actor: Actor, agency_id: int, doc_id: int) -> None:
        doc = uow.office.outgoing.get(agency_id, doc_id)
        if doc.state is not OutgoingState.RECALL_REQUESTED:
            return
        # A recipient that rejected the document (02) has nothing to give back.
        rejected = StatusCode.REJECTED.value
        answers = [r.status_code for r in doc.hub_recipients if r.status_code != rejected]
        agreed, refused = StatusCode.REQUEST_AGREED.value, StatusCode.REQUEST_REFUSED.value
        if not all(a in (agreed, refused) for a in answers):
            return
        action = _A.RECALL_AGREED if all(a == agreed for a in answers) else _A.RECALL_REFUSED
        to = outgoing_step(doc.state, action, actor)
        if not uow.office.outgoing.change(doc.id, doc.state, {"state": to.value}):
            raise lost_race("outgoing", doc.id)
        self._record(uow, actor, doc, action.value, from_state=doc.state, to=to)

    @staticmethod
    def _record(
        uow: UnitOfWork,
        actor: Actor,
        doc: OutgoingDocument,
        action: str,
        *,
        from_state: OutgoingState | None,
        to: OutgoingState | None,
        note: str | None = None,
    ) -> None:
        uow.office.trail.record(
            "out",
            doc.id,
            agency_id=doc.agency_id,
            actor=actor,
            action=action,
            from_state=from_state.value if from_state else None,
            to_state=to.value if to else None,
            note=note,
        )
