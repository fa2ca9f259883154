"""Reference digests computed our way agree with xmlsec1 where the canonical form is subtle.

xmlsec1 signs templates that use exclusive C14N's ``InclusiveNamespaces PrefixList`` and
packages with a processing instruction before the root (``URI=""`` is the whole document:
the PI counts); ``verify_package``, which streams the digest with large texts detached,
must accept them, and must notice when such a PI is removed, as xmlsec1 does.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from lxml import etree

from lienthong.edxml import model as m
from lienthong.edxml.attachments import attachment_from_bytes
from lienthong.edxml.writer import package_to_bytes
from lienthong.edxml.xmldsig import verify_package
from lienthong.edxml.xmldsig_c14n import LARGE_TEXT
from lienthong.edxml.xmldsig_parse import make_parser, read_signature, reference_digest
from lienthong.pki.ca import DemoPki
from lienthong.pki.testing import demo_pki

H41 = "000.00.00.H41"
DS = m.DSIG_NS
EXC = "http://www.w3.org/2001/10/xml-exc-c14n#"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XMLSEC1 = shutil.which("xmlsec1")
OK_LINE = "SignedInfo References (ok/all): 1/1"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPki:
    return demo_pki(tmp_path_factory.mktemp("pki"))


def _xmlsec1(*args: str | Path) -> subprocess.CompletedProcess[str]:
    assert XMLSEC1 is not None, "xmlsec1 is not installed (scripts/system-deps.sh)"
    return subprocess.run(
        [XMLSEC1, *map(str, args)], capture_output=True, text=True, timeout=120, check=False
    )


def _package() -> bytes:
    """A package with an attachment large enough to be detached, and an unused xsi prefix."""
    pkg = m.DocumentPackage(
        header=m.MessageHeader(
            from_=m.Organization(organ_id=H41, organ_name="Ủy ban nhân dân tỉnh Nghệ An"),
            to=[m.Organization(organ_id="000.00.00.G22", organ_name="Văn phòng Chính phủ")],
            subject="V/v thử chữ ký & <ký hiệu>",
        ),
        attachments=[
            attachment_from_bytes("vb.pdf", os.urandom(2 * LARGE_TEXT), content_id="cid:1")
        ],
    )
    return package_to_bytes(pkg).replace(b"<edXML ", f'<edXML xmlns:xsi="{XSI}" '.encode(), 1)


def _template(data: bytes, prefixes: str | None) -> bytes:
    root = etree.fromstring(data, make_parser())
    header = root.find(f"{{{m.NS}}}edXMLEnvelope/{{{m.NS}}}edXMLHeader")
    assert header is not None
    inclusive = f'<ec:InclusiveNamespaces xmlns:ec="{EXC}" PrefixList="{prefixes}"/>'
    extra = inclusive if prefixes else ""
    header.append(
        etree.fromstring(
            f'<ds:Signature xmlns:ds="{DS}"><ds:SignedInfo>'
            f'<ds:CanonicalizationMethod Algorithm="{EXC}">{extra}</ds:CanonicalizationMethod>'
            '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#ecdsa-sha256"/>'
            '<ds:Reference URI=""><ds:Transforms>'
            f'<ds:Transform Algorithm="{DS}enveloped-signature"/>'
            f'<ds:Transform Algorithm="{EXC}">{extra}</ds:Transform>'
            '</ds:Transforms><ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
            "<ds:DigestValue/></ds:Reference></ds:SignedInfo><ds:SignatureValue/>"
            "<ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>"
        )
    )
    return etree.tostring(root.getroottree(), xml_declaration=True, encoding="UTF-8")


def _sign_with_xmlsec1(pki: DemoPki, tmp_path: Path, template: bytes) -> bytes:
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
    source, out = tmp_path / "template.edxml", tmp_path / "signed.edxml"
    source.write_bytes(template)
    done = _xmlsec1(
        "--sign", "--privkey-pem", ",".join(map(str, (key, *certs))), "--output", out, source
    )
    assert done.returncode == 0, done.stderr
    return out.read_bytes()


def test_inclusive_namespaces_prefix_list_is_honoured(pki: DemoPki, tmp_path: Path) -> None:
    signed = _sign_with_xmlsec1(pki, tmp_path, _template(_package(), "xsi"))
    report = verify_package(signed, pki.trust_store)
    assert report.valid, report.reasons
    # The prefix list really changes the canonical form here (xmlns:xsi is unused).
    root = etree.fromstring(signed, make_parser())
    sig = root.find(f".//{{{DS}}}Signature")
    assert sig is not None
    ref = read_signature(sig).references[0]
    assert ref.c14n_prefixes == ["xsi"]
    assert ref.digest_method is not None
    honoured = reference_digest(root, sig, ref.transforms, ref.digest_method, ["xsi"])
    ignored = reference_digest(root, sig, ref.transforms, ref.digest_method)
    assert honoured == ref.digest_value != ignored


def test_a_processing_instruction_before_the_root_is_signed(pki: DemoPki, tmp_path: Path) -> None:
    template = _template(_package(), None).replace(
        b"?>\n<edXML", b'?>\n<?xml-stylesheet type="text/xsl" href="edxml.xsl"?>\n<edXML', 1
    )
    signed = _sign_with_xmlsec1(pki, tmp_path, template)
    assert b"<?xml-stylesheet" in signed
    report = verify_package(signed, pki.trust_store)
    assert report.valid, report.reasons

    root_pem = tmp_path / "root.pem"
    root_pem.write_bytes(pki.root.certificate.public_bytes(Encoding.PEM))
    stripped = tmp_path / "stripped.edxml"
    stripped.write_bytes(
        signed.replace(b'<?xml-stylesheet type="text/xsl" href="edxml.xsl"?>\n', b"", 1)
    )
    xmlsec1 = _xmlsec1("--verify", "--trusted-pem", root_pem, stripped)
    assert xmlsec1.returncode != 0
    assert OK_LINE not in xmlsec1.stdout + xmlsec1.stderr
    report = verify_package(stripped.read_bytes(), pki.trust_store)
    assert (report.intact, report.signature_value_ok, report.digest_ok) == (False, True, False)
    assert report.has("signature.digest_mismatch")
