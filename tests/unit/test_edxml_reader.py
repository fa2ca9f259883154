"""The reader's leniency: what it accepts, how it repairs, and the warnings it records."""

from __future__ import annotations

import base64
import io
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest

from lienthong.edxml.model import DocumentPackage, StatusCode, StatusPackage
from lienthong.edxml.reader import read_package
from lienthong.errors import PackageError
from lienthong.settings import EdxmlLimits

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DSIG = "http://www.w3.org/2000/09/xmldsig#"


def doc(mh: str = "", *, head: str = "", body: str = "", tail: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="{NS}">\n'
        f"<edXMLEnvelope><edXMLHeader><MessageHeader>"
        f"<From><OrganId>000.00.00.G22</OrganId></From>{mh}</MessageHeader>{head}</edXMLHeader>"
        f"{body}</edXMLEnvelope>{tail}</edXML>"
    ).encode()


def read_doc(data: bytes, **limits: int) -> DocumentPackage:
    pkg = read_package(data, limits=EdxmlLimits(**limits))
    assert isinstance(pkg, DocumentPackage)
    return pkg


def att(cid: str, payload: bytes, content_type: str = "", name: str = "a.pdf") -> str:
    ctype = f"<ContentType>{content_type}</ContentType>" if content_type else ""
    return (
        f"<Attachment><ContentId>{cid}</ContentId><AttachmentName>{name}</AttachmentName>{ctype}"
        f"<ContentTransferEncoded>{base64.b64encode(payload).decode()}</ContentTransferEncoded>"
        "</Attachment>"
    )


def manifest(*cids: str) -> str:
    refs = "".join(f"<Reference><ContentId>{c}</ContentId></Reference>" for c in cids)
    return f'<edXMLBody><edXMLManifest version="1.0">{refs}</edXMLManifest></edXMLBody>'


def zip_of(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def codes(pkg: DocumentPackage | StatusPackage) -> list[str]:
    return [w.code for w in pkg.warnings]


def test_any_order_prefixes_and_nfc() -> None:
    decomposed = "Ha\u0300 No\u0302\u0323i"  # "Hà Nội" in NFD
    data = (
        f'<edXML:edXML xmlns:edXML="{NS}"><edXML:edXMLEnvelope><edXML:edXMLHeader>'
        "<edXML:MessageHeader><edXML:Subject>  Trích yếu \n</edXML:Subject>"
        f"<edXML:PromulgationInfo><edXML:PromulgationDate>2024-05-17</edXML:PromulgationDate>"
        f"<edXML:Place>{decomposed}</edXML:Place></edXML:PromulgationInfo>"
        "<edXML:From><edXML:OrganId>000.00.00.H41</edXML:OrganId></edXML:From>"
        "</edXML:MessageHeader></edXML:edXMLHeader></edXML:edXMLEnvelope></edXML:edXML>"
    ).encode()
    pkg = read_doc(data)
    assert pkg.header.subject == "Trích yếu"
    assert pkg.header.promulgation_info.place == "Hà Nội"
    assert pkg.header.promulgation_info.promulgation_date == date(2024, 5, 17)
    assert pkg.header.from_.organ_id == "000.00.00.H41"
    assert pkg.warnings == []


def test_impossible_and_unreadable_dates_warn_and_stay_empty() -> None:
    pkg = read_doc(doc("<DueDate>2014/02/30</DueDate><SteeringType>x</SteeringType>"))
    assert pkg.header.due_date is None
    assert pkg.header.steering_type == 0
    assert codes(pkg) == ["value.date", "value.integer"]
    assert "'2014/02/30' is an impossible date" in pkg.warnings[0].message
    pkg = read_doc(doc("<DueDate>30/09/2015</DueDate>"))
    assert "unreadable" in pkg.warnings[0].message


def test_trace_header_with_bad_timestamp_is_dropped_with_a_warning() -> None:
    head = (
        "<TraceHeaderList><TraceHeader><OrganId>A</OrganId><Timestamp>2024/02/30 10:00:00"
        "</Timestamp></TraceHeader><TraceHeader><OrganId>B</OrganId>"
        "<Timestamp>2024-05-17T08:05</Timestamp></TraceHeader></TraceHeaderList>"
    )
    pkg = read_doc(doc(head=head))
    assert [(t.organ_id, t.timestamp) for t in pkg.trace_headers] == [
        ("B", datetime(2024, 5, 17, 8, 5))  # noqa: DTZ001
    ]
    assert codes(pkg) == ["value.timestamp", "trace.dropped"]


def test_code_as_text_is_split_with_a_warning() -> None:
    pkg = read_doc(doc("<Code>7816/VPCP-TTĐT</Code>"))
    assert (pkg.header.code.code_number, pkg.header.code.code_notation) == ("7816", "VPCP-TTĐT")
    assert codes(pkg) == ["value.code_text"]


def test_duplicate_single_element_warns_and_takes_the_first() -> None:
    pkg = read_doc(doc("<Subject>một</Subject><Subject>hai</Subject>"))
    assert pkg.header.subject == "một"
    assert codes(pkg) == ["element.duplicate"]


def test_manifest_and_attachments_are_matched_by_content_id() -> None:
    body = manifest("cid:2", "&lt;cid:1&gt;", "cid:9")
    tail = (
        "<AttachmentEncoded>"
        + att("cid:1", b"%PDF-1", "application/pdf")
        + att("cid:2", b"hello", "text/plain", "b.txt")
        + att("cid:3", b"x", name="c.bin")
        + "</AttachmentEncoded>"
    )
    pkg = read_doc(doc(body=body, tail=tail))
    assert [a.content_id for a in pkg.attachments] == ["cid:1", "cid:2", "cid:3"]
    assert [a.read_bytes() for a in pkg.attachments] == [b"%PDF-1", b"hello", b"x"]
    assert pkg.attachments[2].content_type == "application/octet-stream"
    assert codes(pkg) == ["manifest.unlisted_attachment", "manifest.missing_attachment"]
    assert "'cid:3'" in pkg.warnings[0].message
    assert "'cid:9'" in pkg.warnings[1].message


def test_zip_with_several_members_is_kept_as_a_zip() -> None:
    archive = zip_of(("a.pdf", b"%PDF"), ("b.pdf", b"%PDF"))
    tail = f"<AttachmentEncoded>{att('cid:1', archive, 'application/zip', 'hoso.zip')}</AttachmentEncoded>"
    pkg = read_doc(doc(body=manifest("cid:1"), tail=tail))
    (a,) = pkg.attachments
    assert a.zipped is False
    assert a.content_type == "application/zip"
    assert a.read_bytes() == archive
    assert codes(pkg) == ["attachment.zip_members"]


def test_declared_zip_that_is_not_a_zip_is_kept_with_a_warning() -> None:
    tail = f"<AttachmentEncoded>{att('cid:1', b'%PDF-1.4', 'application/zip')}</AttachmentEncoded>"
    pkg = read_doc(doc(body=manifest("cid:1"), tail=tail))
    assert pkg.attachments[0].read_bytes() == b"%PDF-1.4"
    assert pkg.attachments[0].zipped is False
    assert codes(pkg) == ["attachment.not_zip"]


def test_untyped_one_member_zip_is_unwrapped_but_a_docx_is_not() -> None:
    inner = b"%PDF-1.7 body"
    one = zip_of(("x.pdf", inner))
    tail = (
        "<AttachmentEncoded>"
        + att("cid:1", one, "", "x.pdf")
        + att("cid:2", one, "application/octet-stream", "report.docx")
        + "</AttachmentEncoded>"
    )
    pkg = read_doc(doc(body=manifest("cid:1", "cid:2"), tail=tail))
    first, second = pkg.attachments
    assert (first.zipped, first.read_bytes(), first.content_type) == (
        True,
        inner,
        "application/zip",
    )
    assert (second.zipped, second.read_bytes()) == (False, one)


def test_base64_with_line_breaks_and_missing_padding() -> None:
    payload = bytes(range(256)) * 40
    text = base64.encodebytes(payload).decode().rstrip("=\n")  # MIME lines, padding removed
    tail = (
        "<AttachmentEncoded><Attachment><ContentId>cid:1</ContentId>"
        f"<ContentTransferEncoded>\n{text}\n</ContentTransferEncoded></Attachment></AttachmentEncoded>"
    )
    pkg = read_doc(doc(body=manifest("cid:1"), tail=tail))
    assert pkg.attachments[0].read_bytes() == payload
    assert "repair.base64_padding" in codes(pkg)


def test_large_attachment_spools_to_disk(tmp_path: Path) -> None:
    payload = bytes(range(256)) * 8192  # 2 MiB: above the in-memory threshold
    tail = f"<AttachmentEncoded>{att('cid:1', payload, 'application/pdf')}</AttachmentEncoded>"
    pkg = read_package(doc(body=manifest("cid:1"), tail=tail), spool_dir=tmp_path)
    assert isinstance(pkg, DocumentPackage)
    (a,) = pkg.attachments
    assert a.size == len(payload)
    with a.open() as first, a.open() as second:  # independent readers
        assert first.read(10) == payload[:10]
        assert second.read() == payload
        assert first.read() == payload[10:]
    assert b"".join(a.iter_chunks(100_000)) == payload


def test_signature_in_dsig_namespace() -> None:
    head = (
        f'<Signature xmlns="{DSIG}"><SignedInfo>'
        '<SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/>'
        '<Reference URI=""><DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/>'
        "</Reference></SignedInfo><KeyInfo><X509Data><X509Certificate>\n  MIIB\n  AAAA\n"
        "</X509Certificate><X509Certificate>MIIC</X509Certificate></X509Data></KeyInfo>"
        "</Signature>"
    )
    pkg = read_doc(doc(head=head))
    sig = pkg.signature
    assert sig.present
    assert not sig.namespace_missing
    assert sig.signature_method.endswith("rsa-sha256")
    assert sig.digest_method.endswith("#sha256")
    assert sig.certificates_b64 == ["MIIBAAAA", "MIIC"]
    assert pkg.warnings == []


@pytest.mark.parametrize(
    ("raw", "code"), [("3", StatusCode.ACCEPTED), ("13", StatusCode.TAKE_BACK_REQUEST)]
)
def test_status_code_forms(raw: str, code: StatusCode) -> None:
    data = doc(f"<ResponseFor><OrganId>X</OrganId></ResponseFor><StatusCode> {raw} </StatusCode>")
    pkg = read_package(data)
    assert isinstance(pkg, StatusPackage)
    assert pkg.status_code is code


def test_namespace_less_children_are_read_with_a_warning() -> None:
    data = doc('<Subject xmlns="">Trích yếu</Subject>')
    pkg = read_doc(data)
    assert pkg.header.subject == "Trích yếu"
    assert codes(pkg) == ["namespace.none"]


def test_leading_whitespace_before_declaration_and_bom() -> None:
    data = doc("<Subject>a</Subject>")
    pkg = read_doc(b"\n\n  " + data)
    assert codes(pkg) == ["repair.leading_junk"]
    assert read_doc(b"\xef\xbb\xbf" + data).warnings == []


def test_junk_with_newlines_keeps_line_numbers_true() -> None:
    data = b"junk\nmore\n" + doc("\n<Subject>a</Subjekt>")
    with pytest.raises(PackageError, match=r"\(line 6\)$") as info:
        read_package(data)
    assert info.value.details["line"] == 6


def test_untyped_payload_that_only_looks_like_a_zip_is_kept() -> None:
    fake = b"PK\x03\x04 not really a zip"
    tail = f"<AttachmentEncoded>{att('cid:1', fake, name='data.bin')}</AttachmentEncoded>"
    pkg = read_doc(doc(body=manifest("cid:1"), tail=tail))
    assert pkg.attachments[0].read_bytes() == fake
    assert pkg.attachments[0].zipped is False
    assert pkg.warnings == []


def test_line_numbers_past_65535_stay_exact() -> None:
    lines = "\n".join(["QUJD"] * 70_000)  # 70 000 lines of base64 ("ABC" each)
    tail = (
        "<AttachmentEncoded><Attachment><ContentId>cid:1</ContentId>"
        "<AttachmentName>a.txt</AttachmentName>"
        f"<ContentTransferEncoded>{lines}</ContentTransferEncoded></Attachment>\n"
        "<Attachment><ContentId>cid:2</ContentId></Attachment></AttachmentEncoded>"
    )
    pkg = read_doc(doc(body=manifest("cid:1"), tail=tail))
    assert pkg.attachments[0].read_bytes() == b"ABC" * 70_000
    (warning,) = pkg.warnings
    assert warning.code == "attachment.no_content"
    assert warning.line == 3 + 69_999 + 1
