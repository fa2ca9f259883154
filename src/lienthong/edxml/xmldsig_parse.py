"""Reading a package for its signature: hardened parsing and a plain view of ``Signature``.

Nothing here decides whether a signature is valid; it parses hostile bytes safely (no
DTD, no entities, no network, size/depth/element limits), finds the signature element(s)
and reads SignedInfo, SignatureValue and the certificates without trusting any of them.
"""

from __future__ import annotations

import base64
import binascii
import codecs
import functools
from dataclasses import dataclass, field

from cryptography import x509
from cryptography.exceptions import UnsupportedAlgorithm
from lxml import etree

from lienthong.edxml.model import NS
from lienthong.edxml.xmldsig_c14n import DetachedTexts, canonical_digest, enveloped
from lienthong.errors import SignatureError
from lienthong.settings import EdxmlLimits
from lienthong.text import nfc

HEADER_PATH = f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader"
ENVELOPED = "http://www.w3.org/2000/09/xmldsig#enveloped-signature"
#: Namespace of exclusive C14N's ``InclusiveNamespaces`` (the PrefixList parameter).
EXC_C14N_NS = "http://www.w3.org/2001/10/xml-exc-c14n#"

#: Canonicalization URIs → (short name, exclusive, with comments).
C14N: dict[str, tuple[str, bool, bool]] = {
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315": ("c14n", False, False),
    "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments": ("c14n-comments", False, True),
    "http://www.w3.org/2006/12/xml-c14n11": ("c14n11", False, False),
    "http://www.w3.org/2006/12/xml-c14n11#WithComments": ("c14n11-comments", False, True),
    "http://www.w3.org/2001/10/xml-exc-c14n#": ("exc-c14n", True, False),
    "http://www.w3.org/2001/10/xml-exc-c14n#WithComments": ("exc-c14n-comments", True, True),
}
#: Misspelt C14N URIs seen in real packages, read as the algorithm they were meant to name
#: only to diagnose the digest (the signature stays invalid: no verifier knows them).
C14N_MISSPELT: dict[str, str] = {
    "http://www.w3.org/TR/xml-exc-c14n#": "http://www.w3.org/2001/10/xml-exc-c14n#",
}
_DEFAULT_REFERENCE_C14N = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"

#: Digest URIs → hashlib name.
DIGESTS: dict[str, str] = {
    "http://www.w3.org/2000/09/xmldsig#sha1": "sha1",
    "http://www.w3.org/2001/04/xmldsig-more#sha224": "sha224",
    "http://www.w3.org/2001/04/xmlenc#sha256": "sha256",
    "http://www.w3.org/2001/04/xmldsig-more#sha384": "sha384",
    "http://www.w3.org/2001/04/xmlenc#sha512": "sha512",
    "http://www.w3.org/2007/05/xmldsig-more#sha3-256": "sha3_256",
    "http://www.w3.org/2007/05/xmldsig-more#sha3-384": "sha3_384",
    "http://www.w3.org/2007/05/xmldsig-more#sha3-512": "sha3_512",
}


def make_parser() -> etree.XMLParser:
    """A fresh hardened parser (parsers are not shared between threads).

    ``huge_tree`` lifts libxml2's 10 MB cap on one text node (an attachment's base64);
    :func:`parse_package` enforces our own limits instead.
    """
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=True,
    )


@dataclass(slots=True)
class ParsedPackage:
    root: etree._Element
    #: The bytes that were parsed (leading junk removed).
    data: bytes
    #: Number of junk bytes dropped before the first ``<``.
    junk: int = 0


class Unreadable(SignatureError):
    """The bytes are not a well-formed, acceptable XML document."""

    code = "signature.unreadable"


def parse_package(data: bytes, limits: EdxmlLimits, *, repair: bool) -> ParsedPackage:
    """Parse ``data`` with the hardened parser and check the limits.

    With ``repair``, bytes before the first ``<`` (junk some systems prepend) are dropped
    and counted. Raises :class:`Unreadable` (bad XML, DTD, not edXML) or
    :class:`SignatureError` ``signature.limit`` (too big, too deep, too many elements).
    """
    if len(data) > limits.max_package_bytes:
        raise SignatureError(
            f"package of {len(data)} bytes exceeds the limit of {limits.max_package_bytes}",
            code="signature.limit",
        )
    junk = 0
    start = data.find(b"<")
    if (
        repair
        and start > 0
        and not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE))
    ):
        junk, data = start, data[start:]
    try:
        root = etree.fromstring(data, make_parser())
    except etree.XMLSyntaxError as exc:
        line = f" at line {exc.lineno}" if exc.lineno else ""
        raise Unreadable(
            f"not well-formed XML{line}: {exc.msg}", code="signature.xml_syntax"
        ) from None
    docinfo = root.getroottree().docinfo
    if docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise Unreadable("a DOCTYPE declaration is not allowed in a package", code="signature.dtd")
    _check_shape(root, limits)
    if root.tag != f"{{{NS}}}edXML":
        raise Unreadable(
            f"the root element is {root.tag!r}, not edXML in the QCVN 102 namespace",
            code="signature.not_edxml",
        )
    return ParsedPackage(root=root, data=data, junk=junk)


def _check_shape(root: etree._Element, limits: EdxmlLimits) -> None:
    depth = count = 0
    for event, node in etree.iterwalk(root, events=("start", "end")):
        if isinstance(node, etree._Entity):  # pragma: no cover - resolve_entities=False, no DTD
            raise Unreadable("entity references are not allowed", code="signature.entity")
        if event == "start":
            depth += 1
            count += 1
            if depth > limits.max_depth or count > limits.max_elements:
                raise SignatureError(
                    f"package exceeds the limits (depth {limits.max_depth}, "
                    f"{limits.max_elements} elements)",
                    code="signature.limit",
                )
        else:
            depth -= 1


def from_organ_id(root: etree._Element) -> str | None:
    """``MessageHeader/From/OrganId`` (NFC, stripped), or ``None`` if absent or empty."""
    node = root.find(f"{HEADER_PATH}/{{{NS}}}MessageHeader/{{{NS}}}From/{{{NS}}}OrganId")
    if node is None or not (node.text or "").strip():
        return None
    return nfc((node.text or "").strip())


def local_name(node: etree._Element) -> str:
    return etree.QName(node).localname if isinstance(node.tag, str) else ""


def describe_path(node: etree._Element) -> str:
    """``/edXML/edXMLEnvelope/...`` with local names, for messages."""
    parts = [local_name(node)]
    parts.extend(local_name(a) for a in node.iterancestors())
    return "/" + "/".join(reversed(parts))


@dataclass(slots=True)
class ReferenceView:
    uri: str | None
    transforms: list[str] = field(default_factory=list)
    digest_method: str | None = None
    digest_value: bytes | None = None
    #: ``InclusiveNamespaces/@PrefixList`` of the (last) exclusive C14N transform, if any.
    c14n_prefixes: list[str] | None = None


@dataclass(slots=True)
class SignatureView:
    """What a signature element says, read without trusting it."""

    element: etree._Element
    canonicalization: str | None = None
    #: ``InclusiveNamespaces/@PrefixList`` of CanonicalizationMethod, if any.
    c14n_prefixes: list[str] | None = None
    signature_method: str | None = None
    references: list[ReferenceView] = field(default_factory=list)
    signature_value: bytes | None = None
    certificates: list[x509.Certificate] = field(default_factory=list)
    #: Problems met while reading: (code, message).
    problems: list[tuple[str, str]] = field(default_factory=list)


def _children(node: etree._Element, name: str, ns: str | None) -> list[etree._Element]:
    tag = f"{{{ns}}}{name}" if ns else name
    return list(node.iterchildren(tag))


def _child(node: etree._Element, name: str, ns: str | None) -> etree._Element | None:
    found = _children(node, name, ns)
    return found[0] if found else None


def decode_b64(text: str | None) -> bytes | None:
    """Strict base64 (whitespace allowed), or ``None`` when empty or broken."""
    compact = "".join((text or "").split())
    if not compact:
        return None
    try:
        return base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError):
        return None


def _prefix_list(node: etree._Element) -> list[str] | None:
    inclusive = node.find(f"{{{EXC_C14N_NS}}}InclusiveNamespaces")
    prefixes = inclusive.get("PrefixList") if inclusive is not None else None
    return prefixes.split() if prefixes is not None else None


def read_references(signed_info: etree._Element, ns: str | None) -> list[ReferenceView]:
    """The ``Reference`` children of ``signed_info`` (in namespace ``ns``), read as they are."""
    views = []
    for ref in _children(signed_info, "Reference", ns):
        transforms_node = _child(ref, "Transforms", ns)
        transforms = [] if transforms_node is None else _children(transforms_node, "Transform", ns)
        digest_method = _child(ref, "DigestMethod", ns)
        digest_value = _child(ref, "DigestValue", ns)
        c14n = [t for t in transforms if t.get("Algorithm") != ENVELOPED]
        views.append(
            ReferenceView(
                uri=ref.get("URI"),
                transforms=[t.get("Algorithm") or "" for t in transforms],
                digest_method=digest_method.get("Algorithm") if digest_method is not None else None,
                digest_value=decode_b64(digest_value.text) if digest_value is not None else None,
                c14n_prefixes=_prefix_list(c14n[-1]) if c14n else None,
            )
        )
    return views


def read_signature(sig: etree._Element) -> SignatureView:
    """Read SignedInfo, SignatureValue and X509Data/X509Certificate of ``sig``.

    Children are looked up in the signature element's own namespace, so a signature
    written without the XML-DSig namespace can still be described.
    """
    ns = etree.QName(sig).namespace
    view = SignatureView(element=sig)
    signed_info = _child(sig, "SignedInfo", ns)
    if signed_info is None:
        view.problems.append(("signature.malformed", "the signature has no SignedInfo"))
    else:
        c14n = _child(signed_info, "CanonicalizationMethod", ns)
        method = _child(signed_info, "SignatureMethod", ns)
        view.canonicalization = c14n.get("Algorithm") if c14n is not None else None
        view.c14n_prefixes = _prefix_list(c14n) if c14n is not None else None
        view.signature_method = method.get("Algorithm") if method is not None else None
        view.references = read_references(signed_info, ns)
    value = _child(sig, "SignatureValue", ns)
    view.signature_value = decode_b64(value.text) if value is not None else None
    if view.signature_value is None:
        view.problems.append(
            ("signature.bad_value", "SignatureValue is missing or not valid base64")
        )
    key_info = _child(sig, "KeyInfo", ns)
    x509_data = [] if key_info is None else _children(key_info, "X509Data", ns)
    cert_nodes = [c for data in x509_data for c in _children(data, "X509Certificate", ns)]
    if not cert_nodes:
        view.problems.append(
            ("signature.no_certificate", "KeyInfo carries no X509Data/X509Certificate")
        )
    for index, node in enumerate(cert_nodes, start=1):
        cert = _load_certificate(node.text)
        if cert is not None:
            view.certificates.append(cert)
        else:
            view.problems.append(
                (
                    "signature.bad_certificate",
                    f"X509Certificate #{index} is not a readable certificate "
                    f"({len(node.text or '')} characters: truncated or damaged)",
                )
            )
    return view


def _load_certificate(text: str | None) -> x509.Certificate | None:
    """A certificate whose every field we use parses (cryptography parses lazily).

    Parsed certificates are kept by their DER bytes (:func:`_parse_certificate`): a busy
    sender signs many packages with one certificate."""
    der = decode_b64(text)
    if der is None:
        return None
    return _parse_certificate(der)


#: Parsed certificates kept (immutable objects; shared between threads).
CERTIFICATE_CACHE = 1024


@functools.lru_cache(maxsize=CERTIFICATE_CACHE)
def _parse_certificate(der: bytes) -> x509.Certificate | None:
    try:
        cert = x509.load_der_x509_certificate(der)
        cert.subject.rfc4514_string()
        cert.issuer.rfc4514_string()
        _ = (cert.serial_number, cert.not_valid_before_utc, cert.not_valid_after_utc)
        _ = cert.extensions
        cert.public_key()
    except (ValueError, TypeError, UnsupportedAlgorithm):
        return None
    return cert


def reference_digest(
    root: etree._Element,
    sig: etree._Element,
    transforms: list[str],
    digest_uri: str,
    prefixes: list[str] | None = None,
    *,
    texts: DetachedTexts | None = None,
) -> bytes | None:
    """Recompute the digest of a ``URI=""`` reference: enveloped transform, then C14N.

    The whole document is canonicalized (as xmlsec1 does: processing instructions around
    the root count), streaming into the hash with the large texts detached
    (:mod:`lienthong.edxml.xmldsig_c14n`), so it costs about one copy of the largest
    attachment. ``prefixes`` is the InclusiveNamespaces PrefixList of an exclusive C14N
    transform. ``texts``: the large texts of ``root``, already detached by the caller
    (who then decides whether to restore them); by default they are detached and restored
    for the time of the call. Misspelt C14N URIs are read as intended (diagnosis only). Returns ``None``
    when a transform or the digest algorithm is unknown, or the transform is not enveloped.
    """
    hash_name = DIGESTS.get(digest_uri)
    if hash_name is None:
        return None
    c14n_uri = _DEFAULT_REFERENCE_C14N
    for declared in transforms:
        if declared == ENVELOPED:
            continue
        uri = C14N_MISSPELT.get(declared, declared)
        if uri not in C14N:
            return None
        c14n_uri = uri
    _, exclusive, with_comments = C14N[c14n_uri]
    if ENVELOPED not in transforms or sig.getparent() is None:
        return None
    with enveloped(sig):
        return canonical_digest(
            root.getroottree(),
            hash_name,
            exclusive=exclusive,
            with_comments=with_comments,
            prefixes=prefixes,
            texts=texts,
        )
