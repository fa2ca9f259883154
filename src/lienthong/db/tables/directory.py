"""Tables of the agency directory.

``agencies`` holds one row per agency with both official id forms; ``agency_identifiers``
holds every identifier that resolves to an agency (its QCVN 102 id, its QĐ 20 id and any
non-standard aliases) under a normalised key, so one primary key guarantees that no
identifier can ever point at two agencies.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
)

from lienthong.db.metadata import metadata
from lienthong.db.types import UtcDateTime

agencies = Table(
    "agencies",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("qcvn_id", String(13), nullable=True, unique=True),
    Column("qd20_id", String(35), nullable=True, unique=True),
    Column("name", String(500), nullable=False),
    #: ``text.fold(name)``: what searches compare against.
    Column("name_key", String(500), nullable=False),
    Column("short_name", String(100), nullable=True),
    Column(
        "parent_id",
        Integer,
        ForeignKey("agencies.id", ondelete="RESTRICT"),
        nullable=True,
    ),
    Column("address", String(500), nullable=True),
    Column("email", String(254), nullable=True),
    Column("telephone", String(50), nullable=True),
    Column("fax", String(50), nullable=True),
    Column("website", String(500), nullable=True),
    Column("state", String(16), nullable=False),
    Column("created_at", UtcDateTime, nullable=False),
    Column("updated_at", UtcDateTime, nullable=False),
    #: The directory feed's counter value of this agency's latest change.
    Column("version", BigInteger, nullable=False, unique=True),
    CheckConstraint("qcvn_id IS NOT NULL OR qd20_id IS NOT NULL", name="has_official_id"),
    CheckConstraint("state IN ('active', 'locked')", name="state_known"),
    Index(None, "parent_id"),
    Index(None, "name_key"),
)

agency_identifiers = Table(
    "agency_identifiers",
    metadata,
    #: Upper-cased, trimmed identifier: what resolution looks up.
    Column("key", String(64), primary_key=True),
    #: The identifier as it was registered.
    Column("value", String(64), nullable=False),
    Column("kind", String(8), nullable=False),
    Column(
        "agency_id",
        Integer,
        ForeignKey("agencies.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("created_at", UtcDateTime, nullable=False),
    CheckConstraint("kind IN ('qcvn', 'qd20', 'alias')", name="kind_known"),
    Index(None, "agency_id"),
)
