"""Package signatures: damaged input from other systems gives findings, never a crash."""

from __future__ import annotations

import base64
import json

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given, settings
from hypothesis import strategies as st

from dsigkit import H41, SAMPLES, to_bytes, tree
from lienthong.clock import FixedClock
from lienthong.edxml.model import DSIG_NS
from lienthong.edxml.xmldsig import verify_package
from lienthong.edxml.xmldsig_report import Verdict
from lienthong.pki.ca import DemoPki

# -- damaged input -----------------------------------------------------------------------


def test_sample_edoc_reports_every_defect(pki: DemoPki, clock: FixedClock) -> None:
    report = verify_package((SAMPLES / "edoc_new.edxml").read_bytes(), pki.trust_store, clock=clock)
    assert report.present is True
    assert report.intact is False
    assert report.verdict is Verdict.INVALID
    for code in (
        "signature.leading_junk",  # "1212" before the declaration
        "signature.namespace_missing",  # <Signature> in the edXML namespace
        "signature.bad_certificate",  # truncated X509Certificate
        "signature.unknown_transform",  # misspelt exclusive C14N URI
        "signature.digest_mismatch",  # the content changed after signing
        "signature.weak_algorithm",  # rsa-sha1 / sha1
    ):
        assert report.has(code), code
    assert report.digest_ok is False
    assert (report.signature_algorithm, report.digest_algorithm) == ("rsa-sha1", "sha1")
    assert report.certificate is None
    assert report.trusted is None
    assert report.from_organ_id == "002.00.20.H13"


@pytest.mark.parametrize(
    "name", ["status_acceptance_03.edxml", "status_finish_06.edxml", "status_rejection_02.edxml"]
)
def test_status_samples_are_unsigned(pki: DemoPki, clock: FixedClock, name: str) -> None:
    report = verify_package((SAMPLES / name).read_bytes(), pki.trust_store, clock=clock)
    assert report.verdict is Verdict.UNSIGNED
    assert report.present is False
    assert report.intact is None
    assert report.reasons == ["the package carries no signature"]
    assert report.from_organ_id == "000.00.00.H41"


def test_junk_before_the_declaration_is_ignored_with_a_warning(
    pki: DemoPki, signed: bytes, clock: FixedClock
) -> None:
    report = verify_package(b"1212" + signed, pki.trust_store, clock=clock)
    assert report.valid
    assert report.has("signature.leading_junk")


def test_broken_base64_in_signature_parts_gives_findings(
    pki: DemoPki, signed: bytes, clock: FixedClock
) -> None:
    for tag, code in [
        ("SignatureValue", "signature.bad_value"),
        ("X509Certificate", "signature.bad_certificate"),
        ("DigestValue", "signature.bad_digest_value"),
    ]:
        root = tree(signed)
        node = root.find(f".//{{{DSIG_NS}}}{tag}")
        assert node is not None
        node.text = "@@not base64@@"
        report = verify_package(to_bytes(root), pki.trust_store, clock=clock)
        assert report.intact is False, tag
        assert report.has(code), tag


def test_certificate_that_fails_to_parse_late_is_a_finding(
    pki: DemoPki, signed: bytes, clock: FixedClock
) -> None:
    # cryptography loads this DER but fails on .issuer (invalid UTF-8 in a name).
    der = pki.agency(H41).certificate.public_bytes(Encoding.DER)
    at = der.index(b"lienthong DEMO Issuing")
    broken = der[:at] + b"\xff" + der[at + 1 :]
    root = tree(signed)
    node = root.find(f".//{{{DSIG_NS}}}X509Certificate")
    assert node is not None
    node.text = base64.b64encode(broken).decode()
    report = verify_package(to_bytes(root), pki.trust_store, clock=clock)
    assert report.has("signature.bad_certificate")
    assert report.has("signature.no_signer_certificate")  # only the issuing CA is left
    assert report.certificate is None
    assert report.intact is False
    assert report.verdict is Verdict.INVALID


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"", "signature.xml_syntax"),
        (b"\x00\x01binary", "signature.xml_syntax"),
        (b"<edXML><unclosed></edXML>", "signature.xml_syntax"),
        (b'<!DOCTYPE edXML SYSTEM "http://example.invalid/x.dtd"><edXML/>', "signature.dtd"),
        (b"<root/>", "signature.not_edxml"),
    ],
)
def test_unreadable_input_is_a_report(
    pki: DemoPki, clock: FixedClock, data: bytes, code: str
) -> None:
    report = verify_package(data, pki.trust_store, clock=clock)
    assert report.verdict is Verdict.INVALID
    assert report.present is False
    assert report.has(code)


def test_reference_to_part_of_the_package_is_refused(
    pki: DemoPki, signed: bytes, clock: FixedClock
) -> None:
    root = tree(signed)
    ref = root.find(f".//{{{DSIG_NS}}}Reference")
    assert ref is not None
    ref.set("URI", "#body")
    report = verify_package(to_bytes(root), pki.trust_store, clock=clock)
    assert report.intact is False
    assert report.has("signature.reference_uri")


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_verification_never_crashes_on_mutations(
    pki: DemoPki, signed: bytes, clock: FixedClock, data: st.DataObject
) -> None:
    raw = bytearray(signed)
    for _ in range(data.draw(st.integers(1, 4))):
        pos = data.draw(st.integers(0, len(raw) - 1))
        raw[pos] = data.draw(st.integers(0, 255))
    report = verify_package(bytes(raw), pki.trust_store, clock=clock)
    assert report.verdict in (Verdict.VALID, Verdict.INVALID, Verdict.UNSIGNED)
    json.dumps(report.to_dict())
