"""Tables of the hub (the exchange axis): systems, packages, deliveries, links, audit log.

- ``hub_systems`` / ``hub_system_agencies``: the document systems that call the hub and
  the agencies each one hosts; ``hub_agency_certificates``: organisation certificates
  allowed to sign for an agency (by SHA-256 fingerprint); ``hub_admin_tokens`` (hashed);
  ``hub_nonces``: request nonces seen within the replay window.
- ``hub_packages``: one row per accepted package (the bytes are a blob, by SHA-256);
  ``hub_deliveries``: one row per recipient of a package, with its transport state, its
  lease and its push (webhook) state; ``hub_links``: revocations, updates, replacements.
- ``hub_audit`` (append-only, hash-chained), ``hub_audit_head`` (one row: the chain's
  last number and hash, locked by every append) and ``hub_audit_checkpoints`` (signed).
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Table,
    Text,
    UniqueConstraint,
    text,
)

from lienthong.db.metadata import metadata
from lienthong.db.types import UtcDateTime

#: Length of hub ids (ULID-like, time-ordered, 26 characters of Crockford base32).
ID_LENGTH = 26

#: The deliveries still open (pending, leased or failed): the only ones the claim index
#: holds on PostgreSQL. A query uses that index only if its condition implies this one:
#: the claim says ``state IN ('pending', 'leased')`` with the values written out.
OPEN_DELIVERY = "state <> 'done'"
#: The open deliveries with a push (webhook) still to make: the only ones the push index
#: holds on PostgreSQL. (A delivery its recipient acknowledged by pull before any push
#: went out keeps ``push_state`` pending, and is never pushed.)
PUSH_DUE = "push_state = 'pending' AND state <> 'done'"

hub_systems = Table(
    "hub_systems",
    metadata,
    Column("system_id", String(128), primary_key=True),
    Column("name", String(500), nullable=False),
    #: The current secret, encrypted under the hub's master key.
    Column("secret", LargeBinary, nullable=False),
    #: The previous secret during a rotation's grace period (encrypted), and its end.
    Column("previous_secret", LargeBinary, nullable=True),
    Column("previous_expires_at", UtcDateTime, nullable=True),
    Column("state", String(16), nullable=False),
    Column("webhook_url", String(2000), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    CheckConstraint("state IN ('active', 'locked')", name="state_known"),
)

hub_system_agencies = Table(
    "hub_system_agencies",
    metadata,
    Column(
        "system_id",
        String(128),
        ForeignKey("hub_systems.system_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "agency_id",
        Integer,
        ForeignKey("agencies.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Index(None, "agency_id"),
)

hub_agency_certificates = Table(
    "hub_agency_certificates",
    metadata,
    #: SHA-256 of the certificate's DER encoding, lower-case hex.
    Column("fingerprint", String(64), primary_key=True),
    Column(
        "agency_id",
        Integer,
        ForeignKey("agencies.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("subject", String(2000), nullable=False),
    Column("not_before", UtcDateTime, nullable=False),
    Column("not_after", UtcDateTime, nullable=False),
    Column("pem", Text, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Index(None, "agency_id"),
)

hub_admin_tokens = Table(
    "hub_admin_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    #: ``hub.auth.hash_admin_token`` of the token (the token itself is never stored).
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("name", String(200), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("revoked_at", UtcDateTime, nullable=True),
)

hub_nonces = Table(
    "hub_nonces",
    metadata,
    Column("system_id", String(128), primary_key=True),
    Column("nonce", String(64), primary_key=True),
    Column("expires_at", UtcDateTime, nullable=False),
    Index(None, "expires_at"),
)

hub_packages = Table(
    "hub_packages",
    metadata,
    Column("id", String(ID_LENGTH), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("sha256", String(64), nullable=False),
    Column("size", BigInteger, nullable=False),
    Column(
        "system_id",
        String(128),
        ForeignKey("hub_systems.system_id", ondelete="RESTRICT"),
        nullable=False,
    ),
    Column("sender_id", Integer, ForeignKey("agencies.id", ondelete="RESTRICT"), nullable=False),
    #: ``From/OrganId`` as the package writes it.
    Column("sender_code", String(64), nullable=False),
    #: A document's own DocumentId; for a status, the DocumentId it reports on.
    Column("document_id", String(255), nullable=False),
    Column("code", String(255), nullable=True),
    Column("subject", Text, nullable=True),
    Column("business_type", Integer, nullable=True),
    Column("business_document_id", String(255), nullable=True),
    Column("status_code", String(2), nullable=True),
    Column("status_description", Text, nullable=True),
    Column("status_at", UtcDateTime, nullable=True),
    #: SHA-256 (hex) of what makes two sends the same send (see hub.model.dedup_key).
    Column("dedup_key", String(64), nullable=False, unique=True),
    #: JSON list of trace entries: the package's TraceHeaders, then the hub's.
    Column("trace", Text, nullable=False),
    Column("received_at", UtcDateTime, nullable=False),
    CheckConstraint("kind IN ('document', 'status')", name="kind_known"),
    Index(None, "document_id"),
    Index(None, "sender_id"),
    Index(None, "received_at"),
)

hub_deliveries = Table(
    "hub_deliveries",
    metadata,
    Column("id", String(ID_LENGTH), primary_key=True),
    Column(
        "package_id",
        String(ID_LENGTH),
        ForeignKey("hub_packages.id", ondelete="RESTRICT"),
        nullable=False,
    ),
    Column("recipient_id", Integer, ForeignKey("agencies.id", ondelete="RESTRICT"), nullable=False),
    #: The recipient as the package names it (or as the hub routed a status).
    Column("recipient_code", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("state", String(16), nullable=False),
    #: When the delivery may be claimed: its creation, or the end of its current lease.
    Column("available_at", UtcDateTime, nullable=False),
    Column("leased_by", String(128), nullable=True),
    Column("leased_until", UtcDateTime, nullable=True),
    Column("claims", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    #: The first time the recipient took it (claim or content fetch).
    Column("received_at", UtcDateTime, nullable=True),
    Column("acked_at", UtcDateTime, nullable=True),
    Column("ack_reason", Text, nullable=True),
    Column("push_state", String(16), nullable=False),
    Column("push_attempts", Integer, nullable=False),
    Column("push_next_at", UtcDateTime, nullable=True),
    Column("push_error", String(500), nullable=True),
    CheckConstraint("state IN ('pending', 'leased', 'done', 'failed')", name="state_known"),
    CheckConstraint("kind IN ('document', 'status')", name="kind_known"),
    CheckConstraint("push_state IN ('none', 'pending', 'done', 'failed')", name="push_known"),
    UniqueConstraint("package_id", "recipient_id"),
    # Partial on PostgreSQL (revision 0006): a delivery acknowledged done leaves both
    # (no entry written for its last version), so they stay the size of the open work
    # however long the history grows. SQLite keeps them whole: its planner matches a
    # partial index only against conditions written with the same literals.
    Index(None, "recipient_id", "state", "available_at", postgresql_where=text(OPEN_DELIVERY)),
    Index(None, "push_state", "push_next_at", postgresql_where=text(PUSH_DUE)),
)

hub_links = Table(
    "hub_links",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    #: The earlier document the link is about.
    Column("document_id", String(255), nullable=False),
    Column("kind", String(8), nullable=False),
    #: The package (and its DocumentId) that revokes, updates or replaces it.
    Column(
        "package_id",
        String(ID_LENGTH),
        ForeignKey("hub_packages.id", ondelete="RESTRICT"),
        nullable=False,
    ),
    Column("linked_document_id", String(255), nullable=False),
    Column("reason", Text, nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("kind IN ('revoke', 'update', 'replace')", name="kind_known"),
    UniqueConstraint("document_id", "package_id"),
    Index(None, "package_id"),
    Index(None, "linked_document_id"),
)

hub_audit = Table(
    "hub_audit",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("at", UtcDateTime, nullable=False),
    Column("action", String(32), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("subject", String(200), nullable=False),
    #: Canonical JSON of the action's details.
    Column("data", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

hub_audit_head = Table(
    "hub_audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("seq", BigInteger, nullable=False),
    Column("hash", String(64), nullable=False),
)

hub_audit_checkpoints = Table(
    "hub_audit_checkpoints",
    metadata,
    Column("seq", BigInteger, primary_key=True, autoincrement=False),
    Column("hash", String(64), nullable=False),
    Column("at", UtcDateTime, nullable=False),
    #: Base64 signature over ``hub.audit.checkpoint_message``.
    Column("signature", Text, nullable=False),
    #: PEM of the certificate whose key signed it.
    Column("certificate", Text, nullable=False),
)

#: The hub_audit_head row (created by the migration).
AUDIT_HEAD_ID = 1
#: ``prev_hash`` of the first entry.
GENESIS_HASH = "0" * 64
