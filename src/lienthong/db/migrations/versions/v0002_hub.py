"""Hub: systems, certificates, admin tokens, nonces, packages, deliveries, links, audit log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-05-11
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lienthong.db.types import UtcDateTime

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None

_ID = 26


def _systems() -> None:
    op.create_table(
        "hub_systems",
        sa.Column("system_id", sa.String(128), nullable=False),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("secret", sa.LargeBinary, nullable=False),
        sa.Column("previous_secret", sa.LargeBinary, nullable=True),
        sa.Column("previous_expires_at", UtcDateTime, nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("webhook_url", sa.String(2000), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("system_id", name="pk_hub_systems"),
        sa.CheckConstraint("state IN ('active', 'locked')", name="ck_hub_systems_state_known"),
    )
    op.create_table(
        "hub_system_agencies",
        sa.Column("system_id", sa.String(128), nullable=False),
        sa.Column("agency_id", sa.Integer, nullable=False),
        sa.PrimaryKeyConstraint("system_id", "agency_id", name="pk_hub_system_agencies"),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["hub_systems.system_id"],
            name="fk_hub_system_agencies_system_id_hub_systems",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name="fk_hub_system_agencies_agency_id_agencies",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_hub_system_agencies_agency_id", "hub_system_agencies", ["agency_id"])
    op.create_table(
        "hub_agency_certificates",
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("agency_id", sa.Integer, nullable=False),
        sa.Column("subject", sa.String(2000), nullable=False),
        sa.Column("not_before", UtcDateTime, nullable=False),
        sa.Column("not_after", UtcDateTime, nullable=False),
        sa.Column("pem", sa.Text, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("fingerprint", "agency_id", name="pk_hub_agency_certificates"),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name="fk_hub_agency_certificates_agency_id_agencies",
            ondelete="CASCADE",
        ),
    )
    op.create_index(
        "ix_hub_agency_certificates_agency_id", "hub_agency_certificates", ["agency_id"]
    )
    op.create_table(
        "hub_admin_tokens",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("revoked_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_hub_admin_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_hub_admin_tokens_token_hash"),
    )
    op.create_table(
        "hub_nonces",
        sa.Column("system_id", sa.String(128), nullable=False),
        sa.Column("nonce", sa.String(64), nullable=False),
        sa.Column("expires_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("system_id", "nonce", name="pk_hub_nonces"),
    )
    op.create_index("ix_hub_nonces_expires_at", "hub_nonces", ["expires_at"])


def _packages() -> None:
    op.create_table(
        "hub_packages",
        sa.Column("id", sa.String(_ID), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("system_id", sa.String(128), nullable=False),
        sa.Column("sender_id", sa.Integer, nullable=False),
        sa.Column("sender_code", sa.String(64), nullable=False),
        sa.Column("document_id", sa.String(255), nullable=False),
        sa.Column("code", sa.String(255), nullable=True),
        sa.Column("subject", sa.Text, nullable=True),
        sa.Column("business_type", sa.Integer, nullable=True),
        sa.Column("business_document_id", sa.String(255), nullable=True),
        sa.Column("status_code", sa.String(2), nullable=True),
        sa.Column("status_description", sa.Text, nullable=True),
        sa.Column("status_at", UtcDateTime, nullable=True),
        sa.Column("dedup_key", sa.String(64), nullable=False),
        sa.Column("trace", sa.Text, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_hub_packages"),
        sa.UniqueConstraint("dedup_key", name="uq_hub_packages_dedup_key"),
        sa.ForeignKeyConstraint(
            ["system_id"],
            ["hub_systems.system_id"],
            name="fk_hub_packages_system_id_hub_systems",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["agencies.id"],
            name="fk_hub_packages_sender_id_agencies",
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint("kind IN ('document', 'status')", name="ck_hub_packages_kind_known"),
    )
    op.create_index("ix_hub_packages_document_id", "hub_packages", ["document_id"])
    op.create_index("ix_hub_packages_sender_id", "hub_packages", ["sender_id"])
    op.create_index("ix_hub_packages_received_at", "hub_packages", ["received_at"])

    op.create_table(
        "hub_deliveries",
        sa.Column("id", sa.String(_ID), nullable=False),
        sa.Column("package_id", sa.String(_ID), nullable=False),
        sa.Column("recipient_id", sa.Integer, nullable=False),
        sa.Column("recipient_code", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("available_at", UtcDateTime, nullable=False),
        sa.Column("leased_by", sa.String(128), nullable=True),
        sa.Column("leased_until", UtcDateTime, nullable=True),
        sa.Column("claims", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("received_at", UtcDateTime, nullable=True),
        sa.Column("acked_at", UtcDateTime, nullable=True),
        sa.Column("ack_reason", sa.Text, nullable=True),
        sa.Column("push_state", sa.String(16), nullable=False),
        sa.Column("push_attempts", sa.Integer, nullable=False),
        sa.Column("push_next_at", UtcDateTime, nullable=True),
        sa.Column("push_error", sa.String(500), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_hub_deliveries"),
        sa.UniqueConstraint(
            "package_id", "recipient_id", name="uq_hub_deliveries_package_id_recipient_id"
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["hub_packages.id"],
            name="fk_hub_deliveries_package_id_hub_packages",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["recipient_id"],
            ["agencies.id"],
            name="fk_hub_deliveries_recipient_id_agencies",
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint(
            "state IN ('pending', 'leased', 'done', 'failed')",
            name="ck_hub_deliveries_state_known",
        ),
        sa.CheckConstraint("kind IN ('document', 'status')", name="ck_hub_deliveries_kind_known"),
        sa.CheckConstraint(
            "push_state IN ('none', 'pending', 'done', 'failed')",
            name="ck_hub_deliveries_push_known",
        ),
    )
    op.create_index(
        "ix_hub_deliveries_recipient_id_state_available_at",
        "hub_deliveries",
        ["recipient_id", "state", "available_at"],
    )
    op.create_index(
        "ix_hub_deliveries_push_state_push_next_at",
        "hub_deliveries",
        ["push_state", "push_next_at"],
    )

    op.create_table(
        "hub_links",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("document_id", sa.String(255), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("package_id", sa.String(_ID), nullable=False),
        sa.Column("linked_document_id", sa.String(255), nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_hub_links"),
        sa.UniqueConstraint(
            "document_id", "package_id", name="uq_hub_links_document_id_package_id"
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["hub_packages.id"],
            name="fk_hub_links_package_id_hub_packages",
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint(
            "kind IN ('revoke', 'update', 'replace')", name="ck_hub_links_kind_known"
        ),
    )
    op.create_index("ix_hub_links_package_id", "hub_links", ["package_id"])
    op.create_index("ix_hub_links_linked_document_id", "hub_links", ["linked_document_id"])


def _audit() -> None:
    op.create_table(
        "hub_audit",
        sa.Column("seq", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("actor", sa.String(200), nullable=False),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("data", sa.Text, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_hub_audit"),
    )
    head = op.create_table(
        "hub_audit_head",
        sa.Column("id", sa.Integer, autoincrement=False, nullable=False),
        sa.Column("seq", sa.BigInteger, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_hub_audit_head"),
    )
    op.bulk_insert(head, [{"id": 1, "seq": 0, "hash": "0" * 64}])
    op.create_table(
        "hub_audit_checkpoints",
        sa.Column("seq", sa.BigInteger, autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("at", UtcDateTime, nullable=False),
        sa.Column("signature", sa.Text, nullable=False),
        sa.Column("certificate", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("seq", name="pk_hub_audit_checkpoints"),
    )


def upgrade() -> None:
    """Create the hub's tables and the audit chain's head row."""
    _systems()
    _packages()
    _audit()


def downgrade() -> None:
    """Drop everything the upgrade created."""
    op.drop_table("hub_audit_checkpoints")
    op.drop_table("hub_audit_head")
    op.drop_table("hub_audit")
    op.drop_index("ix_hub_links_linked_document_id", table_name="hub_links")
    op.drop_index("ix_hub_links_package_id", table_name="hub_links")
    op.drop_table("hub_links")
    op.drop_index("ix_hub_deliveries_push_state_push_next_at", table_name="hub_deliveries")
    op.drop_index("ix_hub_deliveries_recipient_id_state_available_at", table_name="hub_deliveries")
    op.drop_table("hub_deliveries")
    op.drop_index("ix_hub_packages_received_at", table_name="hub_packages")
    op.drop_index("ix_hub_packages_sender_id", table_name="hub_packages")
    op.drop_index("ix_hub_packages_document_id", table_name="hub_packages")
    op.drop_table("hub_packages")
    op.drop_index("ix_hub_nonces_expires_at", table_name="hub_nonces")
    op.drop_table("hub_nonces")
    op.drop_table("hub_admin_tokens")
    op.drop_index("ix_hub_agency_certificates_agency_id", table_name="hub_agency_certificates")
    op.drop_table("hub_agency_certificates")
    op.drop_index("ix_hub_system_agencies_agency_id", table_name="hub_system_agencies")
    op.drop_table("hub_system_agencies")
    op.drop_table("hub_systems")
