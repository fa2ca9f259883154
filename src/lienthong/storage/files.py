"""Blobs as files: ``<root>/ab/cd/<sha256>``, written to a temporary file and renamed.

``put`` copies the input in chunks into ``<root>/tmp/``, hashing as it goes, fsyncs the
file, then renames it into place (atomic on one file system) and fsyncs the directory. A
crash leaves at most a stray file in ``tmp/``, never a half-written blob. Stored files are
made read-only. Two writers of the same content both rename identical bytes: harmless.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from pathlib import Path
from typing import BinaryIO

from lienthong.errors import StorageError
from lienthong.storage.base import (
    CHUNK_SIZE,
    BlobCheck,
    BlobRef,
    check_key,
    hash_stream,
    iter_chunks,
    not_found,
    too_large,
    verifying,
)


class FileBlobStore:
    """A :class:`~lienthong.storage.base.BlobStore` in a directory (the default store)."""

    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path_of(self, sha256: str) -> Path:
        """Where the blob with this key lives (whether or not it exists)."""
        check_key(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes | BinaryIO, *, max_bytes: int | None = None) -> BlobRef:
        """Store ``data``; see :meth:`BlobStore.put`."""
        if isinstance(data, bytes | bytearray | memoryview):
            size = len(data)
            if max_bytes is not None and size > max_bytes:
                raise too_large(max_bytes)
            sha256 = hashlib.sha256(data).hexdigest()
            if self.path_of(sha256).is_file():
                return BlobRef(sha256, size)
        tmp_dir = self.root / "tmp"
        try:
            tmp_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp_name = tempfile.mkstemp(dir=tmp_dir, prefix="put-")
        except OSError as exc:
            raise _io_error("cannot create a temporary file", exc) from exc
        tmp = Path(tmp_name)
        try:
            sha256, size = self._write(fd, data, max_bytes)
            target = self.path_of(sha256)
            if target.is_file():
                return BlobRef(sha256, size)
            target.parent.mkdir(parents=True, exist_ok=True)
            tmp.chmod(0o444)
            tmp.replace(target)
            _fsync_dir(target.parent)
            return BlobRef(sha256, size)
        except OSError as exc:
            raise _io_error("cannot store a blob", exc) from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    @staticmethod
    def _write(fd: int, data: bytes | BinaryIO, max_bytes: int | None) -> tuple[str, int]:
        digest = hashlib.sha256()
        size = 0
        with os.fdopen(fd, "wb") as out:
            for chunk in iter_chunks(data):
                size += len(chunk)
                if max_bytes is not None and size > max_bytes:
                    raise too_large(max_bytes)
                digest.update(chunk)
                out.write(chunk)
            out.flush()
            os.fsync(out.fileno())
        return digest.hexdigest(), size

    def open(self, sha256: str, *, verify: bool = False) -> BinaryIO:
        """Open the blob for reading; see :meth:`BlobStore.open`."""
        try:
            stream: BinaryIO = self.path_of(sha256).open("rb", buffering=CHUNK_SIZE)
        except FileNotFoundError:
            raise not_found(sha256) from None
        except OSError as exc:
            raise _io_error(f"cannot open blob {sha256}", exc) from exc
        return verifying(stream, sha256) if verify else stream

    def exists(self, sha256: str) -> bool:
        """Whether the blob is stored."""
        return self.path_of(sha256).is_file()

    def size(self, sha256: str) -> int:
        """The blob's size in bytes."""
        try:
            return self.path_of(sha256).stat().st_size
        except FileNotFoundError:
            raise not_found(sha256) from None

    def verify(self, sha256: str) -> BlobCheck:
        """Re-hash the file and compare with its name."""
        with self.open(sha256) as stream:
            actual, size = hash_stream(stream)
        return BlobCheck(sha256=sha256, actual_sha256=actual, size=size)

    def delete(self, sha256: str) -> bool:
        """Remove the blob; for a garbage collector only (see the module
        :mod:`lienthong.storage.base`). Returns whether it existed."""
        try:
            self.path_of(sha256).unlink()
        except FileNotFoundError:
            return False
        except OSError as exc:
            raise _io_error(f"cannot delete blob {sha256}", exc) from exc
        return True


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _io_error(what: str, exc: OSError) -> StorageError:
    return StorageError(f"{what}: {exc.strerror or exc}", code="storage.io")
