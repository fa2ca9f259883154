"""What the sync worker does with one delivered package (no hub calls here).

:class:`InboundProcessor` takes a delivery's exact bytes and decides, returning the
:class:`~.hubsync_journal.InboundEntry` it recorded:

1. the recipient must be an agency this office hosts;
2. the bytes are kept in the blob store (their SHA-256 is the key);
3. the package is read (hardened reader, ``edxml`` limits) and validated; its XML
   signature verified against the office's trust store (``verify_package``). Any of
   these failing makes the delivery ``failed`` — the worker acknowledges it ``fail`` with
   the reason;
4. a **document**: every PDF attachment's PAdES signatures are validated
   (``validate_pdf``); the package is stored as an incoming document
   (``IntakeService.receive``: state ``received``, status 01 queued; idempotent by
   delivery id) with the summary of the checks, and the full reports go to the journal.
   A revocation (business type 1) or replacement (type 3) first puts the documents it
   acts on in ``recall_requested``, so the clerk agrees (15: cancelled) or refuses (16);
   an update (type 2) is stored linked to the document it updates;
5. a **status**: 13 (the sender takes its document back) → ``IncomingService.
   recall_received``; 01–06, 15, 16 → ``DispatchService.recipient_status`` on our
   outgoing document. A valid status about nothing we hold is ``ignored``.

Storage errors propagate (the delivery is not acknowledged, its lease runs out and it
comes again); a delivery already journaled as handled is not handled twice.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

from lienthong.clock import Clock, SystemClock
from lienthong.edxml import model as m
from lienthong.edxml.reader import read_package
from lienthong.edxml.validate import validate_package
from lienthong.edxml.xmldsig import verify_package
from lienthong.edxml.xmldsig_report import PackageSignatureReport
from lienthong.errors import (
    LienthongError,
    NotFound,
    PackageError,
    SignatureError,
    StorageError,
    ValidationError,
    WorkflowError,
)
from lienthong.hub.schemas import DeliveryItem
from lienthong.office.hubsync_journal import APPLIED, FAILED, IGNORED, STORED, InboundEntry
from lienthong.office.hubsync_packages import from_vn_naive
from lienthong.office.intake import SignatureCheck, received_from_package
from lienthong.office.model import Actor, OfficeAgency
from lienthong.office.numbering import vn_date
from lienthong.office.services import OfficeServices
from lienthong.pdfsign.validate import validate_pdf
from lienthong.pki.model import TrustStore
from lienthong.settings import EdxmlLimits
from lienthong.storage import BlobStore

_WITHDRAWN = {
    m.BusinessDocType.REVOKE: "Văn bản bị thu hồi",
    m.BusinessDocType.REPLACE: "Văn bản được thay thế",
}


class InboundProcessor:
    """Checks and applies delivered packages for the office's agencies."""

    def __init__(
        self,
        office: OfficeServices,
        *,
        blobs: BlobStore,
        trust: Callable[[], TrustStore],
        clock: Clock | None = None,
        limits: EdxmlLimits | None = None,
    ) -> None:
        self._office = office
        self._blobs = blobs
        self._trust = trust
        self._clock = clock or SystemClock()
        self._limits = limits or EdxmlLimits()

    def handle(self, item: DeliveryItem, content: bytes) -> InboundEntry:
        """Handle one delivery's bytes; the journal entry (``failed`` → ack ``fail``)."""
        known = self._office.inbound.get(item.delivery_id)
        if known is not None and not known.failed:
            return known
        entry = InboundEntry(
            delivery_id=item.delivery_id,
            package_id=item.package_id,
            kind=item.kind,
            recipient=item.recipient,
            sender=item.sender,
            document_id=item.document_id,
            status_code=item.status_code,
            outcome=FAILED,
            received_at=self._clock.now(),
        )
        agency = self._hosted(item.recipient)
        if agency is None:
            return self._done(entry, FAILED, f"{item.recipient} is not hosted by this office")
        entry = replace(
            entry, agency_id=agency.agency_id, package_sha256=self._blobs.put(content).sha256
        )
        checked = self._check(content, entry)
        if isinstance(checked, InboundEntry):
            return checked
        package, signature = checked
        reports: dict[str, Any] = {"package": signature.to_dict()}
        actor = Actor.system(agency.agency_id)
        try:
            if isinstance(package, m.StatusPackage):
                return self._status(actor, package, entry, reports)
            return self._document(actor, item, package, entry, signature)
        except StorageError:
            raise
        except LienthongError as exc:
            return self._done(entry, FAILED, f"[{exc.code}] {exc.message}", reports=reports)

    def _check(
        self, content: bytes, entry: InboundEntry
    ) -> tuple[m.DocumentPackage | m.StatusPackage, PackageSignatureReport] | InboundEntry:
        """The package read, compliant and validly signed, or the ``failed`` entry."""
        try:
            package = read_package(content, limits=self._limits)
        except PackageError as exc:
            return self._done(entry, FAILED, f"unreadable package: {exc.message}")
        problems = validate_package(package, today=vn_date(self._clock.now())).errors
        if problems:
            listed = "; ".join(f"{p.path}: {p.message}" for p in problems[:5])
            return self._done(entry, FAILED, f"the package is not compliant: {listed}")
        try:
            signature = verify_package(
                content, self._trust(), clock=self._clock, limits=self._limits
            )
        except SignatureError as exc:
            return self._done(entry, FAILED, f"the signature cannot be checked: {exc.message}")
        if not signature.valid:
            reason = "; ".join(signature.reasons) or signature.verdict.value
            reports = {"package": signature.to_dict()}
            return self._done(entry, FAILED, f"package signature: {reason}", reports=reports)
        return package, signature

    # -- documents ----------------------------------------------------------------------------

    def _document(
        self,
        actor: Actor,
        item: DeliveryItem,
        package: m.DocumentPackage,
        entry: InboundEntry,
        signature: PackageSignatureReport,
    ) -> InboundEntry:
        checks = [
            SignatureCheck(
                "package",
                signature.certificate.common_name if signature.certificate else "",
                valid=signature.valid,
                agency_id=signature.certificate_agency_id,
                verdict=signature.verdict.value,
            )
        ]
        reports: dict[str, Any] = {"package": signature.to_dict(), "pdf": []}
        for attachment in package.attachments:
            if not _is_pdf(attachment):
                continue
            checks += self._pdf_checks(attachment, reports)
        notes: list[str] = []
        intake = self._office.intake
        stored = intake.by_delivery(actor, item.delivery_id)
        if stored is None:
            notes = self._withdraw(actor, package)
            received = received_from_package(
                package,
                delivery_id=item.delivery_id,
                signatures=checks,
                package_sha256=entry.package_sha256,
                received_at=item.received_at,
            )
            stored = intake.receive(actor, received)
        return self._done(
            replace(entry, incoming_id=stored.id),
            STORED,
            "; ".join(notes) or None,
            reports=reports,
        )

    def _pdf_checks(
        self, attachment: m.Attachment, reports: dict[str, Any]
    ) -> list[SignatureCheck]:
        name = attachment.attachment_name
        try:
            report = validate_pdf(attachment.read_bytes(), self._trust(), clock=self._clock)
        except SignatureError as exc:
            reports["pdf"].append({"file": name, "error": exc.message})
            return [SignatureCheck(name, "", valid=False, verdict=f"unreadable: {exc.message}")]
        reports["pdf"].append({"file": name, "report": report.to_dict()})
        if not report.signatures:
            return [SignatureCheck(name, "", valid=False, verdict="unsigned")]
        return [
            SignatureCheck(
                name,
                s.signer,
                valid=s.valid,
                agency_id=s.agency_id,
                verdict=s.verdict.value
                if s.valid
                else "; ".join([s.verdict.value, *(r.message for r in s.reasons)]),
            )
            for s in report.signatures
        ]

    def _withdraw(self, actor: Actor, package: m.DocumentPackage) -> list[str]:
        """A revocation or replacement puts the documents it acts on before the clerk
        (``recall_requested``); what could not be done is returned as notes."""
        business = package.business
        label = _WITHDRAWN.get(business.business_doc_type) if business else None
        if business is None or label is None:
            return []
        ours = {a.code.upper() for a in self._office.users.agencies()}
        targets = [
            r.document_id
            for r in business.replacement_infos
            if not r.organ_ids or ours & {o.strip().upper() for o in r.organ_ids}
        ] or [business.document_id]
        notes = []
        reason = f"{label}: {business.business_doc_reason}".rstrip(": ")
        for target in dict.fromkeys(t.strip() for t in targets if t.strip()):
            try:
                self._office.incoming.recall_received(actor, target, reason)
            except (NotFound, WorkflowError) as exc:
                notes.append(f"{target}: {exc.message}")
        return notes

    # -- statuses -----------------------------------------------------------------------------

    def _status(
        self, actor: Actor, package: m.StatusPackage, entry: InboundEntry, reports: dict[str, Any]
    ) -> InboundEntry:
        code = package.status_code
        document_id = package.response_for.document_id
        try:
            if code is m.StatusCode.TAKE_BACK_REQUEST:
                doc = self._office.incoming.recall_received(actor, document_id, package.description)
                entry = replace(entry, incoming_id=doc.id)
            else:
                self._office.dispatch.recipient_status(
                    actor,
                    document_id,
                    package.from_.organ_id,
                    code,
                    description=package.description,
                    at=from_vn_naive(package.timestamp) if package.timestamp else None,
                )
        except (NotFound, WorkflowError) as exc:
            return self._done(entry, IGNORED, exc.message, reports=reports)
        return self._done(entry, APPLIED, None, reports=reports)

    # -- helpers ------------------------------------------------------------------------------

    def _hosted(self, recipient: str) -> OfficeAgency | None:
        try:
            return self._office.users.agency(recipient)
        except (NotFound, ValidationError):
            return None

    def _done(
        self,
        entry: InboundEntry,
        outcome: str,
        reason: str | None,
        *,
        reports: dict[str, Any] | None = None,
    ) -> InboundEntry:
        return self._office.inbound.record(
            replace(entry, outcome=outcome, reason=reason, reports=reports)
        )


def _is_pdf(attachment: m.Attachment) -> bool:
    return (
        attachment.content_type == "application/pdf"
        or attachment.attachment_name.lower().endswith(".pdf")
    )
