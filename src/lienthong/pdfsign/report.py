"""The validation report of a signed PDF: plain data, one entry per signature.

:func:`lienthong.pdfsign.validate.validate_pdf` fills it; the CLI, the API and the office
show it. Every field is plain data and :meth:`PdfValidationReport.to_dict` gives JSON-ready
values (datetimes as ISO 8601 strings).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field, fields, is_dataclass
from datetime import datetime
from typing import Any


class Verdict(enum.StrEnum):
    """ETSI EN 319 102-1's three answers."""

    VALID = "valid"  # every check passed
    INVALID = "invalid"  # something is proven wrong (digest, signature, revoked, changed)
    INDETERMINATE = "indeterminate"  # something could not be established (trust, revocation)


class RevocationStatus(enum.StrEnum):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Finding:
    """One reason behind a verdict: a stable ``code`` and a human ``message``."""

    code: str
    message: str


@dataclass(frozen=True)
class ChainResult:
    """Whether the signer's certificate chains to a root of the trust store."""

    trusted: bool
    #: Why not, when not trusted (pyHanko's subindication or error), else None.
    reason: str | None = None
    #: Common names from the trust anchor down to the signer.
    path: tuple[str, ...] = ()


@dataclass(frozen=True)
class RevocationResult:
    """What the revocation data says about the signer's certificate."""

    status: RevocationStatus
    #: "ocsp" or "crl": the kind of data that answered; None when nothing did.
    source: str | None = None
    #: True when that data came from the document itself (DSS, PAdES B-LT).
    embedded: bool = False
    revoked_at: datetime | None = None
    reason: str | None = None


@dataclass(frozen=True)
class TimestampResult:
    """The signature timestamp (RFC 3161 token in the CMS), if any."""

    present: bool
    time: datetime | None = None
    #: The TSA's certificate common name.
    tsa: str | None = None
    #: Token intact, signed, and its TSA chains to a trusted root; None when absent.
    valid: bool | None = None


@dataclass(frozen=True)
class CoverageResult:
    """How much of the file the signature covers and what changed after it."""

    #: True when the signature covers the whole file (nothing was added after it).
    whole_document: bool
    #: pyHanko's coverage level: entire_file, entire_revision, contiguous_block_from_start…
    coverage: str
    #: What the later revisions do, per pyHanko's diff analysis: none, lta_updates
    #: (DSS, timestamps), form_filling (signing other fields), annotations, other.
    modification_level: str | None
    #: Whether those changes are allowed (False = the document was altered after signing).
    changes_allowed: bool | None
    #: Form fields changed after this signature (other signatures filled in, typically).
    changed_fields: tuple[str, ...] = ()
    #: Why the diff analysis refused the changes, when it did.
    detail: str | None = None


@dataclass(frozen=True)
class SignatureReport:
    """Everything checked for one signature, and its verdict."""

    field_name: str
    #: Subject CN of the signer's certificate (a person, or the agency for its seal).
    signer: str
    subject: str
    #: Agency id (mã định danh) bound in the certificate, via ``agency_id_of``.
    agency_id: str | None
    #: True when the signed digest matches the bytes of the document.
    intact: bool
    #: True when the cryptographic signature over the signed attributes verifies.
    signature_valid: bool
    chain: ChainResult
    revocation: RevocationResult
    #: The signing time the signer claims (CMS signingTime or /M): not proof of time.
    signing_time: datetime | None
    timestamp: TimestampResult
    coverage: CoverageResult
    #: PAdES level seen: B-B, B-T (signature timestamp), B-LT (plus embedded revocation).
    level: str
    verdict: Verdict
    reasons: tuple[Finding, ...] = ()

    @property
    def valid(self) -> bool:
        return self.verdict is Verdict.VALID

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = _plain(self)
        return result


@dataclass(frozen=True)
class DssSummary:
    """What the document security store holds (validation data embedded for later)."""

    certificates: int = 0
    crls: int = 0
    ocsp_responses: int = 0


@dataclass(frozen=True)
class PdfValidationReport:
    """The report of one PDF: its signatures in signing order and a document verdict."""

    verdict: Verdict
    signatures: tuple[SignatureReport, ...]
    validated_at: datetime
    dss: DssSummary = field(default_factory=DssSummary)
    reasons: tuple[Finding, ...] = ()

    @property
    def valid(self) -> bool:
        return self.verdict is Verdict.VALID

    def to_dict(self) -> dict[str, Any]:
        result: dict[str, Any] = _plain(self)
        return result


def _plain(value: Any) -> Any:
    """Dataclasses, enums and datetimes to JSON-ready values (recursively)."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: _plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    return value


def document_verdict(
    signatures: tuple[SignatureReport, ...],
) -> tuple[Verdict, tuple[Finding, ...]]:
    """Invalid if any signature is, else indeterminate if any is (or there is none)."""
    if not signatures:
        return Verdict.INDETERMINATE, (Finding("document.unsigned", "the PDF has no signature"),)
    reasons = tuple(
        Finding(f"document.signature_{s.verdict.value}", f"signature {s.field_name} is {s.verdict}")
        for s in signatures
        if s.verdict is not Verdict.VALID
    )
    if any(s.verdict is Verdict.INVALID for s in signatures):
        return Verdict.INVALID, reasons
    if reasons:
        return Verdict.INDETERMINATE, reasons
    return Verdict.VALID, ()
