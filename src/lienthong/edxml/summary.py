"""A plain summary of a package, for people (``lienthong edxml inspect``) and for JSON.

Reads nothing but the model: attachment sizes are the decoded sizes the reader recorded.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from lienthong.edxml.agency_id import AgencyIdError, parse_agency_id
from lienthong.edxml.doctypes import lookup_doctype
from lienthong.edxml.model import (
    BusinessDocType,
    DocumentPackage,
    Organization,
    Priority,
    StatusPackage,
)

__all__ = ["PRIORITY_LABELS_VI", "organization_label", "summarize"]

PRIORITY_LABELS_VI: dict[int, str] = {
    Priority.NORMAL: "Thường",
    Priority.URGENT: "Khẩn",
    Priority.VERY_URGENT: "Thượng khẩn",
    Priority.FLASH: "Hỏa tốc",
    Priority.FLASH_TIMED: "Hỏa tốc hẹn giờ",
}
BUSINESS_LABELS: dict[int, str] = {
    BusinessDocType.NEW: "new (văn bản mới)",
    BusinessDocType.REVOKE: "revoke (thu hồi)",
    BusinessDocType.UPDATE: "update (cập nhật)",
    BusinessDocType.REPLACE: "replace (thay thế)",
}


def _date(value: date | None) -> str:
    return f"{value:%Y/%m/%d}" if value else ""


def _time(value: datetime | None) -> str:
    return f"{value:%Y/%m/%d %H:%M:%S}" if value else ""


def organization_label(org: Organization) -> str:
    """``000.00.00.G22 Văn phòng Chính phủ`` (the id alone when there is no name)."""
    name = org.organ_name or org.organization_in_charge
    return f"{org.organ_id} {name}".strip()


def _organization(org: Organization) -> dict[str, Any]:
    form = ""
    body = ""
    try:
        parsed = parse_agency_id(org.organ_id)
    except AgencyIdError:
        form = "invalid"
    else:
        form = parsed.form.value
        info = parsed.level1_info
        body = info.describe() if info else ""
    return {
        "organ_id": org.organ_id,
        "organ_name": org.organ_name,
        "organization_in_charge": org.organization_in_charge,
        "id_form": form,
        "level1": body,
    }


def summarize(pkg: DocumentPackage | StatusPackage) -> dict[str, Any]:
    """The facts worth showing, as JSON-ready values (dates as ``yyyy/MM/dd``)."""
    if isinstance(pkg, StatusPackage):
        return _summarize_status(pkg)
    return _summarize_document(pkg)


def _summarize_document(pkg: DocumentPackage) -> dict[str, Any]:
    header = pkg.header
    doctype = lookup_doctype(header.document_type.type_name)
    priority = header.other_info.priority
    business = pkg.business
    business_type = int(business.business_doc_type) if business else 0
    return {
        "kind": "edoc",
        "from": _organization(header.from_),
        "to": [_organization(o) for o in header.to],
        "code": str(header.code),
        "promulgation_date": _date(header.promulgation_info.promulgation_date),
        "place": header.promulgation_info.place,
        "document_type": {
            "type": header.document_type.type,
            "type_detail": header.document_type.type_detail,
            "type_name": header.document_type.type_name,
            "known": doctype.key if doctype else None,
        },
        "subject": header.subject,
        "signer": {
            "competence": header.signer_info.competence,
            "position": header.signer_info.position,
            "full_name": header.signer_info.full_name,
        },
        "priority": {"value": priority, "label": PRIORITY_LABELS_VI.get(priority, "?")},
        "due_date": _date(header.due_date),
        "steering_type": header.steering_type,
        "document_id": header.document_id,
        "response_for": [r.document_id or r.code for r in header.response_for],
        "business": {
            "type": business_type,
            "label": BUSINESS_LABELS.get(business_type, "?"),
            "reason": business.business_doc_reason if business else "",
            "document_id": business.document_id if business else "",
        },
        "trace": [
            {"organ_id": t.organ_id, "timestamp": _time(t.timestamp)} for t in pkg.trace_headers
        ],
        "attachments": [
            {
                "content_id": a.content_id,
                "name": a.attachment_name,
                "content_type": a.content_type,
                "size": a.size,
                "zipped": a.zipped,
                "sha256": a.sha256,
            }
            for a in pkg.attachments
        ],
        "signature": _signature(pkg),
        "warnings": [_warning(w.code, w.message, w.line) for w in pkg.warnings],
    }


def _summarize_status(pkg: StatusPackage) -> dict[str, Any]:
    code = pkg.status_code
    staff = pkg.staff_info
    return {
        "kind": "status",
        "from": _organization(pkg.from_),
        "response_for": {
            "organ_id": pkg.response_for.organ_id,
            "code": pkg.response_for.code,
            "promulgation_date": _date(pkg.response_for.promulgation_date),
            "document_id": pkg.response_for.document_id,
        },
        "status": {"code": code.value, "meaning": code.meaning, "meaning_vi": code.meaning_vi},
        "description": pkg.description,
        "timestamp": _time(pkg.timestamp),
        "staff": None
        if staff is None
        else {
            "department": staff.department,
            "staff": staff.staff,
            "mobile": staff.mobile,
            "email": staff.email,
        },
        "signature": _signature(pkg),
        "warnings": [_warning(w.code, w.message, w.line) for w in pkg.warnings],
    }


def _signature(pkg: DocumentPackage | StatusPackage) -> dict[str, Any]:
    sig = pkg.signature
    return {
        "present": sig.present,
        "signature_method": sig.signature_method,
        "digest_method": sig.digest_method,
        "certificates": len(sig.certificates_b64),
    }


def _warning(code: str, message: str, line: int | None) -> dict[str, Any]:
    return {"code": code, "message": message, "line": line}
