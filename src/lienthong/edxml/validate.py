"""Semantic checks of a read package: the rules the XML grammar cannot express.

:func:`validate_package` returns a :class:`ValidationReport` (it raises nothing for an
invalid package). Each :class:`Problem` names the element (``MessageHeader/To[2]/OrganId``,
1-based like XPath), a stable ``code`` (``agency_id.invalid``) and a severity: errors make
the package unacceptable, warnings are oddities real traffic carries (non-standard agency
ids, a UUID document id, repairs the reader made).
"""

from __future__ import annotations

from datetime import date

from lienthong.edxml.checks import check_agency, check_date, check_document_id, check_timestamp
from lienthong.edxml.doctypes import CONG_VAN, check_code_number, lookup_doctype
from lienthong.edxml.document_id import mismatches, parse_document_id
from lienthong.edxml.issues import Problem, ProblemCollector, Severity, ValidationReport
from lienthong.edxml.model import (
    Business,
    BusinessDocType,
    DocumentPackage,
    MessageHeader,
    Priority,
    StatusPackage,
    SteeringType,
)
from lienthong.edxml.validate_status import check_status

__all__ = ["Problem", "Severity", "ValidationReport", "validate_package"]

_HEADER = "MessageHeader"
_TRACE = "TraceHeaderList"
_BUSINESS = "TraceHeaderList/Bussiness"
_PRIORITIES = frozenset(int(p) for p in Priority)
_STEERING = frozenset(int(s) for s in SteeringType)


def validate_package(
    pkg: DocumentPackage | StatusPackage, *, today: date | None = None
) -> ValidationReport:
    """Check a package's content. ``today`` enables the "not in the future" checks."""
    out = ProblemCollector()
    if isinstance(pkg, StatusPackage):
        check_status(pkg, today, out)
    else:
        _check_document(pkg, today, out)
    for warning in pkg.warnings:
        where = f"line {warning.line}" if warning.line else ""
        out.warn(where, warning.code, warning.message)
    return ValidationReport(pkg.kind, out.problems)


def _check_document(pkg: DocumentPackage, today: date | None, out: ProblemCollector) -> None:
    header = pkg.header
    _check_parties(header, out)
    _check_code(pkg, out)
    _check_dates(header, today, out)
    _check_descriptive(header, out)
    _check_own_document_id(pkg, out)
    for index, answered in enumerate(header.response_for, start=1):
        base = f"{_HEADER}/ResponseFor[{index}]"
        check_agency(out, f"{base}/OrganId", answered.organ_id)
        if answered.document_id.strip():
            check_document_id(out, f"{base}/DocumentId", answered.document_id)
    for index, hop in enumerate(pkg.trace_headers, start=1):
        check_agency(out, f"{_TRACE}/TraceHeader[{index}]/OrganId", hop.organ_id)
        check_timestamp(out, f"{_TRACE}/TraceHeader[{index}]/Timestamp", hop.timestamp, today)
    if pkg.business is not None:
        _check_business(pkg.business, out)
    _check_attachments(pkg, out)
    if not pkg.signature.present:
        out.warn("edXMLHeader/Signature", "signature.missing", "the package is not signed")


def _check_parties(header: MessageHeader, out: ProblemCollector) -> None:
    check_agency(out, f"{_HEADER}/From/OrganId", header.from_.organ_id)
    if not header.from_.organ_name.strip():
        out.warn(f"{_HEADER}/From/OrganName", "organization.name_missing", "sender has no name")
    if not header.to:
        out.error(f"{_HEADER}/To", "recipients.missing", "the package names no recipient (To)")
    seen: set[str] = set()
    for index, recipient in enumerate(header.to, start=1):
        path = f"{_HEADER}/To[{index}]/OrganId"
        check_agency(out, path, recipient.organ_id)
        key = recipient.organ_id.strip().upper()
        if key in seen:
            out.warn(path, "recipients.duplicate", f"{recipient.organ_id} is listed twice")
        seen.add(key)


def _check_dates(header: MessageHeader, today: date | None, out: ProblemCollector) -> None:
    promulgation = header.promulgation_info.promulgation_date
    date_path = f"{_HEADER}/PromulgationInfo/PromulgationDate"
    if promulgation is None:
        out.error(date_path, "date.promulgation_missing", "promulgation date is missing")
    check_date(out, date_path, promulgation, today)
    if header.due_date is not None and promulgation is not None and header.due_date < promulgation:
        out.warn(
            f"{_HEADER}/DueDate",
            "date.due_before_promulgation",
            f"due date {header.due_date:%Y/%m/%d} is before the promulgation date "
            f"{promulgation:%Y/%m/%d}",
        )


def _check_descriptive(header: MessageHeader, out: ProblemCollector) -> None:
    type_name = header.document_type.type_name
    if not type_name.strip():
        out.warn(f"{_HEADER}/DocumentType/TypeName", "doctype.missing", "no document type name")
    elif lookup_doctype(type_name) is None:
        out.warn(
            f"{_HEADER}/DocumentType/TypeName",
            "doctype.unknown",
            f"{type_name!r} is not a known document type",
        )
    if not header.subject.strip():
        out.error(f"{_HEADER}/Subject", "subject.missing", "the subject (trích yếu) is empty")
    if not header.signer_info.full_name.strip():
        out.warn(f"{_HEADER}/SignerInfo/FullName", "signer.missing", "the signer is not named")
    if header.other_info.priority not in _PRIORITIES:
        out.error(
            f"{_HEADER}/OtherInfo/Priority",
            "priority.out_of_range",
            f"priority {header.other_info.priority} is not 0-4",
        )
    if header.steering_type not in _STEERING:
        out.error(
            f"{_HEADER}/SteeringType",
            "steering_type.out_of_range",
            f"steering type {header.steering_type} is not 0, 1 or 2",
        )


def _check_code(pkg: DocumentPackage, out: ProblemCollector) -> None:
    code = pkg.header.code
    out.add(f"{_HEADER}/Code/CodeNumber", check_code_number(code.code_number))
    notation = code.code_notation.strip()
    path = f"{_HEADER}/Code/CodeNotation"
    if not notation:
        out.error(path, "code.notation_missing", "the code notation is empty")
        return
    type_name = pkg.header.document_type.type_name
    doctype = lookup_doctype(type_name) if type_name.strip() else None
    # Legal normative notations carry the year: 12/2024/TT-BTC → notation 2024/TT-BTC.
    stray_slash = "/" in notation and (doctype is None or not doctype.is_normative)
    if stray_slash or any(ch.isspace() for ch in notation):
        out.warn(path, "code.notation_format", f"notation {notation!r} has spaces or a stray '/'")
    first = notation.split("-", 1)[0]
    if first.upper() == "CV" and "-" in notation and doctype in (None, CONG_VAN):
        out.warn(
            path,
            "code.notation_cv",
            f"notation {notation!r} starts with 'CV': a công văn has no type abbreviation",
        )


def _check_own_document_id(pkg: DocumentPackage, out: ProblemCollector) -> None:
    header = pkg.header
    path = f"{_HEADER}/DocumentId"
    if not header.document_id.strip():
        out.warn(path, "document_id.missing", "the package carries no DocumentId")
        return
    check_document_id(out, path, header.document_id)
    parsed = parse_document_id(header.document_id)
    differing = mismatches(
        parsed,
        organ_id=header.from_.organ_id,
        promulgation_date=header.promulgation_info.promulgation_date,
        code_number=header.code.code_number,
        code_notation=header.code.code_notation,
    )
    if differing:
        out.warn(
            path,
            "document_id.inconsistent",
            f"DocumentId {parsed.value!r} disagrees with the header on: {', '.join(differing)}",
        )


def _check_business(business: Business, out: ProblemCollector) -> None:
    try:
        kind = BusinessDocType(business.business_doc_type)
    except ValueError:
        out.error(
            f"{_BUSINESS}/BussinessDocType",
            "business.type_unknown",
            f"business type {business.business_doc_type} is not 0-3",
        )
        return
    if business.document_id.strip():
        check_document_id(out, f"{_BUSINESS}/DocumentId", business.document_id)
    if kind is BusinessDocType.NEW:
        return
    label = kind.name.lower()
    if not business.document_id.strip():
        out.error(
            f"{_BUSINESS}/DocumentId",
            "business.document_id_missing",
            f"a {label} package must name the document it acts on (Bussiness/DocumentId)",
        )
    if not business.business_doc_reason.strip():
        out.warn(
            f"{_BUSINESS}/BussinessDocReason",
            "business.reason_missing",
            f"a {label} package should give a reason",
        )
    if kind is BusinessDocType.UPDATE and business.business_document_info is None:
        out.error(
            f"{_BUSINESS}/BussinessDocumentInfo",
            "business.update_info_missing",
            "an update package must say what changed (BussinessDocumentInfo)",
        )
    if kind is BusinessDocType.REPLACE:
        if not business.replacement_infos:
            out.error(
                f"{_BUSINESS}/ReplacementInfoList",
                "business.replacement_info_missing",
                "a replace package must list what it replaces (ReplacementInfoList)",
            )
        for index, info in enumerate(business.replacement_infos, start=1):
            base = f"{_BUSINESS}/ReplacementInfoList/ReplacementInfo[{index}]"
            check_document_id(out, f"{base}/DocumentId", info.document_id)
            for position, organ in enumerate(info.organ_ids, start=1):
                check_agency(out, f"{base}/OrganIdList/OrganId[{position}]", organ)


def _check_attachments(pkg: DocumentPackage, out: ProblemCollector) -> None:
    business = pkg.business
    acting = business is not None and business.business_doc_type in (
        BusinessDocType.REVOKE,
        BusinessDocType.UPDATE,
    )
    if not pkg.attachments and not acting:
        out.warn("edXMLBody/edXMLManifest", "attachments.none", "the package has no attachment")
    seen: set[str] = set()
    for index, attachment in enumerate(pkg.attachments, start=1):
        path = f"AttachmentEncoded/Attachment[{index}]"
        if not attachment.content_id.strip():
            out.error(f"{path}/ContentId", "attachments.content_id_missing", "no ContentId")
        elif attachment.content_id in seen:
            out.error(
                f"{path}/ContentId",
                "attachments.duplicate_content_id",
                f"ContentId {attachment.content_id!r} is used twice",
            )
        seen.add(attachment.content_id)
        if not attachment.attachment_name.strip():
            out.error(f"{path}/AttachmentName", "attachments.name_missing", "no AttachmentName")
        if attachment.opener is None:
            out.error(
                f"{path}/ContentTransferEncoded",
                "attachments.content_missing",
                f"attachment {attachment.attachment_name!r} has no content",
            )
        elif attachment.size == 0:
            out.warn(
                f"{path}/ContentTransferEncoded",
                "attachments.empty",
                f"attachment {attachment.attachment_name!r} is empty",
            )
