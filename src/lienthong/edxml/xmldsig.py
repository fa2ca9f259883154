"""XML signatures on edXML packages: sign a whole package, verify one into a report.

The package signature (spec/edxml.md, "Signature") is an enveloped XML-DSig placed as the
last child of ``edXMLHeader``::

    <ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
      <ds:SignedInfo>
        <ds:CanonicalizationMethod Algorithm="…xml-exc-c14n#"/>
        <ds:SignatureMethod Algorithm="…ecdsa-sha256"/>          (or rsa-sha256, …)
        <ds:Reference URI="">                                    (the whole package)
          <ds:Transforms> enveloped-signature, exclusive C14N </ds:Transforms>
          <ds:DigestMethod Algorithm="…sha256"/> <ds:DigestValue>…</ds:DigestValue>
      </ds:Reference></ds:SignedInfo>
      <ds:SignatureValue>…</ds:SignatureValue>
      <ds:KeyInfo><ds:X509Data> signer's certificate, then its chain </ds:X509Data></ds:KeyInfo>
    </ds:Signature>

This module chooses the profile, guards the input and turns every outcome into a
:class:`PackageSignatureReport`. The reference digest is streamed over the package with
its large texts detached (:mod:`lienthong.edxml.xmldsig_c14n`), so signing or verifying
costs about twice the package in memory; only SignedInfo goes to the signature algorithm
(:mod:`lienthong.edxml.xmldsig_crypto`, signxml's algorithm tables and ``cryptography``).
See docs/package-signatures.md.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import NamedTuple

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod

from lienthong.clock import Clock, SystemClock
from lienthong.edxml.model import DSIG_NS
from lienthong.edxml.xmldsig_c14n import (
    DetachedTexts,
    canonical_digest,
    enveloped,
    serialize_package,
)
from lienthong.edxml.xmldsig_crypto import canonical_signed_info, sign_value
from lienthong.edxml.xmldsig_parse import (
    DIGESTS,
    ENVELOPED,
    HEADER_PATH,
    Unreadable,
    describe_path,
    from_organ_id,
    local_name,
    parse_package,
    read_signature,
)
from lienthong.edxml.xmldsig_report import PackageSignatureReport, Severity
from lienthong.edxml.xmldsig_trust import (
    AllowedAgencies,
    check_agency,
    check_certificate,
    pick_signing_certificate,
)
from lienthong.edxml.xmldsig_verify import (
    DSIG_SIGNATURE,
    MIN_RSA_BITS,
    describe,
    diagnose_digest,
    locate,
    verify_crypto,
)
from lienthong.errors import SignatureError
from lienthong.pki.model import SigningIdentity, TrustStore
from lienthong.settings import EdxmlLimits

__all__ = ["SIGNING_ALGORITHMS", "sign_package", "verify_package"]

#: Algorithms :func:`sign_package` writes: name → (signature method, digest, key type).
SIGNING_ALGORITHMS: dict[str, tuple[SignatureMethod, DigestAlgorithm, str]] = {
    "ecdsa-sha256": (SignatureMethod.ECDSA_SHA256, DigestAlgorithm.SHA256, "ec"),
    "ecdsa-sha384": (SignatureMethod.ECDSA_SHA384, DigestAlgorithm.SHA384, "ec"),
    "ecdsa-sha512": (SignatureMethod.ECDSA_SHA512, DigestAlgorithm.SHA512, "ec"),
    "rsa-sha256": (SignatureMethod.RSA_SHA256, DigestAlgorithm.SHA256, "rsa"),
    "rsa-sha384": (SignatureMethod.RSA_SHA384, DigestAlgorithm.SHA384, "rsa"),
    "rsa-sha512": (SignatureMethod.RSA_SHA512, DigestAlgorithm.SHA512, "rsa"),
}
#: Exclusive C14N for SignedInfo and the reference: every XML-DSig implementation has it
#: (xmlsec1, .NET, Java, signxml) and it does not depend on where namespaces are declared.
WRITE_C14N = CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0


def _choose_algorithm(
    identity: SigningIdentity, algorithm: str | None
) -> tuple[str, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey]:
    key = identity.private_key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        key_type = "ec"
        default = {384: "ecdsa-sha384", 521: "ecdsa-sha512"}.get(key.curve.key_size, "ecdsa-sha256")
    elif isinstance(key, rsa.RSAPrivateKey):
        key_type = "rsa"
        default = "rsa-sha256"
        if key.key_size < MIN_RSA_BITS:
            raise SignatureError(
                f"RSA keys of {key.key_size} bits are too weak to sign with (need {MIN_RSA_BITS})",
                code="signature.weak_key",
            )
    else:
        raise SignatureError(
            f"{identity.name}: only EC and RSA keys can sign packages", code="signature.key"
        )
    name = algorithm or default
    spec = SIGNING_ALGORITHMS.get(name)
    if spec is None:
        raise SignatureError(
            f"unknown signature algorithm {name!r}; one of {', '.join(SIGNING_ALGORITHMS)}",
            code="signature.algorithm",
        )
    if spec[2] != key_type:
        raise SignatureError(
            f"{name} does not fit the {key_type.upper()} key of {identity.name}",
            code="signature.algorithm",
        )
    return name, key


def _existing_signatures(root: etree._Element, header: etree._Element) -> list[etree._Element]:
    found = [el for el in header if local_name(el) == "Signature"]
    found += [el for el in root.iter(DSIG_SIGNATURE) if el not in found]
    return found


def _remove_keeping_tail(node: etree._Element) -> None:
    parent = node.getparent()
    if parent is None:  # pragma: no cover - never the root here
        return
    previous = node.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + (node.tail or "")
    else:
        parent.text = (parent.text or "") + (node.tail or "")
    parent.remove(node)


def _ds(parent: etree._Element, name: str, **attrib: str) -> etree._Element:
    return etree.SubElement(parent, f"{{{DSIG_NS}}}{name}", attrib)


def _pem_body(cert: x509.Certificate) -> str:
    """The base64 lines of the certificate's PEM form (what X509Certificate holds)."""
    der = base64.b64encode(cert.public_bytes(Encoding.DER)).decode("ascii")
    return "".join(der[i : i + 64] + "\n" for i in range(0, len(der), 64))


class _Template(NamedTuple):
    signature: etree._Element
    signed_info: etree._Element
    digest_value: etree._Element
    signature_value: etree._Element


def _append_signature(
    header: etree._Element, algorithm: str, certs: list[x509.Certificate]
) -> _Template:
    """Append an unsigned ``ds:Signature`` of our profile to the header, keeping the indentation.

    DigestValue and SignatureValue are left empty; KeyInfo holds ``certs`` in order.
    """
    method, digest, _ = SIGNING_ALGORITHMS[algorithm]
    sig = etree.SubElement(header, DSIG_SIGNATURE, nsmap={"ds": DSIG_NS})
    previous = sig.getprevious()
    if previous is not None and (previous.tail or "").strip() == "":
        sig.tail = previous.tail
        child_indent = header.text if (header.text or "").strip() == "" else None
        previous.tail = child_indent or previous.tail
    signed_info = _ds(sig, "SignedInfo")
    _ds(signed_info, "CanonicalizationMethod", Algorithm=WRITE_C14N.value)
    _ds(signed_info, "SignatureMethod", Algorithm=method.value)
    reference = _ds(signed_info, "Reference", URI="")
    transforms = _ds(reference, "Transforms")
    _ds(transforms, "Transform", Algorithm=ENVELOPED)
    _ds(transforms, "Transform", Algorithm=WRITE_C14N.value)
    _ds(reference, "DigestMethod", Algorithm=digest.value)
    digest_value = _ds(reference, "DigestValue")
    signature_value = _ds(sig, "SignatureValue")
    x509_data = _ds(_ds(sig, "KeyInfo"), "X509Data")
    for cert in certs:
        _ds(x509_data, "X509Certificate").text = _pem_body(cert)
    return _Template(sig, signed_info, digest_value, signature_value)


def sign_package(
    data: bytes,
    identity: SigningIdentity,
    *,
    algorithm: str | None = None,
    replace: bool = False,
    limits: EdxmlLimits | None = None,
) -> bytes:
    """Sign a whole package with ``identity``; return the signed package bytes.

    ``algorithm`` is a key of :data:`SIGNING_ALGORITHMS`; by default ECDSA with the hash
    fitting the curve, or RSA-SHA256. The signature covers everything in the package but
    itself, attachments included. A package that already carries a signature is refused
    (:class:`SignatureError` ``signature.already_signed``) unless ``replace`` is set.
    Raises :class:`SignatureError` when the input is not an edXML package within
    ``limits``, or the key cannot sign.
    """
    chosen, key = _choose_algorithm(identity, algorithm)
    parsed = parse_package(data, limits or EdxmlLimits(), repair=False)
    root = parsed.root
    header = root.find(HEADER_PATH)
    if header is None:
        raise SignatureError(
            "the package has no edXMLEnvelope/edXMLHeader", code="signature.no_header"
        )
    existing = _existing_signatures(root, header)
    if existing and not replace:
        where = ", ".join(describe_path(el) for el in existing)
        raise SignatureError(
            f"the package is already signed ({where}); replacing a signature must be asked for",
            code="signature.already_signed",
        )
    for node in existing:
        _remove_keeping_tail(node)
    method, digest, _ = SIGNING_ALGORITHMS[chosen]
    # Large texts leave the tree before the signature joins it; they are spliced back
    # into the digest and the output, never copied whole by lxml.
    texts = DetachedTexts(root)
    template = _append_signature(header, chosen, [identity.certificate, *identity.chain])
    try:
        with enveloped(template.signature):
            # The output is the document element alone, so that is what is digested.
            value = canonical_digest(
                root, DIGESTS[digest.value], exclusive=True, with_comments=False, texts=texts
            )
        template.digest_value.text = base64.b64encode(value).decode("ascii")
        c14n = canonical_signed_info(template.signed_info, exclusive=True, with_comments=False)
        signature = sign_value(key, method, c14n)
        template.signature_value.text = base64.b64encode(signature).decode("ascii")
    except (ValueError, TypeError) as exc:
        raise SignatureError(
            f"could not sign the package: {exc}", code="signature.sign_failed"
        ) from exc
    return serialize_package(root, texts)


# -- verification ------------------------------------------------------------------------


#: How the signer's certificate is checked (validity, chain, revocation) into the report:
#: :func:`~lienthong.edxml.xmldsig_trust.check_certificate` by default.
ChainCheck = Callable[
    [PackageSignatureReport, x509.Certificate, Sequence[x509.Certificate], TrustStore, datetime],
    None,
]


def verify_package(
    data: bytes,
    trust: TrustStore,
    *,
    clock: Clock | None = None,
    allowed_agencies: AllowedAgencies | None = None,
    limits: EdxmlLimits | None = None,
    chain_check: ChainCheck = check_certificate,
) -> PackageSignatureReport:
    """Check the package signature of ``data`` against ``trust``; never raises on bad input.

    The report says whether a signature is present and intact, its algorithms (SHA-1 is
    accepted but flagged weak), the signer's certificate, whether it chains to a root of
    ``trust``, is within its validity and not revoked (CRLs of ``trust``), and whether it
    may sign for ``From/OrganId`` (rule in :mod:`lienthong.edxml.xmldsig_trust`; use
    ``allowed_agencies`` for system certificates). Damaged input gives findings.
    Raises :class:`SignatureError` only when it cannot evaluate: the package exceeds
    ``limits`` (``signature.limit``) or the trust store has no root.

    ``chain_check`` fills the certificate's validity, chain and revocation (the hub
    passes a cached form). The tree parsed here is dropped at the end, so the large texts
    detached for the digest are never put back (that would copy every attachment again).
    """
    now = (clock or SystemClock()).now()
    report = PackageSignatureReport(checked_at=now)
    try:
        parsed = parse_package(data, limits or EdxmlLimits(), repair=True)
    except Unreadable as exc:
        report.add(exc.code, exc.message)
        return report
    if parsed.junk:
        report.add(
            "signature.leading_junk",
            f"{parsed.junk} bytes before the XML declaration were ignored",
            Severity.WARNING,
        )
    root = parsed.root
    report.from_organ_id = from_organ_id(root)
    sig, evaluable = locate(report, root)
    if sig is None:
        return report
    view = read_signature(sig)
    for code, message in view.problems:
        report.add(code, message)
    evaluable = describe(report, view) and evaluable and not view.problems
    leaf = pick_signing_certificate(view.certificates)
    if leaf is None and view.certificates:
        report.add(
            "signature.no_signer_certificate",
            "KeyInfo holds only CA certificates; the signer's certificate is missing",
        )
    texts = DetachedTexts(root)  # never restored: the tree is not used after the digest
    if evaluable and leaf is not None:
        verify_crypto(report, parsed.data, root, view, leaf, texts=texts)
    else:
        report.intact = False
        diagnose_digest(report, root, view, texts=texts)
    if leaf is not None:
        chain_check(report, leaf, view.certificates, trust, now)
        check_agency(report, leaf, allowed_agencies)
    return report
