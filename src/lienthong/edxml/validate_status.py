"""Semantic checks of status packages (business statuses 01-16)."""

from __future__ import annotations

from datetime import date

from lienthong.edxml.checks import check_agency, check_document_id, check_timestamp
from lienthong.edxml.document_id import mismatches, parse_document_id
from lienthong.edxml.issues import ProblemCollector
from lienthong.edxml.model import StatusCode, StatusPackage

__all__ = ["check_status"]

_HEADER = "MessageHeader"
_STATUS_CODES = frozenset(s.value for s in StatusCode)
#: Statuses whose description is the reason the standard requires.
_REASON_REQUIRED = frozenset({StatusCode.REJECTED.value, StatusCode.TAKE_BACK_REQUEST.value})


def check_status(pkg: StatusPackage, today: date | None, out: ProblemCollector) -> None:
    """Check a status package, adding findings to ``out``."""
    check_agency(out, f"{_HEADER}/From/OrganId", pkg.from_.organ_id)
    answered = pkg.response_for
    check_agency(out, f"{_HEADER}/ResponseFor/OrganId", answered.organ_id)
    code_value = str(getattr(pkg.status_code, "value", pkg.status_code))
    if code_value not in _STATUS_CODES:
        out.error(
            f"{_HEADER}/StatusCode", "status.code_unknown", f"{code_value!r} is no status code"
        )
    doc_path = f"{_HEADER}/ResponseFor/DocumentId"
    if not answered.document_id.strip():
        out.error(
            doc_path,
            "response_for.document_id_missing",
            "a status must name the document it reports on (ResponseFor/DocumentId)",
        )
    else:
        check_document_id(out, doc_path, answered.document_id)
        parsed = parse_document_id(answered.document_id)
        number, _, notation = answered.code.strip().partition("/")
        differing = mismatches(
            parsed,
            organ_id=answered.organ_id,
            promulgation_date=answered.promulgation_date,
            code_number=number or None,
            code_notation=notation or None,
        )
        if differing:
            out.warn(
                doc_path,
                "document_id.inconsistent",
                f"DocumentId {parsed.value!r} disagrees with ResponseFor on: "
                f"{', '.join(differing)}",
            )
    if not answered.code.strip():
        out.warn(f"{_HEADER}/ResponseFor/Code", "response_for.code_missing", "no Code")
    if code_value in _REASON_REQUIRED and not pkg.description.strip():
        out.error(
            f"{_HEADER}/Description",
            "status.reason_missing",
            f"status {code_value} needs a reason in Description",
        )
    if pkg.timestamp is None:
        out.error(f"{_HEADER}/Timestamp", "status.timestamp_missing", "the status has no time")
    else:
        check_timestamp(out, f"{_HEADER}/Timestamp", pkg.timestamp, today)
        issued = answered.promulgation_date
        if issued is not None and pkg.timestamp.date() < issued:
            out.warn(
                f"{_HEADER}/Timestamp",
                "status.before_document",
                f"the status time {pkg.timestamp:%Y/%m/%d %H:%M:%S} is before the document's "
                f"promulgation date {issued:%Y/%m/%d}",
            )
    sender_side = code_value == StatusCode.TAKE_BACK_REQUEST.value
    same_agency = pkg.from_.organ_id.strip().upper() == answered.organ_id.strip().upper()
    if code_value in _STATUS_CODES and same_agency != sender_side:
        who = "the document's sender" if sender_side else "a receiver"
        out.warn(
            f"{_HEADER}/From/OrganId",
            "status.sender_mismatch",
            f"status {code_value} is sent by {who}, but From is {pkg.from_.organ_id}",
        )
