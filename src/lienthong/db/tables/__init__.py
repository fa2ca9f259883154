"""Every table of lienthong, as SQLAlchemy Core ``Table`` objects on one ``MetaData``.

Each feature keeps its tables in its own module here; importing this package registers
them all on :data:`lienthong.db.metadata.metadata` (the migration check compares that
with the migrated schema).
"""

from __future__ import annotations

from lienthong.db.metadata import metadata
from lienthong.db.tables.blobs import blob_chunks, blobs
from lienthong.db.tables.counters import change_counters
from lienthong.db.tables.directory import agencies, agency_identifiers
from lienthong.db.tables.hub import (
    hub_admin_tokens,
    hub_agency_certificates,
    hub_audit,
    hub_audit_checkpoints,
    hub_audit_head,
    hub_deliveries,
    hub_links,
    hub_nonces,
    hub_packages,
    hub_system_agencies,
    hub_systems,
)
from lienthong.db.tables.monitor import monitor_reports, monitor_sent
from lienthong.db.tables.office import (
    office_access,
    office_agencies,
    office_catalogue,
    office_counters,
    office_events,
    office_files,
    office_handlers,
    office_incoming,
    office_memberships,
    office_outbox,
    office_outgoing,
    office_recipients,
    office_sessions,
    office_units,
    office_users,
)
from lienthong.db.tables.office_inbound import office_inbound

__all__ = [
    "agencies",
    "agency_identifiers",
    "blob_chunks",
    "blobs",
    "change_counters",
    "hub_admin_tokens",
    "hub_agency_certificates",
    "hub_audit",
    "hub_audit_checkpoints",
    "hub_audit_head",
    "hub_deliveries",
    "hub_links",
    "hub_nonces",
    "hub_packages",
    "hub_system_agencies",
    "hub_systems",
    "metadata",
    "monitor_reports",
    "monitor_sent",
    "office_access",
    "office_agencies",
    "office_catalogue",
    "office_counters",
    "office_events",
    "office_files",
    "office_handlers",
    "office_inbound",
    "office_incoming",
    "office_memberships",
    "office_outbox",
    "office_outgoing",
    "office_recipients",
    "office_sessions",
    "office_units",
    "office_users",
]
