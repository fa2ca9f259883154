"""Typed model of edXML packages (QCVN 102:2016/BTTTT).

Plain data, no framework imports. Field names follow the standard's element names in
snake_case; the section numbers of the standard are given in comments. Dates are
``datetime.date``; timestamps are naive ``datetime`` in Vietnam time (the wire format
carries no zone). Text is NFC.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import BinaryIO

NS = "http://www.mic.gov.vn/TBT/QCVN_102_2016"
DSIG_NS = "http://www.w3.org/2000/09/xmldsig#"


class StatusCode(enum.Enum):
    """Business status codes of status packages, with their meaning and who sends them."""

    ARRIVED = "01"
    REJECTED = "02"
    ACCEPTED = "03"
    ASSIGNED = "04"
    IN_PROGRESS = "05"
    FINISHED = "06"
    TAKE_BACK_REQUEST = "13"
    REQUEST_AGREED = "15"
    REQUEST_REFUSED = "16"

    @property
    def meaning(self) -> str:
        return _STATUS_MEANINGS[self][0]

    @property
    def meaning_vi(self) -> str:
        return _STATUS_MEANINGS[self][1]

    @property
    def sent_by_receiver(self) -> bool:
        return self is not StatusCode.TAKE_BACK_REQUEST


_STATUS_MEANINGS: dict[StatusCode, tuple[str, str]] = {
    StatusCode.ARRIVED: ("arrived; no clerk has acted yet", "Đã đến"),
    StatusCode.REJECTED: ("rejected by the receiving clerk", "Từ chối tiếp nhận"),
    StatusCode.ACCEPTED: ("accepted and registered", "Đã tiếp nhận, vào sổ"),
    StatusCode.ASSIGNED: ("assigned for handling by a leader", "Đã phân công xử lý"),
    StatusCode.IN_PROGRESS: ("being handled", "Đang xử lý"),
    StatusCode.FINISHED: ("handling finished", "Hoàn thành"),
    StatusCode.TAKE_BACK_REQUEST: ("sender asks to take the document back", "Đề nghị lấy lại"),
    StatusCode.REQUEST_AGREED: ("receiver agrees to the update / take-back", "Đồng ý"),
    StatusCode.REQUEST_REFUSED: ("receiver refuses the update / take-back", "Từ chối"),
}


class BusinessDocType(enum.IntEnum):
    """``TraceHeaderList/Bussiness/BussinessDocType``."""

    NEW = 0
    REVOKE = 1
    UPDATE = 2
    REPLACE = 3


class Priority(enum.IntEnum):
    """``OtherInfo/Priority``."""

    NORMAL = 0
    URGENT = 1  # Khẩn
    VERY_URGENT = 2  # Thượng khẩn
    FLASH = 3  # Hỏa tốc
    FLASH_TIMED = 4  # Hỏa tốc hẹn giờ (legacy)


class SteeringType(enum.IntEnum):
    NONE = 0
    STEERING = 1
    STEERING_REPORT = 2


@dataclass(slots=True)
class Organization:
    """§1.1 From / §1.2 To."""

    organ_id: str
    organ_name: str = ""
    organization_in_charge: str = ""
    organ_add: str = ""
    email: str = ""
    telephone: str = ""
    fax: str = ""
    website: str = ""


@dataclass(slots=True)
class Code:
    """§1.3: ``7816/VPCP-TTĐT`` is number ``7816``, notation ``VPCP-TTĐT``."""

    code_number: str
    code_notation: str = ""

    def __str__(self) -> str:
        return (
            f"{self.code_number}/{self.code_notation}" if self.code_notation else self.code_number
        )


@dataclass(slots=True)
class PromulgationInfo:
    """§1.4."""

    place: str = ""
    promulgation_date: date | None = None


@dataclass(slots=True)
class DocumentType:
    """§1.5."""

    type: int = 1
    type_detail: int = 0
    type_name: str = ""


@dataclass(slots=True)
class SignerInfo:
    """§1.8."""

    competence: str = ""
    position: str = ""
    full_name: str = ""


@dataclass(slots=True)
class OtherInfo:
    """§1.11."""

    priority: int = 0
    sphere_of_promulgation: str = ""
    typer_notation: str = ""
    promulgation_amount: int | None = None
    page_amount: int | None = None
    appendixes: list[str] = field(default_factory=list)
    #: Elements some systems add (e.g. ``Direction``): name → text, kept on read-through.
    extra: dict[str, str] = field(default_factory=dict)


@dataclass(slots=True)
class ResponseFor:
    """§1.12 and the status package's ResponseFor.

    In document packages ``Code`` is the structured number/notation; in status packages
    samples carry it as one text ``7816/VPCP-TTĐT``. Both read into ``code`` as text.
    """

    organ_id: str
    code: str = ""
    promulgation_date: date | None = None
    document_id: str = ""


@dataclass(slots=True)
class StaffInfo:
    department: str = ""
    staff: str = ""
    mobile: str = ""
    email: str = ""


@dataclass(slots=True)
class TraceHeader:
    organ_id: str
    timestamp: datetime


@dataclass(slots=True)
class Receiver:
    organ_id: str
    receiver_type: int = 0


@dataclass(slots=True)
class BusinessDocumentInfo:
    document_info: bool = False
    document_receiver: bool = False
    receivers: list[Receiver] = field(default_factory=list)


@dataclass(slots=True)
class ReplacementInfo:
    document_id: str
    organ_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Business:
    """``TraceHeaderList/Bussiness`` (spelled so in the standard)."""

    business_doc_type: BusinessDocType = BusinessDocType.NEW
    business_doc_reason: str = ""
    business_document_info: BusinessDocumentInfo | None = None
    document_id: str = ""
    staff_info: StaffInfo | None = None
    paper: bool = False
    replacement_infos: list[ReplacementInfo] = field(default_factory=list)


#: What a lazily read attachment's loader returns: size, SHA-256 and an opener of the
#: decoded (and unzipped) payload.
LoadedContent = tuple[int, str, Callable[[], BinaryIO]]


@dataclass(slots=True)
class Attachment:
    """One attachment: manifest entry plus its content.

    ``content_type`` is the wire type (``application/zip`` when the sender zipped it).
    The decoded payload is reached through ``open()``; small payloads are held in
    memory, large ones are spooled to a temporary file by the reader. ``size`` is the
    size of the payload after base64 decoding and unzipping.

    A *lazy* read (``read_package(..., attachments="lazy")``) does not decode the payload:
    ``size`` is ``None`` and ``sha256`` empty until the first :meth:`load` (which
    ``open()``, ``read_bytes()`` and ``iter_chunks()`` call), which decodes, unzips and
    hashes it and may raise the reader's ``PackageError`` / ``LimitExceeded``.
    """

    content_id: str
    attachment_name: str
    content_type: str = "application/octet-stream"
    description: str = ""
    #: ``None`` only for a lazily read attachment not loaded yet.
    size: int | None = 0
    sha256: str = ""
    #: True when the wire content was a zip that the reader unwrapped (or the writer will wrap).
    zipped: bool = False
    opener: Callable[[], BinaryIO] | None = field(default=None, repr=False, compare=False)
    #: Set by a lazy read until the payload is decoded; see :meth:`load`.
    loader: Callable[[], LoadedContent] | None = field(default=None, repr=False, compare=False)

    @property
    def loaded(self) -> bool:
        """False while a lazily read attachment's payload is not decoded yet."""
        return self.loader is None

    def load(self) -> Attachment:
        """Decode a lazily read payload now (filling ``size`` and ``sha256``); else no-op."""
        loader = self.loader
        if loader is not None:
            self.size, self.sha256, self.opener = loader()
            self.loader = None
        return self

    def open(self) -> BinaryIO:
        if self.loader is not None:
            self.load()
        if self.opener is None:
            raise ValueError(f"attachment {self.content_id} has no content")
        return self.opener()

    def read_bytes(self) -> bytes:
        with self.open() as fh:
            return fh.read()

    def iter_chunks(self, chunk_size: int = 1 << 20) -> Iterator[bytes]:
        with self.open() as fh:
            while chunk := fh.read(chunk_size):
                yield chunk


@dataclass(slots=True)
class MessageHeader:
    """The MessageHeader of a document package (§1.1–§1.14)."""

    from_: Organization
    to: list[Organization] = field(default_factory=list)
    code: Code = field(default_factory=lambda: Code(""))
    promulgation_info: PromulgationInfo = field(default_factory=PromulgationInfo)
    document_type: DocumentType = field(default_factory=DocumentType)
    subject: str = ""
    content: str = ""
    signer_info: SignerInfo = field(default_factory=SignerInfo)
    due_date: date | None = None
    to_places: list[str] = field(default_factory=list)
    other_info: OtherInfo = field(default_factory=OtherInfo)
    response_for: list[ResponseFor] = field(default_factory=list)
    steering_type: int = 0
    document_id: str = ""


@dataclass(slots=True)
class ReadWarning:
    """A repair or oddity the reader noticed (input was accepted)."""

    code: str
    message: str
    line: int | None = None


@dataclass(slots=True)
class SignatureInfo:
    """What the reader saw of the package's XML-DSig (verification is elsewhere)."""

    present: bool = False
    signature_method: str = ""
    digest_method: str = ""
    certificates_b64: list[str] = field(default_factory=list)
    #: The signature element was found outside the XML-DSig namespace (a known defect).
    namespace_missing: bool = False


@dataclass(slots=True)
class DocumentPackage:
    header: MessageHeader
    trace_headers: list[TraceHeader] = field(default_factory=list)
    business: Business | None = None
    attachments: list[Attachment] = field(default_factory=list)
    signature: SignatureInfo = field(default_factory=SignatureInfo, compare=False)
    warnings: list[ReadWarning] = field(default_factory=list, compare=False)

    kind = "edoc"


@dataclass(slots=True)
class StatusPackage:
    from_: Organization
    response_for: ResponseFor
    status_code: StatusCode
    description: str = ""
    timestamp: datetime | None = None
    staff_info: StaffInfo | None = None
    signature: SignatureInfo = field(default_factory=SignatureInfo, compare=False)
    warnings: list[ReadWarning] = field(default_factory=list, compare=False)

    kind = "status"


Package = DocumentPackage | StatusPackage
