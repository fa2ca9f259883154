"""Tables of the database-backed blob store: one row per blob, its content in chunks."""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Table,
)

from lienthong.db.metadata import metadata
from lienthong.db.types import UtcDateTime

blobs = Table(
    "blobs",
    metadata,
    Column("sha256", String(64), primary_key=True),
    Column("size", BigInteger, nullable=False),
    Column("chunk_size", Integer, nullable=False),
    Column("chunk_count", Integer, nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("size >= 0", name="size_not_negative"),
    CheckConstraint("chunk_size > 0", name="chunk_size_positive"),
)

blob_chunks = Table(
    "blob_chunks",
    metadata,
    Column(
        "sha256",
        String(64),
        ForeignKey("blobs.sha256", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("seq", Integer, primary_key=True),
    Column("data", LargeBinary, nullable=False),
)
