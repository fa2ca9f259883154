"""The signature value of a package signature: SignedInfo's canonical form, signed or checked.

Only SignedInfo (a few hundred bytes) goes through here; the reference digest over the
package is :mod:`lienthong.edxml.xmldsig_c14n`'s. The algorithms are signxml's
(:class:`signxml.algorithms.SignatureMethod` and its hash table), the arithmetic is
``cryptography``'s, and the encodings are XML-DSig's: ECDSA values are ``r || s`` of
fixed width (RFC 4050), RSA is PKCS#1 v1.5, the ``…-rsa-MGF1`` methods RSA-PSS with the
salt as long as the hash (RFC 9231).
"""

from __future__ import annotations

import copy
import math

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import ec, rsa, utils
from cryptography.hazmat.primitives.asymmetric.padding import MGF1, PSS, AsymmetricPadding, PKCS1v15
from cryptography.hazmat.primitives.asymmetric.types import CertificatePublicKeyTypes
from lxml import etree
from signxml.algorithms import SignatureMethod, digest_algorithm_implementations
from signxml.processor import XMLSignatureProcessor

from lienthong.edxml.model import DSIG_NS
from lienthong.edxml.xmldsig_parse import EXC_C14N_NS
from lienthong.errors import SignatureError

SIGNED_INFO = f"{{{DSIG_NS}}}SignedInfo"


class KeyMismatch(SignatureError):
    """The signature method does not fit the key (e.g. ECDSA named, RSA key given)."""

    code = "signature.key_mismatch"


def canonical_signed_info(
    signed_info: etree._Element,
    *,
    exclusive: bool,
    with_comments: bool,
    prefixes: list[str] | None = None,
) -> bytes:
    """The canonical form of ``signed_info`` (the bytes the signature value covers)."""
    return etree.tostring(
        signed_info,
        method="c14n",
        exclusive=exclusive,
        with_comments=with_comments,
        inclusive_ns_prefixes=prefixes if exclusive and prefixes else None,
    )


def standalone_signature(sig: etree._Element, parser: etree.XMLParser) -> etree._Element:
    """A copy of ``sig`` as its own document.

    Serializing carries the namespaces declared on the ancestors along, so an inclusive
    canonicalization of the copy's SignedInfo is that of the original; what is verified is
    then read from the copy, never from the package.
    """
    return etree.fromstring(etree.tostring(sig, with_tail=False), parser)


def check_schema(signature: etree._Element) -> None:
    """Raise ``lxml.etree.DocumentInvalid`` unless ``signature`` follows the XML-DSig schema.

    Exclusive C14N's ``InclusiveNamespaces`` is set aside first: it is declared in its own
    schema, which the XML-DSig schema (signxml's copy) does not import, so the schema
    would refuse a PrefixList that xmlsec1, .NET and Java accept.
    """
    probe = copy.deepcopy(signature)
    for node in list(probe.iter(f"{{{EXC_C14N_NS}}}InclusiveNamespaces")):
        parent = node.getparent()
        if parent is not None:
            parent.remove(node)
    schemas: list[etree.XMLSchema] = XMLSignatureProcessor.schemas()  # type: ignore[no-untyped-call]
    for schema in schemas[:-1]:
        if schema.validate(probe):
            return
    schemas[-1].assertValid(probe)


def _ecdsa_width(curve_bits: int) -> int:
    return math.ceil(curve_bits / 8)


def sign_value(
    key: ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey, method: SignatureMethod, data: bytes
) -> bytes:
    """The raw SignatureValue of ``data`` (canonical SignedInfo) with ``key``."""
    algorithm = digest_algorithm_implementations[method]()
    if isinstance(key, ec.EllipticCurvePrivateKey) and method.name.startswith("ECDSA_"):
        r, s = utils.decode_dss_signature(key.sign(data, ec.ECDSA(algorithm)))
        width = _ecdsa_width(key.curve.key_size)
        return r.to_bytes(width, "big") + s.to_bytes(width, "big")
    if isinstance(key, rsa.RSAPrivateKey) and method.name.startswith("RSA_"):
        return key.sign(data, PKCS1v15(), algorithm)
    raise KeyMismatch(f"{method.name} does not fit a {type(key).__name__}")


def verify_value(
    key: CertificatePublicKeyTypes, method: SignatureMethod, value: bytes, data: bytes
) -> bool:
    """Whether ``value`` is a valid SignatureValue of ``data`` under ``key``.

    Raises :class:`KeyMismatch` when ``method`` is not one for ``key``'s type.
    """
    algorithm = digest_algorithm_implementations[method]()
    try:
        if method.name.startswith("ECDSA_"):
            if not isinstance(key, ec.EllipticCurvePublicKey):
                raise KeyMismatch(f"{method.name} is named but the certificate's key is not EC")
            width = _ecdsa_width(key.curve.key_size)
            if len(value) != 2 * width:
                return False
            der = utils.encode_dss_signature(
                int.from_bytes(value[:width], "big"), int.from_bytes(value[width:], "big")
            )
            key.verify(der, data, ec.ECDSA(algorithm))
            return True
        if method.name.startswith("RSA_") or method.name.endswith("_RSA_MGF1"):
            if not isinstance(key, rsa.RSAPublicKey):
                raise KeyMismatch(f"{method.name} is named but the certificate's key is not RSA")
            padding: AsymmetricPadding = (
                PKCS1v15()
                if method.name.startswith("RSA_")
                else PSS(mgf=MGF1(algorithm), salt_length=algorithm.digest_size)
            )
            key.verify(value, data, padding, algorithm)
            return True
    except InvalidSignature:
        return False
    raise KeyMismatch(f"{method.name} is not a signature method packages may use")
