"""The checks behind :func:`lienthong.edxml.xmldsig.verify_package`.

Where the signature is, whether it follows the package profile (one reference to the
whole package, enveloped transform, known C14N and digest, RSA or ECDSA), and the
cryptography itself with the certificate the signature carries: SignatureValue over
SignedInfo (:mod:`lienthong.edxml.xmldsig_crypto`), then the reference digest streamed
over the package (:func:`lienthong.edxml.xmldsig_parse.reference_digest`), the same
checks signxml makes, in about twice the package's memory instead of six times. Every
outcome is a finding in the report.
"""

from __future__ import annotations

from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import rsa
from lxml import etree
from signxml.algorithms import SignatureMethod
from signxml.exceptions import SignXMLException

from lienthong.edxml.model import DSIG_NS
from lienthong.edxml.xmldsig_c14n import DetachedTexts
from lienthong.edxml.xmldsig_crypto import (
    SIGNED_INFO,
    canonical_signed_info,
    check_schema,
    standalone_signature,
    verify_value,
)
from lienthong.edxml.xmldsig_parse import (
    C14N,
    DIGESTS,
    ENVELOPED,
    HEADER_PATH,
    ReferenceView,
    SignatureView,
    describe_path,
    local_name,
    make_parser,
    read_references,
    reference_digest,
)
from lienthong.edxml.xmldsig_report import PackageSignatureReport, Severity

MIN_RSA_BITS = 2048
DSIG_SIGNATURE = f"{{{DSIG_NS}}}Signature"

#: Accepted on input: RSA (PKCS#1 v1.5 and PSS) and ECDSA, SHA-1 included (flagged weak).
#: HMAC proves nothing about the sender and DSA is obsolete.
ACCEPTED_METHODS = frozenset(
    m for m in SignatureMethod if m.name.startswith(("RSA_", "ECDSA_")) or m.name.endswith("_MGF1")
)


def _method_name(uri: str | None) -> str | None:
    if uri is None:
        return None
    try:
        return SignatureMethod(uri).name.lower().replace("_", "-")
    except (ValueError, SignXMLException):
        return uri


def locate(
    report: PackageSignatureReport, root: etree._Element
) -> tuple[etree._Element | None, bool]:
    """The signature to look at and whether it may be evaluated as the package signature."""
    header = root.find(HEADER_PATH)
    in_header = [] if header is None else [el for el in header if local_name(el) == "Signature"]
    signatures = list(root.iter(DSIG_SIGNATURE))
    if not signatures:
        if not in_header:
            return None, False
        report.present = True
        report.add(
            "signature.namespace_missing",
            f"{describe_path(in_header[0])} is not in the XML-DSig namespace ({DSIG_NS}); "
            "no verifier recognises it as a signature",
        )
        return in_header[0], False
    report.present = True
    if len(signatures) > 1:
        report.add(
            "signature.multiple",
            f"{len(signatures)} signatures found ({', '.join(describe_path(s) for s in signatures)});"
            " a package carries exactly one",
        )
        return signatures[0], False
    sig = signatures[0]
    if sig.getparent() is not header:
        report.add(
            "signature.misplaced",
            f"the signature is at {describe_path(sig)}, not in edXMLHeader; it was not evaluated",
        )
        return sig, False
    if sig.getnext() is not None:
        report.add(
            "signature.not_last",
            "the signature is not the last child of edXMLHeader",
            Severity.WARNING,
        )
    return sig, True


def describe(report: PackageSignatureReport, view: SignatureView) -> bool:
    """Fill the algorithm fields; add findings for a profile we do not accept."""
    ok = True
    report.signature_algorithm = _method_name(view.signature_method)
    c14n = C14N.get(view.canonicalization or "")
    report.canonicalization = c14n[0] if c14n else view.canonicalization
    ref = view.references[0] if len(view.references) == 1 else None
    if ref is not None:
        report.digest_algorithm = DIGESTS.get(ref.digest_method or "", ref.digest_method)
    weak = [n for n in (report.signature_algorithm, report.digest_algorithm) if n and "sha1" in n]
    if weak:
        report.weak_algorithm = True
        report.add(
            "signature.weak_algorithm",
            f"SHA-1 is used ({', '.join(weak)}); accepted on input but weak",
            Severity.WARNING,
        )
    try:
        method_ok = SignatureMethod(view.signature_method) in ACCEPTED_METHODS
    except (ValueError, SignXMLException):
        method_ok = False
    if not method_ok:
        ok = False
        report.add(
            "signature.algorithm_not_accepted",
            f"signature method {view.signature_method!r} is not accepted (RSA or ECDSA only)",
        )
    if c14n is None:
        ok = False
        report.add("signature.unknown_c14n", f"unknown canonicalization {view.canonicalization!r}")
    if ref is None:
        report.add(
            "signature.references",
            f"the signature has {len(view.references)} references; a package signature has one",
        )
        return False
    if ref.uri != "":
        ok = False
        report.add(
            "signature.reference_uri",
            f'the reference URI is {ref.uri!r}, not "" (the whole package)',
        )
    if ENVELOPED not in ref.transforms:
        ok = False
        report.add("signature.transforms", "the reference lacks the enveloped-signature transform")
    for uri in ref.transforms:
        if uri != ENVELOPED and uri not in C14N:
            ok = False
            report.add("signature.unknown_transform", f"unknown transform algorithm {uri!r}")
    if ref.digest_method not in DIGESTS:
        ok = False
        report.add("signature.unknown_digest", f"unknown digest method {ref.digest_method!r}")
    if ref.digest_value is None:
        ok = False
        report.add("signature.bad_digest_value", "DigestValue is missing or not valid base64")
    return ok


def _signed_reference(view: SignatureView, leaf: x509.Certificate) -> tuple[bool, ReferenceView]:
    """Whether SignatureValue verifies, and the one reference as the signed SignedInfo says.

    Raises (anything) when the signature cannot be checked at all.
    """
    method = SignatureMethod(view.signature_method)
    _, exclusive, with_comments = C14N[view.canonicalization or ""]
    signature = standalone_signature(view.element, make_parser())
    signed_info = signature.find(SIGNED_INFO)
    if signed_info is None or view.signature_value is None:
        raise ValueError("SignedInfo or SignatureValue is missing")
    c14n = canonical_signed_info(
        signed_info, exclusive=exclusive, with_comments=with_comments, prefixes=view.c14n_prefixes
    )
    check_schema(signature)
    value_ok = verify_value(leaf.public_key(), method, view.signature_value, c14n)
    refs = read_references(etree.fromstring(c14n, make_parser()), DSIG_NS)
    if len(refs) != 1:
        raise ValueError(f"the signed SignedInfo holds {len(refs)} references")
    return value_ok, refs[0]


def verify_crypto(
    report: PackageSignatureReport,
    data: bytes,
    root: etree._Element,
    view: SignatureView,
    leaf: x509.Certificate,
    *,
    texts: DetachedTexts | None = None,
) -> None:
    """Check SignatureValue (with ``leaf``'s key) and the reference digest of ``root``.

    ``view`` must have passed :func:`describe`. As signxml does, SignedInfo is taken from a
    standalone copy of the signature checked against the XML-DSig schema, and the
    reference is read back from the canonical SignedInfo that was verified ("see what is
    signed"). ``data`` (the parsed bytes) is no longer needed; it stays for callers.
    ``texts``: ``root``'s large texts when the caller detached them (see
    :func:`~lienthong.edxml.xmldsig_parse.reference_digest`).
    """
    del data
    digest: bytes | None = None
    try:
        value_ok, ref = _signed_reference(view, leaf)
        if ref.digest_method is not None and ref.digest_value is not None:
            digest = reference_digest(
                root,
                view.element,
                ref.transforms,
                ref.digest_method,
                ref.c14n_prefixes,
                texts=texts,
            )
    except Exception as exc:  # hostile input may trip anything: it is a finding, not a crash
        report.intact = False
        report.add(
            "signature.malformed", f"the signature cannot be checked: {type(exc).__name__}: {exc}"
        )
        return
    if digest is None:
        report.intact = False
        report.add("signature.malformed", "the signed reference's digest cannot be computed")
        return
    report.signature_value_ok = value_ok
    report.digest_ok = digest == ref.digest_value
    report.intact = value_ok and report.digest_ok
    if not value_ok:
        report.add(
            "signature.value_mismatch",
            "SignatureValue does not verify with the certificate's key "
            "(SignedInfo was changed, or the certificate is not the signer's)",
        )
    if not report.digest_ok:
        _add_digest_mismatch(report)
    if report.intact:
        _check_key_strength(report, leaf)


def _check_key_strength(report: PackageSignatureReport, leaf: x509.Certificate) -> None:
    key = leaf.public_key()
    if isinstance(key, rsa.RSAPublicKey) and key.key_size < MIN_RSA_BITS:
        report.weak_algorithm = True
        report.add("signature.weak_key", f"RSA key of {key.key_size} bits", Severity.WARNING)


def _add_digest_mismatch(report: PackageSignatureReport) -> None:
    report.add(
        "signature.digest_mismatch",
        "the package was changed after signing: its digest does not match DigestValue",
    )


def diagnose_digest(
    report: PackageSignatureReport,
    root: etree._Element,
    view: SignatureView,
    *,
    texts: DetachedTexts | None = None,
) -> None:
    """Recompute the reference digest ourselves to tell whether the content changed."""
    if len(view.references) != 1:
        return
    ref = view.references[0]
    if ref.uri != "" or ref.digest_value is None or ref.digest_method is None:
        return
    digest = reference_digest(
        root, view.element, ref.transforms, ref.digest_method, ref.c14n_prefixes, texts=texts
    )
    if digest is None:
        return
    report.digest_ok = digest == ref.digest_value
    if not report.digest_ok:
        _add_digest_mismatch(report)
