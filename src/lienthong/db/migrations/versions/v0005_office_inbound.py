"""Office: the sync worker's journal of hub deliveries (office_inbound).

Revision ID: 0005
Revises: 0004
Create Date: 2026-05-15
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lienthong.db.types import UtcDateTime

revision = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Create ``office_inbound``."""
    op.create_table(
        "office_inbound",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("agency_id", sa.Integer, nullable=True),
        sa.Column("recipient", sa.String(64), nullable=False),
        sa.Column("delivery_id", sa.String(64), nullable=False),
        sa.Column("package_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("sender", sa.String(64), nullable=False),
        sa.Column("document_id", sa.String(255), nullable=False),
        sa.Column("status_code", sa.String(2), nullable=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("reason", sa.String(2000), nullable=True),
        sa.Column("incoming_id", sa.Integer, nullable=True),
        sa.Column("package_sha256", sa.String(64), nullable=True),
        sa.Column("reports", sa.Text, nullable=True),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_office_inbound"),
        sa.CheckConstraint(
            "outcome IN ('stored', 'applied', 'ignored', 'failed')",
            name="ck_office_inbound_outcome_known",
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["office_agencies.agency_id"],
            name="fk_office_inbound_agency_id_office_agencies",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["incoming_id"],
            ["office_incoming.id"],
            name="fk_office_inbound_incoming_id_office_incoming",
            ondelete="SET NULL",
        ),
        sa.UniqueConstraint("delivery_id", name="uq_office_inbound_delivery_id"),
    )
    op.create_index(
        "ix_office_inbound_agency_id_received_at", "office_inbound", ["agency_id", "received_at"]
    )
    op.create_index("ix_office_inbound_incoming_id", "office_inbound", ["incoming_id"])


def downgrade() -> None:
    """Drop ``office_inbound``."""
    op.drop_table("office_inbound")
