"""The reader on real packages from other systems (some damaged the way real traffic is).

Expected values are taken from the files themselves; attachment sizes and digests are
computed here independently (regex + base64 + zipfile), not by the reader.
"""

from __future__ import annotations

import base64
import hashlib
import io
import os
import re
import zipfile
from datetime import date, datetime
from pathlib import Path

import pytest

from lienthong.edxml.model import (
    DSIG_NS,
    BusinessDocType,
    DocumentPackage,
    StatusCode,
    StatusPackage,
)
from lienthong.edxml.reader import read_package
from lienthong.edxml.writer import package_to_bytes


def samples_dir() -> Path:
    shared = os.environ.get("LIENTHONG_SHARED_DIR")
    base = Path(shared) if shared else Path(__file__).parents[3] / "shared"
    return base / "samples" / "edxml"


SAMPLES = samples_dir()
EDOC = SAMPLES / "edoc_new.edxml"
_CTE = re.compile(rb"<(?:\w+:)?ContentTransferEncoded[^>]*>([^<]*)</", re.S)


def wire_payloads(raw: bytes) -> list[bytes]:
    """The base64-decoded ContentTransferEncoded texts of a package, found by regex."""
    return [base64.b64decode(b"".join(m.split())) for m in _CTE.findall(raw)]


def codes(pkg: DocumentPackage | StatusPackage) -> list[str]:
    return [w.code for w in pkg.warnings]


def read_edoc() -> DocumentPackage:
    pkg = read_package(EDOC)
    assert isinstance(pkg, DocumentPackage)
    return pkg


def inner_bytes() -> bytes:
    """edoc_new.edxml's attachment: a zip holding another system's package."""
    (wire,) = wire_payloads(EDOC.read_bytes())
    with zipfile.ZipFile(io.BytesIO(wire)) as archive:
        (member,) = archive.infolist()
        return archive.read(member)


def test_every_sample_reads() -> None:
    files = sorted(SAMPLES.glob("*.edxml"))
    assert len(files) >= 4
    for path in files:
        pkg = read_package(path)
        assert isinstance(pkg, DocumentPackage | StatusPackage), path.name


def test_edoc_header_values() -> None:
    pkg = read_edoc()
    mh = pkg.header
    assert mh.from_.organ_id == "002.00.20.H13"
    assert mh.from_.organ_name == "UBND xã Hòa Tiến - UBND huyện Hòa Vang - Thành phố Đà Nẵng"
    assert [to.organ_id for to in mh.to] == ["28.22.H17"]  # odd id kept as text
    # leading space in the file is stripped
    assert mh.to[0].organization_in_charge.startswith("UBND xã Hòa Sơn")
    assert (mh.code.code_number, mh.code.code_notation) == ("74fass22", "VPCP-TTĐT")
    assert mh.promulgation_info.place == "Hà Nội"
    assert mh.promulgation_info.promulgation_date == date(2019, 1, 16)
    assert (mh.document_type.type, mh.document_type.type_detail) == (1, 0)
    assert mh.document_type.type_name == "Công văn"
    assert mh.subject == "V/v kết nối, liên thông phần mềm quản lý văn bản"
    assert mh.signer_info.competence == "TL. BO TRUONG"
    assert mh.due_date == date(2018, 9, 28)
    assert mh.to_places == ["Cac bo va co quan ngang bo", "Uy ban nhan dan cac tinh, TP"]
    assert mh.other_info.promulgation_amount == 2
    assert mh.other_info.page_amount == 22
    assert mh.other_info.extra == {"Direction": "false"}
    assert mh.other_info.appendixes == [
        "Công văn về việc kết nối, liên thông phần mềm quản lý văn bản"
    ]
    assert mh.steering_type == 1
    assert mh.document_id == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"


def test_edoc_trace_and_business() -> None:
    pkg = read_edoc()
    assert [(t.organ_id, t.timestamp) for t in pkg.trace_headers] == [
        ("000.00.00.G22", datetime(2018, 9, 28, 0, 0, 0))  # noqa: DTZ001
    ]
    biz = pkg.business
    assert biz is not None
    assert biz.business_doc_type is BusinessDocType.NEW
    assert biz.business_doc_reason == "Văn bản điện tử mới"
    # The impossible date inside this DocumentId stays text: judging it is the validator's job.
    assert biz.document_id == "000.00.00.G22,2014/02/30,7806/VPCP-TTĐT"
    assert biz.staff_info is not None
    assert biz.staff_info.staff == "Nguyễn Thị Ngọc Trâm"
    assert biz.paper is False


def test_edoc_attachment_is_unzipped() -> None:
    raw = EDOC.read_bytes()
    expected = inner_bytes()
    pkg = read_edoc()
    (att,) = pkg.attachments
    assert att.content_id == "cid:209"
    assert att.attachment_name == "1896_QD-TTg_m_294779.doc"
    assert att.description == "1896_QD-TTg_m_294779.doc"
    assert att.content_type == "application/zip"
    assert att.zipped is True
    assert att.size == len(expected) == 388347
    assert att.sha256 == hashlib.sha256(expected).hexdigest()
    assert att.read_bytes() == expected
    assert len(wire_payloads(raw)[0]) == 270823  # the zip itself, for the record


def test_edoc_repairs_and_signature() -> None:
    pkg = read_edoc()
    assert codes(pkg) == ["repair.leading_junk", "signature.namespace_missing"]
    junk, sig = pkg.warnings
    assert junk.line == 1
    assert "1212" in junk.message
    assert sig.line == 84  # <Signature> in the file
    assert pkg.signature.present
    assert pkg.signature.namespace_missing
    assert pkg.signature.signature_method == "http://www.w3.org/2000/09/xmldsig#rsa-sha1"
    assert pkg.signature.digest_method == "http://www.w3.org/2000/09/xmldsig#sha1"
    assert pkg.signature.certificates_b64 == ["MIIFqTCCBJG"]


def test_inner_package_with_undeclared_prefix() -> None:
    """The package inside edoc_new's zip uses ``edXML:`` outside its declaration."""
    raw = inner_bytes()
    pkg = read_package(raw)
    assert isinstance(pkg, DocumentPackage)
    assert codes(pkg) == ["repair.undeclared_attribute_prefix", "repair.undeclared_prefix"]
    assert [w.line for w in pkg.warnings] == [117, 126]
    assert pkg.header.from_.organ_id == "14.00.W00"
    assert pkg.header.from_.organ_name == "Trung tâm test production 01"
    assert (pkg.header.code.code_number, pkg.header.code.code_notation) == (
        "34E31",
        "PRO-TEST-CASE1",
    )
    assert pkg.header.document_type.type_detail == 0  # missing in the file: default
    assert pkg.header.response_for == []  # an all-empty ResponseFor means none
    assert pkg.header.document_id == "9fbfbad2-f1f8-4256-a2eb-50fb1061cddb"
    assert pkg.signature.present
    assert not pkg.signature.namespace_missing
    assert len(pkg.signature.certificates_b64) == 1
    assert base64.b64decode(pkg.signature.certificates_b64[0])[:2] == b"\x30\x82"
    (att,) = pkg.attachments
    (expected,) = wire_payloads(raw)
    assert att.attachment_name == "GUIDE_INSTALL OPENVPN.SIGNED.PDF"
    assert att.content_type == "application/pdf"
    assert att.description == "Description 1"  # from the manifest, the attachment has none
    assert att.zipped is False
    assert att.size == len(expected)
    assert att.read_bytes() == expected
    assert expected.startswith(b"%PDF")


@pytest.mark.parametrize(
    ("name", "code", "description"),
    [
        (
            "status_acceptance_03.edxml",
            StatusCode.ACCEPTED,
            "Văn thư cơ - Phòng Văn thư - Lưu trữ: Tiếp nhận văn bản điện tử, "
            "vào sổ văn bản đến của đơn vị",
        ),
        (
            "status_finish_06.edxml",
            StatusCode.FINISHED,
            "Văn thư: Ban hành văn bản đến, hoàn thành xử lý",
        ),
        (
            "status_rejection_02.edxml",
            StatusCode.REJECTED,
            "Văn thư - Phòng Văn thư - Lưu trữ: Từ chối không tiếp nhận văn bản điện tử",
        ),
    ],
)
def test_status_samples(name: str, code: StatusCode, description: str) -> None:
    pkg = read_package(SAMPLES / name)
    assert isinstance(pkg, StatusPackage)
    assert pkg.status_code is code
    assert pkg.description == description
    assert pkg.from_.organ_id == "000.00.00.H41"
    assert pkg.from_.organ_name == "UBND Tỉnh Nghệ An"
    assert pkg.response_for.organ_id == "000.00.00.G22"
    assert pkg.response_for.code == "7816/VPCP-TTĐT"
    assert pkg.response_for.promulgation_date == date(2015, 9, 30)
    assert pkg.response_for.document_id == "000.00.00.G22,2015/09/30,7816/VPCP-TTĐT"
    assert pkg.timestamp == datetime(2015, 9, 20, 11, 8, 36)  # noqa: DTZ001
    assert pkg.staff_info is not None
    assert pkg.staff_info.department == "Phong hanh chinh"
    assert pkg.staff_info.mobile == "84912000001"
    assert pkg.warnings == []
    assert not pkg.signature.present


def test_sources_bytes_path_and_stream_agree() -> None:
    raw = EDOC.read_bytes()
    from_path = read_package(EDOC)
    from_bytes = read_package(raw)
    from_stream = read_package(io.BytesIO(raw))
    assert from_path == from_bytes == from_stream
    assert from_stream.attachments[0].read_bytes() == inner_bytes()


@pytest.mark.parametrize("name", sorted(p.name for p in samples_dir().glob("*.edxml")))
def test_read_write_read_is_equal(name: str) -> None:
    first = read_package(SAMPLES / name)
    written = package_to_bytes(first)
    second = read_package(written)
    assert second == first
    assert second.warnings == []  # what we write needs no repair
    if isinstance(first, DocumentPackage):
        assert isinstance(second, DocumentPackage)
        for a, b in zip(first.attachments, second.attachments, strict=True):
            assert a.read_bytes() == b.read_bytes()


def test_inner_package_round_trips() -> None:
    first = read_package(inner_bytes())
    second = read_package(package_to_bytes(first))
    assert second == first
    assert second.warnings == []


def test_writer_output_is_strict() -> None:
    written = package_to_bytes(read_edoc())
    assert written.startswith(b'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="')
    assert b"edXML:" not in written
    assert DSIG_NS.encode() not in written  # no signature: added later by the signer
    header = written[: written.index(b"<TraceHeaderList>")]
    order = [
        b"<From>",
        b"<To>",
        b"<Code>",
        b"<PromulgationInfo>",
        b"<DocumentType>",
        b"<Subject>",
        b"<Content>",
        b"<SignerInfo>",
        b"<DueDate>",
        b"<ToPlaces>",
        b"<OtherInfo>",
        b"<SteeringType>",
        b"<DocumentId>",
    ]
    positions = [header.index(tag) for tag in order]
    assert positions == sorted(positions)
    # edXMLHeader closes right after the trace list: the signer appends there.
    assert re.search(rb"</TraceHeaderList>\s*</edXMLHeader>", written)
    # The SDK's way: the attachment travels as a one-member zip.
    (wire,) = wire_payloads(written)
    with zipfile.ZipFile(io.BytesIO(wire)) as archive:
        (member,) = archive.infolist()
        assert member.filename == "1896_QD-TTg_m_294779.doc"
        assert archive.read(member) == inner_bytes()


def test_status_writer_emits_only_status_parts() -> None:
    written = package_to_bytes(read_package(SAMPLES / "status_rejection_02.edxml"))
    tags = re.findall(rb"<(\w+)[ >]", written)
    assert set(tags) == {
        b"edXML",
        b"edXMLEnvelope",
        b"edXMLHeader",
        b"MessageHeader",
        b"From",
        b"OrganId",
        b"OrganizationInCharge",
        b"OrganName",
        b"OrganAdd",
        b"Email",
        b"Telephone",
        b"Fax",
        b"Website",
        b"ResponseFor",
        b"Code",
        b"PromulgationDate",
        b"DocumentId",
        b"StaffInfo",
        b"Department",
        b"Staff",
        b"Mobile",
        b"StatusCode",
        b"Description",
        b"Timestamp",
    }
    assert b"<StatusCode>02</StatusCode>" in written
    assert b"<Timestamp>2015/09/20 11:08:36</Timestamp>" in written
