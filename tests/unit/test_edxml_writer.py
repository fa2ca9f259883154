"""The writer's strictness and the attachment helpers."""

from __future__ import annotations

import hashlib
import io
from dataclasses import replace
from datetime import date, datetime
from pathlib import Path

import pytest

from lienthong.edxml.attachments import (
    ContentIdSequence,
    attachment_from_bytes,
    attachment_from_path,
    guess_content_type,
    with_content_ids,
)
from lienthong.edxml.model import (
    Code,
    DocumentPackage,
    MessageHeader,
    Organization,
    OtherInfo,
    PromulgationInfo,
    ResponseFor,
    StatusCode,
    StatusPackage,
    TraceHeader,
)
from lienthong.edxml.reader import read_package
from lienthong.edxml.writer import package_to_bytes, write_package
from lienthong.errors import PackageError


def minimal(**header: object) -> DocumentPackage:
    return DocumentPackage(header=MessageHeader(from_=Organization("000.00.00.G22"), **header))  # type: ignore[arg-type]


def test_empty_optional_elements_are_omitted() -> None:
    written = package_to_bytes(minimal())
    for absent in (b"<To>", b"<Code>", b"<PromulgationInfo>", b"<Subject>", b"<SignerInfo>",
                   b"<DueDate>", b"<ToPlaces>", b"<ResponseFor>", b"<TraceHeaderList>",
                   b"<AttachmentEncoded>", b"<OrganName>"):  # fmt: skip
        assert absent not in written
    for present in (b"<OrganId>000.00.00.G22</OrganId>", b"<Type>1</Type>",
                    b"<TypeDetail>0</TypeDetail>", b"<Priority>0</Priority>",
                    b"<SteeringType>0</SteeringType>", b'<edXMLManifest version="1.0">'):  # fmt: skip
        assert present in written


def test_dates_and_timestamps_in_standard_form() -> None:
    pkg = minimal(
        promulgation_info=PromulgationInfo("Hà Nội", date(2024, 5, 7)),
        due_date=date(999, 1, 2),
        response_for=[ResponseFor("000.00.00.H41", "7816/VPCP-TTĐT", date(2015, 9, 30))],
    )
    pkg.trace_headers = [TraceHeader("000.00.00.G22", datetime(2024, 5, 7, 8, 5, 9))]  # noqa: DTZ001
    written = package_to_bytes(pkg)
    assert b"<PromulgationDate>2024/05/07</PromulgationDate>" in written
    assert b"<DueDate>0999/01/02</DueDate>" in written
    assert b"<Timestamp>2024/05/07 08:05:09</Timestamp>" in written
    assert "<Code>7816/VPCP-TTĐT</Code>".encode() in written  # ResponseFor/Code is text
    assert read_package(written) == pkg


def test_text_is_escaped_and_round_trips() -> None:
    subject = 'a < b & "c" ]]> \r\n\tđ'
    pkg = minimal(subject=subject, code=Code("01", "QĐ-UBND"))
    written = package_to_bytes(pkg)
    assert b"&lt; b &amp;" in written
    again = read_package(written)
    assert isinstance(again, DocumentPackage)
    assert again.header.subject == subject


@pytest.mark.parametrize(
    "pkg",
    [
        minimal(subject="bad \x01 control"),
        minimal(other_info=OtherInfo(extra={"not a name": "x"})),
    ],
)
def test_unwritable_models_are_refused(pkg: DocumentPackage) -> None:
    with pytest.raises(PackageError) as info:
        package_to_bytes(pkg)
    assert info.value.code == "package.write"


def test_attachments_need_unique_content_ids_and_content() -> None:
    att = attachment_from_bytes("a.pdf", b"%PDF")
    with pytest.raises(PackageError, match="no content id"):
        package_to_bytes(replace(minimal(), attachments=[att]))
    twice = [replace(att, content_id="cid:1"), replace(att, content_id="cid:1")]
    with pytest.raises(PackageError, match="used twice"):
        package_to_bytes(replace(minimal(), attachments=twice))
    empty = replace(att, content_id="cid:1", opener=None)
    with pytest.raises(PackageError, match="no content"):
        package_to_bytes(replace(minimal(), attachments=[empty]))


def test_status_package_shape() -> None:
    pkg = StatusPackage(
        from_=Organization("000.00.00.H41", organ_name="UBND tỉnh Nghệ An"),
        response_for=ResponseFor("000.00.00.G22", "7816/VPCP-TTĐT", date(2015, 9, 30)),
        status_code=StatusCode.ASSIGNED,
        description="Lãnh đạo đã phân công",
    )
    written = package_to_bytes(pkg)
    assert b"<StatusCode>04</StatusCode>" in written
    assert b"<Timestamp>" not in written
    assert b"<StaffInfo>" not in written
    assert b"edXMLBody" not in written
    assert read_package(written) == pkg


def test_write_package_streams_to_a_file(tmp_path: Path) -> None:
    payload = bytes(range(256)) * 5000
    source = tmp_path / "vb.pdf"
    source.write_bytes(payload)
    att = attachment_from_path(source, zipped=True, content_id="cid:1")
    out = tmp_path / "out.edxml"
    with out.open("wb") as fh:
        write_package(replace(minimal(), attachments=[att]), fh)
    back = read_package(out)
    assert isinstance(back, DocumentPackage)
    assert back.attachments[0].read_bytes() == payload
    assert back.attachments[0].attachment_name == "vb.pdf"


# --- attachment helpers ------------------------------------------------------------------


def test_attachment_from_bytes() -> None:
    att = attachment_from_bytes("Quyết định.PDF", b"%PDF-1.7", content_id="cid:7")
    assert att.content_type == "application/pdf"
    assert att.size == 8
    assert att.sha256 == hashlib.sha256(b"%PDF-1.7").hexdigest()
    assert att.read_bytes() == b"%PDF-1.7"
    assert att.zipped is False
    zipped = attachment_from_bytes("bang.xlsx", b"x", zipped=True)
    assert zipped.content_type == "application/zip"  # the wire type
    assert zipped.content_id == ""


def test_attachment_from_path_reads_in_chunks_and_reopens(tmp_path: Path) -> None:
    path = tmp_path / "báo cáo.docx"
    data = b"PK" + bytes(300_000)
    path.write_bytes(data)
    att = attachment_from_path(path)
    assert att.attachment_name == "báo cáo.docx"
    assert att.content_type.endswith("wordprocessingml.document")
    assert (att.size, att.sha256) == (len(data), hashlib.sha256(data).hexdigest())
    assert att.read_bytes() == data
    assert att.read_bytes() == data  # opened again
    with pytest.raises(PackageError) as info:
        attachment_from_path(tmp_path / "missing.pdf")
    assert info.value.code == "package.io"


def test_content_ids() -> None:
    ids = ContentIdSequence(taken=["cid:2"])
    assert [ids(), ids(), ids()] == ["cid:1", "cid:3", "cid:4"]
    atts = [
        attachment_from_bytes("a.pdf", b"a"),
        attachment_from_bytes("b.pdf", b"b", content_id="cid:1"),
        attachment_from_bytes("c.pdf", b"c"),
    ]
    assert [a.content_id for a in with_content_ids(atts)] == ["cid:2", "cid:1", "cid:3"]
    assert atts[0].content_id == ""  # the originals are left alone


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("a.pdf", "application/pdf"),
        ("A.DOC", "application/msword"),
        ("x.xls", "application/vnd.ms-excel"),
        ("hoso.zip", "application/zip"),
        ("noext", "application/octet-stream"),
    ],
)
def test_guess_content_type(name: str, expected: str) -> None:
    assert guess_content_type(name) == expected


def test_package_to_bytes_equals_write_package() -> None:
    pkg = replace(
        minimal(), attachments=[attachment_from_bytes("a.pdf", b"%PDF", content_id="cid:1")]
    )
    buffer = io.BytesIO()
    write_package(pkg, buffer)
    assert buffer.getvalue() == package_to_bytes(pkg)
