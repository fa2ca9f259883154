"""Initial schema: change counters, blob store, agency directory.

Revision ID: 0001
Revises:
Create Date: 2026-05-10
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lienthong.db.types import UtcDateTime

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create the tables and the directory's change counter."""
    counters = op.create_table(
        "change_counters",
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("value", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_change_counters"),
    )
    op.bulk_insert(counters, [{"name": "directory", "value": 0}])

    op.create_table(
        "blobs",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger, nullable=False),
        sa.Column("chunk_size", sa.Integer, nullable=False),
        sa.Column("chunk_count", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("sha256", name="pk_blobs"),
        sa.CheckConstraint("size >= 0", name="ck_blobs_size_not_negative"),
        sa.CheckConstraint("chunk_size > 0", name="ck_blobs_chunk_size_positive"),
    )
    op.create_table(
        "blob_chunks",
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("seq", sa.Integer, nullable=False),
        sa.Column("data", sa.LargeBinary, nullable=False),
        sa.PrimaryKeyConstraint("sha256", "seq", name="pk_blob_chunks"),
        sa.ForeignKeyConstraint(
            ["sha256"],
            ["blobs.sha256"],
            name="fk_blob_chunks_sha256_blobs",
            ondelete="CASCADE",
        ),
    )

    op.create_table(
        "agencies",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("qcvn_id", sa.String(13), nullable=True),
        sa.Column("qd20_id", sa.String(35), nullable=True),
        sa.Column("name", sa.String(500), nullable=False),
        sa.Column("name_key", sa.String(500), nullable=False),
        sa.Column("short_name", sa.String(100), nullable=True),
        sa.Column("parent_id", sa.Integer, nullable=True),
        sa.Column("address", sa.String(500), nullable=True),
        sa.Column("email", sa.String(254), nullable=True),
        sa.Column("telephone", sa.String(50), nullable=True),
        sa.Column("fax", sa.String(50), nullable=True),
        sa.Column("website", sa.String(500), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("updated_at", UtcDateTime, nullable=False),
        sa.Column("version", sa.BigInteger, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_agencies"),
        sa.UniqueConstraint("qcvn_id", name="uq_agencies_qcvn_id"),
        sa.UniqueConstraint("qd20_id", name="uq_agencies_qd20_id"),
        sa.UniqueConstraint("version", name="uq_agencies_version"),
        sa.ForeignKeyConstraint(
            ["parent_id"],
            ["agencies.id"],
            name="fk_agencies_parent_id_agencies",
            ondelete="RESTRICT",
        ),
        sa.CheckConstraint(
            "qcvn_id IS NOT NULL OR qd20_id IS NOT NULL", name="ck_agencies_has_official_id"
        ),
        sa.CheckConstraint("state IN ('active', 'locked')", name="ck_agencies_state_known"),
    )
    op.create_index("ix_agencies_parent_id", "agencies", ["parent_id"])
    op.create_index("ix_agencies_name_key", "agencies", ["name_key"])

    op.create_table(
        "agency_identifiers",
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("value", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("agency_id", sa.Integer, nullable=False),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("key", name="pk_agency_identifiers"),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["agencies.id"],
            name="fk_agency_identifiers_agency_id_agencies",
            ondelete="CASCADE",
        ),
        sa.CheckConstraint(
            "kind IN ('qcvn', 'qd20', 'alias')", name="ck_agency_identifiers_kind_known"
        ),
    )
    op.create_index("ix_agency_identifiers_agency_id", "agency_identifiers", ["agency_id"])


def downgrade() -> None:
    """Drop everything the upgrade created."""
    op.drop_index("ix_agency_identifiers_agency_id", table_name="agency_identifiers")
    op.drop_table("agency_identifiers")
    op.drop_index("ix_agencies_name_key", table_name="agencies")
    op.drop_index("ix_agencies_parent_id", table_name="agencies")
    op.drop_table("agencies")
    op.drop_table("blob_chunks")
    op.drop_table("blobs")
    op.drop_table("change_counters")
