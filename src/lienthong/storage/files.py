"""Blobs as files: ``<root>/ab/cd/<sha256>``, written to a temporary file and renamed.

``put`` copies the input in chunks into a read-only file in ``<root>/tmp/`` (hashing a
stream as it goes; bytes are hashed first, to find an existing blob, unless the caller
gives the hash), fsyncs the file, then renames it into place (atomic on one file system)
and fsyncs the directory. A crash leaves at most a stray file in ``tmp/``, never a
half-written blob. Two writers of the same content both rename identical bytes: harmless.
Directories are made when a rename or create first finds them missing, not per call; the
first blob a store object puts in a directory also fsyncs that directory's entries up to
the root, so the blob's whole path survives a crash, not only its last entry.

With ``direct_io`` (the default; setting ``blob_direct_io``) blob bytes are written and
read past the page cache, with ``O_DIRECT`` (:mod:`lienthong.storage.direct`), falling
back to ordinary I/O where the file system refuses it.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import secrets
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from lienthong.errors import StorageError
from lienthong.storage import direct
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


class FileBlobStore:
    """A :class:`~lienthong.storage.base.BlobStore` in a directory (the default store)."""

    def __init__(self, root: Path, *, direct_io: bool = True) -> None:
        self.root = Path(root)
        #: Whether blob bytes go past the page cache (``O_DIRECT``) where the system can;
        #: turned off for good when the file system refuses it.
        self.direct_io = bool(direct_io and direct.O_DIRECT)
        #: Leaf directories (``ab/cd``, by the number ``0xabcd``) whose path this object
        #: has made durable up to the root (see :meth:`_make_durable`).
        self._synced = bytearray(0x10000)
        #: The same for the top directories (``ab``, by ``0xab``).
        self._synced_top = bytearray(0x100)
        self._root_synced = False

    def path_of(self, sha256: str) -> Path:
        """Where the blob with this key lives (whether or not it exists)."""
        check_key(sha256)
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(
        self, data: bytes | BinaryIO, *, max_bytes: int | None = None, sha256: str | None = None
    ) -> BlobRef:
        """Store ``data``; see :meth:`BlobStore.put`."""
        expected = expected_key(sha256)
        if isinstance(data, bytes | bytearray | memoryview):
            size = len(data)
            if max_bytes is not None and size > max_bytes:
                raise too_large(max_bytes)
            key = expected or hashlib.sha256(data).hexdigest()
            target = self.path_of(key)
            if target.is_file():
                self._existing(target)
            else:
                self._place(target, lambda writer: writer.write(data))
            return BlobRef(key, size)
        written: list[tuple[str, int]] = []

        def copy(writer: direct.BlockWriter) -> str:
            key, size = _copy_hashing(writer, data, max_bytes)
            if expected is not None and key != expected:
                raise integrity_error(expected, key)
            written.append((key, size))
            return key

        self._place(None, copy)
        key, size = written[0]
        return BlobRef(key, size)

    def _place(self, target: Path | None, write: Callable[[direct.BlockWriter], object]) -> None:
        """Write a temporary file with ``write(writer)``, fsync it, rename it to ``target``
        (or to the key ``write`` returns) and fsync the directory. An existing blob is
        kept (same key, same bytes)."""
        tmp = self.root / "tmp" / f"put-{secrets.token_hex(12)}"
        try:
            fd, direct_io = self._create(tmp)
        except OSError as exc:
            raise _io_error("cannot create a temporary file", exc) from exc
        try:
            try:
                with direct.BlockWriter(fd, direct=direct_io, on_refusal=self._refused) as writer:
                    key = write(writer)
                    writer.finish()
                os.fsync(fd)
            finally:
                os.close(fd)
            if target is None:
                target = self.path_of(str(key))
                if target.is_file():
                    self._make_durable(target)
                    return
            try:
                os.replace(tmp, target)
            except FileNotFoundError:
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(tmp, target)
            self._make_durable(target)
        except OSError as exc:
            raise _io_error("cannot store a blob", exc) from exc
        finally:
            with contextlib.suppress(FileNotFoundError):
                tmp.unlink()

    def _make_durable(self, target: Path) -> None:
        """Make the blob's path last: its entry in its directory, and, the first time
        this store object puts a blob in that directory, the directory's entry in its
        parent — and so on up: ``ab``'s in the root the first time for ``ab``, the root's
        in its parent the first time at all. Whoever made a directory (another
        thread, another process) may not have fsynced its entry yet; a blob must not be
        answered as stored before its whole path is durable."""
        leaf = target.parent
        _fsync_dir(leaf)
        slot = int(target.name[:4], 16)
        if self._synced[slot]:
            return
        _fsync_dir(leaf.parent)
        if not self._synced_top[slot >> 8]:
            _fsync_dir(self.root)
            if not self._root_synced:
                # The store's own place, made once at setup: where its parent cannot be
                # opened for reading (only traversed), that is the operator's to ensure.
                with contextlib.suppress(PermissionError):
                    _fsync_dir(self.root.parent)
                self._root_synced = True
            self._synced_top[slot >> 8] = 1
        self._synced[slot] = 1

    def _existing(self, target: Path) -> None:
        """A blob already stored: make sure its path is durable (an earlier put of the
        same bytes may have failed between the rename and the fsyncs)."""
        try:
            self._make_durable(target)
        except OSError as exc:
            raise _io_error("cannot store a blob", exc) from exc

    def _create(self, tmp: Path) -> tuple[int, bool]:
        """A new temporary file, and whether it was opened for direct I/O."""
        # Read-only from the start (the writer's descriptor may still write): no chmod.
        flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
        try:
            return self._open(tmp, flags, 0o444)
        except FileNotFoundError:  # the first blob: make tmp/ (once)
            tmp.parent.mkdir(parents=True, exist_ok=True)
            return self._open(tmp, flags, 0o444)

    def _open(self, path: Path, flags: int, mode: int = 0o444) -> tuple[int, bool]:
        """``os.open`` with ``O_DIRECT`` while :attr:`direct_io`; without it (from now
        on) if the file system refuses it. The descriptor, and whether it is direct."""
        if self.direct_io:
            try:
                return os.open(path, flags | direct.O_DIRECT, mode), True
            except OSError as exc:
                if not direct.is_refusal(exc):
                    raise
                self._refused()
        return os.open(path, flags, mode), False

    def _refused(self) -> None:
        """The file system refused direct I/O: ordinary I/O from now on."""
        self.direct_io = False

    def open(self, sha256: str, *, verify: bool = False) -> BinaryIO:
        """Open the blob for reading; see :meth:`BlobStore.open`."""
        path = self.path_of(sha256)
        try:
            fd, direct_io = self._open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
        except FileNotFoundError:
            raise not_found(sha256) from None
        except OSError as exc:
            raise _io_error(f"cannot open blob {sha256}", exc) from exc
        raw: io.RawIOBase = (
            direct.DirectReader(fd, on_refusal=self._refused) if direct_io else io.FileIO(fd, "rb")
        )
        stream: BinaryIO = io.BufferedReader(raw, buffer_size=CHUNK_SIZE)
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


def _copy_hashing(
    writer: direct.BlockWriter, data: BinaryIO, max_bytes: int | None
) -> tuple[str, int]:
    digest = hashlib.sha256()
    size = 0
    for chunk in iter_chunks(data):
        size += len(chunk)
        if max_bytes is not None and size > max_bytes:
            raise too_large(max_bytes)
        digest.update(chunk)
        writer.write(chunk)
    return digest.hexdigest(), size


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _io_error(what: str, exc: OSError) -> StorageError:
    return StorageError(f"{what}: {exc.strerror or exc}", code="storage.io")
