"""Tables of the agency office (multi-tenant: every row belongs to one office agency).

- ``office_agencies``: the directory agencies this install hosts (tenant = ``agencies.id``);
  ``office_units``; ``office_users`` (argon2 password hashes); ``office_memberships``
  (roles and unit per user and agency); ``office_sessions`` (browser sessions and API
  tokens, by SHA-256 of the opaque token).
- ``office_counters``: one row per (agency, series, year); numbers are taken with an
  upsert that increments and returns the value inside the issuing transaction.
- ``office_catalogue``: the agency's document kinds and the form each must take.
- ``office_outgoing`` + ``office_recipients``; ``office_incoming`` + ``office_handlers``;
  ``office_files`` (attachments and scans, by blob key), ``office_access`` (who may see a
  confidential document), ``office_events`` (the trail: transitions, comments, progress),
  ``office_outbox`` (business statuses waiting to be sent to a sender through the hub).
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from lienthong.db.metadata import metadata
from lienthong.db.types import UtcDateTime

_URGENCY = "urgency IN ('normal', 'khan', 'thuong_khan', 'hoa_toc')"
_SECRECY = "confidentiality IN ('none', 'mat', 'toi_mat', 'tuyet_mat')"
_FORM = "form IN ('electronic', 'mixed', 'paper')"
_ONE_DOCUMENT = "(outgoing_id IS NULL) <> (incoming_id IS NULL)"


def _ref(
    name: str,
    target: str,
    ondelete: str | None = None,
    *,
    nullable: bool = False,
    primary_key: bool = False,
    autoincrement: Literal["auto", "ignore_fk"] | bool = "auto",
) -> Column[int]:
    """An integer column referring to ``target`` (``table.column``)."""
    return Column(
        name,
        Integer,
        ForeignKey(target, ondelete=ondelete),
        nullable=nullable,
        primary_key=primary_key,
        autoincrement=autoincrement,
    )


def _agency_fk() -> ForeignKey:
    return ForeignKey("office_agencies.agency_id", ondelete="RESTRICT")


office_agencies = Table(
    "office_agencies",
    metadata,
    _ref("agency_id", "agencies.id", "RESTRICT", primary_key=True, autoincrement=False),
    Column("abbreviation", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
)

office_units = Table(
    "office_units",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agency_id", Integer, _agency_fk(), nullable=False),
    Column("name", String(500), nullable=False),
    Column("abbreviation", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    UniqueConstraint("agency_id", "abbreviation"),
)

office_users = Table(
    "office_users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    #: Lower-case login name, unique on the install.
    Column("username", String(64), nullable=False, unique=True),
    Column("full_name", String(200), nullable=False),
    Column("title", String(200), nullable=True),
    Column("email", String(254), nullable=True),
    #: argon2id hash (PHC string); never the password.
    Column("password_hash", String(255), nullable=False),
    #: Name of the person's signing key in the key source (e.g. a pki directory entry).
    Column("signing_key", String(200), nullable=True),
    Column("state", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("state IN ('active', 'disabled')", name="state_known"),
)

office_memberships = Table(
    "office_memberships",
    metadata,
    _ref("user_id", "office_users.id", "CASCADE", primary_key=True),
    Column("agency_id", Integer, _agency_fk(), primary_key=True),
    #: Sorted role names joined by commas (``clerk,leader``).
    Column("roles", String(100), nullable=False),
    Column("unit_id", Integer, ForeignKey("office_units.id", ondelete="SET NULL"), nullable=True),
    Index(None, "agency_id"),
)

office_sessions = Table(
    "office_sessions",
    metadata,
    #: SHA-256 (hex) of the opaque token; the token itself is never stored.
    Column("token_hash", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("user_id", Integer, ForeignKey("office_users.id", ondelete="CASCADE"), nullable=False),
    Column("agency_id", Integer, _agency_fk(), nullable=False),
    Column("name", String(200), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("expires_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
    CheckConstraint("kind IN ('session', 'api')", name="kind_known"),
    Index(None, "user_id"),
    Index(None, "expires_at"),
)

office_counters = Table(
    "office_counters",
    metadata,
    Column("agency_id", Integer, _agency_fk(), primary_key=True),
    Column("series", String(16), primary_key=True),
    Column("year", Integer, primary_key=True, autoincrement=False),
    Column("value", Integer, nullable=False),
)

office_catalogue = Table(
    "office_catalogue",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agency_id", Integer, _agency_fk(), nullable=False),
    Column("position", Integer, nullable=False),
    #: Whom the kind goes to, free text (e.g. ``internal``, ``provincial``).
    Column("scope", String(32), nullable=False),
    Column("name", String(500), nullable=False),
    Column("doctype_key", String(64), nullable=True),
    Column("required_form", String(32), nullable=False),
    Column("active", Boolean, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint(
        "required_form IN ('electronic', 'electronic_and_paper')", name="required_form_known"
    ),
    Index(None, "agency_id", "position"),
)

office_outgoing = Table(
    "office_outgoing",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agency_id", Integer, _agency_fk(), nullable=False),
    Column("state", String(24), nullable=False),
    Column("doctype_key", String(64), nullable=False),
    _ref("catalogue_id", "office_catalogue.id", "SET NULL", nullable=True),
    Column("subject", Text, nullable=False),
    #: ``text.fold(subject)`` for searching.
    Column("subject_key", Text, nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("confidentiality", String(16), nullable=False),
    Column("form", String(16), nullable=False),
    Column("scanned", Boolean, nullable=False),
    Column("drafter_id", Integer, ForeignKey("office_users.id"), nullable=False),
    Column("unit_id", Integer, ForeignKey("office_units.id", ondelete="SET NULL"), nullable=True),
    Column("signer_id", Integer, ForeignKey("office_users.id"), nullable=True),
    Column("draft_sha256", String(64), nullable=True),
    Column("pdf_sha256", String(64), nullable=True),
    Column("signed_at", UtcDateTime, nullable=True),
    Column("series", String(16), nullable=True),
    Column("year", Integer, nullable=True),
    Column("number", Integer, nullable=True),
    Column("notation", String(100), nullable=True),
    Column("code", String(120), nullable=True),
    Column("issued_at", UtcDateTime, nullable=True),
    Column("issued_by", Integer, ForeignKey("office_users.id"), nullable=True),
    #: The edXML DocumentId (``organ,yyyy/MM/dd,number/notation``), set on issue.
    Column("document_id", String(255), nullable=True),
    Column("agency_signed_at", UtcDateTime, nullable=True),
    Column("dispatched_at", UtcDateTime, nullable=True),
    Column("handed_over_at", UtcDateTime, nullable=True),
    Column("file_keeper", String(200), nullable=True),
    Column("copies", Integer, nullable=False),
    Column("notes", Text, nullable=True),
    Column("request_reason", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    #: A dossier submitted for decision (hồ sơ trình)? ``NULL``: decided by the document
    #: type (a Tờ trình is one). Added by the monitor's migration ``0004``.
    Column("dossier", Boolean, nullable=True),
    CheckConstraint(_URGENCY, name="urgency_known"),
    CheckConstraint(_SECRECY, name="confidentiality_known"),
    CheckConstraint(_FORM, name="form_known"),
    CheckConstraint("copies >= 0", name="copies_not_negative"),
    UniqueConstraint("agency_id", "series", "year", "number"),
    Index(None, "agency_id", "state"),
    Index(None, "document_id"),
)

office_recipients = Table(
    "office_recipients",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    _ref("outgoing_id", "office_outgoing.id", "CASCADE", nullable=False),
    Column("position", Integer, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("channel", String(8), nullable=False),
    Column("agency_id", Integer, ForeignKey("agencies.id", ondelete="RESTRICT"), nullable=True),
    Column("name", String(500), nullable=False),
    Column("email", String(254), nullable=True),
    Column("address", String(500), nullable=True),
    Column("dispatch_state", String(16), nullable=False),
    Column("hub_package_id", String(64), nullable=True),
    Column("dispatched_at", UtcDateTime, nullable=True),
    Column("dispatch_error", String(500), nullable=True),
    Column("status_code", String(2), nullable=True),
    Column("status_at", UtcDateTime, nullable=True),
    Column("status_description", Text, nullable=True),
    CheckConstraint("kind IN ('agency', 'external')", name="kind_known"),
    CheckConstraint("channel IN ('hub', 'email', 'paper')", name="channel_known"),
    CheckConstraint("dispatch_state IN ('pending', 'sent', 'failed')", name="dispatch_state_known"),
    CheckConstraint("kind <> 'agency' OR agency_id IS NOT NULL", name="agency_named"),
    UniqueConstraint("outgoing_id", "position"),
)

office_incoming = Table(
    "office_incoming",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agency_id", Integer, _agency_fk(), nullable=False),
    Column("state", String(24), nullable=False),
    Column("state_before_recall", String(24), nullable=True),
    Column("channel", String(8), nullable=False),
    Column("hub_delivery_id", String(64), nullable=True),
    Column("sender_document_id", String(255), nullable=True),
    Column(
        "sender_agency_id", Integer, ForeignKey("agencies.id", ondelete="RESTRICT"), nullable=True
    ),
    Column("sender_code", String(64), nullable=True),
    Column("sender_name", String(500), nullable=False),
    Column("code", String(120), nullable=True),
    Column("document_date", Date, nullable=True),
    Column("doctype_key", String(64), nullable=True),
    Column("doctype_name", String(200), nullable=True),
    Column("subject", Text, nullable=False),
    Column("subject_key", Text, nullable=False),
    Column("urgency", String(16), nullable=False),
    Column("confidentiality", String(16), nullable=False),
    Column("form", String(16), nullable=False),
    Column("scanned", Boolean, nullable=False),
    Column("signer_name", String(200), nullable=True),
    Column("received_at", UtcDateTime, nullable=False),
    Column("series", String(16), nullable=True),
    Column("year", Integer, nullable=True),
    Column("number", Integer, nullable=True),
    Column("registered_at", UtcDateTime, nullable=True),
    Column("registered_by", Integer, ForeignKey("office_users.id"), nullable=True),
    Column("rejected_reason", Text, nullable=True),
    Column("deadline", Date, nullable=True),
    Column("direction", Text, nullable=True),
    Column("assigned_by", Integer, ForeignKey("office_users.id"), nullable=True),
    Column("assigned_at", UtcDateTime, nullable=True),
    Column("finished_at", UtcDateTime, nullable=True),
    Column("recall_reason", Text, nullable=True),
    Column("pdf_sha256", String(64), nullable=True),
    Column("package_sha256", String(64), nullable=True),
    Column("signatures_valid", Boolean, nullable=True),
    #: JSON list of the signature reports' essentials, as the intake received them.
    Column("signature_summary", Text, nullable=True),
    Column("link_kind", String(8), nullable=True),
    Column("linked_document_id", String(255), nullable=True),
    Column("notes", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint(_URGENCY, name="urgency_known"),
    CheckConstraint(_SECRECY, name="confidentiality_known"),
    CheckConstraint(_FORM, name="form_known"),
    CheckConstraint("channel IN ('hub', 'email', 'paper')", name="channel_known"),
    UniqueConstraint("agency_id", "series", "year", "number"),
    UniqueConstraint("agency_id", "hub_delivery_id"),
    Index(None, "agency_id", "state"),
    Index(None, "agency_id", "deadline"),
    Index(None, "sender_document_id"),
)

office_handlers = Table(
    "office_handlers",
    metadata,
    _ref("incoming_id", "office_incoming.id", "CASCADE", primary_key=True),
    Column("user_id", Integer, ForeignKey("office_users.id"), primary_key=True),
    Column("lead", Boolean, nullable=False),
    Index(None, "user_id"),
)


def _document_columns() -> list[Column[int]]:
    return [
        _ref("outgoing_id", "office_outgoing.id", "CASCADE", nullable=True),
        _ref("incoming_id", "office_incoming.id", "CASCADE", nullable=True),
    ]


office_files = Table(
    "office_files",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_document_columns(),
    Column("position", Integer, nullable=False),
    Column("name", String(255), nullable=False),
    Column("content_type", String(100), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column("stamped_sha256", String(64), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint(_ONE_DOCUMENT, name="one_document"),
    Index(None, "outgoing_id"),
    Index(None, "incoming_id"),
)

office_access = Table(
    "office_access",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    *_document_columns(),
    Column("user_id", Integer, ForeignKey("office_users.id", ondelete="CASCADE"), nullable=False),
    #: Why: drafter, signer, clerk, handler, assigner, granted.
    Column("reason", String(32), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint(_ONE_DOCUMENT, name="one_document"),
    UniqueConstraint("outgoing_id", "user_id"),
    UniqueConstraint("incoming_id", "user_id"),
    Index(None, "user_id"),
)

office_events = Table(
    "office_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agency_id", Integer, _agency_fk(), nullable=False),
    *_document_columns(),
    Column("action", String(32), nullable=False),
    Column("from_state", String(24), nullable=True),
    Column("to_state", String(24), nullable=True),
    Column("user_id", Integer, ForeignKey("office_users.id"), nullable=True),
    Column("actor_name", String(200), nullable=False),
    Column("note", Text, nullable=True),
    Column("at", UtcDateTime, nullable=False),
    CheckConstraint(_ONE_DOCUMENT, name="one_document"),
    Index(None, "outgoing_id"),
    Index(None, "incoming_id"),
)

office_outbox = Table(
    "office_outbox",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("agency_id", Integer, _agency_fk(), nullable=False),
    _ref("incoming_id", "office_incoming.id", "CASCADE", nullable=False),
    Column("status_code", String(2), nullable=False),
    Column("description", Text, nullable=False),
    Column("staff_name", String(200), nullable=False),
    Column("staff_department", String(500), nullable=False),
    Column("staff_email", String(254), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    #: The sender to notify (its agency id as the package's ``From/OrganId`` gave it).
    Column("recipient_code", String(64), nullable=False),
    Column("sender_document_id", String(255), nullable=False),
    Column("document_code", String(120), nullable=True),
    Column("document_date", Date, nullable=True),
    Column("state", String(16), nullable=False),
    Column("attempts", Integer, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    Column("hub_package_id", String(64), nullable=True),
    Column("last_error", String(500), nullable=True),
    CheckConstraint("state IN ('pending', 'sent', 'failed')", name="state_known"),
    Index(None, "state", "id"),
    Index(None, "incoming_id"),
)
