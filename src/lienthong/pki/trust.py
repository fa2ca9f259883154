"""Trust: which roots a verifier accepts, and checking a certificate against them.

The trust store is configuration. The demo trusts the local demo root (from the pki
directory); production points ``LIENTHONG_TRUST_DIR`` (settings ``trust_dir``) at a
directory holding the government CA's root and intermediate certificates (PEM or DER,
``.pem .crt .cer .der``) and optionally CRLs (``.crl``), and never trusts the demo root.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.x509 import verification

from lienthong.errors import ConfigError, PkiError
from lienthong.pki.model import TrustStore
from lienthong.pki.names import agency_id_of
from lienthong.pki.revocation import RevocationStatus, check_revocation

if TYPE_CHECKING:
    from lienthong.settings import Settings

CERT_SUFFIXES = (".pem", ".crt", ".cer", ".der")
MAX_TRUST_FILE = 1024 * 1024


def _read_certs(path: Path) -> list[x509.Certificate]:
    data = path.read_bytes()
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_certificates(data)
        return [x509.load_der_x509_certificate(data)]
    except ValueError as exc:
        raise PkiError(f"{path} is not a certificate: {exc}", code="pki.trust_file") from exc


def _read_crl(path: Path) -> x509.CertificateRevocationList:
    data = path.read_bytes()
    try:
        if b"-----BEGIN" in data:
            return x509.load_pem_x509_crl(data)
        return x509.load_der_x509_crl(data)
    except ValueError as exc:
        raise PkiError(f"{path} is not a CRL: {exc}", code="pki.trust_file") from exc


def _is_self_signed(cert: x509.Certificate) -> bool:
    if cert.subject != cert.issuer:
        return False
    try:
        cert.verify_directly_issued_by(cert)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def trust_store_from_certificates(
    certs: Iterable[x509.Certificate], crls: Iterable[x509.CertificateRevocationList] = ()
) -> TrustStore:
    """Self-signed certificates become roots, the others intermediates."""
    roots: list[x509.Certificate] = []
    intermediates: list[x509.Certificate] = []
    for cert in certs:
        target = roots if _is_self_signed(cert) else intermediates
        if cert not in target:
            target.append(cert)
    return TrustStore(roots=tuple(roots), intermediates=tuple(intermediates), crls=tuple(crls))


def load_trust_dir(trust_dir: Path) -> TrustStore:
    """Every certificate and CRL file in ``trust_dir`` (not recursive)."""
    if not trust_dir.is_dir():
        raise ConfigError(f"trust directory not found: {trust_dir}", code="config.trust_dir")
    certs: list[x509.Certificate] = []
    crls: list[x509.CertificateRevocationList] = []
    for path in sorted(trust_dir.iterdir()):
        suffix = path.suffix.lower()
        if not path.is_file() or path.stat().st_size > MAX_TRUST_FILE:
            continue
        if suffix in CERT_SUFFIXES:
            certs.extend(_read_certs(path))
        elif suffix == ".crl":
            crls.append(_read_crl(path))
    store = trust_store_from_certificates(certs, crls)
    if not store.roots:
        raise ConfigError(f"no root certificate in {trust_dir}", code="config.trust_dir")
    return store


def load_trust_store(*, trust_dir: Path | None = None, pki_dir: Path | None = None) -> TrustStore:
    """The trust store: ``trust_dir`` when given (production), else the demo pki's root.

    From a pki directory: the demo root as anchor, the issuing CA as intermediate and the
    CRLs as they are on disk (no passphrase needed).
    """
    if trust_dir is not None:
        return load_trust_dir(trust_dir)
    if pki_dir is None:
        raise ConfigError("no trust directory and no pki directory", code="config.trust_dir")
    certs = pki_dir / "certs"
    root = certs / "root.pem"
    if not root.is_file():
        raise PkiError(f"no pki in {pki_dir} (run `lienthong pki init`)", code="pki.missing")
    crl_dir = pki_dir / "crl"
    crls = [_read_crl(p) for p in sorted(crl_dir.glob("*.crl"))] if crl_dir.is_dir() else []
    issuing = certs / "issuing-ca.pem"
    return TrustStore(
        roots=tuple(_read_certs(root)),
        intermediates=tuple(_read_certs(issuing)) if issuing.is_file() else (),
        crls=tuple(crls),
    )


def trust_store_from_settings(settings: Settings) -> TrustStore:
    """The configured trust store: ``settings.trust_dir`` or else the local pki."""
    return load_trust_store(trust_dir=settings.trust_dir, pki_dir=settings.effective_pki_dir)


@dataclass(frozen=True)
class ChainReport:
    """What a verifier learns about one certificate (a report, not an exception)."""

    trusted: bool
    #: leaf first, trust anchor last (empty when no chain was built)
    chain: tuple[x509.Certificate, ...] = ()
    agency_id: str | None = None
    revoked: bool = False
    #: True when some certificate of the chain had no CRL to check against
    revocation_unknown: bool = False
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return self.trusted and not self.revoked and not self.problems


def _check_key_usage(
    _policy: verification.Policy, _cert: x509.Certificate, key_usage: x509.KeyUsage | None
) -> None:
    if key_usage is None or not (key_usage.digital_signature or key_usage.content_commitment):
        raise ValueError("KeyUsage allows neither digitalSignature nor nonRepudiation")


def verify_certificate(
    cert: x509.Certificate,
    trust_store: TrustStore,
    *,
    at: datetime,
    intermediates: Iterable[x509.Certificate] = (),
    require_revocation: bool = False,
) -> ChainReport:
    """Build and check the chain of a signing certificate at time ``at``.

    Uses cryptography's verifier (RFC 5280 path validation, Web PKI CA rules, a signing
    key usage on the leaf) and then the trust store's CRLs for every non-anchor
    certificate. ``require_revocation`` turns a missing CRL into a problem.
    """
    if not trust_store.roots:
        raise PkiError("the trust store has no root", code="pki.trust_empty")
    ee_policy = verification.ExtensionPolicy.permit_all().require_present(
        x509.KeyUsage, verification.Criticality.AGNOSTIC, _check_key_usage
    )
    verifier = (
        verification.PolicyBuilder()
        .store(verification.Store(list(trust_store.roots)))
        .time(at)
        .extension_policies(
            ca_policy=verification.ExtensionPolicy.webpki_defaults_ca(), ee_policy=ee_policy
        )
        .build_client_verifier()
    )
    pool = [*intermediates, *trust_store.intermediates]
    try:
        verified = verifier.verify(cert, pool)
    except verification.VerificationError as exc:
        return ChainReport(trusted=False, agency_id=agency_id_of(cert), problems=(str(exc),))
    chain = tuple(verified.chain)
    problems: list[str] = []
    revoked = unknown = False
    for member in chain[:-1]:
        check = check_revocation(member, trust_store, at=at)
        if check.status is RevocationStatus.UNKNOWN:
            unknown = True
            if require_revocation:
                problems.append(f"no revocation data for {member.subject.rfc4514_string()}")
        elif check.status is RevocationStatus.REVOKED and (
            check.revoked_at is None or check.revoked_at <= at
        ):
            revoked = True
            problems.append(
                f"{member.subject.rfc4514_string()} was revoked"
                f" ({check.reason or 'unspecified'}) at {check.revoked_at}"
            )
    return ChainReport(
        trusted=True,
        chain=chain,
        agency_id=agency_id_of(cert),
        revoked=revoked,
        revocation_unknown=unknown,
        problems=tuple(problems),
    )
