"""What intake reads off a package (:class:`PackageFacts`), what it decides
(:class:`IntakePlan`), how it refuses a bad signature, and the delivery rows it writes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from lienthong.clock import VN_TZ
from lienthong.edxml.model import DocumentPackage, StatusPackage
from lienthong.edxml.xmldsig_report import PackageSignatureReport, Severity
from lienthong.errors import SignatureError
from lienthong.hub.model import DeliveryState, PackageKind, PushState, Recipient
from lienthong.hub.records import DeliveryRef, TraceEntry
from lienthong.hub.repository import ResolvedAgency

MAX_ID = 255
#: TraceHeaders a package may carry in (hubs it passed through), and the longest
#: OrganId among them: the trace goes back out in one HTTP header (``X-Lienthong-Trace``).
MAX_TRACE = 32
MAX_TRACE_ORGAN = 64


@dataclass(slots=True)
class PackageFacts:
    """What intake needs of a package, read once."""

    kind: PackageKind
    sender_code: str
    document_id: str
    to: list[str] = field(default_factory=list)
    response_organ: str = ""
    code: str | None = None
    subject: str | None = None
    business_type: int | None = None
    business_document_id: str | None = None
    business_reason: str | None = None
    link_targets: list[str] = field(default_factory=list)
    status_code: str | None = None
    status_at: datetime | None = None
    status_description: str | None = None
    trace: list[TraceEntry] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class IntakePlan:
    """What the checks decided: who sends, to whom, under which dedup key."""

    system_id: str
    facts: PackageFacts
    sender: ResolvedAgency
    recipients: list[Recipient]
    pushed: set[int]
    key: str
    #: The documents this one revokes, updates or replaces that its sender sent here.
    links: list[str] = field(default_factory=list)


def _vn(value: datetime) -> datetime:
    return value.replace(tzinfo=VN_TZ) if value.tzinfo is None else value


def package_facts(package: DocumentPackage | StatusPackage) -> PackageFacts:
    """The routing facts of a read package."""
    if isinstance(package, StatusPackage):
        return PackageFacts(
            kind=PackageKind.STATUS,
            sender_code=package.from_.organ_id.strip(),
            document_id=package.response_for.document_id.strip(),
            response_organ=package.response_for.organ_id.strip(),
            code=package.response_for.code[:MAX_ID] or None,
            status_code=package.status_code.value,
            status_at=_vn(package.timestamp) if package.timestamp else None,
            status_description=package.description,
        )
    header = package.header
    business = package.business
    facts = PackageFacts(
        kind=PackageKind.DOCUMENT,
        sender_code=header.from_.organ_id.strip(),
        document_id=header.document_id.strip(),
        to=[o.organ_id.strip() for o in header.to],
        code=str(header.code)[:MAX_ID] or None,
        subject=header.subject or None,
        trace=[TraceEntry(t.organ_id, _vn(t.timestamp)) for t in package.trace_headers],
    )
    if business is not None:
        facts.business_type = int(business.business_doc_type)
        facts.business_document_id = business.document_id.strip() or None
        facts.business_reason = business.business_doc_reason or None
        targets = [business.document_id, *(r.document_id for r in business.replacement_infos)]
        facts.link_targets = [t.strip() for t in dict.fromkeys(targets) if t and t.strip()]
    else:
        facts.business_type = 0
    return facts


def signature_error(report: PackageSignatureReport) -> SignatureError:
    """The error refusing a package whose signature report is not valid."""
    errors = [f for f in report.findings if f.severity is Severity.ERROR]
    if not report.present and not errors:
        code = "signature.missing"
    elif report.agency_matches is False:
        code = "signature.agency_mismatch"
    else:
        code = errors[0].code if errors else "signature.invalid"
    return SignatureError(
        "the package signature is not valid: " + "; ".join(report.reasons),
        code=code,
        findings=[f.to_dict() for f in errors],
    )


def delivery_row(
    *,
    ref: DeliveryRef,
    recipient: Recipient,
    kind: PackageKind,
    push: bool,
    package_id: str,
    now: datetime,
) -> dict[str, object]:
    return {
        "id": ref.delivery_id,
        "package_id": package_id,
        "recipient_id": recipient.agency_id,
        "recipient_code": recipient.code[:64],
        "kind": kind.value,
        "state": DeliveryState.PENDING.value,
        "available_at": now,
        "leased_by": None,
        "leased_until": None,
        "claims": 0,
        "created_at": now,
        "received_at": None,
        "acked_at": None,
        "ack_reason": None,
        "push_state": (PushState.PENDING if push else PushState.NONE).value,
        "push_attempts": 0,
        "push_next_at": now if push else None,
        "push_error": None,
    }


def sha256_hex(data: bytes) -> str:
    """SHA-256 of ``data``, hex."""
    return hashlib.sha256(data).hexdigest()
