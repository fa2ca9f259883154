"""A pyHanko signer over a private key already in memory (loaded once, used many times)."""

from __future__ import annotations

from typing import Any

from asn1crypto.algos import SignedDigestAlgorithm
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.padding import PKCS1v15
from pyhanko.sign.signers import Signer
from pyhanko_certvalidator.registry import SimpleCertificateStore

from lienthong.errors import SignatureError
from lienthong.pdfsign.context import asn1_cert
from lienthong.pki.model import SigningIdentity

_HASHES: dict[str, type[hashes.HashAlgorithm]] = {
    "sha256": hashes.SHA256,
    "sha384": hashes.SHA384,
    "sha512": hashes.SHA512,
}
_cert_store: Any = SimpleCertificateStore.from_certs  # untyped in pyhanko-certvalidator


class LoadedKeySigner(Signer):
    """A pyHanko signer over a key already in memory (pyHanko's SimpleSigner reparses it
    for every signature; this one never does)."""

    def __init__(self, identity: SigningIdentity) -> None:
        key = identity.private_key
        if isinstance(key, ec.EllipticCurvePrivateKey):
            mechanism = "sha256_ecdsa"
        elif isinstance(key, rsa.RSAPrivateKey):
            mechanism = "sha256_rsa"
        else:
            raise SignatureError(
                f"unsupported key type {type(key).__name__} (EC or RSA)", code="pdfsign.key_type"
            )
        super().__init__(
            signing_cert=asn1_cert(identity.certificate),
            cert_registry=_cert_store([asn1_cert(c) for c in identity.chain]),
            signature_mechanism=SignedDigestAlgorithm({"algorithm": mechanism}),
            embed_roots=False,
        )
        self._key = key

    async def async_sign_raw(
        self, data: bytes, digest_algorithm: str, dry_run: bool = False
    ) -> bytes:
        hash_algo = _HASHES[digest_algorithm]()
        if isinstance(self._key, ec.EllipticCurvePrivateKey):
            return self._key.sign(data, ec.ECDSA(hash_algo))
        assert isinstance(self._key, rsa.RSAPrivateKey)  # noqa: S101 - checked in __init__
        return self._key.sign(data, PKCS1v15(), hash_algo)
