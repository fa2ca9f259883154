"""Package signatures: any change after signing breaks the digest or the signature."""

from __future__ import annotations

import base64
from collections.abc import Callable

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from dsigkit import G22, to_bytes, tree
from lienthong.clock import FixedClock
from lienthong.edxml.model import DSIG_NS, NS
from lienthong.edxml.xmldsig import verify_package
from lienthong.edxml.xmldsig_report import Verdict
from lienthong.pki.ca import DemoPki

# -- tampering ---------------------------------------------------------------------------


def _flip_attachment_byte(root: etree._Element) -> None:
    node = root.find(f".//{{{NS}}}ContentTransferEncoded")
    assert node is not None
    assert node.text
    text = node.text
    node.text = text[:5] + ("A" if text[5] != "A" else "B") + text[6:]


def _change_subject(root: etree._Element) -> None:
    node = root.find(f".//{{{NS}}}Subject")
    assert node is not None
    node.text = "V/v nội dung khác"


def _remove_recipient(root: etree._Element) -> None:
    node = root.find(f".//{{{NS}}}To")
    assert node is not None
    parent = node.getparent()
    assert parent is not None
    parent.remove(node)


def _add_recipient(root: etree._Element) -> None:
    to = root.find(f".//{{{NS}}}To")
    assert to is not None
    extra = etree.fromstring(etree.tostring(to))
    organ_id = extra.find(f"{{{NS}}}OrganId")
    assert organ_id is not None
    organ_id.text = "000.00.00.G12"
    to.addnext(extra)


@pytest.mark.parametrize(
    "tamper", [_flip_attachment_byte, _change_subject, _remove_recipient, _add_recipient]
)
def test_content_tampering_breaks_the_digest(
    pki: DemoPki, signed: bytes, clock: FixedClock, tamper: Callable[[etree._Element], None]
) -> None:
    root = tree(signed)
    tamper(root)
    report = verify_package(to_bytes(root), pki.trust_store, clock=clock)
    assert report.verdict is Verdict.INVALID
    assert report.intact is False
    assert report.digest_ok is False
    assert report.signature_value_ok is True
    assert report.has("signature.digest_mismatch")
    assert report.trusted is True  # the certificate itself is fine


def test_one_changed_byte_in_the_raw_base64_is_caught(
    pki: DemoPki, signed: bytes, clock: FixedClock
) -> None:
    start = signed.index(b"<ContentTransferEncoded>") + len(b"<ContentTransferEncoded>") + 3
    flipped = (
        signed[:start] + (b"B" if signed[start : start + 1] != b"B" else b"C") + signed[start + 1 :]
    )
    report = verify_package(flipped, pki.trust_store, clock=clock)
    assert report.intact is False
    assert report.has("signature.digest_mismatch")


def test_swapped_certificate_fails_the_signature_value(
    pki: DemoPki, signed: bytes, clock: FixedClock
) -> None:
    root = tree(signed)
    node = root.find(f".//{{{DSIG_NS}}}X509Certificate")
    assert node is not None
    other = pki.agency(G22).certificate  # trusted, but not the key that signed
    node.text = base64.b64encode(other.public_bytes(Encoding.DER)).decode()
    report = verify_package(to_bytes(root), pki.trust_store, clock=clock)
    assert report.intact is False
    assert report.signature_value_ok is False
    assert report.digest_ok is True  # the content is untouched; the signer is not G22
    assert report.has("signature.value_mismatch")
    assert report.certificate is not None
    assert report.certificate.agency_id == G22


def test_changed_signed_info_fails_the_signature_value(
    pki: DemoPki, signed: bytes, clock: FixedClock
) -> None:
    root = tree(signed)
    digest = root.find(f".//{{{DSIG_NS}}}DigestValue")
    assert digest is not None
    assert digest.text
    raw = bytearray(base64.b64decode(digest.text))
    raw[0] ^= 1
    digest.text = base64.b64encode(bytes(raw)).decode()
    report = verify_package(to_bytes(root), pki.trust_store, clock=clock)
    assert report.intact is False
    assert report.signature_value_ok is False
    assert report.has("signature.value_mismatch")
    assert report.has("signature.digest_mismatch")


@pytest.mark.parametrize("target", ["root", "body", "envelope"])
def test_moved_signature_is_not_accepted(
    pki: DemoPki, signed: bytes, clock: FixedClock, target: str
) -> None:
    root = tree(signed)
    sig = root.find(f".//{{{DSIG_NS}}}Signature")
    assert sig is not None
    new_parent = {
        "root": root,
        "body": root.find(f".//{{{NS}}}edXMLBody"),
        "envelope": root.find(f"{{{NS}}}edXMLEnvelope"),
    }[target]
    assert new_parent is not None
    new_parent.append(sig)
    report = verify_package(to_bytes(root), pki.trust_store, clock=clock)
    assert report.present is True
    assert report.intact is False
    assert report.has("signature.misplaced")
    assert report.verdict is Verdict.INVALID


def test_a_second_signature_is_not_accepted(pki: DemoPki, signed: bytes, clock: FixedClock) -> None:
    root = tree(signed)
    sig = root.find(f".//{{{DSIG_NS}}}Signature")
    assert sig is not None
    root.append(etree.fromstring(etree.tostring(sig)))
    report = verify_package(to_bytes(root), pki.trust_store, clock=clock)
    assert report.intact is False
    assert report.has("signature.multiple")
