"""Package signatures checked by someone else: xmlsec1 (libxmlsec1 + OpenSSL).

Our signed packages must verify with ``xmlsec1 --verify --trusted-pem root.pem`` (no other
option is needed: ``URI=""`` is an enabled reference by default and the chain travels in
KeyInfo), fail after one changed byte, and packages signed by xmlsec1 must verify with us.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from lxml import etree

from lienthong.edxml import model as m
from lienthong.edxml.attachments import attachment_from_bytes
from lienthong.edxml.writer import package_to_bytes
from lienthong.edxml.xmldsig import sign_package, verify_package
from lienthong.pki.ca import DemoPki
from lienthong.pki.profiles import KeyType
from lienthong.pki.testing import demo_pki

H41 = "000.00.00.H41"
XMLSEC1 = shutil.which("xmlsec1")
OK_LINE = "SignedInfo References (ok/all): 1/1"


def _package(payload: bytes) -> bytes:
    pkg = m.DocumentPackage(
        header=m.MessageHeader(
            from_=m.Organization(organ_id=H41, organ_name="Ủy ban nhân dân tỉnh Nghệ An"),
            to=[m.Organization(organ_id="000.00.00.G22", organ_name="Văn phòng Chính phủ")],
            code=m.Code("12", "UBND-VP"),
            subject="V/v kết nối, liên thông phần mềm quản lý văn bản",
        ),
        attachments=[attachment_from_bytes("cong-van.pdf", payload, content_id="cid:1")],
    )
    return package_to_bytes(pkg)


def _xmlsec1(*args: str | Path) -> subprocess.CompletedProcess[str]:
    assert XMLSEC1 is not None, "xmlsec1 is not installed (scripts/system-deps.sh)"
    return subprocess.run(
        [XMLSEC1, *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


def _verify_with_xmlsec1(root_pem: Path, package: Path) -> tuple[bool, str]:
    done = _xmlsec1("--verify", "--trusted-pem", root_pem, package)
    output = done.stdout + done.stderr
    return done.returncode == 0 and OK_LINE in output, output


def _flip_in_attachment(data: bytes) -> bytes:
    start = data.index(b"<ContentTransferEncoded>") + len(b"<ContentTransferEncoded>") + 100
    old = data[start : start + 1]
    return data[:start] + (b"B" if old != b"B" else b"C") + data[start + 1 :]


@pytest.fixture(params=["ec", "rsa"])
def pki(request: pytest.FixtureRequest, tmp_path: Path) -> DemoPki:
    key_type: KeyType = request.param
    return demo_pki(tmp_path, key_type=key_type)


@pytest.fixture
def root_pem(pki: DemoPki, tmp_path: Path) -> Path:
    path = tmp_path / "root.pem"
    path.write_bytes(pki.root.certificate.public_bytes(Encoding.PEM))
    return path


def test_xmlsec1_accepts_our_signature_and_rejects_a_changed_byte(
    pki: DemoPki, root_pem: Path, tmp_path: Path
) -> None:
    signed = sign_package(_package(os.urandom(270_000)), pki.agency(H41))
    path = tmp_path / "signed.edxml"
    path.write_bytes(signed)
    ok, output = _verify_with_xmlsec1(root_pem, path)
    assert ok, output

    tampered = tmp_path / "tampered.edxml"
    tampered.write_bytes(_flip_in_attachment(signed))
    ok, output = _verify_with_xmlsec1(root_pem, tampered)
    assert not ok
    assert OK_LINE not in output
    assert "0/1" in output or "FAIL" in output.upper(), output


def test_xmlsec1_rejects_our_signature_under_another_root(pki: DemoPki, tmp_path: Path) -> None:
    signed = tmp_path / "signed.edxml"
    signed.write_bytes(sign_package(_package(b"%PDF-1.7"), pki.agency(H41)))
    stranger = demo_pki(tmp_path / "other")
    other_root = tmp_path / "other-root.pem"
    other_root.write_bytes(stranger.root.certificate.public_bytes(Encoding.PEM))
    ok, _ = _verify_with_xmlsec1(other_root, signed)
    assert not ok


def test_multi_megabyte_attachment(pki: DemoPki, root_pem: Path, tmp_path: Path) -> None:
    # 12 MB of payload is 16 MB of base64: past libxml2's default 10 MB text-node cap.
    data = _package(os.urandom(12 * 1024 * 1024))
    signed = sign_package(data, pki.agency(H41))
    assert len(signed) > 16_000_000
    report = verify_package(signed, pki.trust_store)
    assert report.valid, report.reasons
    path = tmp_path / "big.edxml"
    path.write_bytes(signed)
    ok, output = _verify_with_xmlsec1(root_pem, path)
    assert ok, output
    path.write_bytes(_flip_in_attachment(signed))
    assert not _verify_with_xmlsec1(root_pem, path)[0]
    assert not verify_package(path.read_bytes(), pki.trust_store).valid


def _xmlsec1_template(data: bytes, method: str) -> bytes:
    """The package with an empty signature template where ours would go."""
    root = etree.fromstring(data)
    header = root.find(f"{{{m.NS}}}edXMLEnvelope/{{{m.NS}}}edXMLHeader")
    assert header is not None
    ds = m.DSIG_NS
    exc = "http://www.w3.org/2001/10/xml-exc-c14n#"
    header.append(
        etree.fromstring(
            f'<ds:Signature xmlns:ds="{ds}"><ds:SignedInfo>'
            f'<ds:CanonicalizationMethod Algorithm="{exc}"/>'
            f'<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#{method}"/>'
            '<ds:Reference URI=""><ds:Transforms>'
            f'<ds:Transform Algorithm="{ds}enveloped-signature"/><ds:Transform Algorithm="{exc}"/>'
            '</ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
            "<ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/>"
            "<ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>"
        )
    )
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def test_we_accept_a_signature_made_by_xmlsec1(pki: DemoPki, tmp_path: Path) -> None:
    identity = pki.agency(H41)
    key = tmp_path / "key.pem"
    key.write_bytes(
        identity.private_key.private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption())
    )
    key.chmod(0o600)
    certs = []
    for i, cert in enumerate((identity.certificate, *identity.chain)):
        certs.append(tmp_path / f"cert{i}.pem")
        certs[-1].write_bytes(cert.public_bytes(Encoding.PEM))
    is_ec = isinstance(identity.private_key, ec.EllipticCurvePrivateKey)
    method = "ecdsa-sha256" if is_ec else "rsa-sha256"
    template = tmp_path / "template.edxml"
    template.write_bytes(_xmlsec1_template(_package(os.urandom(50_000)), method))
    out = tmp_path / "by-xmlsec1.edxml"
    done = _xmlsec1(
        "--sign", "--privkey-pem", ",".join(map(str, (key, *certs))), "--output", out, template
    )
    assert done.returncode == 0, done.stderr
    report = verify_package(out.read_bytes(), pki.trust_store)
    assert report.valid, report.reasons
    assert report.signature_algorithm == method
    assert report.certificate is not None
    assert report.certificate.agency_id == H41
