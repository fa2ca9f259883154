"""Write-once byte stores for attachment payloads: memory while small, a temporary file above.

The reader decodes each attachment into a :class:`Spool`. A spool stays in memory up to a
per-spool threshold (1 MiB by default) while a shared memory budget lasts; past that it
moves to an anonymous temporary file (``tempfile.TemporaryFile``, unlinked at once on
POSIX, removed when the last reader closes). A frozen spool hands out independent readers:
``BytesIO`` over the bytes, or a positioned reader (``os.pread``) over the shared file, so
several readers never disturb each other's position.
"""

from __future__ import annotations

import io
import os
import tempfile
import weakref
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

MiB = 1024 * 1024

#: A spool larger than this leaves memory for a temporary file.
DEFAULT_THRESHOLD = 1 * MiB
#: At most this many bytes of all spools of one factory are kept in memory.
DEFAULT_MEMORY_BUDGET = 32 * MiB


class _SharedFile:
    """A temporary file closed when the last spool, opener or reader using it is gone."""

    def __init__(self, directory: Path | None) -> None:
        self.file: BinaryIO = tempfile.TemporaryFile(dir=directory)  # noqa: SIM115
        weakref.finalize(self, self.file.close)


class _PositionedReader(io.RawIOBase):
    """A raw reader over a shared file descriptor with its own position (``os.pread``)."""

    def __init__(self, shared: _SharedFile, size: int) -> None:
        super().__init__()
        self._shared = shared  # keeps the temporary file open while this reader lives
        self._fd = shared.file.fileno()
        self._size = size
        self._pos = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        want = min(len(buffer), self._size - self._pos)
        if want <= 0:
            return 0
        data = os.pread(self._fd, want, self._pos)
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError("negative seek position")
        self._pos = base + offset
        return self._pos

    def tell(self) -> int:
        return self._pos


class SpoolFactory:
    """Makes spools that share one memory budget and one temporary directory."""

    def __init__(
        self,
        directory: Path | None = None,
        *,
        threshold: int = DEFAULT_THRESHOLD,
        memory_budget: int = DEFAULT_MEMORY_BUDGET,
    ) -> None:
        self.directory = directory
        self.threshold = threshold
        self.memory_left = memory_budget
        self._spools: list[Spool] = []

    def new(self) -> Spool:
        spool = Spool(self)
        self._spools.append(spool)
        return spool

    def discard_all(self) -> None:
        """Drop every spool made so far (after a failed read)."""
        for spool in self._spools:
            spool.discard()
        self._spools.clear()


class Spool:
    """Bytes written once, then read any number of times through :meth:`opener`."""

    def __init__(self, factory: SpoolFactory) -> None:
        self._factory = factory
        #: In-memory content as written (joined once, when frozen).
        self._memory: list[bytes] | None = []
        self._data: bytes | None = None
        self._file: _SharedFile | None = None
        self.size = 0

    @property
    def on_disk(self) -> bool:
        return self._file is not None

    def write(self, data: bytes) -> None:
        if not data:
            return
        if self._memory is not None:
            factory = self._factory
            if self.size + len(data) <= factory.threshold and len(data) <= factory.memory_left:
                self._memory.append(bytes(data))
                factory.memory_left -= len(data)
                self.size += len(data)
                return
            self._roll_over()
        if self._file is None:
            raise ValueError("spool is frozen")
        self._file.file.write(data)
        self.size += len(data)

    def _roll_over(self) -> None:
        if self._memory is None:
            raise ValueError("spool is frozen")
        self._file = _SharedFile(self._factory.directory)
        for part in self._memory:
            self._file.file.write(part)
        self._factory.memory_left += self.size
        self._memory = None

    def opener(self) -> Callable[[], BinaryIO]:
        """Freeze the spool and return a function that opens a new reader on it."""
        if self._memory is not None:
            self._data = b"".join(self._memory)
            self._memory = None
        if self._data is not None:
            data = self._data
            return lambda: io.BytesIO(data)
        shared = self._file
        if shared is None:
            raise ValueError("spool was discarded")
        shared.file.flush()
        size = self.size

        def open_file() -> BinaryIO:
            return io.BufferedReader(_PositionedReader(shared, size), buffer_size=1 << 16)

        return open_file

    def open(self) -> BinaryIO:
        """One reader on the content (freezes the spool)."""
        return self.opener()()

    def discard(self) -> None:
        """Release memory or the temporary file; readers already open keep working."""
        if self._memory is not None or self._data is not None:
            self._factory.memory_left += self.size
        self._memory = None
        self._data = None
        self._file = None
        self.size = 0
