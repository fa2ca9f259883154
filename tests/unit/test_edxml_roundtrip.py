"""Property tests: whatever the writer writes, the reader reads back equal; and no input
makes the reader fail with anything but a LienthongError (never ``package.internal``).
"""

from __future__ import annotations

import base64
import io
import os
import zipfile
from datetime import date, datetime
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from lienthong.edxml.attachments import attachment_from_bytes
from lienthong.edxml.model import (
    Attachment,
    Business,
    BusinessDocType,
    BusinessDocumentInfo,
    Code,
    DocumentPackage,
    DocumentType,
    MessageHeader,
    Organization,
    OtherInfo,
    PromulgationInfo,
    Receiver,
    ReplacementInfo,
    ResponseFor,
    SignerInfo,
    StaffInfo,
    StatusCode,
    StatusPackage,
    TraceHeader,
)
from lienthong.edxml.reader import read_package
from lienthong.edxml.writer import package_to_bytes
from lienthong.errors import LienthongError
from lienthong.text import nfc

SETTINGS = settings(
    max_examples=100,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)

_LOWER = "aăâbcdđeêghiklmnoôơpqrstuưvxyàáảãạằắẳẵặầấẩẫậèéẻẽẹềếểễệìíỉĩịòóỏõọồốổỗộờớởỡợùúủũụừứửữựỳýỷỹỵ"
ALPHABET = _LOWER + _LOWER.upper() + "0123456789 ,.-/()&<>\"';:\n\t\r"


def text(max_size: int = 40) -> st.SearchStrategy[str]:
    """Vietnamese text as the reader returns it: NFC, no surrounding whitespace."""
    return st.text(alphabet=ALPHABET, max_size=max_size).map(lambda s: nfc(s).strip())


def some_text(max_size: int = 40) -> st.SearchStrategy[str]:
    return text(max_size).filter(bool)


organ_ids = st.one_of(
    st.from_regex(r"[0-9]{3}\.[0-9]{2}\.[0-9]{2}\.[A-Z][0-9]{2}", fullmatch=True),
    st.sampled_from(["H37.DN.001", "vxp.saas.03", "01.02.G22", "28.22.H17"]),
)
dates = st.dates(min_value=date(1990, 1, 1), max_value=date(2100, 12, 31))
stamps = st.datetimes(
    min_value=datetime(1990, 1, 1),  # noqa: DTZ001
    max_value=datetime(2100, 1, 1),  # noqa: DTZ001
).map(lambda d: d.replace(microsecond=0))

organizations = st.builds(
    Organization,
    organ_id=organ_ids,
    organ_name=text(),
    organization_in_charge=text(),
    organ_add=text(),
    email=text(20),
    telephone=text(15),
    fax=text(15),
    website=text(20),
)
staff_infos = st.one_of(
    st.none(),
    st.builds(StaffInfo, department=text(), staff=some_text(), mobile=text(12), email=text(20)),
)
responses = st.builds(
    ResponseFor,
    organ_id=organ_ids,
    code=text(20),
    promulgation_date=st.none() | dates,
    document_id=text(),
)
other_infos = st.builds(
    OtherInfo,
    priority=st.integers(0, 4),
    sphere_of_promulgation=text(),
    typer_notation=text(10),
    promulgation_amount=st.none() | st.integers(1, 500),
    page_amount=st.none() | st.integers(1, 500),
    appendixes=st.lists(some_text(), max_size=3),
    extra=st.dictionaries(st.sampled_from(["Direction", "GhiChu"]), some_text(), max_size=2),
)
headers = st.builds(
    MessageHeader,
    from_=organizations,
    to=st.lists(organizations, max_size=4),
    code=st.builds(
        Code, code_number=st.from_regex(r"[0-9]{0,5}", fullmatch=True), code_notation=text(20)
    ),
    promulgation_info=st.builds(
        PromulgationInfo, place=text(), promulgation_date=st.none() | dates
    ),
    document_type=st.builds(
        DocumentType, type=st.integers(0, 99), type_detail=st.integers(0, 9), type_name=text()
    ),
    subject=text(200),
    content=text(200),
    signer_info=st.builds(SignerInfo, competence=text(), position=text(), full_name=text()),
    due_date=st.none() | dates,
    to_places=st.lists(some_text(), max_size=3),
    other_info=other_infos,
    response_for=st.lists(responses, max_size=2),
    steering_type=st.integers(0, 2),
    document_id=text(),
)
businesses = st.one_of(
    st.none(),
    st.builds(
        Business,
        business_doc_type=st.sampled_from(BusinessDocType),
        business_doc_reason=text(),
        business_document_info=st.none()
        | st.builds(
            BusinessDocumentInfo,
            document_info=st.booleans(),
            document_receiver=st.booleans(),
            receivers=st.lists(
                st.builds(Receiver, organ_id=organ_ids, receiver_type=st.integers(0, 3)),
                max_size=3,
            ),
        ),
        document_id=text(),
        staff_info=staff_infos,
        paper=st.booleans(),
        replacement_infos=st.lists(
            st.builds(
                ReplacementInfo,
                document_id=text(),
                organ_ids=st.lists(organ_ids, max_size=3),
            ),
            max_size=2,
        ),
    ),
)
payloads = st.binary(max_size=3000).filter(lambda b: not b.startswith(b"PK"))
content_types = st.sampled_from(
    ["application/pdf", "application/msword", "text/plain", "application/octet-stream"]
)


@st.composite
def attachment_lists(draw: st.DrawFn) -> list[Attachment]:
    result = []
    for index in range(draw(st.integers(0, 3))):
        zipped = draw(st.booleans())
        result.append(
            attachment_from_bytes(
                draw(some_text(30)),
                draw(payloads),
                content_type=None if zipped else draw(content_types),
                zipped=zipped,
                content_id=f"cid:{index + 1}",
                description=draw(text()),
            )
        )
    return result


documents = st.builds(
    DocumentPackage,
    header=headers,
    trace_headers=st.lists(
        st.builds(TraceHeader, organ_id=organ_ids, timestamp=stamps), max_size=3
    ),
    business=businesses,
    attachments=attachment_lists(),
)
statuses = st.builds(
    StatusPackage,
    from_=organizations,
    response_for=responses,
    status_code=st.sampled_from(StatusCode),
    description=text(200),
    timestamp=st.none() | stamps,
    staff_info=staff_infos,
)


@SETTINGS
@given(documents)
def test_document_round_trip(pkg: DocumentPackage) -> None:
    again = read_package(package_to_bytes(pkg))
    assert again == pkg
    assert again.warnings == []
    assert isinstance(again, DocumentPackage)
    for written, read in zip(pkg.attachments, again.attachments, strict=True):
        assert read.read_bytes() == written.read_bytes()


@SETTINGS
@given(statuses)
def test_status_round_trip(pkg: StatusPackage) -> None:
    again = read_package(package_to_bytes(pkg))
    assert again == pkg
    assert again.warnings == []


def test_written_bytes_are_stable() -> None:
    """Writing the same model twice gives the same bytes (zip member times are fixed)."""
    pkg = DocumentPackage(
        header=MessageHeader(from_=Organization("000.00.00.G22")),
        attachments=[
            attachment_from_bytes("a.pdf", b"%PDF" * 100, zipped=True, content_id="cid:1")
        ],
    )
    assert package_to_bytes(pkg) == package_to_bytes(pkg)


# --- mutations of real packages never crash the reader -----------------------------------


def _samples() -> list[bytes]:
    shared = os.environ.get("LIENTHONG_SHARED_DIR")
    base = (Path(shared) if shared else Path(__file__).parents[3] / "shared") / "samples" / "edxml"
    found = [p.read_bytes() for p in sorted(base.glob("*.edxml"))]
    # The package inside edoc_new's zip: another system, with undeclared prefixes.
    edoc = base / "edoc_new.edxml"
    pkg = read_package(edoc)
    assert isinstance(pkg, DocumentPackage)
    found.append(pkg.attachments[0].read_bytes())
    return found


SAMPLES = _samples()
TOKENS = [
    b"<",
    b">",
    b"&",
    b"&amp;",
    b"<!DOCTYPE x>",
    b"]]>",
    b"\x00",
    b"\xff",
    b"edXML:",
    b"=",
    b'"',
    b"</",
    b"<a>",
    b"PK\x03\x04",
]


@st.composite
def mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(SAMPLES)))
    for _ in range(draw(st.integers(1, 4))):
        # mostly in the envelope (first 8 KB), sometimes anywhere (the base64, the zip)
        limit = len(data) if draw(st.integers(0, 3)) == 0 else min(len(data), 8192)
        if not data:
            break
        at = draw(st.integers(0, max(0, limit - 1)))
        kind = draw(st.sampled_from(["flip", "truncate", "insert", "token", "delete"]))
        if kind == "flip":
            data[at] ^= draw(st.integers(1, 255))
        elif kind == "truncate":
            del data[at:]
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "token":
            data[at:at] = draw(st.sampled_from(TOKENS))
        else:
            del data[at : at + draw(st.integers(1, 64))]
    return bytes(data)


def outcome(data: bytes) -> tuple[str, str, DocumentPackage | StatusPackage | None]:
    """``("accepted", "", package)`` or ``(code, message, None)``."""
    try:
        return "accepted", "", read_package(data)
    except LienthongError as exc:
        return exc.code, exc.message, None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutations_never_crash(data: bytes) -> None:
    code, message, pkg = outcome(data)
    event(code)
    assert code != "package.internal", message  # the safety net must never be hit
    if pkg is None:
        assert message
    elif isinstance(pkg, DocumentPackage):
        for att in pkg.attachments:
            assert len(att.read_bytes()) == att.size


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_arbitrary_bytes_never_crash(data: bytes) -> None:
    code, message, _ = outcome(data)
    assert code != "package.internal", message


def test_zipped_attachment_travels_as_one_member_zip() -> None:
    att = attachment_from_bytes("Quyết định.pdf", b"%PDF-1.7", zipped=True, content_id="cid:1")
    pkg = DocumentPackage(
        header=MessageHeader(from_=Organization("000.00.00.G22")), attachments=[att]
    )
    raw = package_to_bytes(pkg)
    start = raw.index(b"<ContentTransferEncoded>") + len(b"<ContentTransferEncoded>")
    wire = raw[start : raw.index(b"</ContentTransferEncoded>")]
    with zipfile.ZipFile(io.BytesIO(base64.b64decode(wire))) as archive:
        (member,) = archive.infolist()
        assert member.filename == "Quyết định.pdf"
        assert archive.read(member) == b"%PDF-1.7"
    assert b"<ContentType>application/zip</ContentType>" in raw
