"""Lazy attachments: read without decoding, decoded on first use, equal to an eager read.

Every check runs on both reader paths: the fast path (payloads as slices of the bytes)
and the streaming path (``fast_parse_max_bytes=0``: payloads spooled as base64 text).
"""

from __future__ import annotations

import base64
import io
import struct
import threading
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_edxml_fastpath import SAMPLES
from test_edxml_roundtrip import mutated

from lienthong.edxml.attachments import attachment_from_bytes
from lienthong.edxml.model import Attachment, DocumentPackage, MessageHeader, Organization
from lienthong.edxml.peek import DecodedView, _plain_single_member
from lienthong.edxml.reader import read_package
from lienthong.edxml.validate import validate_package
from lienthong.edxml.writer import package_to_bytes
from lienthong.errors import LienthongError, LimitExceeded, PackageError
from lienthong.settings import EdxmlLimits

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
PATHS = {"fast": {}, "streaming": {"fast_parse_max_bytes": 0}}


def lazy(data: bytes | Path, path: str, **limits: int) -> DocumentPackage:
    pkg = read_package(data, limits=EdxmlLimits(**PATHS[path], **limits), attachments="lazy")
    assert isinstance(pkg, DocumentPackage)
    return pkg


def eager(data: bytes, **limits: int) -> DocumentPackage:
    pkg = read_package(data, limits=EdxmlLimits(**limits))
    assert isinstance(pkg, DocumentPackage)
    return pkg


def package(*attachments: str) -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="{NS}">\n'
        "<edXMLEnvelope><edXMLHeader><MessageHeader>"
        "<From><OrganId>000.00.00.G22</OrganId></From>"
        "</MessageHeader></edXMLHeader></edXMLEnvelope>\n"
        f"<AttachmentEncoded>{''.join(attachments)}</AttachmentEncoded>\n</edXML>\n"
    ).encode()


def attachment(text: str, *, content_type: str = "application/pdf", cid: str = "cid:1") -> str:
    return (
        f"<Attachment><ContentId>{cid}</ContentId><AttachmentName>a.pdf</AttachmentName>"
        f"<ContentType>{content_type}</ContentType>"
        f"<ContentTransferEncoded>{text}</ContentTransferEncoded></Attachment>"
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def zipped(*members: tuple[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            archive.writestr(name, data)
    return buffer.getvalue()


def codes(pkg: DocumentPackage) -> list[str]:
    return [w.code for w in pkg.warnings]


both_paths = pytest.mark.parametrize("path", list(PATHS))


@both_paths
@pytest.mark.parametrize(("name", "data"), SAMPLES, ids=[name for name, _ in SAMPLES])
def test_samples_lazy_then_opened_equal_eager(name: str, data: bytes, path: str) -> None:
    reference = read_package(data)
    pkg = read_package(data, limits=EdxmlLimits(**PATHS[path]), attachments="lazy")
    assert type(pkg) is type(reference)
    assert [(w.code, w.line) for w in pkg.warnings] == [
        (w.code, w.line) for w in reference.warnings
    ]
    assert pkg.signature == reference.signature
    if not isinstance(pkg, DocumentPackage):
        assert pkg == reference
        return
    assert isinstance(reference, DocumentPackage)
    assert pkg.header == reference.header
    assert (pkg.trace_headers, pkg.business) == (reference.trace_headers, reference.business)
    for got, want in zip(pkg.attachments, reference.attachments, strict=True):
        assert not got.loaded
        assert got.size is None
        assert got.sha256 == ""
        assert (got.content_id, got.content_type, got.zipped) == (
            want.content_id,
            want.content_type,
            want.zipped,
        )
        assert got.read_bytes() == want.read_bytes()  # opening loads it
        assert got.loaded
        assert (got.size, got.sha256) == (want.size, want.sha256)
    assert pkg == reference


@both_paths
def test_edoc_validates_the_same_before_loading(path: str) -> None:
    data = dict(SAMPLES)["edoc_new.edxml"]
    before = validate_package(lazy(data, path))
    assert before.to_dict() == validate_package(eager(data)).to_dict()


@both_paths
def test_load_fills_size_and_sha256_once(path: str) -> None:
    payload = b"%PDF-1.7 " * 1000
    att = lazy(package(attachment(b64(payload))), path).attachments[0]
    assert att.size is None
    assert att.load() is att
    assert att.size == len(payload)
    assert att.sha256 == eager(package(attachment(b64(payload)))).attachments[0].sha256
    with att.open() as first, att.open() as second:
        assert first.read(3) == b"%PD"
        assert second.read() == payload
    assert b"".join(att.iter_chunks(4096)) == payload


@both_paths
def test_concurrent_first_opens_decode_once_and_agree(path: str) -> None:
    payload = bytes(range(256)) * 4000
    att = lazy(package(attachment(b64(payload))), path).attachments[0]
    results: list[bytes] = []

    def read() -> None:
        results.append(att.read_bytes())

    threads = [threading.Thread(target=read) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [payload] * 4
    assert att.size == len(payload)


# --- what is known at read time -----------------------------------------------------------


@both_paths
def test_sdk_zip_is_known_zipped_before_loading(path: str) -> None:
    inner = b"%PDF-1.7 quyet dinh" * 500
    pkg = lazy(
        package(attachment(b64(zipped(("qd.pdf", inner))), content_type="application/zip")), path
    )
    (att,) = pkg.attachments
    assert (att.zipped, att.content_type, att.size) == (True, "application/zip", None)
    assert codes(pkg) == ["manifest.unlisted_attachment"]  # no manifest in these packages
    assert att.read_bytes() == inner
    assert att.size == len(inner)


@both_paths
def test_zip_oddities_are_warned_at_read(path: str) -> None:
    several = zipped(("a.pdf", b"%PDF"), ("b.pdf", b"%PDF"))
    pkg = lazy(
        package(
            attachment(b64(several), content_type="application/zip", cid="cid:1"),
            attachment(b64(b"%PDF-1.4"), content_type="application/zip", cid="cid:2"),
            attachment(b64(b"abc")[:-1], cid="cid:3"),  # "YWJj" without its last char
        ),
        path,
    )
    assert codes(pkg) == [
        "manifest.unlisted_attachment",
        "attachment.zip_members",
        "manifest.unlisted_attachment",
        "attachment.not_zip",
        "manifest.unlisted_attachment",
        "repair.base64_padding",
    ]
    assert [(a.zipped, a.size) for a in pkg.attachments] == [(False, None)] * 3
    assert [a.read_bytes() for a in pkg.attachments] == [several, b"%PDF-1.4", b"ab"]


@both_paths
def test_undecidable_or_empty_payloads_are_decoded_at_read(path: str) -> None:
    untyped_zip = zipped(("x.pdf", b"%PDF-1.7"))
    empty_member = zipped(("x.pdf", b""))
    pkg = lazy(
        package(
            attachment("", cid="cid:1"),
            attachment(b64(untyped_zip), content_type="", cid="cid:2"),
            attachment(b64(empty_member), content_type="application/zip", cid="cid:3"),
        ),
        path,
    )
    assert [(a.size, a.zipped, a.loaded) for a in pkg.attachments] == [
        (0, False, True),
        (8, True, True),
        (0, True, True),
    ]
    report = validate_package(pkg)
    assert [p.code for p in report.problems].count("attachments.empty") == 2


@both_paths
def test_writing_a_lazy_package_loads_it_and_writes_the_same_bytes(path: str) -> None:
    pkg = DocumentPackage(
        header=MessageHeader(from_=Organization("000.00.00.G22"), subject="Trích yếu"),
        attachments=[
            attachment_from_bytes("a.pdf", b"%PDF-1.7" * 300, zipped=True, content_id="cid:1"),
            attachment_from_bytes("b.txt", "văn bản".encode() * 50, content_id="cid:2"),
        ],
    )
    written = package_to_bytes(pkg)
    again = lazy(written, path)
    assert package_to_bytes(again) == written
    assert all(isinstance(a.size, int) for a in again.attachments)
    assert again == pkg


# --- the hostile corpus, lazily -----------------------------------------------------------


@both_paths
@pytest.mark.parametrize(
    ("data", "code", "limits"),
    [
        (b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><edXML/>', "package.dtd", {}),
        (package(attachment("QUJD<b>x</b>")), "package.structure", {}),
        (
            package(attachment(b64(b"x"), cid="cid:1") * 3),
            "package.limit.attachments",
            {"max_attachments": 2},
        ),
        (package(attachment("QUJD")).replace(b"<From>", b"<From>&nbsp;"), "package.entity", {}),
        (package(attachment("QUJD"))[:-30], "package.truncated", {}),
        (
            package(attachment("QUJD")).replace(b"<From>", b"<x>" * 70 + b"<From>"),
            "package.limit.depth",
            {},
        ),
    ],
)
def test_structural_errors_are_still_raised_at_read(
    data: bytes, code: str, limits: dict[str, int], path: str
) -> None:
    with pytest.raises(PackageError) as info:
        lazy(data, path, **limits)
    assert info.value.code == code


def zip_bomb(*, lying: bool) -> bytes:
    bomb = bytearray(zipped(("bomb.pdf", b"\0" * 20_000_000)))
    if lying:  # sizes claim 1000 bytes; 20 MB come out
        struct.pack_into("<I", bomb, 22, 1000)
        struct.pack_into("<I", bomb, bomb.rindex(b"PK\x01\x02") + 24, 1000)
    return bytes(bomb)


def damaged_zip() -> bytes:
    data = bytearray(zipped(("a.pdf", b"%PDF" * 10_000)))
    data[60:80] = b"\xff" * 20
    return bytes(data)


@both_paths
@pytest.mark.parametrize(
    ("text", "content_type", "code", "limits"),
    [
        ("QUJD$$$=", "application/pdf", "package.base64", {}),
        ("QUJD====QUJD", "application/pdf", "package.base64", {}),
        ("QUJDé", "application/pdf", "package.base64", {}),
        ("QUJDR", "application/pdf", "package.base64", {}),
        (
            b64(b"\0" * 300_000),
            "application/pdf",
            "package.limit.attachment_size",
            {"max_attachment_bytes": 100_000},
        ),
        (b64(damaged_zip()), "application/zip", "package.zip", {}),
        (
            b64(zip_bomb(lying=False)),
            "application/zip",
            "package.limit.attachment_size",
            {"max_attachment_bytes": 1_000_000},
        ),
        (
            b64(zip_bomb(lying=True)),
            "application/zip",
            "package.zip",
            {"max_attachment_bytes": 1_000_000},
        ),
    ],
)
def test_content_errors_are_raised_when_opened_with_eager_codes(
    text: str, content_type: str, code: str, limits: dict[str, int], path: str
) -> None:
    data = package(attachment(text, content_type=content_type))
    with pytest.raises(PackageError) as at_read:
        eager(data, **limits)
    assert at_read.value.code == code
    pkg = lazy(data, path, **limits)
    (att,) = pkg.attachments
    assert att.size is None
    assert validate_package(pkg).ok is False  # From has no name, no To: but it evaluates
    for attempt in (att.open, att.load, att.read_bytes):
        with pytest.raises(PackageError) as at_open:
            attempt()
        assert at_open.value.code == code
        assert at_open.value.message == at_read.value.message
        assert at_open.value.details == at_read.value.details
    assert isinstance(at_open.value, LimitExceeded) is code.startswith("package.limit")
    assert att.size is None


@both_paths
def test_references_in_the_text_are_read_as_the_parser_reads_them(path: str) -> None:
    text = b64(b"%PDF-1.7 " * 40)
    with_refs = text[:40] + "&#13;&#10;" + text[40:]
    pkg = lazy(package(attachment(with_refs)), path)
    assert pkg.attachments[0].read_bytes() == b"%PDF-1.7 " * 40


def test_lazy_attachment_equality_after_loading() -> None:
    data = package(attachment(b64(b"%PDF")))
    lazy_att, eager_att = lazy(data, "fast").attachments[0], eager(data).attachments[0]
    assert lazy_att != eager_att  # size None against 4
    lazy_att.load()
    assert lazy_att == eager_att
    assert Attachment("x", "y", size=None) != Attachment("x", "y", size=0)


class _Unseekable(io.RawIOBase):
    """A write-only stream without seek: zipfile then writes data descriptors (flag bit 3)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def write(self, b: bytes) -> int:  # type: ignore[override]
        self.data += b
        return len(b)


def zip_variant(kind: str) -> bytes:
    buffer: io.BytesIO | _Unseekable = _Unseekable() if kind == "descriptor" else io.BytesIO()
    method = zipfile.ZIP_STORED if kind == "stored" else zipfile.ZIP_DEFLATED
    with zipfile.ZipFile(buffer, "w", method) as archive:
        if kind == "comment":
            archive.comment = b"made by hand"
        if kind in ("dir+file", "dir only"):
            archive.writestr("hoso/", b"")
        if kind == "extra":
            info = zipfile.ZipInfo("a.pdf")
            info.extra = struct.pack("<HH4s", 0xCAFE, 4, b"abcd")
            archive.writestr(info, b"%PDF" * 100)
        elif kind == "zip64":
            with archive.open("a.pdf", "w", force_zip64=True) as fh:
                fh.write(b"%PDF" * 100)
        elif kind == "empty":
            archive.writestr("a.pdf", b"")
        elif kind == "utf-8 name":
            archive.writestr("Quyết định.pdf", b"%PDF" * 100)
        elif kind != "dir only":
            archive.writestr("a.pdf", b"%PDF" * 100)
        if kind == "two files":
            archive.writestr("b.pdf", b"%PDF")
    return bytes(buffer.data) if isinstance(buffer, _Unseekable) else buffer.getvalue()


@both_paths
@pytest.mark.parametrize(
    "kind",
    [
        "plain",
        "stored",
        "descriptor",
        "comment",
        "extra",
        "zip64",
        "dir+file",
        "dir only",
        "two files",
        "empty",
        "utf-8 name",
    ],
)
def test_zip_shapes_are_classified_as_zipfile_reads_them(kind: str, path: str) -> None:
    data = package(attachment(b64(zip_variant(kind)), content_type="application/zip"))
    reference = eager(data)
    pkg = lazy(data, path)
    assert codes(pkg) == codes(reference)
    assert [(a.zipped, a.content_type) for a in pkg.attachments] == [
        (a.zipped, a.content_type) for a in reference.attachments
    ]
    for att in pkg.attachments:
        att.load()
    assert pkg == reference


@pytest.mark.parametrize(
    ("kind", "size"),
    [
        ("plain", 400),
        ("stored", 400),
        ("descriptor", 400),
        ("utf-8 name", 400),
        ("empty", 0),
        ("comment", None),
        ("extra", None),
        ("zip64", 400),  # zip64 local header; the central entry is plain
        ("dir+file", None),
        ("dir only", None),
        ("two files", None),
    ],
)
def test_plain_zip_shortcut_answers_only_for_plain_one_file_zips(
    kind: str, size: int | None
) -> None:
    text = base64.b64encode(zip_variant(kind))
    assert _plain_single_member(DecodedView(lambda a, b: text[a:b], len(text))) == size


@given(st.binary(max_size=200), st.integers(0, 220), st.integers(0, 60), st.booleans())
def test_decoded_view_reads_what_full_decoding_gives(
    payload: bytes, pos: int, count: int, unpadded: bool
) -> None:
    text = base64.b64encode(payload)
    if unpadded:
        text = text.rstrip(b"=")
    view = DecodedView(lambda a, b: text[a:b], len(text))
    assert view.size == len(payload)
    assert view.read_at(pos, count) == payload[pos : pos + count]
    view.seek(pos)
    assert view.read(count) == payload[pos : pos + count]


@pytest.mark.parametrize("bad", [b"]]>", b"\x01", b"\xff\xfe"])
def test_text_xml_forbids_is_an_xml_error_when_opened(bad: bytes) -> None:
    """The fast path never gave the cut text to libxml2: opening reports what it would."""
    text = b64(b"%PDF-1.7 " * 40).encode()
    data = package(attachment("@@@")).replace(b"@@@", text[:40] + bad + text[40:])
    with pytest.raises(PackageError) as at_read:
        eager(data)
    with pytest.raises(PackageError) as streamed:
        lazy(data, "streaming")  # libxml2 parsed the text while streaming
    assert streamed.value.code == at_read.value.code == "package.xml_syntax"
    (att,) = lazy(data, "fast").attachments
    with pytest.raises(PackageError) as at_open:
        att.open()
    assert at_open.value.code == "package.xml_syntax"
    assert at_open.value.details == at_read.value.details
    assert at_open.value.message == at_read.value.message


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_lazy_mutations_fail_at_read_or_at_open_with_the_streaming_code(data: bytes) -> None:
    """Both paths read lazily: what the fast path accepts and the streaming path refuses
    (damage inside a cut text) is refused with the same code when the attachments open."""
    fast_code, fast = lazy_outcome(data, "fast")
    stream_code, stream = lazy_outcome(data, "streaming")
    if fast is None:
        assert fast_code == stream_code
        return
    opened = [load_outcome(att) for att in fast.attachments]
    if stream is None:
        assert stream_code in opened
        return
    assert fast.header == stream.header
    assert [w.code for w in fast.warnings] == [w.code for w in stream.warnings]
    assert opened == [load_outcome(att) for att in stream.attachments]


def lazy_outcome(data: bytes, path: str) -> tuple[str, DocumentPackage | None]:
    try:
        pkg = read_package(data, limits=EdxmlLimits(**PATHS[path]), attachments="lazy")
    except LienthongError as exc:
        return exc.code, None
    return "accepted", pkg if isinstance(pkg, DocumentPackage) else None


def load_outcome(att: Attachment) -> str:
    try:
        att.load()
    except LienthongError as exc:
        code = exc.code
    else:
        return f"{att.size}:{att.sha256}:{att.zipped}"
    assert code != "package.internal"
    return code
