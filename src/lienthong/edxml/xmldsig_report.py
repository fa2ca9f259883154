"""The report of a package signature check (see :func:`lienthong.edxml.xmldsig.verify_package`).

Plain data: what was found, what verified, what did not and why. The verdict is derived
from the findings: any finding of severity ``error`` makes a present signature invalid.
"""

from __future__ import annotations

import enum
import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from lienthong.pki.names import agency_id_of, common_name_of


class Verdict(enum.StrEnum):
    """Overall answer of a package signature check."""

    VALID = "valid"  # present, intact, trusted, not revoked, in validity, right agency
    INVALID = "invalid"  # present (or damaged) and at least one check failed
    UNSIGNED = "unsigned"  # no signature at all (status packages of many systems)


class Severity(enum.StrEnum):
    ERROR = "error"  # makes the signature invalid
    WARNING = "warning"  # accepted, but worth a look (weak algorithm, repaired input)
    INFO = "info"


@dataclass(frozen=True, slots=True)
class Finding:
    """One observation, with a stable machine ``code`` and a human message."""

    code: str
    message: str
    severity: Severity = Severity.ERROR

    def to_dict(self) -> dict[str, str]:
        return {"code": self.code, "severity": self.severity.value, "message": self.message}


@dataclass(frozen=True, slots=True)
class CertificateInfo:
    """The readable facts of one certificate."""

    subject: str
    common_name: str
    issuer: str
    serial: str  # hexadecimal, upper case
    not_before: datetime
    not_after: datetime
    sha256: str  # fingerprint of the DER encoding, hexadecimal
    agency_id: str | None

    @classmethod
    def of(cls, cert: x509.Certificate) -> CertificateInfo:
        return cls(
            subject=_name(cert.subject),
            common_name=common_name_of(cert.subject),
            issuer=_name(cert.issuer),
            serial=f"{cert.serial_number:X}",
            not_before=cert.not_valid_before_utc,
            not_after=cert.not_valid_after_utc,
            sha256=hashlib.sha256(cert.public_bytes(Encoding.DER)).hexdigest(),
            agency_id=agency_id_of(cert),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "subject": self.subject,
            "common_name": self.common_name,
            "issuer": self.issuer,
            "serial": self.serial,
            "not_before": self.not_before.isoformat(),
            "not_after": self.not_after.isoformat(),
            "sha256": self.sha256,
            "agency_id": self.agency_id,
        }


def _name(name: x509.Name) -> str:
    try:
        return name.rfc4514_string()
    except ValueError:  # pragma: no cover - cryptography parses names lazily
        return "<unreadable name>"


@dataclass(slots=True)
class PackageSignatureReport:
    """Everything :func:`~lienthong.edxml.xmldsig.verify_package` learnt about a package.

    Tri-state fields are ``None`` when the check could not be made (for instance no
    certificate to check the chain of); the findings then say why.
    """

    checked_at: datetime
    #: A signature element (in the XML-DSig namespace or not) was found.
    present: bool = False
    #: The digest of the package and the signature value both verify, for a signature in
    #: the XML-DSig namespace at its place (last child of edXMLHeader).
    intact: bool | None = None
    #: The reference digest matches the package (``None`` when it could not be computed).
    digest_ok: bool | None = None
    #: The signature value verifies over SignedInfo with the certificate's key.
    signature_value_ok: bool | None = None
    #: Short names, e.g. ``ecdsa-sha256`` / ``sha256`` / ``exc-c14n`` (URI when unknown).
    signature_algorithm: str | None = None
    digest_algorithm: str | None = None
    canonicalization: str | None = None
    #: The signature or digest algorithm is SHA-1 (accepted on input, flagged).
    weak_algorithm: bool = False
    certificate: CertificateInfo | None = None
    #: The path from the signer's issuer up to the trust anchor, when one was built.
    chain: list[CertificateInfo] = field(default_factory=list)
    trusted: bool | None = None
    #: The certificate is within its validity period at ``checked_at``.
    time_valid: bool | None = None
    revoked: bool | None = None
    #: The agency bound in the certificate (``organizationIdentifier``), if any.
    certificate_agency_id: str | None = None
    #: ``From/OrganId`` of the package.
    from_organ_id: str | None = None
    agency_matches: bool | None = None
    findings: list[Finding] = field(default_factory=list)

    # -- derived -------------------------------------------------------------------

    @property
    def verdict(self) -> Verdict:
        if not self.present:
            has_error = any(f.severity is Severity.ERROR for f in self.findings)
            return Verdict.INVALID if has_error else Verdict.UNSIGNED
        if self.intact and not any(f.severity is Severity.ERROR for f in self.findings):
            return Verdict.VALID
        return Verdict.INVALID

    @property
    def valid(self) -> bool:
        return self.verdict is Verdict.VALID

    @property
    def reasons(self) -> list[str]:
        """Why the package is not valid (the messages of the error findings)."""
        reasons = [f.message for f in self.findings if f.severity is Severity.ERROR]
        if not self.present and not reasons:
            reasons.append("the package carries no signature")
        return reasons

    def has(self, code: str) -> bool:
        """True when a finding with ``code`` was recorded."""
        return any(f.code == code for f in self.findings)

    # -- building ------------------------------------------------------------------

    def add(self, code: str, message: str, severity: Severity = Severity.ERROR) -> None:
        self.findings.append(Finding(code, message, severity))

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form (dates in ISO 8601)."""
        return {
            "verdict": self.verdict.value,
            "valid": self.valid,
            "reasons": self.reasons,
            "checked_at": self.checked_at.isoformat(),
            "present": self.present,
            "intact": self.intact,
            "digest_ok": self.digest_ok,
            "signature_value_ok": self.signature_value_ok,
            "signature_algorithm": self.signature_algorithm,
            "digest_algorithm": self.digest_algorithm,
            "canonicalization": self.canonicalization,
            "weak_algorithm": self.weak_algorithm,
            "certificate": self.certificate.to_dict() if self.certificate else None,
            "chain": [c.to_dict() for c in self.chain],
            "trusted": self.trusted,
            "time_valid": self.time_valid,
            "revoked": self.revoked,
            "certificate_agency_id": self.certificate_agency_id,
            "from_organ_id": self.from_organ_id,
            "agency_matches": self.agency_matches,
            "findings": [f.to_dict() for f in self.findings],
        }
