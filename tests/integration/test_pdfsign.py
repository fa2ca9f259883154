"""PAdES signing and validation, checked by our report and independently by poppler.

The demo PKI's TSA, CRLs and OCSP responder are served in-process over real HTTP; poppler's
``pdfsig`` (with the demo root trusted in a fresh NSS database) is the outside opinion on
the signatures, ``pdftoppm`` renders the page to check where the images landed.
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives.serialization import Encoding
from PIL import Image

from lienthong.clock import FixedClock
from lienthong.errors import SignatureError
from lienthong.pdfsign import sample
from lienthong.pdfsign.appearance import vn_time
from lienthong.pdfsign.layout import Rect, SignatureLayout
from lienthong.pdfsign.report import RevocationStatus, Verdict
from lienthong.pdfsign.signer import PdfSigner
from lienthong.pdfsign.validate import validate_pdf
from lienthong.pki.ca import DemoPki
from lienthong.pki.model import TrustStore
from lienthong.pki.names import DEMO_ROOT_CN, DEMO_TSA_CN
from lienthong.pki.testing import demo_pki, serving_demo_pki

AGENCY_ID = "000.00.00.H41"
AGENCY_NAME = "Ủy ban nhân dân tỉnh Nghệ An"
DPI = 100
BLUE_MARGIN = 3  # pixels of anti-aliasing allowed around a box

pytestmark = pytest.mark.skipif(
    not (shutil.which("pdfsig") and shutil.which("certutil") and shutil.which("pdftoppm")),
    reason="poppler-utils and libnss3-tools are needed (scripts/system-deps.sh)",
)


@dataclass(frozen=True)
class Served:
    pki: DemoPki
    url: str
    clock: FixedClock


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Served]:
    # Close to the real time: pdfsig checks certificate validity against its own clock.
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))
    with serving_demo_pki(tmp_path_factory.mktemp("served"), clock=clock) as (pki, url):
        yield Served(pki, url, clock)


@pytest.fixture(scope="module")
def nss_db(served: Served, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A fresh NSS database trusting only the demo root (as the notes describe)."""
    folder = tmp_path_factory.mktemp("nss")
    root = folder / "root.pem"
    root.write_bytes(served.pki.root.certificate.public_bytes(Encoding.PEM))
    db = f"sql:{folder}"
    subprocess.run(["certutil", "-N", "-d", db, "--empty-password"], check=True)
    subprocess.run(
        ["certutil", "-A", "-d", db, "-n", "demo-root", "-t", "CT,C,C", "-i", str(root)],
        check=True,
    )
    return db


def pdfsig(db: str, pdf: bytes, tmp_path: Path) -> str:
    path = tmp_path / "checked.pdf"
    path.write_bytes(pdf)
    result = subprocess.run(
        ["pdfsig", "-nssdir", db, str(path)], capture_output=True, text=True, check=False
    )
    return result.stdout + result.stderr


def signers(served: Served, level: str = "B-B", **kwargs: object) -> tuple[PdfSigner, PdfSigner]:
    common: dict[str, object] = {"clock": served.clock, **kwargs}
    if level != "B-B":
        common["tsa_url"] = served.url + "/tsa"
    if level == "B-LT":
        common.setdefault("trust", served.pki.trust_store)
    person = PdfSigner(served.pki.signer(AGENCY_ID), level=level, **common)  # type: ignore[arg-type]
    agency = PdfSigner(served.pki.agency(AGENCY_ID), level=level, **common)  # type: ignore[arg-type]
    return person, agency


@pytest.fixture(scope="module")
def signed_bb(served: Served) -> bytes:
    person, agency = signers(served)
    return agency.sign_as_agency(person.sign_as_signer(sample.decision_pdf(), title="Chủ tịch"))


def _validate(served: Served, pdf: bytes, trust: TrustStore | None = None):  # type: ignore[no-untyped-def]
    later = FixedClock(served.clock.now() + timedelta(minutes=1))
    return validate_pdf(pdf, trust or served.pki.trust_store, clock=later)


def test_signer_then_agency_both_valid(served: Served, signed_bb: bytes) -> None:
    report = _validate(served, signed_bb)
    assert report.verdict is Verdict.VALID
    assert report.reasons == ()
    first, second = report.signatures
    assert first.field_name == "ChuKyNguoiCoThamQuyen"
    assert first.signer == "Trần Thị Bình"
    assert second.field_name == "ChuKyCoQuan"
    assert second.signer == AGENCY_NAME
    for sig in report.signatures:
        assert sig.verdict is Verdict.VALID
        assert sig.intact
        assert sig.signature_valid
        assert sig.chain.trusted
        assert sig.chain.path[0] == DEMO_ROOT_CN
        assert sig.agency_id == AGENCY_ID
        assert sig.revocation.status is RevocationStatus.GOOD
        assert sig.revocation.source == "crl"
        assert not sig.revocation.embedded
        assert sig.signing_time == served.clock.now()
        assert not sig.timestamp.present
        assert sig.level == "B-B"
    # the person's signature is followed by the agency's: allowed form filling
    assert not first.coverage.whole_document
    assert first.coverage.modification_level == "form_filling"
    assert first.coverage.changes_allowed is True
    assert first.coverage.changed_fields == ("ChuKyCoQuan",)
    assert second.coverage.whole_document
    assert second.coverage.modification_level == "none"


def test_rsa_identities_sign_and_validate(tmp_path: Path) -> None:
    pki = demo_pki(tmp_path, [(AGENCY_ID, AGENCY_NAME)], key_type="rsa")
    person = PdfSigner(pki.signer(AGENCY_ID))
    agency = PdfSigner(pki.agency(AGENCY_ID))
    signed = agency.sign_as_agency(person.sign_as_signer(sample.decision_pdf()))
    report = validate_pdf(signed, pki.trust_store)
    assert report.verdict is Verdict.VALID
    assert [s.agency_id for s in report.signatures] == [AGENCY_ID, AGENCY_ID]


def test_pdfsig_trusts_both_signatures(signed_bb: bytes, nss_db: str, tmp_path: Path) -> None:
    out = pdfsig(nss_db, signed_bb, tmp_path)
    assert out.count("Signature is Valid.") == 2, out
    assert out.count("Certificate is Trusted.") == 2, out
    assert "Signature Field Name: ChuKyNguoiCoThamQuyen" in out
    assert "Signer Certificate Common Name: Ủy ban nhân dân tỉnh Nghệ An" in out
    assert "Total document signed" in out  # the agency's, the last one


def _flip_inside_first_revision(pdf: bytes) -> bytes:
    marker = b"/F2 12.00 Tf"  # a font size in the page content, signed by both
    at = pdf.index(marker) + len(b"/F2 1")
    assert pdf[at : at + 1] == b"2"
    return pdf[:at] + b"3" + pdf[at + 1 :]


def test_flipped_byte_breaks_the_digest(
    served: Served, signed_bb: bytes, nss_db: str, tmp_path: Path
) -> None:
    tampered = _flip_inside_first_revision(signed_bb)
    report = _validate(served, tampered)
    assert report.verdict is Verdict.INVALID
    for sig in report.signatures:
        assert sig.intact is False
        assert sig.verdict is Verdict.INVALID
        assert "signature.digest_mismatch" in [f.code for f in sig.reasons]
    out = pdfsig(nss_db, tampered, tmp_path)
    assert "Digest Mismatch." in out, out
    assert "Signature is Valid." not in out


def test_b_t_carries_a_timestamp_from_our_tsa(served: Served, nss_db: str, tmp_path: Path) -> None:
    person, _ = signers(served, "B-T")
    signed = person.sign_as_signer(sample.decision_pdf())
    report = _validate(served, signed)
    sig = report.signatures[0]
    assert sig.verdict is Verdict.VALID
    assert sig.level == "B-T"
    assert sig.timestamp.present
    assert sig.timestamp.valid is True
    assert sig.timestamp.tsa == DEMO_TSA_CN
    assert sig.timestamp.time == served.clock.now()
    assert "Signature is Valid." in pdfsig(nss_db, signed, tmp_path)


@pytest.mark.parametrize(("fetch", "source"), [(False, "crl"), (True, "ocsp")])
def test_b_lt_embeds_revocation_data(
    served: Served, nss_db: str, tmp_path: Path, fetch: bool, source: str
) -> None:
    person, agency = signers(served, "B-LT", allow_fetching=fetch)
    signed = agency.sign_as_agency(person.sign_as_signer(sample.decision_pdf()))
    # Validate with the root alone: no CRL, no intermediate, no fetching.
    bare = TrustStore(roots=served.pki.trust_store.roots)
    report = _validate(served, signed, bare)
    assert report.verdict is Verdict.VALID, report.to_dict()
    assert report.dss.certificates >= 2
    if fetch:
        assert report.dss.ocsp_responses >= 2
    else:
        assert report.dss.crls >= 1
    for sig in report.signatures:
        assert sig.level == "B-LT"
        assert sig.revocation.status is RevocationStatus.GOOD
        assert sig.revocation.embedded is True
        assert sig.revocation.source == source
        assert sig.chain.trusted
        assert sig.timestamp.valid is True
    # the person's signature only saw later signing and DSS updates
    assert report.signatures[0].coverage.changes_allowed is True
    out = pdfsig(nss_db, signed, tmp_path)
    assert out.count("Signature is Valid.") == 2, out


def test_revoked_signer_certificate_is_reported(tmp_path: Path) -> None:
    pki = demo_pki(tmp_path, [(AGENCY_ID, AGENCY_NAME)])
    identity = pki.signer(AGENCY_ID)
    signed = PdfSigner(identity).sign_as_signer(sample.decision_pdf())
    pki.local.revoke(identity.name, "key-compromise")
    report = validate_pdf(signed, pki.refreshed_trust_store())
    sig = report.signatures[0]
    assert sig.revocation.status is RevocationStatus.REVOKED
    assert sig.revocation.source == "crl"
    assert sig.revocation.reason == "key_compromise"
    assert sig.revocation.revoked_at is not None
    assert sig.intact  # the bytes are fine: it is the certificate that is not
    assert sig.verdict is Verdict.INVALID
    assert "signature.revoked" in [f.code for f in sig.reasons]
    assert report.verdict is Verdict.INVALID
    # and a signer that knows the CRL refuses to sign with it
    with pytest.raises(SignatureError) as caught:
        PdfSigner(identity, trust=pki.refreshed_trust_store()).sign_as_signer(signed)
    assert caught.value.code == "pdfsign.revoked"


def test_unreachable_tsa_is_a_clear_error(served: Served) -> None:
    person = PdfSigner(served.pki.signer(AGENCY_ID), level="B-T", tsa_url="http://127.0.0.1:9/tsa")
    with pytest.raises(SignatureError) as caught:
        person.sign_as_signer(sample.decision_pdf())
    assert caught.value.code == "pdfsign.tsa"


def _render(pdf: bytes, tmp_path: Path) -> Image.Image:
    path = tmp_path / "page.pdf"
    path.write_bytes(pdf)
    subprocess.run(
        [
            "pdftoppm",
            "-r",
            str(DPI),
            "-png",
            "-f",
            "1",
            "-l",
            "1",
            "-singlefile",
            str(path),
            str(tmp_path / "page"),
        ],
        check=True,
    )
    return Image.open(tmp_path / "page.png").convert("RGB")


def _is_blue(p: tuple[int, ...]) -> bool:
    return p[2] > 140 and p[0] < 110 and p[1] < 130


def _is_red(p: tuple[int, ...]) -> bool:
    return p[0] > 170 and p[1] < 110 and p[2] < 110


def _count(image: Image.Image, test: object, box: Rect | None, *, inside: bool) -> int:
    """Pixels passing ``test`` inside (or outside) a PDF box, with a small margin."""
    s = DPI / 72
    h = image.height
    if box is not None:
        x0, x1 = box.x * s - BLUE_MARGIN, box.right * s + BLUE_MARGIN
        y0, y1 = h - box.top * s - BLUE_MARGIN, h - box.y * s + BLUE_MARGIN
    raw = image.tobytes()
    n = 0
    for y in range(0, h, 2):
        for x in range(0, image.width, 2):
            i = (y * image.width + x) * 3
            if not test(tuple(raw[i : i + 3])):  # type: ignore[operator]
                continue
            within = box is not None and x0 <= x <= x1 and y0 <= y <= y1
            n += within == inside
    return n


def test_rendered_page_shows_the_signature_and_the_seal_where_the_layout_says(
    served: Served, signed_bb: bytes, tmp_path: Path
) -> None:
    layout = SignatureLayout()
    path = tmp_path / "signed.pdf"
    path.write_bytes(signed_bb)
    text = subprocess.run(
        ["pdftotext", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    # the seal's details: the agency and the signing time in Vietnam time
    assert f"{AGENCY_NAME}\n{vn_time(served.clock.now())}" in text
    image = _render(signed_bb, tmp_path)
    signer_box, seal_box = layout.signer_box, layout.seal_rect()
    assert _count(image, _is_blue, signer_box, inside=True) > 150
    assert _count(image, _is_blue, signer_box, inside=False) == 0
    assert _count(image, _is_red, seal_box, inside=True) > 500  # every 2nd pixel counted
    assert _count(image, _is_red, seal_box, inside=False) == 0
    # the seal covers the left third of the signature, and only that
    third = signer_box.width / 3
    left = Rect(signer_box.x + 2, signer_box.y + 2, third - 4, signer_box.height - 4)
    right = Rect(signer_box.x + third + 4, signer_box.y, 2 * third - 4, signer_box.height)
    assert _count(image, _is_red, left, inside=True) > 50
    assert _count(image, _is_red, right, inside=True) == 0


def test_attachment_stamp_top_right_in_times(served: Served, nss_db: str, tmp_path: Path) -> None:
    _, agency = signers(served)
    stamped = agency.stamp_attachment(sample.attachment_pdf(pages=2), number_notation="125/QĐ-UBND")
    report = _validate(served, stamped)
    assert report.verdict is Verdict.VALID
    assert report.signatures[0].signer == AGENCY_NAME
    out = pdfsig(nss_db, stamped, tmp_path)
    assert "Signature is Valid." in out
    assert "Certificate is Trusted." in out
    path = tmp_path / "att.pdf"
    path.write_bytes(stamped)
    text = subprocess.run(
        ["pdftotext", "-f", "1", "-l", "1", str(path), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "Số, ký hiệu: 125/QĐ-UBND" in text
    assert "Cơ quan: Ủy ban nhân dân tỉnh Nghệ An" in text
    assert f"Thời gian ký: {vn_time(served.clock.now())}" in text
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    assert "LiberationSerif" in fonts.stdout
    image = _render(stamped, tmp_path)
    top_right = Rect(595.28 / 2, 841.89 - 80, 595.28 / 2, 80)
    assert _count(image, _is_red, top_right, inside=True) > 100
    assert _count(image, _is_red, top_right, inside=False) == 0


def test_unsigned_and_unreadable_pdfs(served: Served) -> None:
    report = _validate(served, sample.attachment_pdf())
    assert report.verdict is Verdict.INDETERMINATE
    assert report.signatures == ()
    assert report.reasons[0].code == "document.unsigned"
    with pytest.raises(SignatureError) as caught:
        validate_pdf(b"%PDF-1.7\nnot really", served.pki.trust_store)
    assert caught.value.code == "pdfsign.unreadable"


def test_signing_again_takes_a_new_field(served: Served, signed_bb: bytes) -> None:
    person, _ = signers(served)
    again = person.sign_as_signer(signed_bb, layout=SignatureLayout(page=0))
    report = _validate(served, again)
    assert [s.field_name for s in report.signatures] == [
        "ChuKyNguoiCoThamQuyen",
        "ChuKyCoQuan",
        "ChuKyNguoiCoThamQuyen_2",
    ]
    assert report.verdict is Verdict.VALID
