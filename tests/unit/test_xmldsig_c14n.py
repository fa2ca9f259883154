"""The low-memory digest and serialization behind package signatures (``xmldsig_c14n``).

The detached-text path must give exactly the bytes lxml gives (so signatures stay
interoperable), leave the tree as it was, and keep the memory of signing and verifying a
large package near twice its size. The memory test runs in a fresh process and reads the
peak from ``VmHWM``: ``ru_maxrss`` of a child carries over the parent's peak across
``exec`` on Linux, which would hide the growth of a child started by a big pytest process.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from lxml import etree
from signxml.algorithms import CanonicalizationMethod, DigestAlgorithm, SignatureMethod
from signxml.signer import XMLSigner
from signxml.verifier import SignatureConfiguration, XMLVerifier

from lienthong.edxml import model as m
from lienthong.edxml.attachments import attachment_from_bytes
from lienthong.edxml.model import DSIG_NS, NS
from lienthong.edxml.writer import package_to_bytes
from lienthong.edxml.xmldsig import sign_package, verify_package
from lienthong.edxml.xmldsig_c14n import (
    LARGE_TEXT,
    XML_DECLARATION,
    DetachedTexts,
    canonical_digest,
    serialize_package,
)
from lienthong.edxml.xmldsig_parse import make_parser
from lienthong.errors import SignatureError
from lienthong.pki.ca import DemoPki
from lienthong.pki.model import SigningIdentity
from lienthong.pki.testing import demo_pki

H41 = "000.00.00.H41"
HEADER = f"{{{NS}}}edXMLEnvelope/{{{NS}}}edXMLHeader"
#: A large text with every character that needs escaping, and non-ASCII letters.
AWKWARD = "Quyết định & <phụ lục> \r\n]]> tiếp theo " * (LARGE_TEXT // 20)


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPki:
    return demo_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture(scope="module")
def rsa_pki(tmp_path_factory: pytest.TempPathFactory) -> DemoPki:
    return demo_pki(tmp_path_factory.mktemp("rsa-pki"), key_type="rsa")


def _package(payload_bytes: int, subject: str = "V/v kết nối, liên thông") -> bytes:
    pkg = m.DocumentPackage(
        header=m.MessageHeader(
            from_=m.Organization(organ_id=H41, organ_name="Ủy ban nhân dân tỉnh Nghệ An"),
            to=[m.Organization(organ_id="000.00.00.G22", organ_name="Văn phòng Chính phủ")],
            subject=subject,
        ),
        attachments=[
            attachment_from_bytes("vb.pdf", os.urandom(payload_bytes), content_id="cid:1")
        ],
    )
    return package_to_bytes(pkg)


def _awkward_document() -> etree._Element:
    """Large ASCII and non-ASCII texts, CRs, comments and a PI around the root."""
    b64 = base64.b64encode(os.urandom(3 * LARGE_TEXT)).decode()
    escaped = (
        AWKWARD.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace("\r", "&#13;")
    )
    source = (
        '<?xml version="1.0" encoding="UTF-8"?>\n<?xml-stylesheet href="a.xsl"?>\n<!-- trước -->\n'
        f'<r xmlns="urn:a" xmlns:x="urn:x" xmlns:unused="urn:u"><x:a k="v">{b64}</x:a>'
        f"<b>{escaped}<!-- giữa -->ngắn</b><c>{'A&amp;B' * LARGE_TEXT}</c>"
        f"<d>{'Z' * (LARGE_TEXT - 1)}</d></r>"
    )
    root = etree.fromstring(source.encode(), make_parser())
    assert root[1].text == AWKWARD
    return root


@pytest.mark.parametrize(
    ("exclusive", "with_comments", "prefixes"),
    [(True, False, None), (True, True, None), (False, False, None), (True, False, ["unused"])],
)
def test_detached_digest_is_lxml_canonical_form(
    exclusive: bool, with_comments: bool, prefixes: list[str] | None
) -> None:
    root = _awkward_document()
    tree = root.getroottree()
    before = etree.tostring(tree)
    expected = etree.tostring(
        tree,
        method="c14n",
        exclusive=exclusive,
        with_comments=with_comments,
        inclusive_ns_prefixes=prefixes,
    )
    assert b"<?xml-stylesheet" in expected  # the whole document, as xmlsec1 reads URI=""
    got = canonical_digest(
        tree, "sha256", exclusive=exclusive, with_comments=with_comments, prefixes=prefixes
    )
    assert got == hashlib.sha256(expected).digest()
    assert etree.tostring(tree) == before  # every text is back


def test_three_large_texts_are_detached_and_the_short_one_stays() -> None:
    root = _awkward_document()
    texts = DetachedTexts(root)
    assert len(texts) == 3
    assert root[0].text == texts.marker
    assert root[3].text == "Z" * (LARGE_TEXT - 1)
    texts.restore()
    assert root[1].text == AWKWARD


def test_serialized_package_is_what_lxml_writes() -> None:
    root = _awkward_document()
    expected = XML_DECLARATION + etree.tostring(root, encoding="UTF-8") + b"\n"
    texts = DetachedTexts(root)
    assert serialize_package(root, texts) == expected


def test_a_missing_marker_is_an_error_not_a_wrong_digest() -> None:
    root = _awkward_document()
    texts = DetachedTexts(root)
    rendered = etree.tostring(root, method="c14n").replace(texts.marker.encode(), b"", 1)
    with pytest.raises(SignatureError) as caught:
        texts.splice(rendered, lambda _: None, ())
    assert caught.value.code == "signature.c14n"


# -- the same signatures as signxml -----------------------------------------------------


def _signxml_sign(data: bytes, identity: SigningIdentity, method: SignatureMethod) -> bytes:
    """The package signed the way this module did before: signxml on a placeholder."""
    root = etree.fromstring(data, make_parser())
    header = root.find(HEADER)
    assert header is not None
    placeholder = etree.SubElement(
        header, f"{{{DSIG_NS}}}Signature", {"Id": "placeholder"}, nsmap={"ds": DSIG_NS}
    )
    previous = placeholder.getprevious()
    assert previous is not None
    placeholder.tail, previous.tail = previous.tail, header.text
    signer = XMLSigner(
        signature_algorithm=method,
        digest_algorithm=DigestAlgorithm.SHA256,
        c14n_algorithm=CanonicalizationMethod.EXCLUSIVE_XML_CANONICALIZATION_1_0,
    )
    signer._parser = make_parser()  # type: ignore[assignment]  # signxml's copies need huge_tree
    signed = signer.sign(
        root, key=identity.private_key, cert=[identity.certificate, *identity.chain]
    )
    return XML_DECLARATION + etree.tostring(signed, encoding="UTF-8") + b"\n"


def test_rsa_signature_is_byte_for_byte_signxml_s(rsa_pki: DemoPki) -> None:
    # PKCS#1 v1.5 is deterministic: the whole signed package must come out identical.
    data = _package(3 * LARGE_TEXT, subject=AWKWARD)
    identity = rsa_pki.agency(H41)
    assert sign_package(data, identity) == _signxml_sign(data, identity, SignatureMethod.RSA_SHA256)


def test_signxml_verifies_ours_and_we_verify_signxml_s(pki: DemoPki) -> None:
    data = _package(3 * LARGE_TEXT, subject=AWKWARD)
    identity = pki.agency(H41)
    ours = sign_package(data, identity)
    config = SignatureConfiguration(
        expect_references=1, verification_time=identity.certificate.not_valid_before_utc
    )
    XMLVerifier().verify(
        ours, x509_cert=identity.certificate, parser=make_parser(), expect_config=config
    )
    theirs = _signxml_sign(data, identity, SignatureMethod.ECDSA_SHA256)
    assert isinstance(identity.private_key, ec.EllipticCurvePrivateKey)
    report = verify_package(theirs, pki.trust_store)
    assert report.valid, report.reasons
    # ECDSA is randomised: only the signature values differ.
    strip = etree.XPath("//ds:SignatureValue", namespaces={"ds": DSIG_NS})
    trees = [etree.fromstring(x, make_parser()) for x in (ours, theirs)]
    for tree in trees:
        strip(tree)[0].text = ""
    assert etree.tostring(trees[0]) == etree.tostring(trees[1])


def test_a_changed_byte_in_a_large_attachment_breaks_only_the_digest(pki: DemoPki) -> None:
    signed = sign_package(_package(300_000), pki.agency(H41))
    start = signed.index(b"<ContentTransferEncoded>") + 200_000
    changed = (
        signed[:start] + (b"A" if signed[start : start + 1] != b"A" else b"B") + signed[start + 1 :]
    )
    report = verify_package(changed, pki.trust_store)
    assert (report.intact, report.signature_value_ok, report.digest_ok) == (False, True, False)
    assert report.has("signature.digest_mismatch")
    assert verify_package(signed, pki.trust_store).valid


# -- memory ------------------------------------------------------------------------------

MEMORY_SCRIPT = textwrap.dedent(
    """
    import json, sys
    from pathlib import Path
    from lienthong.edxml.xmldsig import sign_package, verify_package
    from lienthong.pki.identity import load_identity
    from lienthong.pki.testing import TEST_PASSPHRASE
    from lienthong.pki.trust import load_trust_store

    mode, pki_dir, small, big = sys.argv[1], Path(sys.argv[2]), sys.argv[3], sys.argv[4]

    def peak_kib():
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
        raise SystemExit("no VmHWM")

    identity = load_identity(pki_dir, "agency-000.00.00.h41", TEST_PASSPHRASE)
    trust = load_trust_store(pki_dir=pki_dir)
    def run(data):
        if mode == "sign":
            return len(sign_package(data, identity)) > len(data)
        return verify_package(data, trust).valid
    assert run(Path(small).read_bytes())  # warm up: imports, schema, caches
    data = Path(big).read_bytes()
    base = peak_kib()
    ok = run(data)
    print(json.dumps({"ok": ok, "growth_kib": peak_kib() - base, "size": len(data)}))
    """
)


@pytest.mark.slow
@pytest.mark.parametrize("mode", ["sign", "verify"])
def test_a_30_mb_package_costs_under_three_times_its_size(
    pki: DemoPki, tmp_path: Path, mode: str
) -> None:
    identity = pki.agency(H41)
    small, big = tmp_path / "small.edxml", tmp_path / "big.edxml"
    warm_up = _package(1000)
    small.write_bytes(warm_up if mode == "sign" else sign_package(warm_up, identity))
    unsigned = _package(22_000_000)
    big.write_bytes(unsigned if mode == "sign" else sign_package(unsigned, identity))
    del unsigned
    run = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, mode, str(pki.pki_dir), str(small), str(big)],
        capture_output=True,
        text=True,
        check=False,
        timeout=240,
    )
    assert run.returncode == 0, run.stderr
    result = json.loads(run.stdout)
    assert result["ok"] is True
    assert result["size"] > 29_000_000
    size_kib = result["size"] / 1024
    # The parsed tree alone holds the attachment once: a smaller growth means the
    # measurement is broken, not that the code got better.
    assert result["growth_kib"] > 0.5 * size_kib, result
    assert result["growth_kib"] < 3 * size_kib, result
