"""A hostile corpus: every input is rejected with its own error code and a clear message.

Large inputs are generated here; limits are lowered where that keeps the test small (the
same code path enforces the defaults).
"""

from __future__ import annotations

import base64
import io
import struct
import zipfile
from pathlib import Path

import pytest

from lienthong.edxml.model import DocumentPackage
from lienthong.edxml.reader import read_package
from lienthong.errors import LienthongError, LimitExceeded, PackageError
from lienthong.settings import EdxmlLimits

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DECL = '<?xml version="1.0" encoding="UTF-8"?>\n'
HEADER = (
    "<edXMLEnvelope><edXMLHeader><MessageHeader>"
    "<From><OrganId>000.00.00.G22</OrganId></From>{extra}"
    "</MessageHeader></edXMLHeader></edXMLEnvelope>"
)


def package(extra: str = "", attachments: str = "", *, root_attrs: str = "") -> bytes:
    body = HEADER.format(extra=extra)
    if attachments:
        body += f"<AttachmentEncoded>{attachments}</AttachmentEncoded>"
    return f'{DECL}<edXML xmlns="{NS}"{root_attrs}>\n{body}\n</edXML>\n'.encode()


def attachment(b64: str, *, content_type: str = "application/pdf", cid: str = "cid:1") -> str:
    return (
        f"<Attachment><ContentId>{cid}</ContentId><AttachmentName>a.pdf</AttachmentName>"
        f"<ContentType>{content_type}</ContentType>"
        f"<ContentTransferEncoded>{b64}</ContentTransferEncoded></Attachment>"
    )


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def zipped(name: str, data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(name, data)
    return buffer.getvalue()


def rejected(data: bytes | Path | io.BytesIO, code: str, **limits: int) -> PackageError:
    with pytest.raises(PackageError) as info:
        read_package(data, limits=EdxmlLimits(**limits))
    err = info.value
    assert err.code == code, f"{err.code}: {err.message}"
    assert err.message
    return err


def test_valid_minimal_package_is_accepted() -> None:
    """The base every hostile variant below starts from reads fine."""
    pkg = read_package(package(attachments=attachment(b64(b"%PDF-1.7"))))
    assert [w.code for w in pkg.warnings] == ["manifest.unlisted_attachment"]


# --- DTDs and entities -------------------------------------------------------------------


def test_xxe_file_entity() -> None:
    data = (
        f'{DECL}<!DOCTYPE edXML [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>\n'
        f'<edXML xmlns="{NS}"><x>&xxe;</x></edXML>'
    ).encode()
    err = rejected(data, "package.dtd")
    assert err.details["line"] == 2
    assert "root:" not in err.message


def test_billion_laughs() -> None:
    entities = '<!ENTITY lol "lol">' + "".join(
        f'<!ENTITY lol{i} "{("&lol" + (str(i - 1) if i > 1 else "") + ";") * 10}">'
        for i in range(1, 10)
    )
    data = f'{DECL}<!DOCTYPE lolz [{entities}]><edXML xmlns="{NS}">&lol9;</edXML>'.encode()
    rejected(data, "package.dtd")


def test_external_dtd() -> None:
    data = f'{DECL}<!DOCTYPE edXML SYSTEM "http://127.0.0.1:9/evil.dtd"><edXML xmlns="{NS}"/>'
    rejected(data.encode(), "package.dtd")


def test_parameter_entities() -> None:
    data = (
        f'{DECL}<!DOCTYPE edXML [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/x.dtd"> %remote;]>'
        f'<edXML xmlns="{NS}"/>'
    )
    rejected(data.encode(), "package.dtd")


def test_doctype_after_a_long_prolog_is_still_refused() -> None:
    """Past the first 64 KiB the byte-level check cannot see it; the parser target does."""
    comment = "<!--" + "x" * 100_000 + "-->\n"
    data = f'{DECL}{comment}<!DOCTYPE edXML [<!ENTITY a "b">]><edXML xmlns="{NS}"/>'
    rejected(data.encode(), "package.dtd")


def test_undefined_entity() -> None:
    err = rejected(package("<Subject>&nbsp;</Subject>"), "package.entity")
    assert err.details["line"] == 3


# --- limits ------------------------------------------------------------------------------


def test_deep_nesting_default_limit() -> None:
    depth = 10_000
    data = package("<x>" * depth + "</x>" * depth)
    err = rejected(data, "package.limit.depth")
    assert isinstance(err, LimitExceeded)
    assert err.details["limit"] == EdxmlLimits().max_depth


def test_too_many_elements() -> None:
    data = package("<ToPlaces>" + "<Place>p</Place>" * 5_000 + "</ToPlaces>")
    err = rejected(data, "package.limit.elements", max_elements=1_000)
    assert "element count" in err.message


def test_too_many_elements_default_limit() -> None:
    count = EdxmlLimits().max_elements + 10
    data = package("<ToPlaces>" + "<Place/>" * count + "</ToPlaces>")
    rejected(data, "package.limit.elements")


def test_too_many_attachments() -> None:
    atts = "".join(attachment(b64(b"x"), cid=f"cid:{i}") for i in range(4))
    rejected(package(attachments=atts), "package.limit.attachments", max_attachments=3)


def test_oversize_attachment() -> None:
    data = package(attachments=attachment(b64(b"\0" * 300_000)))
    err = rejected(data, "package.limit.attachment_size", max_attachment_bytes=100_000)
    assert "cid:1" in err.message


def test_zip_bomb_declared_size() -> None:
    bomb = zipped("bomb.pdf", b"\0" * 20_000_000)
    assert len(bomb) < 100_000  # small on the wire
    data = package(attachments=attachment(b64(bomb), content_type="application/zip"))
    err = rejected(data, "package.limit.attachment_size", max_attachment_bytes=1_000_000)
    assert "unzipped" in err.message


def test_zip_bomb_lying_about_its_size() -> None:
    """Sizes in the zip claim 1000 bytes; 20 MB come out. Counting the real bytes stops it."""
    bomb = bytearray(zipped("bomb.pdf", b"\0" * 20_000_000))
    # uncompressed size: local header offset 22, central directory entry offset 24
    struct.pack_into("<I", bomb, 22, 1000)
    central = bomb.rindex(b"PK\x01\x02")
    struct.pack_into("<I", bomb, central + 24, 1000)
    data = package(attachments=attachment(b64(bytes(bomb)), content_type="application/zip"))
    # zipfile stops at the declared size and then fails the CRC: refused as a damaged zip
    err = rejected(data, "package.zip", max_attachment_bytes=1_000_000)
    assert "CRC" in err.message


def test_huge_text_node() -> None:
    data = package("<Subject>" + "Văn bản " * 200_000 + "</Subject>")
    err = rejected(data, "package.limit.text")
    assert err.details["line"] == 3


def test_huge_attribute() -> None:
    data = package(f'<Subject note="{"a" * 2_000_000}">x</Subject>')
    rejected(data, "package.limit.text")


def test_total_size_limit_bytes_path_and_stream(tmp_path: Path) -> None:
    data = package(attachments=attachment(b64(b"\0" * 3_000_000)))
    rejected(data, "package.limit.size", max_package_bytes=1_000_000)
    path = tmp_path / "big.edxml"
    path.write_bytes(data)
    rejected(path, "package.limit.size", max_package_bytes=1_000_000)
    rejected(io.BytesIO(data), "package.limit.size", max_package_bytes=1_000_000)


# --- bad content -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "QUJD$$$=",  # not in the alphabet
        "QUJD" + "=" * 4 + "QUJD",  # data after the padding
        "QUJDRA==QUJD",
        "QUJDé",  # not ASCII
        "QUJDR",  # 4n+1 characters cannot be base64
    ],
)
def test_bad_base64(text: str) -> None:
    err = rejected(package(attachments=attachment(text)), "package.base64")
    assert "cid:1" in err.message
    assert err.details["line"] == 3


def test_bad_base64_split_across_feed_chunks() -> None:
    good = b64(b"\1" * 3_000_000)
    text = good[:1_500_000] + "*" + good[1_500_000:]
    rejected(package(attachments=attachment(text)), "package.base64")


def test_damaged_zip() -> None:
    data = bytearray(zipped("a.pdf", b"%PDF" * 10_000))
    data[60:80] = b"\xff" * 20  # inside the compressed stream
    pkg = package(attachments=attachment(b64(bytes(data)), content_type="application/zip"))
    rejected(pkg, "package.zip")


def test_element_inside_content() -> None:
    data = package(attachments=attachment("QUJD<b>x</b>"))
    rejected(data, "package.structure")


def test_wrong_namespace() -> None:
    data = f'{DECL}<edXML xmlns="http://example.com/other"><edXMLEnvelope/></edXML>'.encode()
    err = rejected(data, "package.namespace")
    assert "http://example.com/other" in err.message


def test_no_namespace() -> None:
    rejected(f"{DECL}<edXML><edXMLEnvelope/></edXML>".encode(), "package.namespace")


def test_other_root() -> None:
    err = rejected(f'{DECL}<html xmlns="{NS}"/>'.encode(), "package.not_edxml")
    assert "html" in err.message


@pytest.mark.parametrize(
    "data",
    [b"hello world", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<</Type/Catalog>>", b"\x89PNG\r\n"],
)
def test_not_xml_at_all(data: bytes) -> None:
    rejected(data, "package.not_xml")


def test_too_much_junk_before_the_declaration() -> None:
    rejected(b"x" * 5000 + package(), "package.not_xml")


@pytest.mark.parametrize("data", [b"", b"   \n\t", b"\xef\xbb\xbf"])
def test_empty(data: bytes) -> None:
    rejected(data, "package.empty")


def test_prolog_only() -> None:
    rejected(DECL.encode() + b"<!-- nothing -->\n", "package.empty")


@pytest.mark.parametrize("cut", [0.2, 0.5, 0.9, 0.999])
def test_truncated(cut: float) -> None:
    data = package(attachments=attachment(b64(b"%PDF" * 50_000)))
    err = rejected(data[: int(len(data) * cut)], "package.truncated")
    assert "truncated" in err.message
    assert "line" in err.details


def test_malformed_xml_names_the_line() -> None:
    data = package("\n\n<Subject>a</Subjekt>")
    err = rejected(data, "package.xml_syntax")
    assert err.details["line"] == 5
    assert "(line 5)" in err.message


def test_content_after_the_root() -> None:
    rejected(package() + b"<edXML/>", "package.xml_syntax")


def test_unknown_status_code() -> None:
    extra = "<ResponseFor><OrganId>000.00.00.H41</OrganId></ResponseFor><StatusCode>07</StatusCode>"
    err = rejected(package(extra), "package.status_code")
    assert "'07'" in err.message
    assert err.details["status_code"] == "07"


def test_unknown_business_doc_type() -> None:
    extra = ""
    data = package(extra).replace(
        b"</edXMLHeader>",
        b"<TraceHeaderList><Bussiness><BussinessDocType>9</BussinessDocType>"
        b"</Bussiness></TraceHeaderList></edXMLHeader>",
    )
    rejected(data, "package.value")


def test_missing_required_parts() -> None:
    err = rejected(f'{DECL}<edXML xmlns="{NS}"/>'.encode(), "package.missing")
    assert err.details["element"] == "edXMLEnvelope"
    no_from = package().replace(b"<From><OrganId>000.00.00.G22</OrganId></From>", b"")
    assert rejected(no_from, "package.missing").details["element"] == "From"


def test_status_without_response_for() -> None:
    err = rejected(package("<StatusCode>01</StatusCode>"), "package.missing")
    assert err.details["element"] == "ResponseFor"


def test_unreadable_file(tmp_path: Path) -> None:
    rejected(tmp_path / "missing.edxml", "package.io")


def test_only_lienthong_errors_escape() -> None:
    """A stream that fails while being read is reported, not raised as OSError."""

    class Broken(io.RawIOBase):
        def readable(self) -> bool:
            return True

        def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
            raise OSError("disk on fire")

    with pytest.raises(LienthongError) as info:
        read_package(io.BufferedReader(Broken()))
    assert info.value.code == "package.io"


def test_reader_private_attributes_in_input_are_ignored() -> None:
    """The reader marks its tree with attributes of its own namespace; input cannot forge them."""
    forged = 'xmlns:r="urn:lienthong:reader" r:line="not a number" r:payload="99"'
    data = package(f"<Subject {forged}>x</Subject>", attachments=attachment(b64(b"%PDF")))
    data = data.replace(b"<ContentTransferEncoded>", f"<ContentTransferEncoded {forged}>".encode())
    data = data.replace(b"<MessageHeader>", f"<MessageHeader {forged}>".encode())
    due = f"<DueDate {forged}>2024/02/30</DueDate>".encode()
    pkg = read_package(data.replace(b"<Subject ", due + b"<Subject "))
    assert isinstance(pkg, DocumentPackage)
    codes = [w.code for w in pkg.warnings]
    assert "namespace.reserved" in codes
    (date_warning,) = [w for w in pkg.warnings if w.code == "value.date"]
    assert date_warning.line == 3  # the real line, not the forged one
    assert pkg.attachments[0].read_bytes() == b"%PDF"
