"""Monitor: sent statistics reports, received report packages, office_outgoing.dossier.

Revision ID: 0004
Revises: 0003
Create Date: 2026-05-14
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from lienthong.db.types import UtcDateTime

revision = "0004"
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Add the dossier flag to outgoing documents and the monitor's two tables."""
    # A nullable column without constraint: a plain ALTER TABLE on both databases.
    op.add_column("office_outgoing", sa.Column("dossier", sa.Boolean(), nullable=True))
    op.create_table(
        "monitor_sent",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("agency_id", sa.Integer, nullable=False),
        sa.Column("period", sa.String(16), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("number", sa.Integer, nullable=False),
        sa.Column("document_id", sa.String(255), nullable=False),
        sa.Column("recipient_code", sa.String(64), nullable=False),
        sa.Column("payload_sha256", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("hub_package_id", sa.String(64), nullable=True),
        sa.Column("error", sa.String(500), nullable=True),
        sa.Column("created_at", UtcDateTime, nullable=False),
        sa.Column("sent_at", UtcDateTime, nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_monitor_sent"),
        sa.CheckConstraint(
            "state IN ('pending', 'sent', 'failed')", name="ck_monitor_sent_state_known"
        ),
        sa.ForeignKeyConstraint(
            ["agency_id"],
            ["office_agencies.agency_id"],
            name="fk_monitor_sent_agency_id_office_agencies",
            ondelete="RESTRICT",
        ),
        sa.UniqueConstraint(
            "agency_id", "year", "number", name="uq_monitor_sent_agency_id_year_number"
        ),
    )
    op.create_index("ix_monitor_sent_agency_id_period", "monitor_sent", ["agency_id", "period"])
    op.create_table(
        "monitor_reports",
        sa.Column("id", sa.Integer, autoincrement=True, nullable=False),
        sa.Column("package_id", sa.String(26), nullable=False),
        sa.Column("sender_id", sa.Integer, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("period", sa.String(16), nullable=True),
        sa.Column("period_start", sa.Date, nullable=True),
        sa.Column("period_end", sa.Date, nullable=True),
        sa.Column("generated_at", UtcDateTime, nullable=True),
        sa.Column("payload", sa.Text, nullable=True),
        sa.Column("payload_sha256", sa.String(64), nullable=True),
        sa.Column("problem", sa.String(500), nullable=True),
        sa.Column("received_at", UtcDateTime, nullable=False),
        sa.Column("collected_at", UtcDateTime, nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_monitor_reports"),
        sa.CheckConstraint(
            "state IN ('accepted', 'rejected')", name="ck_monitor_reports_state_known"
        ),
        sa.ForeignKeyConstraint(
            ["package_id"],
            ["hub_packages.id"],
            name="fk_monitor_reports_package_id_hub_packages",
            ondelete="RESTRICT",
        ),
        sa.ForeignKeyConstraint(
            ["sender_id"],
            ["agencies.id"],
            name="fk_monitor_reports_sender_id_agencies",
            ondelete="RESTRICT",
        ),
        sa.UniqueConstraint("package_id", name="uq_monitor_reports_package_id"),
    )
    op.create_index(
        "ix_monitor_reports_period_sender_id", "monitor_reports", ["period", "sender_id"]
    )


def downgrade() -> None:
    """Drop the monitor's tables and the dossier flag."""
    op.drop_table("monitor_reports")
    op.drop_table("monitor_sent")
    # SQLite (3.35+) and PostgreSQL both drop a plain column in place; a batch rebuild of
    # office_outgoing would cascade-delete its recipients on SQLite.
    op.execute("ALTER TABLE office_outgoing DROP COLUMN dossier")
