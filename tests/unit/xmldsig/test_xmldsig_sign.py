"""Package signatures: sign → verify (what a report says), and what signing refuses."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding

from dsigkit import DS, G22, H41, T0, make_package, tree
from lienthong.clock import FixedClock
from lienthong.edxml import model as m
from lienthong.edxml.attachments import attachment_from_bytes
from lienthong.edxml.model import DSIG_NS, NS
from lienthong.edxml.reader import read_package
from lienthong.edxml.writer import package_to_bytes
from lienthong.edxml.xmldsig import sign_package, verify_package
from lienthong.edxml.xmldsig_report import Verdict
from lienthong.errors import SignatureError
from lienthong.pki.ca import DemoPki
from lienthong.pki.testing import demo_pki
from lienthong.settings import EdxmlLimits

# -- sign → verify -----------------------------------------------------------------------


def test_signed_package_verifies_with_every_fact_reported(
    pki: DemoPki, signed: bytes, clock: FixedClock
) -> None:
    report = verify_package(signed, pki.trust_store, clock=clock)
    assert report.verdict is Verdict.VALID, report.reasons
    assert report.present
    assert report.intact
    assert report.digest_ok
    assert report.signature_value_ok
    assert report.signature_algorithm == "ecdsa-sha256"
    assert report.digest_algorithm == "sha256"
    assert report.canonicalization == "exc-c14n"
    assert report.weak_algorithm is False
    cert = pki.agency(H41).certificate
    assert report.certificate is not None
    assert report.certificate.serial == f"{cert.serial_number:X}"
    assert report.certificate.agency_id == H41
    assert "MDDVN-000.00.00.H41" in report.certificate.subject
    assert report.certificate.not_after == cert.not_valid_after_utc
    assert [c.subject for c in report.chain] == [
        pki.issuing_ca.certificate.subject.rfc4514_string(),
        pki.root.certificate.subject.rfc4514_string(),
    ]
    assert (report.trusted, report.time_valid, report.revoked) == (True, True, False)
    assert (report.certificate_agency_id, report.from_organ_id) == (H41, H41)
    assert report.agency_matches is True
    assert report.findings == []
    assert json.loads(json.dumps(report.to_dict()))["verdict"] == "valid"


def test_signature_is_the_last_child_of_the_header_with_the_chain_in_keyinfo(
    pki: DemoPki, signed: bytes
) -> None:
    root = tree(signed)
    header = root.find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader")
    assert header is not None
    sig = header[-1]
    assert sig.tag == f"{{{DSIG_NS}}}Signature"
    assert sig.get("Id") is None  # the placeholder's Id is gone
    assert sig.xpath("ds:SignedInfo/ds:Reference/@URI", namespaces=DS) == [""]
    assert sig.xpath(
        "ds:SignedInfo/ds:Reference/ds:Transforms/ds:Transform/@Algorithm", namespaces=DS
    ) == [
        "http://www.w3.org/2000/09/xmldsig#enveloped-signature",
        "http://www.w3.org/2001/10/xml-exc-c14n#",
    ]
    ders = [
        base64.b64decode("".join((c.text or "").split()))
        for c in sig.xpath("ds:KeyInfo/ds:X509Data/ds:X509Certificate", namespaces=DS)
    ]
    identity = pki.agency(H41)
    assert ders == [c.public_bytes(Encoding.DER) for c in (identity.certificate, *identity.chain)]
    assert len(list(root.iter(f"{{{DSIG_NS}}}Signature"))) == 1


def test_writer_output_signs_and_the_reader_sees_the_signature(
    pki: DemoPki, clock: FixedClock
) -> None:
    pkg = m.DocumentPackage(
        header=m.MessageHeader(
            from_=m.Organization(organ_id=H41, organ_name="Ủy ban nhân dân tỉnh Nghệ An"),
            to=[m.Organization(organ_id=G22, organ_name="Văn phòng Chính phủ")],
            subject="V/v thử",
        ),
        attachments=[attachment_from_bytes("vb.pdf", b"%PDF-1.7 demo", content_id="cid:1")],
    )
    signed = sign_package(package_to_bytes(pkg), pki.agency(H41))
    assert verify_package(signed, pki.trust_store, clock=clock).valid
    package = read_package(signed)
    assert package.signature.present is True
    assert package.signature.namespace_missing is False
    assert package.signature.signature_method.endswith("ecdsa-sha256")
    assert len(package.signature.certificates_b64) == 2
    assert isinstance(package, m.DocumentPackage)
    assert package.attachments[0].read_bytes() == b"%PDF-1.7 demo"


def test_rsa_identity_signs_with_rsa_sha256(tmp_path: Path, clock: FixedClock) -> None:
    rsa_pki = demo_pki(tmp_path, key_type="rsa", clock=FixedClock(T0))
    data = sign_package(make_package(), rsa_pki.agency(H41))
    report = verify_package(data, rsa_pki.trust_store, clock=clock)
    assert report.valid, report.reasons
    assert report.signature_algorithm == "rsa-sha256"
    with pytest.raises(SignatureError) as err:
        sign_package(make_package(), rsa_pki.agency(H41), algorithm="ecdsa-sha256")
    assert err.value.code == "signature.algorithm"


def test_explicit_algorithm_and_unknown_algorithm(pki: DemoPki, clock: FixedClock) -> None:
    data = sign_package(make_package(), pki.agency(H41), algorithm="ecdsa-sha512")
    report = verify_package(data, pki.trust_store, clock=clock)
    assert report.valid
    assert report.signature_algorithm == "ecdsa-sha512"
    with pytest.raises(SignatureError) as err:
        sign_package(make_package(), pki.agency(H41), algorithm="rsa-sha1")
    assert err.value.code == "signature.algorithm"


def test_already_signed_is_refused_unless_replaced(
    pki: DemoPki, signed: bytes, clock: FixedClock
) -> None:
    with pytest.raises(SignatureError) as err:
        sign_package(signed, pki.agency(H41))
    assert err.value.code == "signature.already_signed"
    resigned = sign_package(signed, pki.signer(H41), replace=True)
    assert len(list(tree(resigned).iter(f"{{{DSIG_NS}}}Signature"))) == 1
    report = verify_package(resigned, pki.trust_store, clock=clock)
    assert report.valid, report.reasons
    assert report.certificate is not None
    assert report.certificate.serial == f"{pki.signer(H41).certificate.serial_number:X}"


def test_sign_refuses_what_is_not_a_package(pki: DemoPki) -> None:
    for data, code in [
        (b"not xml", "signature.xml_syntax"),
        (b"<other/>", "signature.not_edxml"),
        (f'<edXML xmlns="{NS}"><edXMLEnvelope/></edXML>'.encode(), "signature.no_header"),
        (b'<!DOCTYPE edXML [<!ENTITY x "y">]><edXML/>', "signature.dtd"),
    ]:
        with pytest.raises(SignatureError) as err:
            sign_package(data, pki.agency(H41))
        assert err.value.code == code, data


def test_limits_are_enforced(pki: DemoPki, signed: bytes) -> None:
    with pytest.raises(SignatureError) as err:
        verify_package(signed, pki.trust_store, limits=EdxmlLimits(max_package_bytes=1000))
    assert err.value.code == "signature.limit"
    with pytest.raises(SignatureError) as err:
        sign_package(make_package(), pki.agency(H41), limits=EdxmlLimits(max_depth=3))
    assert err.value.code == "signature.limit"
    with pytest.raises(SignatureError):
        verify_package(signed, pki.trust_store, limits=EdxmlLimits(max_elements=10))
