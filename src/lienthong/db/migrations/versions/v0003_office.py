"""Office: agencies, units, users, sessions, counters, catalogue, documents, outbox.

Revision ID: 0003
Revises: 0002
Create Date: 2026-05-12
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lienthong.db.types import UtcDateTime

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None

#: Tables in the order they are created (dropped in reverse).
_ORDER = (
    "office_users office_agencies office_units office_memberships office_sessions office_counters "
    "office_catalogue office_outgoing office_recipients office_incoming office_handlers "
    "office_files office_access office_events office_outbox"
)
TABLES = tuple(_ORDER.split())


def _fk(table: str, col: str, target: str, ondelete: str | None = None) -> sa.schema.SchemaItem:
    name = f"fk_{table}_{col}_{target.split('.', maxsplit=1)[0]}"
    return sa.ForeignKeyConstraint([col], [target], name=name, ondelete=ondelete)


def _id(table: str) -> list[sa.schema.SchemaItem]:
    return [
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=f"pk_{table}"),
    ]


def _ck(sql: str, name: str) -> sa.CheckConstraint:
    return sa.CheckConstraint(sql, name=name)


def _uq(table: str, *columns: str) -> sa.UniqueConstraint:
    return sa.UniqueConstraint(*columns, name=f"uq_{table}_{'_'.join(columns)}")


def _ix(table: str, *columns: str) -> None:
    op.create_index(f"ix_{table}_{'_'.join(columns)}", table, list(columns))


def _document_checks(table: str) -> list[sa.CheckConstraint]:
    """The value checks outgoing and incoming documents share."""
    checks = {
        "confidentiality_known": "confidentiality IN ('none', 'mat', 'toi_mat', 'tuyet_mat')",
        "form_known": "form IN ('electronic', 'mixed', 'paper')",
        "urgency_known": "urgency IN ('normal', 'khan', 'thuong_khan', 'hoa_toc')",
    }
    return [sa.CheckConstraint(sql, name=f"ck_{table}_{name}") for name, sql in checks.items()]


def _document_refs(table: str) -> list[sa.schema.SchemaItem]:
    """The outgoing or incoming document a row belongs to (exactly one of them)."""
    return [
        sa.Column("outgoing_id", sa.Integer, nullable=True),
        sa.Column("incoming_id", sa.Integer, nullable=True),
        sa.CheckConstraint(
            "(outgoing_id IS NULL) <> (incoming_id IS NULL)", name=f"ck_{table}_one_document"
        ),
        _fk(table, "incoming_id", "office_incoming.id", "CASCADE"),
        _fk(table, "outgoing_id", "office_outgoing.id", "CASCADE"),
    ]


def _people() -> None:
    op.create_table(
        "office_users",
        *_id("office_users"),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("full_name", sa.String(200), nullable=False),
        sa.Column("title", sa.String(200), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("password_hash", sa.String(255), nullable=False),
        sa.Column("signing_key", sa.String(200), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        _ck("state IN ('active', 'disabled')", "ck_office_users_state_known"),
        _uq("office_users", "username"),
    )
    op.create_table(
        "office_agencies",
        sa.Column("agency_id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("abbreviation", sa.String(32), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        _fk("office_agencies", "agency_id", "agencies.id", "RESTRICT"),
        sa.PrimaryKeyConstraint("agency_id", name="pk_office_agencies"),
    )
    op.create_table(
        "office_units",
        *_id("office_units"),
        sa.Column("agency_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("abbreviation", sa.String(32), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        _fk("office_units", "agency_id", "office_agencies.agency_id", "RESTRICT"),
        _uq("office_units", "agency_id", "abbreviation"),
    )
    op.create_table(
        "office_memberships",
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("agency_id", sa.Integer, nullable=False),
        sa.Column("roles", sa.String(100), nullable=False),
        sa.Column("unit_id", sa.Integer, nullable=True),
        _fk("office_memberships", "agency_id", "office_agencies.agency_id", "RESTRICT"),
        _fk("office_memberships", "unit_id", "office_units.id", "SET NULL"),
        _fk("office_memberships", "user_id", "office_users.id", "CASCADE"),
        sa.PrimaryKeyConstraint("user_id", "agency_id", name="pk_office_memberships"),
    )
    _ix("office_memberships", "agency_id")
    op.create_table(
        "office_sessions",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("agency_id", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.Column("revoked_at", UtcDateTime, nullable=True),
        _ck("kind IN ('session', 'api')", "ck_office_sessions_kind_known"),
        _fk("office_sessions", "agency_id", "office_agencies.agency_id", "RESTRICT"),
        _fk("office_sessions", "user_id", "office_users.id", "CASCADE"),
        sa.PrimaryKeyConstraint("token_hash", name="pk_office_sessions"),
    )
    _ix("office_sessions", "expires_at")
    _ix("office_sessions", "user_id")
    op.create_table(
        "office_counters",
        sa.Column("agency_id", sa.Integer, nullable=False),
        sa.Column("series", sa.String(16), nullable=False),
        sa.Column("year", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("value", sa.Integer, nullable=False),
        _fk("office_counters", "agency_id", "office_agencies.agency_id", "RESTRICT"),
        sa.PrimaryKeyConstraint("agency_id", "series", "year", name="pk_office_counters"),
    )
    op.create_table(
        "office_catalogue",
        *_id("office_catalogue"),
        sa.Column("agency_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("scope", sa.String(32), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("doctype_key", sa.String(64), nullable=True),
        sa.Column("required_form", sa.String(32), nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        _ck(
            "required_form IN ('electronic', 'electronic_and_paper')",
            "ck_office_catalogue_required_form_known",
        ),
        _fk("office_catalogue", "agency_id", "office_agencies.agency_id", "RESTRICT"),
    )
    _ix("office_catalogue", "agency_id", "position")


def _documents() -> None:
    op.create_table(
        "office_outgoing",
        *_id("office_outgoing"),
        sa.Column("agency_id", sa.Integer, nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("doctype_key", sa.String(64), nullable=False),
        sa.Column("catalogue_id", sa.Integer, nullable=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("subject_key", sa.Text, nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("confidentiality", sa.String(16), nullable=False),
        sa.Column("form", sa.String(16), nullable=False),
        sa.Column("scanned", sa.Boolean, nullable=False),
        sa.Column("drafter_id", sa.Integer, nullable=False),
        sa.Column("unit_id", sa.Integer, nullable=True),
        sa.Column("signer_id", sa.Integer, nullable=True),
        sa.Column("draft_sha256", sa.String(64), nullable=True),
        sa.Column("pdf_sha256", sa.String(64), nullable=True),
        sa.Column("signed_at", UtcDateTime, nullable=True),
        sa.Column("series", sa.String(16), nullable=True),
        sa.Column("year", sa.Integer, nullable=True),
        sa.Column("number", sa.Integer, nullable=True),
        sa.Column("notation", sa.String(100), nullable=True),
        sa.Column("code", sa.String(120), nullable=True),
        sa.Column("issued_at", UtcDateTime, nullable=True),
        sa.Column("issued_by", sa.Integer, nullable=True),
        sa.Column("document_id", sa.String(255), nullable=True),
        sa.Column("agency_signed_at", UtcDateTime, nullable=True),
        sa.Column("dispatched_at", UtcDateTime, nullable=True),
        sa.Column("handed_over_at", UtcDateTime, nullable=True),
        sa.Column("file_keeper", sa.String(200), nullable=True),
        sa.Column("copies", sa.Integer, nullable=False),
        sa.Column("notes", sa.Text, nullable=True),
        sa.Column("request_reason", sa.Text, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        *_document_checks("office_outgoing"),
        _ck("copies >= 0", "ck_office_outgoing_copies_not_negative"),
        _fk("office_outgoing", "agency_id", "office_agencies.agency_id", "RESTRICT"),
        _fk("office_outgoing", "catalogue_id", "office_catalogue.id", "SET NULL"),
        _fk("office_outgoing", "drafter_id", "office_users.id"),
        _fk("office_outgoing", "issued_by", "office_users.id"),
        _fk("office_outgoing", "signer_id", "office_users.id"),
        _fk("office_outgoing", "unit_id", "office_units.id", "SET NULL"),
        _uq("office_outgoing", "agency_id", "series", "year", "number"),
    )
    _ix("office_outgoing", "agency_id", "state")
    _ix("office_outgoing", "document_id")
    op.create_table(
        "office_recipients",
        *_id("office_recipients"),
        sa.Column("outgoing_id", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("agency_id", sa.Integer, nullable=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("address", sa.String(500), nullable=True),
        sa.Column("dispatch_state", sa.String(16), nullable=False),
        sa.Column("hub_package_id", sa.String(64), nullable=True),
        sa.Column("dispatched_at", UtcDateTime, nullable=True),
        sa.Column("dispatch_error", sa.String(500), nullable=True),
        sa.Column("status_code", sa.String(2), nullable=True),
        sa.Column("status_at", UtcDateTime, nullable=True),
        sa.Column("status_description", sa.Text, nullable=True),
        _ck("channel IN ('hub', 'email', 'paper')", "ck_office_recipients_channel_known"),
        _ck(
            "dispatch_state IN ('pending', 'sent', 'failed')",
            "ck_office_recipients_dispatch_state_known",
        ),
        _ck("kind <> 'agency' OR agency_id IS NOT NULL", "ck_office_recipients_agency_named"),
        _ck("kind IN ('agency', 'external')", "ck_office_recipients_kind_known"),
        _fk("office_recipients", "agency_id", "agencies.id", "RESTRICT"),
        _fk("office_recipients", "outgoing_id", "office_outgoing.id", "CASCADE"),
        _uq("office_recipients", "outgoing_id", "position"),
    )

    op.create_table(
        "office_incoming",
        *_id("office_incoming"),
        sa.Column("agency_id", sa.Integer, nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("state_before_recall", sa.String(24), nullable=True),
        sa.Column("channel", sa.String(8), nullable=False),
        sa.Column("hub_delivery_id", sa.String(64), nullable=True),
        sa.Column("sender_document_id", sa.String(255), nullable=True),
        sa.Column("sender_agency_id", sa.Integer, nullable=True),
        sa.Column("sender_code", sa.String(64), nullable=True),
        sa.Column("sender_name", sa.String(500), nullable=False),
        sa.Column("code", sa.String(120), nullable=True),
        sa.Column("document_date", sa.Date, nullable=True),
        sa.Column("doctype_key", sa.String(64), nullable=True),
        sa.Column("doctype_name", sa.String(200), nullable=True),
        sa.Column("subject", sa.Text, nullable=False),
        sa.Column("subject_key", sa.Text, nullable=False),
        sa.Column("urgency", sa.String(16), nullable=False),
        sa.Column("confidentiality", sa.String(16), nullable=False),
        sa.Column("form", sa.String(16), nullable=False),
        sa.Column("scanned", sa.Boolean, nullable=False),
        sa.Column("signer_name", sa.String(200), nullable=True),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("series", sa.String(16), nullable=True),
        sa.Column("year", sa.Integer, nullable=True),
        sa.Column("number", sa.Integer, nullable=True),
        sa.Column("registered_at", UtcDateTime, nullable=True),
        sa.Column("registered_by", sa.Integer, nullable=True),
        sa.Column("rejected_reason", sa.Text, nullable=True),
        sa.Column("deadline", sa.Date, nullable=True),
        sa.Column("direction", sa.Text, nullable=True),
        sa.Column("assigned_by", sa.Integer, nullable=True),
        sa.Column("assigned_at", UtcDateTime, nullable=True),
        sa.Column("finished_at", UtcDateTime, nullable=True),
        sa.Column("recall_reason", sa.Text, nullable=True),
        sa.Column("pdf_sha256", sa.String(64), nullable=True),
        sa.Column("package_sha256", sa.String(64), nullable=True),
        sa.Column("signatures_valid", sa.Boolean, nullable=True),
        sa.Column("signature_summary", sa.Text, nullable=True),
        sa.Column("link_kind", sa.String(8), nullable=True),
        sa.Column("linked_document_id", sa.String(255), nullable=True),
        sa.Column("notes", sa.Text, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        _ck("channel IN ('hub', 'email', 'paper')", "ck_office_incoming_channel_known"),
        *_document_checks("office_incoming"),
        _fk("office_incoming", "agency_id", "office_agencies.agency_id", "RESTRICT"),
        _fk("office_incoming", "assigned_by", "office_users.id"),
        _fk("office_incoming", "registered_by", "office_users.id"),
        _fk("office_incoming", "sender_agency_id", "agencies.id", "RESTRICT"),
        _uq("office_incoming", "agency_id", "hub_delivery_id"),
        _uq("office_incoming", "agency_id", "series", "year", "number"),
    )
    _ix("office_incoming", "agency_id", "deadline")
    _ix("office_incoming", "agency_id", "state")
    _ix("office_incoming", "sender_document_id")
    op.create_table(
        "office_handlers",
        sa.Column("incoming_id", sa.Integer, nullable=False),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("lead", sa.Boolean, nullable=False),
        _fk("office_handlers", "incoming_id", "office_incoming.id", "CASCADE"),
        _fk("office_handlers", "user_id", "office_users.id"),
        sa.PrimaryKeyConstraint("incoming_id", "user_id", name="pk_office_handlers"),
    )
    _ix("office_handlers", "user_id")


def _records() -> None:
    op.create_table(
        "office_files",
        *_id("office_files"),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("name", sa.String(255), nullable=False),
        sa.Column("content_type", sa.String(100), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("stamped_sha256", sa.String(64), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        *_document_refs("office_files"),
    )
    _ix("office_files", "incoming_id")
    _ix("office_files", "outgoing_id")
    op.create_table(
        "office_access",
        *_id("office_access"),
        sa.Column("user_id", sa.Integer, nullable=False),
        sa.Column("reason", sa.String(32), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        *_document_refs("office_access"),
        _fk("office_access", "user_id", "office_users.id", "CASCADE"),
        _uq("office_access", "incoming_id", "user_id"),
        _uq("office_access", "outgoing_id", "user_id"),
    )
    _ix("office_access", "user_id")
    op.create_table(
        "office_events",
        *_id("office_events"),
        sa.Column("agency_id", sa.Integer, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("from_state", sa.String(24), nullable=True),
        sa.Column("to_state", sa.String(24), nullable=True),
        sa.Column("user_id", sa.Integer, nullable=True),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("note", sa.Text, nullable=True),
        sa.Column("at", UtcDateTime, nullable=False),
        *_document_refs("office_events"),
        _fk("office_events", "agency_id", "office_agencies.agency_id", "RESTRICT"),
        _fk("office_events", "user_id", "office_users.id"),
    )
    _ix("office_events", "incoming_id")
    _ix("office_events", "outgoing_id")
    op.create_table(
        "office_outbox",
        *_id("office_outbox"),
        sa.Column("agency_id", sa.Integer, nullable=False),
        sa.Column("incoming_id", sa.Integer, nullable=False),
        sa.Column("status_code", sa.String(2), nullable=False),
        sa.Column("description", sa.Text, nullable=False),
        sa.Column("staff_name", sa.String(200), nullable=False),
        sa.Column("staff_department", sa.String(500), nullable=False),
        sa.Column("staff_email", sa.String(254), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("recipient_code", sa.String(64), nullable=False),
        sa.Column("sender_document_id", sa.String(255), nullable=False),
        sa.Column("document_code", sa.String(120), nullable=True),
        sa.Column("document_date", sa.Date, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("sent_at", UtcDateTime, nullable=True),
        sa.Column("hub_package_id", sa.String(64), nullable=True),
        sa.Column("last_error", sa.String(500), nullable=True),
        _ck("state IN ('pending', 'sent', 'failed')", "ck_office_outbox_state_known"),
        _fk("office_outbox", "agency_id", "office_agencies.agency_id", "RESTRICT"),
        _fk("office_outbox", "incoming_id", "office_incoming.id", "CASCADE"),
    )
    _ix("office_outbox", "incoming_id")
    _ix("office_outbox", "state", "id")


def upgrade() -> None:
    """Create the office's tables."""
    _people()
    _documents()
    _records()


def downgrade() -> None:
    """Drop the office's tables (their indexes go with them)."""
    for table in reversed(TABLES):
        op.drop_table(table)
