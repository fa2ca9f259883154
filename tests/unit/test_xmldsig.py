"""Package signatures (XML-DSig): sign → verify, tampering, trust, agency, damaged input."""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from hypothesis import given, settings
from hypothesis import strategies as st
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.signer import XMLSigner

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
from lienthong.pki.model import SigningIdentity
from lienthong.pki.testing import demo_pki
from lienthong.settings import EdxmlLimits
from support import SAMPLES_DIR

SAMPLES = SAMPLES_DIR
H41 = "000.00.00.H41"
G22 = "000.00.00.G22"
T0 = datetime(2025, 3, 1, 8, 0, tzinfo=UTC)
DS = {"ds": DSIG_NS, "e": NS}


def make_package(
    sender: str = H41,
    recipients: tuple[str, ...] = (G22, "000.00.00.H08"),
    payload: bytes = b"%PDF-1.7 demo",
) -> bytes:
    """A document package in the standard's layout (what the writer emits)."""
    to = "".join(
        f"<To><OrganId>{r}</OrganId><OrganName>Cơ quan {r}</OrganName></To>" for r in recipients
    )
    content = base64.b64encode(payload).decode()
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<edXML xmlns="{NS}">
  <edXMLEnvelope>
    <edXMLHeader>
      <MessageHeader>
        <From><OrganId>{sender}</OrganId><OrganName>Ủy ban nhân dân tỉnh Nghệ An</OrganName></From>
        {to}
        <Code><CodeNumber>12</CodeNumber><CodeNotation>UBND-VP</CodeNotation></Code>
        <Subject>V/v kết nối, liên thông phần mềm quản lý văn bản</Subject>
      </MessageHeader>
      <TraceHeaderList>
        <TraceHeader><OrganId>{sender}</OrganId><Timestamp>2025/03/01 08:00:00</Timestamp></TraceHeader>
      </TraceHeaderList>
    </edXMLHeader>
    <edXMLBody>
      <edXMLManifest version="1.0">
        <Reference><ContentId>cid:1</ContentId><ContentType>application/pdf</ContentType><AttachmentName>vb.pdf</AttachmentName></Reference>
      </edXMLManifest>
    </edXMLBody>
  </edXMLEnvelope>
  <AttachmentEncoded>
    <Attachment><ContentId>cid:1</ContentId><AttachmentName>vb.pdf</AttachmentName><ContentType>application/pdf</ContentType><ContentTransferEncoded>{content}</ContentTransferEncoded></Attachment>
  </AttachmentEncoded>
</edXML>
""".encode()


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPki:
    return demo_pki(tmp_path_factory.mktemp("pki"), clock=FixedClock(T0))


@pytest.fixture(scope="module")
def clock() -> FixedClock:
    return FixedClock(T0 + timedelta(days=1))


@pytest.fixture(scope="module")
def signed(pki: DemoPki) -> bytes:
    return sign_package(make_package(), pki.agency(H41))


def _tree(data: bytes) -> etree._Element:
    return etree.fromstring(data)


def _bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


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
    root = _tree(signed)
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
    assert len(list(_tree(resigned).iter(f"{{{DSIG_NS}}}Signature"))) == 1
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
    root = _tree(signed)
    tamper(root)
    report = verify_package(_bytes(root), pki.trust_store, clock=clock)
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
    root = _tree(signed)
    node = root.find(f".//{{{DSIG_NS}}}X509Certificate")
    assert node is not None
    other = pki.agency(G22).certificate  # trusted, but not the key that signed
    node.text = base64.b64encode(other.public_bytes(Encoding.DER)).decode()
    report = verify_package(_bytes(root), pki.trust_store, clock=clock)
    assert report.intact is False
    assert report.signature_value_ok is False
    assert report.digest_ok is True  # the content is untouched; the signer is not G22
    assert report.has("signature.value_mismatch")
    assert report.certificate is not None
    assert report.certificate.agency_id == G22


def test_changed_signed_info_fails_the_signature_value(
    pki: DemoPki, signed: bytes, clock: FixedClock
) -> None:
    root = _tree(signed)
    digest = root.find(f".//{{{DSIG_NS}}}DigestValue")
    assert digest is not None
    assert digest.text
    raw = bytearray(base64.b64decode(digest.text))
    raw[0] ^= 1
    digest.text = base64.b64encode(bytes(raw)).decode()
    report = verify_package(_bytes(root), pki.trust_store, clock=clock)
    assert report.intact is False
    assert report.signature_value_ok is False
    assert report.has("signature.value_mismatch")
    assert report.has("signature.digest_mismatch")


@pytest.mark.parametrize("target", ["root", "body", "envelope"])
def test_moved_signature_is_not_accepted(
    pki: DemoPki, signed: bytes, clock: FixedClock, target: str
) -> None:
    root = _tree(signed)
    sig = root.find(f".//{{{DSIG_NS}}}Signature")
    assert sig is not None
    new_parent = {
        "root": root,
        "body": root.find(f".//{{{NS}}}edXMLBody"),
        "envelope": root.find(f"{{{NS}}}edXMLEnvelope"),
    }[target]
    assert new_parent is not None
    new_parent.append(sig)
    report = verify_package(_bytes(root), pki.trust_store, clock=clock)
    assert report.present is True
    assert report.intact is False
    assert report.has("signature.misplaced")
    assert report.verdict is Verdict.INVALID


def test_a_second_signature_is_not_accepted(pki: DemoPki, signed: bytes, clock: FixedClock) -> None:
    root = _tree(signed)
    sig = root.find(f".//{{{DSIG_NS}}}Signature")
    assert sig is not None
    root.append(etree.fromstring(etree.tostring(sig)))
    report = verify_package(_bytes(root), pki.trust_store, clock=clock)
    assert report.intact is False
    assert report.has("signature.multiple")


# -- algorithms, trust, revocation, agency -----------------------------------------------


class _Sha1Signer(XMLSigner):
    """signxml refuses SHA-1 by default; the test makes a legacy package on purpose."""

    def check_deprecated_methods(self) -> None:
        return None


def _legacy_sha1_package(identity: SigningIdentity) -> bytes:
    root = _tree(make_package())
    header = root.find(f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader")
    assert header is not None
    etree.SubElement(
        header, f"{{{DSIG_NS}}}Signature", {"Id": "placeholder"}, nsmap={"ds": DSIG_NS}
    )
    signer = _Sha1Signer(
        signature_algorithm=SignatureMethod.ECDSA_SHA1,
        digest_algorithm=DigestAlgorithm.SHA1,
        c14n_algorithm=CanonicalizationMethod.CANONICAL_XML_1_0,
    )
    out = signer.sign(root, key=identity.private_key, cert=[identity.certificate, *identity.chain])
    return _bytes(out)


def test_sha1_is_accepted_but_flagged_weak(pki: DemoPki, clock: FixedClock) -> None:
    report = verify_package(_legacy_sha1_package(pki.agency(H41)), pki.trust_store, clock=clock)
    assert report.valid, report.reasons
    assert report.intact is True
    assert report.weak_algorithm is True
    assert (report.signature_algorithm, report.digest_algorithm) == ("ecdsa-sha1", "sha1")
    assert report.canonicalization == "c14n"
    assert report.has("signature.weak_algorithm")


def test_wrong_agency_is_a_mismatch(pki: DemoPki, clock: FixedClock) -> None:
    data = sign_package(make_package(sender=H41), pki.agency(G22))
    report = verify_package(data, pki.trust_store, clock=clock)
    assert report.intact is True
    assert report.trusted is True
    assert report.agency_matches is False
    assert (report.certificate_agency_id, report.from_organ_id) == (G22, H41)
    assert report.has("signature.agency_mismatch")
    assert report.verdict is Verdict.INVALID


def test_personal_certificate_of_the_agency_matches(pki: DemoPki, clock: FixedClock) -> None:
    report = verify_package(
        sign_package(make_package(), pki.signer(H41)), pki.trust_store, clock=clock
    )
    assert report.valid
    assert report.agency_matches is True


def test_system_certificate_needs_the_agencies_it_hosts(pki: DemoPki, clock: FixedClock) -> None:
    data = sign_package(make_package(sender=H41), pki.system)
    alone = verify_package(data, pki.trust_store, clock=clock)
    assert alone.certificate_agency_id is None
    assert alone.agency_matches is False
    assert not alone.valid
    hosted = verify_package(data, pki.trust_store, clock=clock, allowed_agencies={H41, G22})
    assert hosted.valid
    assert hosted.agency_matches is True
    assert hosted.has("signature.signed_for_hosted_agency")
    other = verify_package(data, pki.trust_store, clock=clock, allowed_agencies={G22})
    assert other.agency_matches is False

    def lookup(cert: x509.Certificate) -> set[str]:
        return {H41} if cert == pki.system.certificate else set()

    assert verify_package(data, pki.trust_store, clock=clock, allowed_agencies=lookup).valid


def test_untrusted_root_is_reported(
    pki: DemoPki, signed: bytes, clock: FixedClock, tmp_path: Path
) -> None:
    stranger = demo_pki(tmp_path, clock=FixedClock(T0))
    report = verify_package(signed, stranger.trust_store, clock=clock)
    assert report.intact is True
    assert report.trusted is False
    assert report.has("signature.untrusted")
    assert report.chain == []
    assert not report.valid


def test_revoked_certificate_is_reported(tmp_path: Path) -> None:
    own = demo_pki(tmp_path, clock=FixedClock(T0))
    data = sign_package(make_package(), own.agency(H41))
    own.local.clock = FixedClock(T0 + timedelta(hours=1))
    own.local.revoke(own.agency(H41).name, reason="key-compromise")
    later = FixedClock(T0 + timedelta(days=1))
    report = verify_package(data, own.refreshed_trust_store(), clock=later)
    assert report.intact is True
    assert report.trusted is True
    assert report.revoked is True
    assert report.has("signature.revoked")
    assert not report.valid
    assert verify_package(data, own.trust_store, clock=later).revoked is False


def test_missing_crl_is_a_warning_not_a_failure(
    pki: DemoPki, signed: bytes, clock: FixedClock
) -> None:
    from dataclasses import replace

    report = verify_package(signed, replace(pki.trust_store, crls=()), clock=clock)
    assert report.valid
    assert report.revoked is None
    assert report.has("signature.revocation_unknown")


def test_expired_certificate_is_trusted_but_invalid(pki: DemoPki, signed: bytes) -> None:
    after = FixedClock(pki.agency(H41).certificate.not_valid_after_utc + timedelta(days=1))
    report = verify_package(signed, pki.trust_store, clock=after)
    assert report.intact is True
    assert report.trusted is True
    assert report.time_valid is False
    assert report.has("signature.certificate_expired")
    assert not report.valid


def test_empty_trust_store_cannot_evaluate(pki: DemoPki, signed: bytes, clock: FixedClock) -> None:
    from lienthong.pki.model import TrustStore

    with pytest.raises(SignatureError) as err:
        verify_package(signed, TrustStore(roots=()), clock=clock)
    assert err.value.code == "signature.trust_store"


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
        root = _tree(signed)
        node = root.find(f".//{{{DSIG_NS}}}{tag}")
        assert node is not None
        node.text = "@@not base64@@"
        report = verify_package(_bytes(root), pki.trust_store, clock=clock)
        assert report.intact is False, tag
        assert report.has(code), tag


def test_certificate_that_fails_to_parse_late_is_a_finding(
    pki: DemoPki, signed: bytes, clock: FixedClock
) -> None:
    # cryptography loads this DER but fails on .issuer (invalid UTF-8 in a name).
    der = pki.agency(H41).certificate.public_bytes(Encoding.DER)
    at = der.index(b"lienthong DEMO Issuing")
    broken = der[:at] + b"\xff" + der[at + 1 :]
    root = _tree(signed)
    node = root.find(f".//{{{DSIG_NS}}}X509Certificate")
    assert node is not None
    node.text = base64.b64encode(broken).decode()
    report = verify_package(_bytes(root), pki.trust_store, clock=clock)
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
    root = _tree(signed)
    ref = root.find(f".//{{{DSIG_NS}}}Reference")
    assert ref is not None
    ref.set("URI", "#body")
    report = verify_package(_bytes(root), pki.trust_store, clock=clock)
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
