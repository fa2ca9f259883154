"""Hub: the claim and push indexes of ``hub_deliveries`` hold open deliveries only.

On PostgreSQL the index that claims deliveries (recipient, state, available_at) keeps
only deliveries not yet acknowledged done, and the index of due pushes only those of them
with a push still pending. A delivery acknowledged done then writes no entry into either,
and both stay the size of the open work instead of growing with every delivery ever
made. On SQLite nothing changes (see ``lienthong.db.tables.hub``).

The indexes are rebuilt in the migration's transaction, which holds a write lock on
``hub_deliveries`` until both are built.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-08
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision: str | None = "0005"
branch_labels: str | None = None
depends_on: str | None = None

_CLAIM = (
    "ix_hub_deliveries_recipient_id_state_available_at",
    ["recipient_id", "state", "available_at"],
)
_PUSH = ("ix_hub_deliveries_push_state_push_next_at", ["push_state", "push_next_at"])
#: The conditions of ``lienthong.db.tables.hub`` (OPEN_DELIVERY, PUSH_DUE) as of this revision.
_OPEN = "state <> 'done'"
_DUE = "push_state = 'pending' AND state <> 'done'"


def _rebuild(claim_where: str | None, push_where: str | None) -> None:
    if op.get_bind().dialect.name != "postgresql":
        return
    for (name, columns), where in ((_CLAIM, claim_where), (_PUSH, push_where)):
        op.drop_index(name, table_name="hub_deliveries")
        op.create_index(
            name,
            "hub_deliveries",
            columns,
            postgresql_where=sa.text(where) if where is not None else None,
        )


def upgrade() -> None:
    """Make both indexes partial (PostgreSQL)."""
    _rebuild(_OPEN, _DUE)


def downgrade() -> None:
    """Make both indexes whole again (PostgreSQL)."""
    _rebuild(None, None)
