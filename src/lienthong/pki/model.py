"""Plain data shared by the PKI, the PDF signer and the package signer.

A :class:`SigningIdentity` is what any signer needs: a private key loaded once, its
certificate and the chain up to (not including) the trust anchor. A :class:`TrustStore`
is the set of roots a verifier trusts plus the revocation data it may use.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric.types import CertificateIssuerPrivateKeyTypes


class CertificateKind(enum.StrEnum):
    ROOT = "root"
    ISSUING_CA = "issuing-ca"
    AGENCY = "agency"  # organisation certificate: signs as the issuing agency (seal)
    SIGNER = "signer"  # personal certificate of a competent person
    SYSTEM = "system"  # a document system signing edXML packages for the agencies it hosts
    TSA = "tsa"  # RFC 3161 timestamp authority
    OCSP = "ocsp"


@dataclass(frozen=True)
class SigningIdentity:
    """A key and its certificate chain, loaded once and reused for many signatures."""

    name: str
    kind: CertificateKind
    private_key: CertificateIssuerPrivateKeyTypes
    certificate: x509.Certificate
    #: Intermediate certificates from the issuer of ``certificate`` upward, root excluded.
    chain: tuple[x509.Certificate, ...] = ()
    #: For AGENCY and SIGNER certificates: the agency id (mã định danh) bound in the subject.
    agency_id: str | None = None


@dataclass(frozen=True)
class TrustStore:
    """Trust anchors and revocation data a verifier uses."""

    roots: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...] = ()
    crls: tuple[x509.CertificateRevocationList, ...] = field(default=())
