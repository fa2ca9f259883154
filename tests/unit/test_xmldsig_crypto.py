"""SignatureValue over SignedInfo (``xmldsig_crypto``): the encodings signxml writes.

Our own packages use P-256 and RSA PKCS#1 v1.5; other systems may send P-384/P-521 or
RSA-PSS (``…-rsa-MGF1``). Values made by signxml must verify, a changed SignedInfo must
not, and a method that does not fit the key is an error, not a silent "invalid".
"""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.signer import XMLSigner

from lienthong.edxml.model import DSIG_NS
from lienthong.edxml.xmldsig_crypto import (
    SIGNED_INFO,
    KeyMismatch,
    canonical_signed_info,
    sign_value,
    verify_value,
)

_RSA = rsa.generate_private_key(public_exponent=65537, key_size=2048)
CASES = [
    pytest.param(ec.generate_private_key(ec.SECP256R1()), SignatureMethod.ECDSA_SHA256, id="p256"),
    pytest.param(ec.generate_private_key(ec.SECP384R1()), SignatureMethod.ECDSA_SHA384, id="p384"),
    pytest.param(ec.generate_private_key(ec.SECP521R1()), SignatureMethod.ECDSA_SHA512, id="p521"),
    pytest.param(_RSA, SignatureMethod.RSA_SHA256, id="rsa-pkcs1"),
    pytest.param(_RSA, SignatureMethod.SHA256_RSA_MGF1, id="rsa-pss"),
]
Key = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey


def _signxml(key: Key, method: SignatureMethod) -> tuple[bytes, bytes]:
    """(canonical SignedInfo, raw SignatureValue) of a small document signed by signxml."""
    signer = XMLSigner(
        signature_algorithm=method,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signed = signer.sign(etree.fromstring('<r xmlns="urn:a"><a>Văn bản</a></r>'.encode()), key=key)
    signed_info = signed.find(f".//{SIGNED_INFO}")
    value = signed.find(f".//{{{DSIG_NS}}}SignatureValue")
    assert signed_info is not None
    assert value is not None
    c14n = canonical_signed_info(signed_info, exclusive=True, with_comments=False)
    return c14n, base64.b64decode(value.text or "")


@pytest.mark.parametrize(("key", "method"), CASES)
def test_signxml_values_verify_and_a_changed_signed_info_does_not(
    key: Key, method: SignatureMethod
) -> None:
    c14n, value = _signxml(key, method)
    public = key.public_key()
    assert verify_value(public, method, value, c14n) is True
    changed = c14n.replace(b"<ds:Reference", b'<ds:Reference Id="x"', 1)
    assert changed != c14n
    assert verify_value(public, method, value, changed) is False


@pytest.mark.parametrize(("key", "method"), CASES[:4])
def test_our_values_verify_and_ecdsa_has_the_fixed_width(key: Key, method: SignatureMethod) -> None:
    data = b"<ds:SignedInfo>...</ds:SignedInfo>"
    value = sign_value(key, method, data)
    if isinstance(key, ec.EllipticCurvePrivateKey):
        assert len(value) == 2 * ((key.curve.key_size + 7) // 8)
        assert verify_value(key.public_key(), method, value[:-1], data) is False
    assert verify_value(key.public_key(), method, value, data) is True
    assert verify_value(key.public_key(), method, value, data + b" ") is False


def test_a_method_that_does_not_fit_the_key_is_an_error() -> None:
    ec_key = ec.generate_private_key(ec.SECP256R1())
    with pytest.raises(KeyMismatch):
        verify_value(ec_key.public_key(), SignatureMethod.RSA_SHA256, b"x" * 256, b"data")
    with pytest.raises(KeyMismatch):
        verify_value(_RSA.public_key(), SignatureMethod.ECDSA_SHA256, b"x" * 64, b"data")
    with pytest.raises(KeyMismatch):
        sign_value(_RSA, SignatureMethod.ECDSA_SHA256, b"data")
