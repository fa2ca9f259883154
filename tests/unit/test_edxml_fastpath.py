"""The fast path (one lxml call, texts cut out of the bytes) reads what the streaming path
reads: the same model, the same warnings with the same lines, the same payloads, and the
same errors. ``fast_parse_max_bytes=0`` forces the streaming path; ``parse_fast`` is
called directly to show the fast path really handled a package (and how).
"""

from __future__ import annotations

import base64
import io
import os
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_edxml_roundtrip import documents, mutated, statuses

from lienthong.edxml.fastparse import parse_fast
from lienthong.edxml.lazytext import ElementText, SourceText
from lienthong.edxml.model import DocumentPackage, StatusPackage
from lienthong.edxml.payload import Decoded
from lienthong.edxml.reader import AttachmentMode, read_package
from lienthong.edxml.spool import SpoolFactory
from lienthong.edxml.tree import ParsedXml
from lienthong.edxml.writer import package_to_bytes
from lienthong.errors import LienthongError
from lienthong.settings import EdxmlLimits

Package = DocumentPackage | StatusPackage
NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DSIG = "http://www.w3.org/2000/09/xmldsig#"
STREAM = EdxmlLimits(fast_parse_max_bytes=0)


def samples_dir() -> Path:
    shared = os.environ.get("LIENTHONG_SHARED_DIR")
    base = Path(shared) if shared else Path(__file__).parents[3] / "shared"
    return base / "samples" / "edxml"


def sample_bytes() -> list[tuple[str, bytes]]:
    found = [(p.name, p.read_bytes()) for p in sorted(samples_dir().glob("*.edxml"))]
    edoc = read_package(samples_dir() / "edoc_new.edxml")
    assert isinstance(edoc, DocumentPackage)
    found.append(("inner package of edoc_new", edoc.attachments[0].read_bytes()))
    return found


SAMPLES = sample_bytes()


def fast_parsed(data: bytes, *, lazy: bool = True) -> ParsedXml | None:
    return parse_fast(data, EdxmlLimits(), SpoolFactory(), lazy=lazy)


def assert_same(fast: Package, stream: Package) -> None:
    assert fast == stream
    assert [(w.code, w.message, w.line) for w in fast.warnings] == [
        (w.code, w.message, w.line) for w in stream.warnings
    ]
    assert fast.signature == stream.signature
    if isinstance(fast, DocumentPackage):
        assert isinstance(stream, DocumentPackage)
        for a, b in zip(fast.attachments, stream.attachments, strict=True):
            assert a.read_bytes() == b.read_bytes()
            assert (a.size, a.sha256) == (b.size, b.sha256)


def read_both(data: bytes, attachments: str = "eager") -> tuple[Package, Package]:
    mode: AttachmentMode = "lazy" if attachments == "lazy" else "eager"
    return read_package(data, attachments=mode), read_package(data, limits=STREAM, attachments=mode)


def outcome(data: bytes, limits: EdxmlLimits | None = None) -> tuple[str, Package | None]:
    try:
        return "accepted", read_package(data, limits=limits)
    except LienthongError as exc:
        return f"{exc.code}: {exc.message}", None


@pytest.mark.parametrize(("name", "data"), SAMPLES, ids=[name for name, _ in SAMPLES])
@pytest.mark.parametrize("attachments", ["eager", "lazy"])
def test_samples_read_equal_on_both_paths(name: str, data: bytes, attachments: str) -> None:
    assert fast_parsed(data) is not None, "the fast path must handle the real samples"
    assert_same(*read_both(data, attachments))


def test_edoc_sample_is_cut_and_keeps_its_repairs() -> None:
    """edoc_new.edxml: junk before the declaration, Signature without namespace; its text
    is taken from the bytes, not from the tree."""
    data = dict(SAMPLES)["edoc_new.edxml"]
    parsed = fast_parsed(data)
    assert parsed is not None
    (payload,) = parsed.payloads
    assert isinstance(payload, SourceText)
    fast, _ = read_both(data)
    assert [(w.code, w.line) for w in fast.warnings] == [
        ("repair.leading_junk", 1),
        ("signature.namespace_missing", 84),
    ]


def test_inner_package_prefix_repairs_on_the_fast_path() -> None:
    """Undeclared ``edXML:``/``xlink:`` prefixes: parsed again with declarations added."""
    data = dict(SAMPLES)["inner package of edoc_new"]
    assert fast_parsed(data) is not None
    fast, stream = read_both(data)
    assert_same(fast, stream)
    assert [(w.code, w.line) for w in fast.warnings] == [
        ("repair.undeclared_attribute_prefix", 117),
        ("repair.undeclared_prefix", 126),
    ]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(documents, statuses), st.sampled_from(["eager", "lazy"]))
def test_written_packages_read_equal_on_both_paths(pkg: Package, attachments: str) -> None:
    data = package_to_bytes(pkg)
    parsed = fast_parsed(data)
    assert parsed is not None
    assert all(isinstance(p, SourceText) for p in parsed.payloads)
    fast, stream = read_both(data, attachments)
    assert_same(fast, stream)
    assert fast == pkg


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_give_the_same_outcome_on_both_paths(data: bytes) -> None:
    fast_code, fast = outcome(data)
    stream_code, stream = outcome(data, STREAM)
    assert fast_code == stream_code
    if fast is not None:
        assert stream is not None
        assert fast == stream
        assert [w.code for w in fast.warnings] == [w.code for w in stream.warnings]


# --- layouts the byte-level cut must recognise (or leave to the tree) ---------------------


def package(attachments: str, *, before: str = "", root_attrs: str = "") -> bytes:
    return (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<edXML xmlns="{NS}"{root_attrs}>{before}\n'
        "<edXMLEnvelope><edXMLHeader><MessageHeader>"
        "<From><OrganId>000.00.00.G22</OrganId></From><Subject>Thử</Subject>"
        "</MessageHeader></edXMLHeader></edXMLEnvelope>\n"
        f"<AttachmentEncoded>{attachments}</AttachmentEncoded>\n</edXML>\n"
    ).encode()


def attachment(cid: str, text: str, *, cte_open: str = "<ContentTransferEncoded>") -> str:
    close = "</" + cte_open[1:].split(maxsplit=1)[0].rstrip(">") + ">"
    return (
        f"<Attachment><ContentId>{cid}</ContentId><AttachmentName>{cid}.txt</AttachmentName>"
        f"<ContentType>text/plain</ContentType>{cte_open}{text}{close}</Attachment>\n"
    )


PAYLOAD = bytes(range(256)) * 5
B64 = base64.b64encode(PAYLOAD).decode()


def zipped(data: bytes) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("a.pdf", data)
    return buffer.getvalue()


@pytest.mark.parametrize(
    ("data", "kind"),
    [
        (package(attachment("cid:1", B64)), SourceText),
        (package(attachment("cid:1", base64.encodebytes(PAYLOAD).decode())), SourceText),
        (package(attachment("cid:1", "\n" + B64[:400] + " \t" + B64[400:])), SourceText),
        # references and carriage returns: the parser changes the text; left in the tree
        (package(attachment("cid:1", B64[:100] + "&#10;" + B64[100:])), ElementText),
        (package(attachment("cid:1", B64[:100] + "&#13;\n" + B64[100:])), ElementText),
        (package(attachment("cid:1", B64[:100] + "\r\n" + B64[100:])), ElementText),
        (package(attachment("cid:1", "<![CDATA[" + B64 + "]]>")), ElementText),
        # a comment or PI anywhere after the root's start
        (package(attachment("cid:1", B64), before="<!-- ghi chú -->"), ElementText),
        (package(attachment("cid:1", B64) + "<?pi x?>"), ElementText),
        (
            package(attachment("cid:1", B64), before="<?pi <ContentTransferEncoded>AAAA?>"),
            ElementText,
        ),
        # prefixed, with attributes (a quoted ">"), empty
        (
            package(
                attachment("cid:1", B64, cte_open="<e:ContentTransferEncoded n=\"a>b\" m='>'>"),
                root_attrs=f' xmlns:e="{NS}"',
            ),
            SourceText,
        ),
        (package(attachment("cid:1", "", cte_open="<ContentTransferEncoded >")), SourceText),
    ],
)
def test_text_layouts(data: bytes, kind: type) -> None:
    parsed = fast_parsed(data)
    assert parsed is not None
    (payload,) = parsed.payloads
    assert isinstance(payload, kind)
    for mode in ("eager", "lazy"):
        fast, stream = read_both(data, mode)
        assert_same(fast, stream)


def test_self_closing_content_and_foreign_elements_of_the_same_name() -> None:
    text = base64.b64encode(zipped(b"%PDF-1.7")).decode()
    atts = (
        "<Attachment><ContentId>cid:0</ContentId><ContentTransferEncoded/></Attachment>\n"
        + attachment("cid:1", B64)
        + '<x:ContentTransferEncoded xmlns:x="urn:other">QUJD</x:ContentTransferEncoded>'
        + attachment("cid:2", text).replace("text/plain", "application/zip")
    )
    data = package(atts)
    parsed = fast_parsed(data)
    assert parsed is not None
    assert [type(p) for p in parsed.payloads] == [SourceText] * 3
    for mode in ("eager", "lazy"):
        fast, stream = read_both(data, mode)
        assert_same(fast, stream)
        assert isinstance(fast, DocumentPackage)
        assert [a.read_bytes() for a in fast.attachments] == [b"", PAYLOAD, b"%PDF-1.7"]


def test_eager_fast_path_decodes_while_parsing() -> None:
    parsed = fast_parsed(package(attachment("cid:1", B64)), lazy=False)
    assert parsed is not None
    (payload,) = parsed.payloads
    assert isinstance(payload, Decoded)
    assert payload.decoder.size == len(PAYLOAD)


def test_namespace_repairs_and_reserved_attributes_on_both_paths() -> None:
    forged = 'xmlns:r="urn:lienthong:reader" r:line="7"'
    data = package(attachment("cid:1", B64)).replace(
        b"<Subject>", f'<Subject xmlns="" {forged}>'.encode()
    )
    assert fast_parsed(data) is not None
    fast, stream = read_both(data)
    assert_same(fast, stream)
    assert [(w.code, w.line) for w in fast.warnings][:2] == [
        ("namespace.none", 3),
        ("namespace.reserved", 3),
    ]


def test_newlines_in_cut_texts_keep_later_lines_true() -> None:
    wrapped = base64.encodebytes(PAYLOAD).decode()  # 28 lines
    data = package(
        attachment("cid:1", wrapped) + "<Attachment><ContentId>cid:2</ContentId></Attachment>"
    )
    fast, stream = read_both(data)
    assert_same(fast, stream)
    (warning,) = [w for w in fast.warnings if w.code == "attachment.no_content"]
    assert warning.line == 5 + wrapped.count("\n")


def test_lines_past_libxml2s_range_go_to_the_streaming_path() -> None:
    lines = "\n".join(["QUJD"] * 70_000)
    data = package(
        attachment("cid:1", lines) + "\n<Attachment><ContentId>cid:2</ContentId></Attachment>"
    )
    fast, stream = read_both(data)
    assert_same(fast, stream)
    (warning,) = [w for w in fast.warnings if w.code == "attachment.no_content"]
    # line 4 opens the text, 69 999 newlines in it, one after it, one before <Attachment>
    assert warning.line == 4 + 69_999 + 2


@pytest.mark.parametrize(
    ("limits", "code"),
    [
        ({"max_depth": 5}, "package.limit.depth"),
        ({"max_elements": 10}, "package.limit.elements"),
        ({"max_attachments": 1}, "package.limit.attachments"),
        ({"max_text_bytes": 100}, "package.limit.text"),
        ({"max_attachment_bytes": 100}, "package.limit.attachment_size"),
    ],
)
def test_limits_give_the_same_errors(limits: dict[str, int], code: str) -> None:
    data = package(attachment("cid:1", B64) + attachment("cid:2", B64))
    data = data.replace(b"<Subject>", b"<Subject>" + "dài ".encode() * 200)
    fast = EdxmlLimits(**limits)
    stream = EdxmlLimits(**limits, fast_parse_max_bytes=0)
    fast_code, _ = outcome(data, fast)
    stream_code, _ = outcome(data, stream)
    assert fast_code == stream_code
    assert fast_code.startswith(code)


def test_sources_agree_around_the_threshold(tmp_path: Path) -> None:
    data = package(attachment("cid:1", B64))
    path = tmp_path / "p.edxml"
    path.write_bytes(data)
    reference = read_package(data, limits=STREAM)
    for limit in (len(data) - 1, len(data), len(data) + 1):
        limits = EdxmlLimits(fast_parse_max_bytes=limit)
        for source in (data, path, io.BytesIO(data)):
            assert_same(read_package(source, limits=limits), reference)
