"""Change counters: one monotonically increasing number per change feed.

A writer takes the next number with ``UPDATE … SET value = value + 1 … RETURNING value``.
On PostgreSQL that row lock is held until the writer's transaction ends, so numbers are
handed out in commit order and a reader asking "what changed after N" never misses a
change that commits late. SQLite serialises writers anyway.
"""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, String, Table

from lienthong.db.metadata import metadata

change_counters = Table(
    "change_counters",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", BigInteger, nullable=False),
)

#: The feed of the agency directory (its row is created by the first migration).
DIRECTORY_FEED = "directory"
