"""Certificate profiles: keys, extensions and validity for each kind of certificate.

Pure: keys and certificates in, certificates out; no files. The profiles satisfy the
Web PKI CA rules cryptography's verifier applies (signxml uses it), RFC 5280, RFC 3161
(TSA: critical EKU timeStamping only) and RFC 6960 (OCSP: EKU OCSPSigning, ocsp-nocheck).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import dsa, ec, ed448, ed25519, rsa
from cryptography.hazmat.primitives.asymmetric.types import (
    CertificateIssuerPrivateKeyTypes,
    CertificateIssuerPublicKeyTypes,
)
from cryptography.x509.oid import (
    AuthorityInformationAccessOID,
    ExtendedKeyUsageOID,
    ObjectIdentifier,
)

from lienthong.errors import PkiError
from lienthong.pki.model import CertificateKind

KeyType = Literal["ec", "rsa"]
#: Makes a fresh private key of the given type (tests may pass a cached pool).
KeyFactory = Callable[[KeyType], CertificateIssuerPrivateKeyTypes]

#: RFC 9336 id-kp-documentSigning.
EKU_DOCUMENT_SIGNING = ObjectIdentifier("1.3.6.1.5.5.7.3.36")

#: Validity of each kind, in days.
VALIDITY_DAYS: dict[CertificateKind, int] = {
    CertificateKind.ROOT: 20 * 365,
    CertificateKind.ISSUING_CA: 10 * 365,
    CertificateKind.AGENCY: 3 * 365,
    CertificateKind.SIGNER: 3 * 365,
    CertificateKind.SYSTEM: 3 * 365,
    CertificateKind.TSA: 5 * 365,
    CertificateKind.OCSP: 2 * 365,
}
#: Certificates start a little in the past so a peer's slightly slow clock accepts them.
BACKDATE = timedelta(minutes=10)


#: Key classes a signer or issuer may hold (what PKCS#12 and CMS signing support).
SIGNING_KEY_CLASSES = (
    rsa.RSAPrivateKey,
    ec.EllipticCurvePrivateKey,
    ed25519.Ed25519PrivateKey,
    ed448.Ed448PrivateKey,
    dsa.DSAPrivateKey,
)
_PUBLIC_KEY_CLASSES = (
    rsa.RSAPublicKey,
    ec.EllipticCurvePublicKey,
    ed25519.Ed25519PublicKey,
    ed448.Ed448PublicKey,
    dsa.DSAPublicKey,
)


def issuer_public_key(cert: x509.Certificate) -> CertificateIssuerPublicKeyTypes:
    """``cert``'s public key, as a key able to sign certificates and CRLs."""
    key = cert.public_key()
    if not isinstance(key, _PUBLIC_KEY_CLASSES):
        raise PkiError(
            f"unsupported key type in {cert.subject.rfc4514_string()}", code="pki.key_type"
        )
    return key


def generate_key(key_type: KeyType) -> CertificateIssuerPrivateKeyTypes:
    """A new EC P-256 (default) or RSA-2048 private key."""
    if key_type == "ec":
        return ec.generate_private_key(ec.SECP256R1())
    if key_type == "rsa":
        return rsa.generate_private_key(public_exponent=65537, key_size=2048)
    raise PkiError(f"unknown key type {key_type!r} (ec or rsa)", code="pki.key_type")


@dataclass(frozen=True)
class Urls:
    """Where relying parties fetch CRLs, OCSP answers and CA certificates.

    Built from the ``pki_base_url`` setting; without one, certificates name no URL.
    """

    base_url: str

    def crl(self, ca_name: str) -> str:
        return f"{self.base_url.rstrip('/')}/crl/{ca_name}.crl"

    def ca_cert(self, ca_name: str) -> str:
        return f"{self.base_url.rstrip('/')}/ca/{ca_name}.crt"

    @property
    def ocsp(self) -> str:
        return f"{self.base_url.rstrip('/')}/ocsp"

    @property
    def tsa(self) -> str:
        return f"{self.base_url.rstrip('/')}/tsa"


@dataclass(frozen=True)
class Issuer:
    """Who signs a new certificate: its key, certificate and name in the pki directory."""

    name: str
    private_key: CertificateIssuerPrivateKeyTypes
    certificate: x509.Certificate


def _key_usage(
    *, digital_signature: bool = False, content_commitment: bool = False, ca: bool = False
) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _kind_extensions(
    builder: x509.CertificateBuilder, kind: CertificateKind
) -> x509.CertificateBuilder:
    if kind in (CertificateKind.ROOT, CertificateKind.ISSUING_CA):
        path_length = None if kind is CertificateKind.ROOT else 0
        return builder.add_extension(
            x509.BasicConstraints(ca=True, path_length=path_length), critical=True
        ).add_extension(_key_usage(ca=True), critical=True)
    builder = builder.add_extension(
        x509.BasicConstraints(ca=False, path_length=None), critical=True
    )
    if kind in (CertificateKind.AGENCY, CertificateKind.SIGNER):
        return builder.add_extension(
            _key_usage(digital_signature=True, content_commitment=True), critical=True
        ).add_extension(
            x509.ExtendedKeyUsage([EKU_DOCUMENT_SIGNING, ExtendedKeyUsageOID.EMAIL_PROTECTION]),
            critical=False,
        )
    if kind is CertificateKind.SYSTEM:
        return builder.add_extension(
            _key_usage(digital_signature=True), critical=True
        ).add_extension(
            x509.ExtendedKeyUsage([EKU_DOCUMENT_SIGNING, ExtendedKeyUsageOID.CLIENT_AUTH]),
            critical=False,
        )
    if kind is CertificateKind.TSA:
        return builder.add_extension(
            _key_usage(digital_signature=True, content_commitment=True), critical=True
        ).add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    if kind is CertificateKind.OCSP:
        return (
            builder.add_extension(_key_usage(digital_signature=True), critical=True)
            .add_extension(
                x509.ExtendedKeyUsage([ExtendedKeyUsageOID.OCSP_SIGNING]), critical=False
            )
            .add_extension(x509.OCSPNoCheck(), critical=False)
        )
    raise PkiError(f"no profile for {kind}", code="pki.kind")  # pragma: no cover


def build_certificate(
    *,
    kind: CertificateKind,
    subject: x509.Name,
    public_key: CertificateIssuerPublicKeyTypes,
    issuer: Issuer | None,
    self_key: CertificateIssuerPrivateKeyTypes | None = None,
    now: datetime,
    urls: Urls | None = None,
) -> x509.Certificate:
    """Make and sign one certificate of ``kind``.

    ``issuer`` is ``None`` for a self-signed root, which then needs ``self_key``. The
    validity never outlasts the issuer's. With ``urls``, the certificate names its issuer's
    CRL, the issuer's certificate and (end entities of the issuing CA) the OCSP responder.
    """
    not_before = now - BACKDATE
    not_after = now + timedelta(days=VALIDITY_DAYS[kind])
    if issuer is not None:
        not_after = min(not_after, issuer.certificate.not_valid_after_utc)
        issuer_name = issuer.certificate.subject
        signing_key = issuer.private_key
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(
            issuer_public_key(issuer.certificate)
        )
    else:
        if self_key is None:
            raise PkiError("a self-signed certificate needs its own key", code="pki.issuer")
        issuer_name = subject
        signing_key = self_key
        aki = x509.AuthorityKeyIdentifier.from_issuer_public_key(public_key)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_name)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
        .add_extension(aki, critical=False)
    )
    builder = _kind_extensions(builder, kind)
    if urls is not None and issuer is not None:
        builder = builder.add_extension(
            x509.CRLDistributionPoints(
                [
                    x509.DistributionPoint(
                        full_name=[x509.UniformResourceIdentifier(urls.crl(issuer.name))],
                        relative_name=None,
                        reasons=None,
                        crl_issuer=None,
                    )
                ]
            ),
            critical=False,
        )
        access = [
            x509.AccessDescription(
                AuthorityInformationAccessOID.CA_ISSUERS,
                x509.UniformResourceIdentifier(urls.ca_cert(issuer.name)),
            )
        ]
        if kind not in (CertificateKind.ISSUING_CA, CertificateKind.OCSP):
            access.insert(
                0,
                x509.AccessDescription(
                    AuthorityInformationAccessOID.OCSP, x509.UniformResourceIdentifier(urls.ocsp)
                ),
            )
        builder = builder.add_extension(x509.AuthorityInformationAccess(access), critical=False)
    return builder.sign(signing_key, hashes.SHA256())
