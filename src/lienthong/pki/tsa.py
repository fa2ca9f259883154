"""An RFC 3161 timestamp authority: TimeStampReq bytes in, TimeStampResp bytes out.

Pure (no HTTP): :mod:`lienthong.pki.server` puts it behind ``POST /tsa``. The token is a
CMS SignedData over a TSTInfo, signed by the TSA certificate (critical EKU timeStamping)
with the signed attributes RFC 3161/RFC 5816 ask for: content type, message digest and
ESS signing-certificate-v2. Bad requests get a ``rejection`` response naming the failure
(RFC 3161 §2.4.2), never an exception.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC
from typing import Any

from asn1crypto import algos, cms, core, tsp
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa

from lienthong.clock import Clock
from lienthong.errors import PkiError
from lienthong.pki.model import SigningIdentity

#: Policy of the demo TSA (a UUID-based OID, ITU-T X.667: no registration needed).
DEMO_TSA_POLICY = "2.25.175132277731451798233618842800651551820"
#: Hash algorithms accepted in a message imprint → digest length.
ACCEPTED_DIGESTS: dict[str, int] = {
    "sha256": 32,
    "sha384": 48,
    "sha512": 64,
    "sha3_256": 32,
    "sha3_384": 48,
    "sha3_512": 64,
}
#: Largest request accepted (a request is about 100 bytes; 64 KiB leaves room for extensions).
MAX_REQUEST_BYTES = 64 * 1024


def _asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def cms_signature(identity: SigningIdentity, data: bytes) -> tuple[str, bytes]:
    """Sign ``data`` (SHA-256) with ``identity``'s key: the asn1crypto algorithm name and value."""
    key = identity.private_key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        return "sha256_ecdsa", key.sign(data, ec.ECDSA(hashes.SHA256()))
    if isinstance(key, rsa.RSAPrivateKey):
        return "sha256_rsa", key.sign(data, padding.PKCS1v15(), hashes.SHA256())
    raise PkiError(f"cannot sign CMS with a {type(key).__name__}", code="pki.key_type")


def _attr(kind: str, value: object) -> cms.CMSAttribute:
    return cms.CMSAttribute({"type": kind, "values": (value,)})


class TimeStampResp(tsp.TimeStampResp):  # type: ignore[misc]
    """TimeStampResp with the token optional, as RFC 3161 has it (asn1crypto requires it)."""

    _fields = [  # noqa: RUF012 - asn1crypto's declaration style
        ("status", tsp.PKIStatusInfo),
        ("time_stamp_token", cms.ContentInfo, {"optional": True}),
    ]


def _rejection(failure: str, text: str) -> tsp.TimeStampResp:
    return TimeStampResp(
        {
            "status": tsp.PKIStatusInfo(
                {
                    "status": "rejection",
                    "status_string": tsp.PKIFreeText([text]),
                    "fail_info": tsp.PKIFailureInfo({failure}),
                }
            )
        }
    )


class TimestampAuthority:
    """Answers timestamp requests with tokens signed by ``identity`` at ``clock.now()``."""

    def __init__(
        self,
        identity: SigningIdentity,
        clock: Clock,
        *,
        policy: str = DEMO_TSA_POLICY,
        serial_numbers: Callable[[], int] = x509.random_serial_number,
    ) -> None:
        self.identity = identity
        self.clock = clock
        self.policy = policy
        self._serial_numbers = serial_numbers
        self._cert = _asn1_cert(identity.certificate)
        self._chain = [_asn1_cert(c) for c in identity.chain]
        der = identity.certificate.public_bytes(serialization.Encoding.DER)
        self._signing_certificate = tsp.SigningCertificateV2(
            {
                "certs": [
                    {
                        "hash_algorithm": {"algorithm": "sha256"},
                        "cert_hash": hashlib.sha256(der).digest(),
                        "issuer_serial": {
                            "issuer": [
                                asn1_x509.GeneralName(
                                    name="directory_name", value=self._cert.issuer
                                )
                            ],
                            "serial_number": self._cert.serial_number,
                        },
                    }
                ]
            }
        )

    def __repr__(self) -> str:
        return f"TimestampAuthority({self.identity.name!r}, policy={self.policy!r})"

    def respond(self, request_der: bytes) -> bytes:
        """The DER TimeStampResp for a DER TimeStampReq (a rejection for a bad one)."""
        der: bytes = self.answer(request_der).dump()
        return der

    def answer(self, request_der: bytes) -> tsp.TimeStampResp:
        """Like :meth:`respond`, as an asn1crypto object."""
        if len(request_der) > MAX_REQUEST_BYTES:
            return _rejection("bad_request", "request too large")
        try:
            request = tsp.TimeStampReq.load(request_der, strict=True)
            native = request.native  # parse everything now, inside the try
        except (ValueError, TypeError, OverflowError):
            return _rejection("bad_data_format", "not a DER TimeStampReq")
        problem = self._check(native)
        if problem is not None:
            return _rejection(*problem)
        return self._grant(request)

    def _check(self, native: dict[str, Any]) -> tuple[str, str] | None:
        """The failure (PKIFailureInfo name, text) a parsed request deserves, if any."""
        imprint = native["message_imprint"]
        algorithm = imprint["hash_algorithm"]["algorithm"]
        if native["version"] != "v1":
            return "bad_request", "version must be 1"
        if algorithm not in ACCEPTED_DIGESTS:
            return "bad_alg", f"hash algorithm {algorithm} not accepted"
        if len(imprint["hashed_message"]) != ACCEPTED_DIGESTS[algorithm]:
            return "bad_data_format", "digest length does not match its algorithm"
        if native["req_policy"] is not None and native["req_policy"] != self.policy:
            return "unaccepted_policy", f"this TSA only uses policy {self.policy}"
        if native["extensions"]:
            return "unaccepted_extension", "no request extension is supported"
        return None

    def _grant(self, request: tsp.TimeStampReq) -> tsp.TimeStampResp:
        gen_time = self.clock.now().astimezone(UTC).replace(microsecond=0)
        info: dict[str, object] = {
            "version": "v1",
            "policy": self.policy,
            "message_imprint": request["message_imprint"],
            "serial_number": self._serial_numbers(),
            "gen_time": gen_time,
            "accuracy": {"seconds": 1},
            "ordering": False,
            "tsa": asn1_x509.GeneralName(name="directory_name", value=self._cert.subject),
        }
        if request["nonce"].native is not None:
            info["nonce"] = request["nonce"]
        tst_info = tsp.TSTInfo(info)
        content = tst_info.dump()
        signed_attrs = cms.CMSAttributes(
            [
                _attr("content_type", "tst_info"),
                _attr(
                    "signing_time", cms.Time({"generalized_time": core.GeneralizedTime(gen_time)})
                ),
                _attr("message_digest", hashlib.sha256(content).digest()),
                _attr("signing_certificate_v2", self._signing_certificate),
            ]
        )
        algorithm, signature = cms_signature(self.identity, signed_attrs.dump())
        signer_info = cms.SignerInfo(
            {
                "version": "v1",
                "sid": cms.SignerIdentifier(
                    name="issuer_and_serial_number",
                    value=cms.IssuerAndSerialNumber(
                        {
                            "issuer": self._cert.issuer,
                            "serial_number": self._cert.serial_number,
                        }
                    ),
                ),
                "digest_algorithm": algos.DigestAlgorithm({"algorithm": "sha256"}),
                "signed_attrs": signed_attrs,
                "signature_algorithm": algos.SignedDigestAlgorithm({"algorithm": algorithm}),
                "signature": signature,
            }
        )
        certificates = [self._cert, *self._chain] if request["cert_req"].native else []
        signed_data = {
            "version": "v3",
            "digest_algorithms": [algos.DigestAlgorithm({"algorithm": "sha256"})],
            "encap_content_info": {
                "content_type": "tst_info",
                "content": cms.ParsableOctetString(content),
            },
            "signer_infos": [signer_info],
        }
        if certificates:
            signed_data["certificates"] = certificates
        token = cms.ContentInfo({"content_type": "signed_data", "content": signed_data})
        return tsp.TimeStampResp(
            {"status": tsp.PKIStatusInfo({"status": "granted"}), "time_stamp_token": token}
        )
