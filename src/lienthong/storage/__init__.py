"""Content-addressed blob storage (SHA-256 keys).

:class:`BlobStore` is the interface services use; :class:`FileBlobStore` (files under the
data directory, the default) and :class:`DatabaseBlobStore` (chunked rows, for nodes that
share one database) implement it. ``bootstrap.build_container`` picks one from the
``blob_store`` setting.
"""

from __future__ import annotations

from lienthong.storage.base import CHUNK_SIZE, BlobCheck, BlobRef, BlobStore
from lienthong.storage.database import DatabaseBlobStore
from lienthong.storage.files import FileBlobStore

__all__ = [
    "CHUNK_SIZE",
    "BlobCheck",
    "BlobRef",
    "BlobStore",
    "DatabaseBlobStore",
    "FileBlobStore",
]
