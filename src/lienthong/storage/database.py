"""Blobs in the database (``blobs`` + ``blob_chunks``), for nodes that share one database.

Content is kept in chunks of :data:`~lienthong.storage.base.CHUNK_SIZE` (1 MiB) rows, so
neither writing nor reading ever holds more than a chunk or two in memory. ``put`` first
spools the input to a temporary file while hashing it (the key is only known at the end),
then inserts the blob row and its chunks in one short transaction of its own: a blob is
stored before the record that refers to it is committed, exactly as with the file store.

On SQLite, do not ``put`` while a unit of work holds a write transaction on the same
database file: SQLite has one writer at a time. This store is meant for PostgreSQL.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import tempfile
from collections.abc import Iterator
from typing import IO, Any, BinaryIO

from sqlalchemy import Connection, Engine, delete, func, insert, select
from sqlalchemy.exc import IntegrityError, OperationalError

from lienthong.clock import Clock, SystemClock
from lienthong.db.tables import blob_chunks, blobs
from lienthong.errors import StorageError
from lienthong.storage.base import (
    CHUNK_SIZE,
    BlobCheck,
    BlobRef,
    check_key,
    expected_key,
    hash_stream,
    integrity_error,
    iter_chunks,
    not_found,
    too_large,
    verifying,
)


class DatabaseBlobStore:
    """A :class:`~lienthong.storage.base.BlobStore` in the ``blobs`` tables.

    ``bind`` is the Engine (each call runs its own transaction) or, in tests, a Connection
    already in a transaction (each call then runs in a savepoint).
    """

    def __init__(
        self,
        bind: Engine | Connection,
        *,
        clock: Clock | None = None,
        chunk_size: int = CHUNK_SIZE,
    ) -> None:
        if chunk_size <= 0:
            raise ValueError("chunk_size must be positive")
        self._bind = bind
        self._clock = clock or SystemClock()
        self.chunk_size = chunk_size

    # -- transactions --------------------------------------------------------------------

    @contextlib.contextmanager
    def _reading(self) -> Iterator[Connection]:
        try:
            if isinstance(self._bind, Engine):
                with self._bind.connect() as conn:
                    yield conn
            else:
                yield self._bind
        except OperationalError as exc:
            raise StorageError(
                f"blob database unavailable: {exc.orig}", code="storage.unavailable"
            ) from exc

    @contextlib.contextmanager
    def _writing(self) -> Iterator[Connection]:
        try:
            if isinstance(self._bind, Engine):
                with self._bind.begin() as conn:
                    yield conn
            else:
                with self._bind.begin_nested():
                    yield self._bind
        except OperationalError as exc:
            raise StorageError(
                f"blob database unavailable: {exc.orig}", code="storage.unavailable"
            ) from exc

    # -- the BlobStore interface ---------------------------------------------------------

    def put(
        self, data: bytes | BinaryIO, *, max_bytes: int | None = None, sha256: str | None = None
    ) -> BlobRef:
        """Store ``data``; see :meth:`BlobStore.put`."""
        expected = expected_key(sha256)
        if isinstance(data, bytes | bytearray | memoryview):
            if max_bytes is not None and len(data) > max_bytes:
                raise too_large(max_bytes)
            ref = BlobRef(expected or hashlib.sha256(data).hexdigest(), len(data))
            self._insert(ref, io.BytesIO(data))
            return ref
        with tempfile.TemporaryFile(prefix="lienthong-blob-") as spool:
            ref = self._spool(data, spool, max_bytes)
            if expected is not None and ref.sha256 != expected:
                raise integrity_error(expected, ref.sha256)
            spool.seek(0)
            self._insert(ref, spool)
        return ref

    def _spool(self, data: BinaryIO, spool: IO[bytes], max_bytes: int | None) -> BlobRef:
        digest = hashlib.sha256()
        size = 0
        for chunk in iter_chunks(data, self.chunk_size):
            size += len(chunk)
            if max_bytes is not None and size > max_bytes:
                raise too_large(max_bytes)
            digest.update(chunk)
            spool.write(chunk)
        return BlobRef(digest.hexdigest(), size)

    def _insert(self, ref: BlobRef, content: IO[bytes]) -> None:
        if self.exists(ref.sha256):
            return
        chunk_count = -(-ref.size // self.chunk_size)
        try:
            with self._writing() as conn:
                conn.execute(
                    insert(blobs).values(
                        sha256=ref.sha256,
                        size=ref.size,
                        chunk_size=self.chunk_size,
                        chunk_count=chunk_count,
                        created_at=self._clock.now(),
                    )
                )
                for seq in range(chunk_count):
                    chunk = content.read(self.chunk_size)
                    conn.execute(insert(blob_chunks).values(sha256=ref.sha256, seq=seq, data=chunk))
        except IntegrityError:
            # Another writer stored the same content between our check and our insert.
            if not self.exists(ref.sha256):
                raise

    def open(self, sha256: str, *, verify: bool = False) -> BinaryIO:
        """A stream that fetches one chunk at a time; see :meth:`BlobStore.open`."""
        row = self._row(sha256)
        raw = _ChunkReader(self, sha256, int(row.chunk_count))
        stream: BinaryIO = io.BufferedReader(raw, buffer_size=self.chunk_size)
        return verifying(stream, sha256) if verify else stream

    def exists(self, sha256: str) -> bool:
        """Whether the blob is stored."""
        check_key(sha256)
        with self._reading() as conn:
            found = conn.execute(select(blobs.c.sha256).where(blobs.c.sha256 == sha256)).first()
        return found is not None

    def size(self, sha256: str) -> int:
        """The blob's size in bytes."""
        return int(self._row(sha256).size)

    def verify(self, sha256: str) -> BlobCheck:
        """Re-hash the chunks and compare with the key."""
        with self.open(sha256) as stream:
            actual, size = hash_stream(stream)
        return BlobCheck(sha256=sha256, actual_sha256=actual, size=size)

    def delete(self, sha256: str) -> bool:
        """Remove the blob and its chunks; for a garbage collector only (see
        :mod:`lienthong.storage.base`). Returns whether it existed."""
        check_key(sha256)
        with self._writing() as conn:
            conn.execute(delete(blob_chunks).where(blob_chunks.c.sha256 == sha256))
            result = conn.execute(delete(blobs).where(blobs.c.sha256 == sha256))
        return bool(result.rowcount)

    def stored_bytes(self) -> int:
        """The total size of the stored blobs (for operations)."""
        with self._reading() as conn:
            return int(conn.execute(select(func.coalesce(func.sum(blobs.c.size), 0))).scalar_one())

    # -- helpers -------------------------------------------------------------------------

    def _row(self, sha256: str) -> Any:
        check_key(sha256)
        with self._reading() as conn:
            row = conn.execute(
                select(blobs.c.size, blobs.c.chunk_count).where(blobs.c.sha256 == sha256)
            ).first()
        if row is None:
            raise not_found(sha256)
        return row

    def read_chunk(self, sha256: str, seq: int) -> bytes:
        """One chunk of a stored blob (what :meth:`open` streams from)."""
        with self._reading() as conn:
            data = conn.execute(
                select(blob_chunks.c.data).where(
                    blob_chunks.c.sha256 == sha256, blob_chunks.c.seq == seq
                )
            ).scalar_one_or_none()
        if data is None:
            raise StorageError(
                f"blob {sha256} is missing chunk {seq}", code="storage.corrupt", sha256=sha256
            )
        return bytes(data)


class _ChunkReader(io.RawIOBase):
    """Reads a database blob chunk by chunk, one query per chunk."""

    def __init__(self, store: DatabaseBlobStore, sha256: str, chunk_count: int) -> None:
        super().__init__()
        self._store = store
        self._sha256 = sha256
        self._count = chunk_count
        self._next = 0
        self._buffer = b""
        self._pos = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        if self._pos >= len(self._buffer):
            if self._next >= self._count:
                return 0
            self._buffer = self._store.read_chunk(self._sha256, self._next)
            self._next += 1
            self._pos = 0
        n = min(len(buffer), len(self._buffer) - self._pos)
        buffer[:n] = self._buffer[self._pos : self._pos + n]
        self._pos += n
        return n
