"""An OCSP responder (RFC 6960) for the certificates of the local issuing CA.

Pure: request bytes in, response bytes out. The answer comes from the pki index (status
``valid``/``revoked``), signed by the delegated responder certificate (EKU OCSPSigning,
ocsp-nocheck) that the issuing CA issued. Certificates the index does not know, or of
another issuer, are answered ``unknown``; unreadable requests ``malformedRequest``.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

from asn1crypto import keys
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.x509 import ocsp

from lienthong.clock import Clock
from lienthong.pki.model import SigningIdentity
from lienthong.pki.revocation import reason_flag
from lienthong.pki.store import IndexEntry

#: How long an OCSP answer may be cached by relying parties.
OCSP_VALIDITY = timedelta(hours=1)
MAX_REQUEST_BYTES = 64 * 1024
#: CertID hash algorithms understood (SHA-1 is what most clients put in CertIDs).
_HASHES: dict[str, hashes.HashAlgorithm] = {
    "sha1": hashes.SHA1(),  # noqa: S303
    "sha256": hashes.SHA256(),
    "sha384": hashes.SHA384(),
    "sha512": hashes.SHA512(),
}


def issuer_hashes(issuer: x509.Certificate, algorithm: str) -> tuple[bytes, bytes]:
    """The CertID issuerNameHash and issuerKeyHash of ``issuer`` (RFC 6960 §4.1.1)."""
    name_hash = hashlib.new(algorithm, issuer.subject.public_bytes()).digest()
    spki = issuer.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    key_bits = keys.PublicKeyInfo.load(spki)["public_key"].contents[1:]  # skip unused-bits byte
    return name_hash, hashlib.new(algorithm, key_bits).digest()


class OcspResponder:
    """Answers OCSP requests about certificates issued by ``issuer``."""

    def __init__(
        self,
        responder: SigningIdentity,
        issuer: x509.Certificate,
        issuer_name: str,
        entries: list[IndexEntry] | None,
        clock: Clock,
    ) -> None:
        self.responder = responder
        self.issuer = issuer
        self.issuer_name = issuer_name
        self.clock = clock
        self._entries = {e.serial: e for e in entries or () if e.issuer == issuer_name}

    def update(self, entries: list[IndexEntry]) -> None:
        """Replace the known statuses (after a revocation)."""
        self._entries = {e.serial: e for e in entries if e.issuer == self.issuer_name}

    def respond(self, request_der: bytes) -> bytes:
        """The DER OCSPResponse for a DER OCSPRequest."""
        if len(request_der) > MAX_REQUEST_BYTES:
            return self._unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        try:
            request = ocsp.load_der_ocsp_request(request_der)
            algorithm = request.hash_algorithm.name
            serial = request.serial_number
            name_hash, key_hash = request.issuer_name_hash, request.issuer_key_hash
            nonce: bytes | None
            try:
                nonce = request.extensions.get_extension_for_class(x509.OCSPNonce).value.nonce
            except x509.ExtensionNotFound:
                nonce = None
        except (ValueError, TypeError, x509.UnsupportedGeneralNameType):
            return self._unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        if algorithm not in _HASHES:
            return self._unsuccessful(ocsp.OCSPResponseStatus.MALFORMED_REQUEST)
        now = self.clock.now().replace(microsecond=0)
        entry = self._entries.get(serial)
        ours = issuer_hashes(self.issuer, algorithm) == (name_hash, key_hash)
        if not ours or entry is None:
            status = ocsp.OCSPCertStatus.UNKNOWN
        elif entry.status == "revoked":
            status = ocsp.OCSPCertStatus.REVOKED
        else:
            status = ocsp.OCSPCertStatus.GOOD
        revoked = status is ocsp.OCSPCertStatus.REVOKED and entry is not None
        reason = reason_flag(entry.reason) if revoked and entry is not None else None
        builder = (
            ocsp.OCSPResponseBuilder()
            .add_response_by_hash(
                issuer_name_hash=name_hash,
                issuer_key_hash=key_hash,
                serial_number=serial,
                algorithm=_HASHES[algorithm],
                cert_status=status,
                this_update=now,
                next_update=now + OCSP_VALIDITY,
                revocation_time=entry.revoked_at if revoked and entry is not None else None,
                revocation_reason=reason,
            )
            .responder_id(ocsp.OCSPResponderEncoding.HASH, self.responder.certificate)
            .certificates([self.responder.certificate])
        )
        if nonce is not None:
            builder = builder.add_extension(x509.OCSPNonce(nonce), critical=False)
        response = builder.sign(self.responder.private_key, hashes.SHA256())
        return response.public_bytes(serialization.Encoding.DER)

    @staticmethod
    def _unsuccessful(status: ocsp.OCSPResponseStatus) -> bytes:
        return ocsp.OCSPResponseBuilder.build_unsuccessful(status).public_bytes(
            serialization.Encoding.DER
        )
