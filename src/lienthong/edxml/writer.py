"""Writing edXML packages: strict, streaming.

The writer emits the order and names of spec/edxml.md, UTF-8 with an XML declaration, the
edXML namespace as the default namespace, and omits empty optional elements. Dates are
``yyyy/MM/dd`` and timestamps ``yyyy/MM/dd HH:mm:ss``. ``ResponseFor/Code`` is written as
text (``7816/VPCP-TTĐT``), as real traffic carries it. No signature is written: the
signing module appends one inside ``edXMLHeader`` (after ``TraceHeaderList``) to the
written bytes.

Output is streamed with ``lxml.etree.xmlfile``; attachment payloads are read from
``Attachment.open()`` in chunks and base64-encoded on the way (through a one-member zip
first when ``Attachment.zipped``), so memory stays small whatever their size.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any, BinaryIO

from lxml import etree

from lienthong.edxml.model import (
    NS,
    Attachment,
    Business,
    DocumentPackage,
    MessageHeader,
    Organization,
    ResponseFor,
    StaffInfo,
    StatusPackage,
)
from lienthong.edxml.payload import encode_payload
from lienthong.edxml.values import format_date, format_timestamp
from lienthong.errors import PackageError

__all__ = ["package_to_bytes", "write_package"]

DECLARATION = b'<?xml version="1.0" encoding="UTF-8"?>\n'
ZIP_CONTENT_TYPE = "application/zip"
#: Element names accepted for ``OtherInfo.extra`` (an XML NCName, letters of any script).
_NAME = re.compile(r"[^\W\d][\w.-]*")


class _Out:
    """Indented element writing on top of an ``xmlfile`` context."""

    def __init__(self, xf: Any) -> None:
        self.xf = xf
        self.depth = 1  # inside the root element

    @contextmanager
    def element(self, name: str, **attrib: str) -> Iterator[None]:
        self.xf.write("\n" + "  " * self.depth)
        with self.xf.element(f"{{{NS}}}{name}", attrib):
            self.depth += 1
            yield
            self.depth -= 1
            self.xf.write("\n" + "  " * self.depth)

    def emit(self, text: str) -> None:
        """Write a (large) piece of text and pass it on at once: ``xmlfile`` would buffer it."""
        self.xf.write(text)
        self.xf.flush()

    def leaf(self, name: str, value: str | int | None) -> None:
        """A text element, omitted when empty (``None`` or ``""``)."""
        if value is None or value == "":
            return
        self.xf.write("\n" + "  " * self.depth)
        with self.xf.element(f"{{{NS}}}{name}"):
            self.xf.write(str(value))

    def date(self, name: str, value: Any) -> None:
        self.leaf(name, format_date(value) if value is not None else None)


def write_package(pkg: DocumentPackage | StatusPackage, out: BinaryIO) -> None:
    """Write ``pkg`` to the binary stream ``out``.

    Raises :class:`PackageError` (code ``package.write``) when the model cannot be written
    (text with characters XML forbids, an attachment without content or content id, ...);
    ``out`` then holds an incomplete package and must be discarded.
    """
    if isinstance(pkg, DocumentPackage):
        _check_attachments(pkg.attachments)
    out.write(DECLARATION)
    try:
        with etree.xmlfile(out, encoding="utf-8", close=False) as xf:
            w = _Out(xf)
            with xf.element(f"{{{NS}}}edXML", nsmap={None: NS}):
                if isinstance(pkg, StatusPackage):
                    _status(w, pkg)
                else:
                    _document(w, pkg)
                xf.write("\n")
    except PackageError:
        raise
    except (ValueError, TypeError, OSError) as exc:
        raise PackageError(f"the package cannot be written: {exc}", code="package.write") from exc
    out.write(b"\n")


def package_to_bytes(pkg: DocumentPackage | StatusPackage) -> bytes:
    """The written package as bytes (for small packages; prefer :func:`write_package`)."""
    buffer = io.BytesIO()
    write_package(pkg, buffer)
    return buffer.getvalue()


def _check_attachments(attachments: list[Attachment]) -> None:
    seen: set[str] = set()
    for att in attachments:
        if not att.content_id:
            raise PackageError(
                f"attachment {att.attachment_name!r} has no content id "
                "(see attachments.with_content_ids)",
                code="package.write",
            )
        if att.content_id in seen:
            raise PackageError(f"content id {att.content_id!r} is used twice", code="package.write")
        seen.add(att.content_id)
        if att.opener is None:
            raise PackageError(
                f"attachment {att.content_id!r} has no content", code="package.write"
            )


def _organization(w: _Out, name: str, org: Organization) -> None:
    with w.element(name):
        w.xf.write("\n" + "  " * w.depth)
        with w.xf.element(f"{{{NS}}}OrganId"):
            w.xf.write(org.organ_id)  # written even when empty: the element is required
        w.leaf("OrganizationInCharge", org.organization_in_charge)
        w.leaf("OrganName", org.organ_name)
        w.leaf("OrganAdd", org.organ_add)
        w.leaf("Email", org.email)
        w.leaf("Telephone", org.telephone)
        w.leaf("Fax", org.fax)
        w.leaf("Website", org.website)


def _response_for(w: _Out, rf: ResponseFor) -> None:
    with w.element("ResponseFor"):
        w.leaf("OrganId", rf.organ_id)
        w.leaf("Code", rf.code)
        w.date("PromulgationDate", rf.promulgation_date)
        w.leaf("DocumentId", rf.document_id)


def _staff_info(w: _Out, info: StaffInfo | None) -> None:
    if info is None or info == StaffInfo():
        return
    with w.element("StaffInfo"):
        w.leaf("Department", info.department)
        w.leaf("Staff", info.staff)
        w.leaf("Mobile", info.mobile)
        w.leaf("Email", info.email)


def _message_header(w: _Out, mh: MessageHeader) -> None:
    with w.element("MessageHeader"):
        _organization(w, "From", mh.from_)
        for to in mh.to:
            _organization(w, "To", to)
        if mh.code.code_number or mh.code.code_notation:
            with w.element("Code"):
                w.leaf("CodeNumber", mh.code.code_number)
                w.leaf("CodeNotation", mh.code.code_notation)
        info = mh.promulgation_info
        if info.place or info.promulgation_date is not None:
            with w.element("PromulgationInfo"):
                w.leaf("Place", info.place)
                w.date("PromulgationDate", info.promulgation_date)
        with w.element("DocumentType"):
            w.leaf("Type", mh.document_type.type)
            w.leaf("TypeDetail", mh.document_type.type_detail)
            w.leaf("TypeName", mh.document_type.type_name)
        w.leaf("Subject", mh.subject)
        w.leaf("Content", mh.content)
        signer = mh.signer_info
        if signer.competence or signer.position or signer.full_name:
            with w.element("SignerInfo"):
                w.leaf("Competence", signer.competence)
                w.leaf("Position", signer.position)
                w.leaf("FullName", signer.full_name)
        w.date("DueDate", mh.due_date)
        if any(mh.to_places):
            with w.element("ToPlaces"):
                for place in mh.to_places:
                    w.leaf("Place", place)
        _other_info(w, mh)
        for rf in mh.response_for:
            _response_for(w, rf)
        w.leaf("SteeringType", mh.steering_type)
        w.leaf("DocumentId", mh.document_id)


def _other_info(w: _Out, mh: MessageHeader) -> None:
    other = mh.other_info
    with w.element("OtherInfo"):
        w.leaf("Priority", other.priority)
        w.leaf("SphereOfPromulgation", other.sphere_of_promulgation)
        w.leaf("TyperNotation", other.typer_notation)
        w.leaf("PromulgationAmount", other.promulgation_amount)
        w.leaf("PageAmount", other.page_amount)
        if any(other.appendixes):
            with w.element("Appendixes"):
                for appendix in other.appendixes:
                    w.leaf("Appendix", appendix)
        for name, value in other.extra.items():  # read-through of other systems' additions
            if not _NAME.fullmatch(name):
                raise PackageError(
                    f"OtherInfo extra {name!r} is not an element name", code="package.write"
                )
            w.leaf(name, value)


def _business(w: _Out, biz: Business) -> None:
    with w.element("Bussiness"):
        w.leaf("BussinessDocType", int(biz.business_doc_type))
        w.leaf("BussinessDocReason", biz.business_doc_reason)
        info = biz.business_document_info
        if info is not None:
            with w.element("BussinessDocumentInfo"):
                w.leaf("DocumentInfo", int(info.document_info))
                w.leaf("DocumentReceiver", int(info.document_receiver))
                if info.receivers:
                    with w.element("ReceiverList"):
                        for receiver in info.receivers:
                            with w.element("Receiver"):
                                w.leaf("OrganId", receiver.organ_id)
                                w.leaf("ReceiverType", receiver.receiver_type)
        w.leaf("DocumentId", biz.document_id)
        _staff_info(w, biz.staff_info)
        w.leaf("Paper", int(biz.paper))
        if biz.replacement_infos:
            with w.element("ReplacementInfoList"):
                for replacement in biz.replacement_infos:
                    with w.element("ReplacementInfo"):
                        w.leaf("DocumentId", replacement.document_id)
                        if any(replacement.organ_ids):
                            with w.element("OrganIdList"):
                                for organ_id in replacement.organ_ids:
                                    w.leaf("OrganId", organ_id)


def _document(w: _Out, pkg: DocumentPackage) -> None:
    with w.element("edXMLEnvelope"):
        with w.element("edXMLHeader"):
            _message_header(w, pkg.header)
            if pkg.trace_headers or pkg.business is not None:
                with w.element("TraceHeaderList"):
                    for trace in pkg.trace_headers:
                        with w.element("TraceHeader"):
                            w.leaf("OrganId", trace.organ_id)
                            w.leaf("Timestamp", format_timestamp(trace.timestamp))
                    if pkg.business is not None:
                        _business(w, pkg.business)
        with w.element("edXMLBody"), w.element("edXMLManifest", version="1.0"):
            for att in pkg.attachments:
                with w.element("Reference"):
                    w.leaf("ContentId", att.content_id)
                    w.leaf("ContentType", _wire_type(att))
                    w.leaf("Description", att.description)
                    w.leaf("AttachmentName", att.attachment_name)
    if pkg.attachments:
        with w.element("AttachmentEncoded"):
            for att in pkg.attachments:
                _attachment(w, att)


def _wire_type(att: Attachment) -> str:
    return ZIP_CONTENT_TYPE if att.zipped else att.content_type or "application/octet-stream"


def _attachment(w: _Out, att: Attachment) -> None:
    with w.element("Attachment"):
        w.leaf("ContentId", att.content_id)
        w.leaf("AttachmentName", att.attachment_name)
        w.leaf("Description", att.description)
        w.leaf("ContentType", _wire_type(att))
        w.xf.write("\n" + "  " * w.depth)
        with w.xf.element(f"{{{NS}}}ContentTransferEncoded"):
            encode_payload(att, w.emit)


def _status(w: _Out, pkg: StatusPackage) -> None:
    with w.element("edXMLEnvelope"), w.element("edXMLHeader"), w.element("MessageHeader"):
        _organization(w, "From", pkg.from_)
        _response_for(w, pkg.response_for)
        _staff_info(w, pkg.staff_info)
        w.leaf("StatusCode", pkg.status_code.value)
        w.leaf("Description", pkg.description)
        if pkg.timestamp is not None:
            w.leaf("Timestamp", format_timestamp(pkg.timestamp))
