"""The JSON bodies of the hub's HTTP API (``docs/hub-api.md``), shared by the server
(FastAPI request and response models) and :class:`~lienthong.hub.client.HubClient`.

Requests forbid unknown fields (a typo is an error); replies ignore them (a newer hub may
add fields without breaking older clients). Times are ISO 8601 with an offset.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

PackageKind = Literal["document", "status"]
#: A delivery's transport state.
TransportState = Literal["pending", "leased", "done", "failed"]
AckState = Literal["done", "fail", "processing"]
AgencyStateName = Literal["active", "locked"]
#: How another document relates to the one asked about (business types 1–3 of edXML).
LinkRelation = Literal["revokes", "revoked_by", "updates", "updated_by", "replaces", "replaced_by"]
#: What a system id may contain (it travels in the X-Lienthong-System header).
SYSTEM_ID_PATTERN = r"^[A-Za-z0-9._:-]{1,128}$"


class _Request(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class _Reply(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")


# -- errors -------------------------------------------------------------------------------


class Problem(_Reply):
    """The body of every error answer."""

    code: str
    axis_code: int | None = None
    message: str
    details: dict[str, Any] = Field(default_factory=dict)


_AXIS_EXACT = {"recipient.unknown": 18, "recipient.locked": 23, "sender.unknown": 19}
_AXIS_PREFIX = (
    ("request.", 10),
    ("auth.", 15),
    ("forbidden.", 19),
    ("package.limit", 10),
    ("package.", 21),
    ("validation.", 22),
    ("signature.", 22),
    ("storage.", 20),
)


def axis_code_for(code: str) -> int | None:
    """The axis code the error table of ``docs/hub-api.md`` gives an error ``code``."""
    if code in _AXIS_EXACT:
        return _AXIS_EXACT[code]
    for prefix, axis in _AXIS_PREFIX:
        if code.startswith(prefix) or code == prefix.rstrip("."):
            return axis
    return None


# -- directory ----------------------------------------------------------------------------


class ContactInfo(BaseModel):
    """How to reach an agency (every field optional)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    address: str | None = None
    email: str | None = None
    telephone: str | None = None
    fax: str | None = None
    website: str | None = None


class DirectoryAgency(_Reply):
    """One agency as the directory publishes it; ``parent`` is the parent's code."""

    qcvn_id: str | None = None
    qd20_id: str | None = None
    aliases: list[str] = Field(default_factory=list)
    name: str
    short_name: str | None = None
    parent: str | None = None
    contact: ContactInfo = Field(default_factory=ContactInfo)
    state: AgencyStateName
    version: int


class DirectoryPage(_Reply):
    """``GET /directory``: agencies changed after ``since``, ordered by version.

    ``version`` is the directory's current version. When ``has_more``, ask again with
    ``since`` = the last agency's version; otherwise keep ``version`` for next time.
    """

    version: int
    agencies: list[DirectoryAgency]
    has_more: bool = False


class AgencyCreate(_Request):
    """``POST /admin/agencies``; ``parent`` is any identifier of the parent."""

    name: str
    qcvn_id: str | None = None
    qd20_id: str | None = None
    short_name: str | None = None
    parent: str | None = None
    contact: ContactInfo = Field(default_factory=ContactInfo)
    aliases: list[str] = Field(default_factory=list)


class AgencyUpdate(_Request):
    """``PATCH /admin/agencies/{id}``: only the fields present change; ``null`` clears.

    The server reads ``model_fields_set`` to tell "absent" from ``null``.
    """

    name: str | None = None
    short_name: str | None = None
    qcvn_id: str | None = None
    qd20_id: str | None = None
    parent: str | None = None
    address: str | None = None
    email: str | None = None
    telephone: str | None = None
    fax: str | None = None
    website: str | None = None


class CertificateUpload(_Request):
    """``POST /admin/agencies/{id}/certificates``: a PEM organisation certificate."""

    pem: str


class AgencyCertificate(_Reply):
    """A certificate allowed to sign for an agency."""

    agency: str
    fingerprint_sha256: str
    subject: str
    not_before: AwareDatetime
    not_after: AwareDatetime


# -- systems ------------------------------------------------------------------------------


class SystemCreate(_Request):
    """``POST /admin/systems``: a system and the agencies (any identifiers) it hosts."""

    system_id: str = Field(pattern=SYSTEM_ID_PATTERN)
    name: str
    agencies: list[str]


class RotateSecret(_Request):
    """``POST /admin/systems/{id}/rotate`` (the body is optional)."""

    grace_seconds: int = Field(default=86_400, ge=0)


class SystemSecret(_Reply):
    """A system's new secret, shown once (registration and rotation)."""

    system_id: str
    secret: str
    #: After a rotation: until when the previous secret is still accepted.
    previous_valid_until: AwareDatetime | None = None


class SystemAgencies(_Request):
    """``PUT /admin/systems/{id}/agencies``: the full list of hosted agencies."""

    agencies: list[str]


class WebhookSet(_Request):
    """``PUT /admin/systems/{id}/webhook``; ``null`` removes the webhook."""

    url: str | None


class SystemInfo(_Reply):
    """A system as the admin endpoints answer it (never with its secret)."""

    system_id: str
    name: str
    agencies: list[str]
    state: AgencyStateName
    webhook_url: str | None = None


# -- sending and receiving ----------------------------------------------------------------


class DeliveryRef(_Reply):
    delivery_id: str
    recipient: str


class SendResult(_Reply):
    """``202`` of ``POST /packages``; a duplicate answers the first send's result."""

    package_id: str
    kind: PackageKind
    document_id: str
    sha256: str
    duplicate: bool
    deliveries: list[DeliveryRef]


class DeliveryItem(_Reply):
    """One delivery as ``receive`` and ``inbox`` list it."""

    delivery_id: str
    package_id: str
    kind: PackageKind
    sender: str
    recipient: str
    document_id: str
    sha256: str
    size: int
    #: The business status code (``"01"``…``"16"``) of a status package.
    status_code: str | None = None
    state: TransportState
    #: When the hub took the package in.
    received_at: AwareDatetime
    #: For a leased delivery: when the lease runs out.
    lease_until: AwareDatetime | None = None
    #: How many times it was claimed.
    attempts: int = 0


class ReceiveResult(_Reply):
    """``POST /inbox/receive``."""

    deliveries: list[DeliveryItem]


class InboxPage(_Reply):
    """``GET /inbox``; ``next_cursor`` is ``None`` on the last page."""

    items: list[DeliveryItem]
    next_cursor: str | None = None


class AckRequest(_Request):
    """``POST /deliveries/{id}/ack``."""

    state: AckState
    reason: str = Field(default="", max_length=2000)


class AckResult(_Reply):
    delivery_id: str
    state: TransportState
    lease_until: AwareDatetime | None = None


class TraceEntry(BaseModel):
    """One entry of ``X-Lienthong-Trace`` (a hub that took the package in, and when)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    organ_id: str
    timestamp: AwareDatetime


class WebhookNotice(BaseModel):
    """The body the hub POSTs to a system's webhook."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    delivery_id: str
    package_id: str
    kind: PackageKind
    recipient: str
    sender: str
    document_id: str


# -- tracking -----------------------------------------------------------------------------


class StatusEntry(_Reply):
    """A business status a recipient reported."""

    code: str
    timestamp: AwareDatetime
    description: str = ""
    reporter: str
    package_id: str


class RecipientTracking(_Reply):
    recipient: str
    delivery_id: str
    state: TransportState
    #: When the recipient's system first claimed the delivery.
    claimed_at: AwareDatetime | None = None
    acknowledged_at: AwareDatetime | None = None
    latest_status: StatusEntry | None = None
    history: list[StatusEntry] = Field(default_factory=list)


class TrackingReport(_Reply):
    """``GET /packages/{id}/tracking``."""

    package_id: str
    document_id: str
    kind: PackageKind
    sender: str
    received_at: AwareDatetime
    recipients: list[RecipientTracking]


class DocumentTracking(_Reply):
    """``GET /documents/tracking``: every package sent under the DocumentId."""

    document_id: str
    packages: list[TrackingReport]


class DocumentLink(_Reply):
    relation: LinkRelation
    document_id: str
    package_id: str
    linked_at: AwareDatetime


class DocumentLinks(_Reply):
    """``GET /documents/links``."""

    document_id: str
    links: list[DocumentLink]


# -- operations ---------------------------------------------------------------------------


class AuditProblem(_Reply):
    seq: int
    kind: Literal["altered", "removed", "reordered", "checkpoint", "checkpoint_missing"]
    message: str


class AuditReport(_Reply):
    """``GET /admin/audit/verify``."""

    ok: bool
    entries: int
    checkpoints: int
    problems: list[AuditProblem] = Field(default_factory=list)


class QueueStats(_Reply):
    agency: str
    pending: int
    leased: int
    failed: int
    oldest_pending_at: AwareDatetime | None = None


class QueuesReport(_Reply):
    """``GET /admin/queues``: deliveries waiting, per recipient agency."""

    queues: list[QueueStats]
