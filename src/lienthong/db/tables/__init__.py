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

__all__ = [
    "agencies",
    "agency_identifiers",
    "blob_chunks",
    "blobs",
    "change_counters",
    "metadata",
]
