"""Revocation: signing CRLs and checking a certificate against the CRLs a verifier holds."""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes

from lienthong.errors import PkiError
from lienthong.pki.model import TrustStore
from lienthong.pki.profiles import Issuer, issuer_public_key
from lienthong.pki.store import IndexEntry

#: How long a CRL stays current; the CA re-signs it on every revocation and when stale.
CRL_VALIDITY = timedelta(days=7)

#: Reason names accepted on the command line → RFC 5280 reason codes.
REASONS: dict[str, x509.ReasonFlags] = {
    "unspecified": x509.ReasonFlags.unspecified,
    "key-compromise": x509.ReasonFlags.key_compromise,
    "ca-compromise": x509.ReasonFlags.ca_compromise,
    "affiliation-changed": x509.ReasonFlags.affiliation_changed,
    "superseded": x509.ReasonFlags.superseded,
    "cessation-of-operation": x509.ReasonFlags.cessation_of_operation,
    "certificate-hold": x509.ReasonFlags.certificate_hold,
    "privilege-withdrawn": x509.ReasonFlags.privilege_withdrawn,
}


def reason_flag(reason: str | None) -> x509.ReasonFlags | None:
    """The RFC 5280 reason for a CLI reason name (``None`` stays ``None``)."""
    if reason is None:
        return None
    try:
        return REASONS[reason]
    except KeyError:
        raise PkiError(
            f"unknown revocation reason {reason!r}; one of {', '.join(REASONS)}",
            code="pki.reason",
        ) from None


def build_crl(
    issuer: Issuer, revoked: Iterable[IndexEntry], *, number: int, now: datetime
) -> x509.CertificateRevocationList:
    """A CRL signed by ``issuer`` listing ``revoked`` (entries with a revocation time)."""
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(issuer.certificate.subject)
        .last_update(now)
        .next_update(now + CRL_VALIDITY)
        .add_extension(x509.CRLNumber(number), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(
                issuer_public_key(issuer.certificate)
            ),
            critical=False,
        )
    )
    for entry in revoked:
        if entry.revoked_at is None:
            continue
        item = (
            x509.RevokedCertificateBuilder()
            .serial_number(entry.serial)
            .revocation_date(entry.revoked_at)
        )
        flag = reason_flag(entry.reason)
        if flag is not None and flag is not x509.ReasonFlags.unspecified:
            item = item.add_extension(x509.CRLReason(flag), critical=False)
        builder = builder.add_revoked_certificate(item.build())
    return builder.sign(issuer.private_key, hashes.SHA256())


class RevocationStatus(enum.StrEnum):
    GOOD = "good"
    REVOKED = "revoked"
    UNKNOWN = "unknown"  # no usable CRL for the certificate's issuer


@dataclass(frozen=True)
class RevocationCheck:
    """What the CRLs of a trust store say about one certificate."""

    status: RevocationStatus
    revoked_at: datetime | None = None
    reason: str | None = None
    #: True when the CRL used is past its nextUpdate at the time asked about.
    stale: bool = False


def _issuer_of(cert: x509.Certificate, trust_store: TrustStore) -> x509.Certificate | None:
    for candidate in (*trust_store.intermediates, *trust_store.roots):
        if candidate.subject != cert.issuer:
            continue
        try:
            cert.verify_directly_issued_by(candidate)
        except (ValueError, TypeError, InvalidSignature):
            continue
        return candidate
    return None


def _is_trust_anchor(cert: x509.Certificate, trust_store: TrustStore) -> bool:
    return any(cert == root for root in trust_store.roots)


def check_revocation(
    cert: x509.Certificate, trust_store: TrustStore, *, at: datetime | None = None
) -> RevocationCheck:
    """Look ``cert`` up in the trust store's CRLs signed by its issuer.

    Trust anchors are never revoked. A CRL counts only if its signature verifies with the
    issuer's key from the trust store; the newest such CRL (highest lastUpdate) is used.
    """
    if _is_trust_anchor(cert, trust_store):
        return RevocationCheck(RevocationStatus.GOOD)
    issuer = _issuer_of(cert, trust_store)
    if issuer is None:
        return RevocationCheck(RevocationStatus.UNKNOWN)
    usable = [
        crl
        for crl in trust_store.crls
        if crl.issuer == issuer.subject and crl.is_signature_valid(issuer_public_key(issuer))
    ]
    if not usable:
        return RevocationCheck(RevocationStatus.UNKNOWN)
    crl = max(usable, key=lambda c: c.last_update_utc)
    next_update = crl.next_update_utc
    stale = at is not None and next_update is not None and at > next_update
    entry = crl.get_revoked_certificate_by_serial_number(cert.serial_number)
    if entry is None:
        return RevocationCheck(RevocationStatus.GOOD, stale=stale)
    reason: str | None = None
    try:
        reason = entry.extensions.get_extension_for_class(x509.CRLReason).value.reason.name
    except x509.ExtensionNotFound:
        reason = None
    return RevocationCheck(
        RevocationStatus.REVOKED,
        revoked_at=entry.revocation_date_utc,
        reason=reason,
        stale=stale,
    )


def is_revoked(
    cert: x509.Certificate, trust_store: TrustStore, *, at: datetime | None = None
) -> bool:
    """True when a CRL in ``trust_store`` from ``cert``'s issuer lists it.

    Raises :class:`PkiError` (``pki.revocation_unknown``) when no CRL of the issuer is
    available: that is "could not evaluate", not "good".
    """
    check = check_revocation(cert, trust_store, at=at)
    if check.status is RevocationStatus.UNKNOWN:
        raise PkiError(
            f"no CRL from the issuer of {cert.subject.rfc4514_string()}",
            code="pki.revocation_unknown",
        )
    return check.status is RevocationStatus.REVOKED
