"""The edXML packages the office sends, built from its documents (pure: no I/O).

- a **document package** from an outgoing document: ``From`` the agency, ``To`` its hub
  recipients (their directory ids), number and notation, promulgation date (the Vietnam
  day of the issue), type, subject, signer, priority, ``ToPlaces`` every recipient (hub,
  paper and e-mail: the "Nơi nhận"), the document's own DocumentId, a ``Bussiness`` block
  (type 0 new, 2 update, 3 replace; ``Paper`` when a paper copy follows), the
  agency-signed PDF first and the stamped attachments after it;
- a **status package** from an outbox record (01–06, 15, 16, reported on a document we
  received) or for a take-back request (13, on one of our documents).

Every package is validated before it is written (:func:`lienthong.edxml.compose.
refuse_invalid`) and signed with the agency's organisation certificate: the hub accepts a
package only when the signing certificate belongs to the ``From`` agency.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime

from lienthong.clock import VN_TZ
from lienthong.edxml import model as m
from lienthong.edxml.attachments import attachment_from_bytes
from lienthong.edxml.compose import refuse_invalid
from lienthong.edxml.doctypes import EdxmlTypeTable, lookup_doctype
from lienthong.edxml.writer import package_to_bytes
from lienthong.edxml.xmldsig import sign_package
from lienthong.errors import WorkflowError
from lienthong.office.documents import (
    Channel,
    FileInput,
    OfficeAgencyRef,
    OutboxRecord,
    OutgoingDocument,
    Recipient,
)
from lienthong.office.model import DocumentForm
from lienthong.office.numbering import vn_date, written_number
from lienthong.office.workflow import OutgoingAction
from lienthong.pki.model import SigningIdentity

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def vn_naive(at: datetime) -> datetime:
    """An aware instant as edXML writes it: Vietnam wall time, whole seconds."""
    return at.astimezone(VN_TZ).replace(tzinfo=None, microsecond=0)


def from_vn_naive(at: datetime) -> datetime:
    """The inverse of :func:`vn_naive`: an edXML timestamp as an aware instant."""
    return at.replace(tzinfo=VN_TZ) if at.tzinfo is None else at


def file_name(code: str, suffix: str = ".pdf") -> str:
    """An ASCII file name for a document's number and notation: ``01-UBND-TTDT.pdf``."""
    folded = unicodedata.normalize("NFD", code.replace("đ", "d").replace("Đ", "D"))
    plain = "".join(ch for ch in folded if not unicodedata.combining(ch))
    return (_UNSAFE.sub("-", plain).strip("-") or "van-ban") + suffix


def sign_and_write(
    pkg: m.DocumentPackage | m.StatusPackage, identity: SigningIdentity, *, now: datetime
) -> bytes:
    """Validate (any error refuses it), write and sign a package."""
    refuse_invalid(pkg, today=vn_date(now))
    return sign_package(package_to_bytes(pkg), identity)


def _recipient_org(recipient: Recipient) -> m.Organization:
    if recipient.agency_code is None:  # pragma: no cover - hub recipients are agencies
        raise WorkflowError(f"{recipient.name} has no agency id", code="workflow.no_hub_recipients")
    return m.Organization(recipient.agency_code, recipient.name)


def document_package(
    doc: OutgoingDocument,
    agency: OfficeAgencyRef,
    *,
    to: Sequence[Recipient],
    files: Sequence[FileInput],
    now: datetime,
    signer_name: str = "",
    signer_title: str = "",
    business: m.Business | None = None,
    type_table: EdxmlTypeTable | None = None,
) -> m.DocumentPackage:
    """The package of an issued document for the hub recipients ``to``; ``files`` are the
    agency-signed main PDF first, then the attachments."""
    if doc.number is None or doc.notation is None or doc.issued_at is None:
        raise WorkflowError(f"document {doc.id} is not issued", code="workflow.not_issued")
    if not doc.document_id:
        raise WorkflowError(
            f"document {doc.id} has no edXML DocumentId", code="workflow.no_document_id"
        )
    doctype = lookup_doctype(doc.doctype_key)
    table = type_table or EdxmlTypeTable()
    header = m.MessageHeader(
        from_=m.Organization(agency.code, agency.name),
        to=[_recipient_org(r) for r in to],
        code=m.Code(written_number(doc.number), doc.notation),
        promulgation_info=m.PromulgationInfo("", vn_date(doc.issued_at)),
        document_type=table.to_edxml(doctype)
        if doctype
        else m.DocumentType(type_name=doc.doctype_key),
        subject=doc.subject,
        signer_info=m.SignerInfo("", signer_title, signer_name),
        to_places=[r.name for r in doc.recipients],
        other_info=m.OtherInfo(priority=doc.urgency.priority, promulgation_amount=doc.copies),
        document_id=doc.document_id,
    )
    attachments = [
        attachment_from_bytes(f.name, f.content, content_type=f.content_type, content_id=f"cid:{i}")
        for i, f in enumerate(files, start=1)
    ]
    paper = doc.form is DocumentForm.MIXED or any(
        r.channel is Channel.PAPER for r in doc.recipients
    )
    return m.DocumentPackage(
        header=header,
        trace_headers=[m.TraceHeader(agency.code, vn_naive(now))],
        business=business or m.Business(paper=paper),
        attachments=attachments,
    )


def request_business(
    doc: OutgoingDocument, action: OutgoingAction, reason: str, to: Sequence[Recipient]
) -> m.Business:
    """The ``Bussiness`` block of an update (type 2) or replacement (type 3) of ``doc``."""
    document_id = doc.document_id or ""
    if action is OutgoingAction.REQUEST_UPDATE:
        return m.Business(
            business_doc_type=m.BusinessDocType.UPDATE,
            business_doc_reason=reason,
            business_document_info=m.BusinessDocumentInfo(
                document_info=True, document_receiver=False
            ),
            document_id=document_id,
        )
    if action is OutgoingAction.REQUEST_REPLACE:
        return m.Business(
            business_doc_type=m.BusinessDocType.REPLACE,
            business_doc_reason=reason,
            document_id=document_id,
            replacement_infos=[
                m.ReplacementInfo(document_id, [r.agency_code for r in to if r.agency_code])
            ],
        )
    raise WorkflowError(f"{action} sends no document package", code="office.bad_action")


def take_back_status(
    doc: OutgoingDocument, agency: OfficeAgencyRef, *, reason: str, requested_at: datetime
) -> m.StatusPackage:
    """Status 13: the sender asks for its document back (dated when the clerk asked)."""
    issued = vn_date(doc.issued_at) if doc.issued_at else None
    return m.StatusPackage(
        from_=m.Organization(agency.code, agency.name),
        response_for=m.ResponseFor(agency.code, doc.code or "", issued, doc.document_id or ""),
        status_code=m.StatusCode.TAKE_BACK_REQUEST,
        description=reason,
        timestamp=vn_naive(requested_at),
    )


def outbox_status(record: OutboxRecord, agency_name: str = "") -> m.StatusPackage:
    """The status package of an outbox record (what we report on a document received)."""
    return m.StatusPackage(
        from_=m.Organization(record.agency_code, agency_name),
        response_for=m.ResponseFor(
            record.recipient_code,
            record.document_code or "",
            record.document_date,
            record.sender_document_id,
        ),
        status_code=m.StatusCode(record.status_code),
        description=record.description,
        timestamp=vn_naive(record.at),
        staff_info=m.StaffInfo(
            department=record.staff_department,
            staff=record.staff_name,
            email=record.staff_email,
        ),
    )
