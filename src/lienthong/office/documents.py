"""Plain data of the office's documents: outgoing, incoming, their files, trail and outbox.

No framework imports. Repositories build these from rows; services return them; the API
and the CLI show them. Times are aware UTC datetimes; dates are Vietnam calendar days.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Generic, TypeVar

from lienthong.office.model import Confidentiality, DocumentForm, Urgency
from lienthong.office.workflow import IncomingState, OutgoingState


class RecipientKind(enum.StrEnum):
    AGENCY = "agency"  # an agency of the directory
    EXTERNAL = "external"  # anyone else: a business, a citizen, an agency outside the network


class Channel(enum.StrEnum):
    """How a recipient gets the document, or how an incoming one arrived."""

    HUB = "hub"
    EMAIL = "email"
    PAPER = "paper"


class DispatchState(enum.StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"


class Warning_(enum.StrEnum):  # noqa: N801 - trailing underscore: `Warning` is a builtin
    """Codes of the warnings use cases return (never errors)."""

    FORM_DEPARTS = "catalogue.form_departs"
    NOT_IN_CATALOGUE = "catalogue.not_listed"
    SECRET_ELECTRONIC = "catalogue.secret_electronic"  # noqa: S105 - a warning code


@dataclass(frozen=True, slots=True)
class OfficeAgencyRef:
    """The agency a document belongs to, as a dispatcher or status sender names it."""

    agency_id: int
    code: str
    name: str


@dataclass(frozen=True, slots=True)
class Notice:
    """A warning a use case returns with its result: the document was saved anyway."""

    code: str
    message: str


@dataclass(frozen=True, slots=True)
class RecipientInput:
    """A recipient as a draft names it: a directory agency (any of its identifiers) or an
    external name with an e-mail or postal address."""

    agency: str | None = None
    name: str | None = None
    email: str | None = None
    address: str | None = None
    channel: Channel | None = None


@dataclass(frozen=True, slots=True)
class Recipient:
    """A recipient of an outgoing document, with its delivery and latest business status."""

    id: int
    kind: RecipientKind
    channel: Channel
    name: str
    agency_id: int | None = None
    agency_code: str | None = None
    email: str | None = None
    address: str | None = None
    dispatch_state: DispatchState = DispatchState.PENDING
    hub_package_id: str | None = None
    dispatched_at: datetime | None = None
    dispatch_error: str | None = None
    status_code: str | None = None
    status_at: datetime | None = None
    status_description: str | None = None


@dataclass(frozen=True, slots=True)
class StoredFile:
    """An attachment (or scan) kept in the blob store; ``stamped_sha256`` is the version
    the agency signed, once it did."""

    id: int
    position: int
    name: str
    content_type: str
    sha256: str
    size: int
    stamped_sha256: str | None = None

    @property
    def current_sha256(self) -> str:
        return self.stamped_sha256 or self.sha256


@dataclass(frozen=True, slots=True)
class FileInput:
    """A file handed to a use case."""

    name: str
    content: bytes
    content_type: str = "application/pdf"


@dataclass(frozen=True, slots=True)
class OutgoingDraft:
    """What creating (or editing) an outgoing draft takes."""

    doctype: str
    subject: str
    urgency: Urgency = Urgency.NORMAL
    confidentiality: Confidentiality = Confidentiality.NONE
    signer: str | None = None  # username of the competent person
    recipients: tuple[RecipientInput, ...] = ()
    catalogue_id: int | None = None
    #: ``None``: the catalogue's default (electronic when nothing matches).
    form: DocumentForm | None = None
    scanned: bool = False
    unit: str | None = None  # abbreviation of the drafting unit (default: the drafter's)
    file_keeper: str | None = None
    copies: int = 1
    notes: str | None = None


@dataclass(frozen=True, slots=True)
class OutgoingDocument:
    """An outgoing document (văn bản đi) as stored."""

    id: int
    agency_id: int
    state: OutgoingState
    doctype_key: str
    subject: str
    urgency: Urgency
    confidentiality: Confidentiality
    form: DocumentForm
    scanned: bool
    drafter_id: int
    unit_id: int | None
    signer_id: int | None
    catalogue_id: int | None
    created_at: datetime
    updated_at: datetime
    draft_sha256: str | None = None
    pdf_sha256: str | None = None
    signed_at: datetime | None = None
    series: str | None = None
    year: int | None = None
    number: int | None = None
    notation: str | None = None
    code: str | None = None
    issued_at: datetime | None = None
    issued_by: int | None = None
    document_id: str | None = None
    agency_signed_at: datetime | None = None
    dispatched_at: datetime | None = None
    handed_over_at: datetime | None = None
    file_keeper: str | None = None
    copies: int = 1
    notes: str | None = None
    request_reason: str | None = None
    recipients: tuple[Recipient, ...] = ()
    attachments: tuple[StoredFile, ...] = ()

    @property
    def hub_recipients(self) -> tuple[Recipient, ...]:
        return tuple(r for r in self.recipients if r.channel is Channel.HUB)


@dataclass(frozen=True, slots=True)
class Handler:
    """Someone assigned to handle an incoming document."""

    user_id: int
    full_name: str
    lead: bool


@dataclass(frozen=True, slots=True)
class IncomingDocument:
    """An incoming document (văn bản đến) as stored; ``overdue`` is computed at reading."""

    id: int
    agency_id: int
    state: IncomingState
    channel: Channel
    sender_name: str
    subject: str
    urgency: Urgency
    confidentiality: Confidentiality
    form: DocumentForm
    scanned: bool
    received_at: datetime
    created_at: datetime
    updated_at: datetime
    sender_agency_id: int | None = None
    sender_code: str | None = None
    hub_delivery_id: str | None = None
    sender_document_id: str | None = None
    code: str | None = None
    document_date: date | None = None
    doctype_key: str | None = None
    doctype_name: str | None = None
    signer_name: str | None = None
    series: str | None = None
    year: int | None = None
    number: int | None = None
    registered_at: datetime | None = None
    registered_by: int | None = None
    rejected_reason: str | None = None
    deadline: date | None = None
    direction: str | None = None
    assigned_by: int | None = None
    assigned_at: datetime | None = None
    finished_at: datetime | None = None
    state_before_recall: IncomingState | None = None
    recall_reason: str | None = None
    pdf_sha256: str | None = None
    package_sha256: str | None = None
    signatures_valid: bool | None = None
    signature_summary: str | None = None
    link_kind: str | None = None
    linked_document_id: str | None = None
    notes: str | None = None
    overdue: bool = False
    handlers: tuple[Handler, ...] = ()
    attachments: tuple[StoredFile, ...] = ()

    @property
    def lead_handler(self) -> Handler | None:
        return next((h for h in self.handlers if h.lead), None)


@dataclass(frozen=True, slots=True)
class Event:
    """One entry of a document's trail: a transition, a comment, a progress note."""

    id: int
    action: str
    from_state: str | None
    to_state: str | None
    user_id: int | None
    actor_name: str
    note: str | None
    at: datetime


@dataclass(frozen=True, slots=True)
class OutboxRecord:
    """A business status to report to the sender of an incoming document.

    The hub's sync worker turns each pending record into a status package (QCVN 102
    ``Status``): ``ResponseFor`` = (``recipient_code``, ``document_code``,
    ``document_date``, ``sender_document_id``), ``StatusCode``, ``Description``,
    ``Timestamp`` = ``at``, ``StaffInfo`` = the staff fields.
    """

    id: int
    agency_id: int
    agency_code: str
    incoming_id: int
    status_code: str
    description: str
    staff_name: str
    staff_department: str
    staff_email: str
    at: datetime
    recipient_code: str
    sender_document_id: str
    document_code: str | None
    document_date: date | None
    state: str
    attempts: int = 0
    sent_at: datetime | None = None
    hub_package_id: str | None = None
    last_error: str | None = None


_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class Result(Generic[_T]):
    """What a use case made, with the warnings it has for the user."""

    value: _T
    warnings: tuple[Notice, ...] = field(default=())
