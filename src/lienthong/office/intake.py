"""How documents arrive: electronic intake from the hub, paper arrivals, and the status
outbox the hub's sync worker drains.

The seam for the hub's sync worker (which talks to the hub through ``HubClient``):

1. it claims a delivery, fetches the package, reads it (``lienthong.edxml.reader``) and
   verifies its signatures (XML-DSig of the package, PAdES of the PDFs);
2. it builds a :class:`ReceivedDocument` — :func:`received_from_package` does it from a
   :class:`~lienthong.edxml.model.DocumentPackage` — and calls
   :meth:`IntakeService.receive` with ``Actor.system(agency_id)``: the document is
   stored in state ``received`` and a status 01 is queued; receiving the same delivery
   again returns the same document;
3. for a status 13 (take-back request) it calls ``IncomingService.recall_received``; for
   statuses about our own outgoing documents, ``DispatchService.recipient_status``;
4. it sends every :meth:`IntakeService.pending_statuses` record as a status package and
   reports :meth:`IntakeService.status_sent` or :meth:`IntakeService.status_failed`.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta

from lienthong.db.uow import UnitOfWork
from lienthong.edxml.doctypes import lookup_doctype
from lienthong.edxml.model import BusinessDocType, DocumentPackage, StatusCode
from lienthong.errors import ValidationError
from lienthong.office.access import agency_of, require_roles, visible_incoming
from lienthong.office.common import MAX_SUBJECT, clean_text, required_text, store_file, store_pdf
from lienthong.office.documents import Channel, FileInput, IncomingDocument, OutboxRecord
from lienthong.office.incoming import add_status
from lienthong.office.model import Actor, Confidentiality, DocumentForm, Role, Urgency
from lienthong.office.numbering import incoming_series, numbering_year
from lienthong.office.workflow import IncomingState
from lienthong.storage import BlobRef, BlobStore

_LINKS = {
    BusinessDocType.REVOKE: "revoke",
    BusinessDocType.UPDATE: "update",
    BusinessDocType.REPLACE: "replace",
}


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    """The essentials of one verified signature (package or PDF) as the worker saw them."""

    file: str
    signer: str
    valid: bool
    agency_id: str | None = None
    verdict: str = ""


@dataclass(frozen=True, slots=True)
class ReceivedDocument:
    """A document delivered by the hub, as plain data."""

    hub_delivery_id: str
    sender_document_id: str
    sender_code: str
    sender_name: str
    subject: str
    code: str = ""
    document_date: date | None = None
    doctype_name: str = ""
    urgency: Urgency = Urgency.NORMAL
    signer_name: str = ""
    received_at: datetime | None = None
    main_pdf: FileInput | None = None
    attachments: tuple[FileInput, ...] = ()
    #: Blob key of the exact package bytes, if the worker stored them.
    package_sha256: str | None = None
    signatures: tuple[SignatureCheck, ...] = ()
    #: ``revoke``, ``update`` or ``replace`` with the DocumentId it concerns.
    link_kind: str | None = None
    linked_document_id: str | None = None
    #: The sender also sends paper (``Bussiness/Paper``).
    paper_follows: bool = False


@dataclass(frozen=True, slots=True)
class PaperArrival:
    """A paper document registered by hand, with its scan."""

    sender_name: str
    subject: str
    code: str | None = None
    document_date: date | None = None
    doctype: str | None = None
    urgency: Urgency = Urgency.NORMAL
    confidentiality: Confidentiality = Confidentiality.NONE
    signer_name: str | None = None
    received_at: datetime | None = None
    #: Any identifier of the sender, when it is in the directory.
    sender_agency: str | None = None
    notes: str | None = None


def received_from_package(
    package: DocumentPackage,
    *,
    delivery_id: str,
    signatures: Sequence[SignatureCheck] = (),
    package_sha256: str | None = None,
    received_at: datetime | None = None,
) -> ReceivedDocument:
    """Map a read document package to :class:`ReceivedDocument` (the first PDF attachment
    is the main document, the others its attachments)."""
    header = package.header
    files = [
        FileInput(a.attachment_name, a.read_bytes(), a.content_type) for a in package.attachments
    ]
    main = next((f for f in files if f.content_type == "application/pdf"), None)
    business = package.business
    link = _LINKS.get(business.business_doc_type) if business else None
    return ReceivedDocument(
        hub_delivery_id=delivery_id,
        sender_document_id=header.document_id,
        sender_code=header.from_.organ_id,
        sender_name=header.from_.organ_name or header.from_.organ_id,
        subject=header.subject,
        code=str(header.code),
        document_date=header.promulgation_info.promulgation_date,
        doctype_name=header.document_type.type_name,
        urgency=Urgency.of_priority(header.other_info.priority),
        signer_name=header.signer_info.full_name,
        received_at=received_at,
        main_pdf=main,
        attachments=tuple(f for f in files if f is not main),
        package_sha256=package_sha256,
        signatures=tuple(signatures),
        link_kind=link,
        linked_document_id=(business.document_id or None) if business and link else None,
        paper_follows=bool(business and business.paper),
    )


class IntakeService:
    """Arrivals and the status outbox."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], blobs: BlobStore) -> None:
        self._uow = uow_factory
        self._blobs = blobs

    def by_delivery(self, actor: Actor, delivery_id: str) -> IncomingDocument | None:
        """The document a hub delivery was stored as, if it was."""
        require_roles(actor, Role.SYSTEM, action="receive from the hub")
        with self._uow() as uow:
            return uow.office.incoming.by_delivery(agency_of(actor), delivery_id)

    def receive(self, actor: Actor, received: ReceivedDocument) -> IncomingDocument:
        """Store a delivered document (state ``received``, status 01 queued); idempotent
        per ``hub_delivery_id``."""
        require_roles(actor, Role.SYSTEM, action="receive from the hub")
        agency_id = agency_of(actor)
        with self._uow() as uow:
            known = uow.office.incoming.by_delivery(agency_id, received.hub_delivery_id)
        if known is not None:
            return known
        main = (
            store_pdf(self._blobs, received.main_pdf.content, what="the main PDF")
            if received.main_pdf
            else None
        )
        stored = [(f, store_file(self._blobs, f)) for f in received.attachments]
        doctype = lookup_doctype(received.doctype_name) if received.doctype_name else None
        with self._uow() as uow:
            sender = uow.agencies.lookup(received.sender_code)
            values = {
                "state": IncomingState.RECEIVED.value,
                "channel": Channel.HUB.value,
                "hub_delivery_id": received.hub_delivery_id,
                "sender_document_id": received.sender_document_id,
                "sender_agency_id": sender.id if sender else None,
                "sender_code": received.sender_code,
                "sender_name": sender.name if sender else received.sender_name,
                "code": clean_text(received.code, field="code", max_length=120),
                "document_date": received.document_date,
                "doctype_key": doctype.key if doctype else None,
                "doctype_name": clean_text(received.doctype_name, field="type", max_length=200),
                "subject": clean_text(received.subject, field="subject", max_length=MAX_SUBJECT)
                or "(không có trích yếu)",
                "urgency": received.urgency.value,
                "confidentiality": Confidentiality.NONE.value,
                "form": (
                    DocumentForm.MIXED if received.paper_follows else DocumentForm.ELECTRONIC
                ).value,
                "scanned": False,
                "signer_name": clean_text(received.signer_name, field="signer", max_length=200),
                "received_at": received.received_at or uow.clock.now(),
                "pdf_sha256": main.sha256 if main else None,
                "package_sha256": received.package_sha256,
                "signatures_valid": all(s.valid for s in received.signatures)
                if received.signatures
                else None,
                "signature_summary": json.dumps(
                    [asdict(s) for s in received.signatures], ensure_ascii=False
                )
                if received.signatures
                else None,
                "link_kind": received.link_kind,
                "linked_document_id": received.linked_document_id,
            }
            doc_id = uow.office.incoming.add(agency_id, values)
            self._files(uow, doc_id, stored)
            uow.office.trail.record(
                "in",
                doc_id,
                agency_id=agency_id,
                actor=actor,
                action="receive",
                to_state="received",
            )
            doc = uow.office.incoming.get(agency_id, doc_id)
            add_status(uow, actor, doc, StatusCode.ARRIVED.value, None)
            uow.commit()
            return doc

    def register_paper(
        self,
        actor: Actor,
        arrival: PaperArrival,
        scan: bytes,
        *,
        attachments: Sequence[FileInput] = (),
    ) -> IncomingDocument:
        """A clerk registers a paper arrival with its scan: it gets the next incoming
        number at once (form paper, scanned)."""
        require_roles(actor, Role.CLERK, action="register a paper arrival")
        agency_id = agency_of(actor)
        subject = required_text(arrival.subject, field="subject", max_length=MAX_SUBJECT)
        sender_name = required_text(arrival.sender_name, field="sender", max_length=500)
        doctype = lookup_doctype(arrival.doctype) if arrival.doctype else None
        ref = store_pdf(self._blobs, scan, what="the scan")
        stored = [(f, store_file(self._blobs, f)) for f in attachments]
        series = incoming_series(arrival.confidentiality)
        with self._uow() as uow:
            now = uow.clock.now()
            number = uow.office.counters.next(agency_id, series, numbering_year(now))
            sender = uow.agencies.lookup(arrival.sender_agency) if arrival.sender_agency else None
            values = {
                "state": IncomingState.REGISTERED.value,
                "channel": Channel.PAPER.value,
                "sender_agency_id": sender.id if sender else None,
                "sender_code": sender.code if sender else None,
                "sender_name": sender_name,
                "code": clean_text(arrival.code, field="code", max_length=120),
                "document_date": arrival.document_date,
                "doctype_key": doctype.key if doctype else None,
                "doctype_name": doctype.name
                if doctype
                else clean_text(arrival.doctype, field="type", max_length=200),
                "subject": subject,
                "urgency": arrival.urgency.value,
                "confidentiality": arrival.confidentiality.value,
                "form": DocumentForm.PAPER.value,
                "scanned": True,
                "signer_name": clean_text(arrival.signer_name, field="signer", max_length=200),
                "received_at": _arrival_time(arrival.received_at, now),
                "series": series.value,
                "year": numbering_year(now),
                "number": number,
                "registered_at": now,
                "registered_by": actor.user_id,
                "pdf_sha256": ref.sha256,
                "notes": clean_text(arrival.notes, field="notes", max_length=4000),
            }
            doc_id = uow.office.incoming.add(agency_id, values)
            self._files(uow, doc_id, stored)
            if actor.user_id is not None:
                uow.office.trail.grant("in", doc_id, actor.user_id, "clerk")
            uow.office.trail.record(
                "in",
                doc_id,
                agency_id=agency_id,
                actor=actor,
                action="register_paper",
                to_state="registered",
            )
            uow.commit()
            return uow.office.incoming.get(agency_id, doc_id)

    # -- the status outbox --------------------------------------------------------------

    def pending_statuses(self, actor: Actor, *, limit: int = 100) -> Sequence[OutboxRecord]:
        """Statuses waiting to be sent for the actor's agency, oldest first."""
        require_roles(actor, Role.SYSTEM, action="send statuses")
        with self._uow() as uow:
            return uow.office.incoming.outbox(agency_id=agency_of(actor), limit=limit)

    def status_sent(self, actor: Actor, record_id: int, hub_package_id: str) -> None:
        """The status package was accepted by the hub."""
        require_roles(actor, Role.SYSTEM, action="send statuses")
        with self._uow() as uow:
            record = self._record(uow, actor, record_id)
            uow.office.incoming.update_outbox(
                record.id,
                state="sent",
                sent_at=uow.clock.now(),
                hub_package_id=hub_package_id,
                attempts=record.attempts + 1,
                last_error=None,
            )
            uow.commit()

    def status_failed(
        self, actor: Actor, record_id: int, error: str, *, final: bool = False
    ) -> None:
        """Sending failed: it stays pending (retried) unless ``final``."""
        require_roles(actor, Role.SYSTEM, action="send statuses")
        with self._uow() as uow:
            record = self._record(uow, actor, record_id)
            uow.office.incoming.update_outbox(
                record.id,
                state="failed" if final else "pending",
                attempts=record.attempts + 1,
                last_error=error[:500],
            )
            uow.commit()

    def outbox(self, actor: Actor, incoming_id: int) -> Sequence[OutboxRecord]:
        """Every status queued for one incoming document, whatever its state."""
        with self._uow() as uow:
            doc = visible_incoming(uow, actor, incoming_id)
            return uow.office.incoming.outbox(
                agency_id=doc.agency_id,
                incoming_id=doc.id,
                states=("pending", "sent", "failed"),
            )

    @staticmethod
    def _record(uow: UnitOfWork, actor: Actor, record_id: int) -> OutboxRecord:
        return uow.office.incoming.outbox_record(agency_of(actor), record_id)

    @staticmethod
    def _files(uow: UnitOfWork, doc_id: int, stored: Sequence[tuple[FileInput, BlobRef]]) -> None:
        for file, ref in stored:
            uow.office.trail.add_file("in", doc_id, file, ref)


#: The earliest arrival time a paper document may be registered with.
EARLIEST_ARRIVAL = datetime(1945, 9, 2, tzinfo=UTC)


def _arrival_time(given: datetime | None, now: datetime) -> datetime:
    """When a paper document arrived: ``now`` if not said; else an aware time between
    1945-09-02 and a day from now (a time beyond would sort and count the document into
    years and reports it does not belong to, and could not be corrected)."""
    if given is None:
        return now
    if given.tzinfo is None or given.utcoffset() is None:
        raise ValidationError(
            "the arrival time needs a time zone (e.g. 2026-05-10T08:00:00+07:00)",
            code="office.invalid_date",
            field="received_at",
        )
    if not EARLIEST_ARRIVAL <= given <= now + timedelta(days=1):
        raise ValidationError(
            f"the arrival time {given.isoformat()} is not between 1945-09-02 and tomorrow",
            code="office.invalid_date",
            field="received_at",
        )
    return given.astimezone(UTC)
