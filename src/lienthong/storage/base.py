"""The content-addressed blob store interface and what its implementations share.

A blob is an immutable byte string named by the SHA-256 of its content (64 lower-case hex
digits). Storing the same content twice stores it once and returns the same
:class:`BlobRef`. Records (packages, attachments, signed files) hold the key.

There is no ``delete`` in :class:`BlobStore`: since identical content is stored once, one
blob may be referenced by many records, and no single use case can know it is the last.
Implementations offer ``delete`` for a garbage collector that has checked every
reference; nothing else should call it.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO, Protocol, runtime_checkable

from lienthong.errors import NotFound, StorageError

#: How much a store reads, writes or keeps in memory at a time.
CHUNK_SIZE = 1024 * 1024

_KEY = re.compile(r"[0-9a-f]{64}")


@dataclass(frozen=True, slots=True)
class BlobRef:
    """A stored blob: its SHA-256 (hex) and its size in bytes."""

    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class BlobCheck:
    """The result of verifying a stored blob against its key."""

    sha256: str
    actual_sha256: str
    size: int

    @property
    def ok(self) -> bool:
        return self.sha256 == self.actual_sha256


@runtime_checkable
class BlobStore(Protocol):
    """Content-addressed storage of immutable blobs."""

    def put(
        self, data: bytes | BinaryIO, *, max_bytes: int | None = None, sha256: str | None = None
    ) -> BlobRef:
        """Store ``data`` (bytes, or a binary stream read to its end in chunks).

        Streams are never held whole in memory. ``max_bytes`` bounds hostile input:
        more raises :class:`StorageError` ``storage.too_large`` and stores nothing.
        ``sha256``: the key the caller already computed over these very bytes (the hub
        hashes a request body once at the edge). Bytes are then not hashed again; a
        stream is, and a different hash raises ``storage.integrity`` and stores nothing.
        """
        ...

    def open(self, sha256: str, *, verify: bool = False) -> BinaryIO:
        """A binary stream of the blob; with ``verify``, reading to the end checks the hash
        and raises :class:`StorageError` ``storage.corrupt`` on a mismatch."""
        ...

    def exists(self, sha256: str) -> bool:
        """Whether the blob is stored."""
        ...

    def size(self, sha256: str) -> int:
        """The blob's size in bytes; :class:`NotFound` if it is not stored."""
        ...

    def verify(self, sha256: str) -> BlobCheck:
        """Re-hash the stored content; :class:`NotFound` if it is not stored."""
        ...


def check_key(sha256: str) -> str:
    """Return ``sha256`` if it is a well-formed key, else raise ``storage.invalid_key``.

    Keys become file names, so nothing else may pass.
    """
    if not isinstance(sha256, str) or not _KEY.fullmatch(sha256):
        raise StorageError(
            f"not a blob key (64 lower-case hex digits): {sha256!r:.80}",
            code="storage.invalid_key",
        )
    return sha256


def not_found(sha256: str) -> NotFound:
    """The error every store raises for a missing blob."""
    return NotFound(f"no blob {sha256}", code="storage.not_found", sha256=sha256)


def too_large(max_bytes: int) -> StorageError:
    """The error every store raises when ``put`` gets more than ``max_bytes``."""
    return StorageError(
        f"blob larger than the limit of {max_bytes} bytes",
        code="storage.too_large",
        max_bytes=max_bytes,
    )


def expected_key(sha256: str | None) -> str | None:
    """``sha256`` checked as a key (see :meth:`BlobStore.put`), or ``None``."""
    if sha256 is not None:
        check_key(sha256)
    return sha256


def integrity_error(expected: str, actual: str) -> StorageError:
    """The content hashed to ``actual``, the caller said ``expected``."""
    return StorageError(
        f"the content hashes to {actual}, not to the key given ({expected})",
        code="storage.integrity",
    )


def iter_chunks(data: bytes | BinaryIO, chunk_size: int = CHUNK_SIZE) -> Iterator[bytes]:
    """The content of ``data`` in chunks of at most ``chunk_size`` bytes."""
    if isinstance(data, bytes | bytearray | memoryview):
        view = memoryview(data)
        for start in range(0, len(view), chunk_size):
            yield bytes(view[start : start + chunk_size])
        return
    while True:
        chunk = data.read(chunk_size)
        if not chunk:
            return
        if not isinstance(chunk, bytes):
            raise StorageError("put() needs a binary stream", code="storage.bad_input")
        yield chunk


def hash_stream(stream: BinaryIO) -> tuple[str, int]:
    """SHA-256 (hex) and size of what ``stream`` yields, read in chunks."""
    digest = hashlib.sha256()
    size = 0
    for chunk in iter_chunks(stream):
        digest.update(chunk)
        size += len(chunk)
    return digest.hexdigest(), size


class VerifyingReader(io.RawIOBase):
    """Wraps a blob stream; at its end, checks the bytes read hash to the expected key."""

    def __init__(self, inner: BinaryIO, sha256: str) -> None:
        super().__init__()
        self._inner = inner
        self._expected = sha256
        self._digest = hashlib.sha256()
        self._checked = False

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        data = self._inner.read(len(buffer))
        if data:
            buffer[: len(data)] = data
            self._digest.update(data)
            return len(data)
        if not self._checked:
            self._checked = True
            actual = self._digest.hexdigest()
            if actual != self._expected:
                raise StorageError(
                    f"blob {self._expected} is corrupt: its content hashes to {actual}",
                    code="storage.corrupt",
                    sha256=self._expected,
                    actual_sha256=actual,
                )
        return 0

    def close(self) -> None:
        try:
            self._inner.close()
        finally:
            super().close()


def verifying(stream: BinaryIO, sha256: str) -> BinaryIO:
    """``stream`` wrapped so that reading it to the end verifies the content."""
    return io.BufferedReader(VerifyingReader(stream, sha256), buffer_size=CHUNK_SIZE)
