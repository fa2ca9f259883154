"""The office's journal of what its sync worker took from the hub.

``office_inbound``: one row per hub delivery the worker handled for an office agency —
the package's facts (delivery and package ids, kind, sender, DocumentId, status code), the
outcome (``stored`` as an incoming document, ``applied`` as a status or take-back request,
``ignored`` although valid, ``failed``: acknowledged ``fail`` with the reason), the blob
key of the exact bytes, and the signature reports (package and PDFs) as JSON.
"""

from __future__ import annotations

from sqlalchemy import CheckConstraint, Column, ForeignKey, Index, Integer, String, Table, Text

from lienthong.db.metadata import metadata
from lienthong.db.types import UtcDateTime

#: What happened to a delivery.
INBOUND_OUTCOMES = ("stored", "applied", "ignored", "failed")

office_inbound = Table(
    "office_inbound",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    #: The office agency it was for (``None``: the recipient is not hosted here).
    Column(
        "agency_id",
        Integer,
        ForeignKey("office_agencies.agency_id", ondelete="RESTRICT"),
        nullable=True,
    ),
    Column("recipient", String(64), nullable=False),
    Column("delivery_id", String(64), nullable=False, unique=True),
    Column("package_id", String(64), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("sender", String(64), nullable=False),
    Column("document_id", String(255), nullable=False),
    Column("status_code", String(2), nullable=True),
    Column("outcome", String(16), nullable=False),
    Column("reason", String(2000), nullable=True),
    Column(
        "incoming_id",
        Integer,
        ForeignKey("office_incoming.id", ondelete="SET NULL"),
        nullable=True,
    ),
    Column("package_sha256", String(64), nullable=True),
    #: JSON: ``{"package": <report>, "pdf": [{"file", "report"}]}``.
    Column("reports", Text, nullable=True),
    Column("received_at", UtcDateTime, nullable=False),
    CheckConstraint("outcome IN ('stored', 'applied', 'ignored', 'failed')", name="outcome_known"),
    Index(None, "agency_id", "received_at"),
    Index(None, "incoming_id"),
)
