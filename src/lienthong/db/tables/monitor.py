"""Tables of the compliance monitor.

- ``monitor_sent`` (office side): the statistics reports an office agency sent to the
  monitor agency through the hub, with the yearly number each report took (its own
  series, apart from the outgoing register) and the hub's answer.
- ``monitor_reports`` (hub side): one row per report package the hub's monitor looked at,
  accepted (the figures, as canonical JSON) or rejected (with the problem), so that no
  package is read twice.

The monitor also added ``office_outgoing.dossier`` (see ``db/tables/office.py``).
"""

from __future__ import annotations

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from lienthong.db.metadata import metadata
from lienthong.db.tables.hub import ID_LENGTH
from lienthong.db.types import UtcDateTime

monitor_sent = Table(
    "monitor_sent",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "agency_id",
        Integer,
        ForeignKey("office_agencies.agency_id", ondelete="RESTRICT"),
        nullable=False,
    ),
    Column("period", String(16), nullable=False),
    Column("year", Integer, nullable=False),
    Column("number", Integer, nullable=False),
    #: The report package's edXML DocumentId.
    Column("document_id", String(255), nullable=False),
    #: The monitor agency it was sent to, as the package names it.
    Column("recipient_code", String(64), nullable=False),
    #: SHA-256 of the statistics payload (the JSON attachment).
    Column("payload_sha256", String(64), nullable=False),
    Column("state", String(16), nullable=False),
    Column("hub_package_id", String(64), nullable=True),
    Column("error", String(500), nullable=True),
    Column("created_at", UtcDateTime, nullable=False),
    Column("sent_at", UtcDateTime, nullable=True),
    CheckConstraint("state IN ('pending', 'sent', 'failed')", name="state_known"),
    UniqueConstraint("agency_id", "year", "number"),
    Index(None, "agency_id", "period"),
)

monitor_reports = Table(
    "monitor_reports",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "package_id",
        String(ID_LENGTH),
        ForeignKey("hub_packages.id", ondelete="RESTRICT"),
        nullable=False,
        unique=True,
    ),
    Column("sender_id", Integer, ForeignKey("agencies.id", ondelete="RESTRICT"), nullable=False),
    Column("state", String(16), nullable=False),
    #: Set for accepted reports.
    Column("period", String(16), nullable=True),
    Column("period_start", Date, nullable=True),
    Column("period_end", Date, nullable=True),
    Column("generated_at", UtcDateTime, nullable=True),
    #: The canonical JSON of the figures (accepted reports).
    Column("payload", Text, nullable=True),
    Column("payload_sha256", String(64), nullable=True),
    #: Why a package was not accepted.
    Column("problem", String(500), nullable=True),
    #: When the hub took the package in, and when the monitor read it.
    Column("received_at", UtcDateTime, nullable=False),
    Column("collected_at", UtcDateTime, nullable=False),
    CheckConstraint("state IN ('accepted', 'rejected')", name="state_known"),
    Index(None, "period", "sender_id"),
)
