"""Direct I/O for the file blob store: a blob's bytes to and from the disk, past the page cache.

A blob is written once and read back a few times at most (the hub: once per recipient,
soon after). Through the page cache each write first copies the bytes into newly
allocated cache pages, and a later read that misses the cache copies them in again. On
this project's reference machine (a 2-core VM) that copy is cheap alone but not under
load: with the hub busy, writing a 405 KB blob cost ~0.88 ms of CPU and reading one that
is not cached ~0.74 ms; with ``O_DIRECT`` 0.13 ms and 0.08 ms (``docs/performance.md``,
"Blob files past the page cache").

Linux's ``O_DIRECT`` needs the memory buffer, the file offset and the length aligned;
:data:`ALIGN` (4 KiB) is what block devices accept. So the bytes pass through a small
pool of page-aligned buffers (anonymous ``mmap``, reused: no new memory per call).

- :class:`BlockWriter` writes a new file from its start: whole 4 KiB blocks directly;
  the tail (under 4 KiB) through the page cache, after ``O_DIRECT`` is turned off on the
  descriptor. ``fsync`` afterwards makes both durable, as for any file.
- :class:`DirectReader` reads with aligned reads into a pooled buffer and copies out.

Where the file system refuses ``O_DIRECT`` (``EINVAL`` at open or on the first read or
write: tmpfs before Linux 6.6, some network file systems) the same call goes through the
page cache instead, so a store works everywhere; on systems without ``O_DIRECT`` nothing
changes at all.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import io
import mmap
import os
import threading
from collections.abc import Callable, Iterator

from lienthong.storage.base import CHUNK_SIZE

#: Alignment of buffers, offsets and lengths for direct I/O.
ALIGN = 4096
#: ``os.O_DIRECT`` where the platform has it, else 0 (then nothing is direct).
O_DIRECT: int = getattr(os, "O_DIRECT", 0)
#: Size of a pooled buffer: what one direct read or write moves at most.
BUFFER_SIZE = CHUNK_SIZE
#: Buffers kept for reuse; more may exist at once (one per concurrent call).
KEEP_BUFFERS = 4

if BUFFER_SIZE % ALIGN:  # pragma: no cover - a constant
    raise RuntimeError("the direct I/O buffer must be a whole number of blocks")


class BufferPool:
    """Page-aligned buffers (anonymous ``mmap``) lent one per call and kept for reuse."""

    def __init__(self, size: int = BUFFER_SIZE, keep: int = KEEP_BUFFERS) -> None:
        self.size = size
        self._keep = keep
        self._free: list[mmap.mmap] = []
        self._lock = threading.Lock()

    @contextlib.contextmanager
    def lease(self) -> Iterator[memoryview]:
        """A buffer of :attr:`size` bytes for the ``with`` block (its view is released
        on the way out; do not keep slices of it)."""
        with self._lock:
            buffer = self._free.pop() if self._free else None
        if buffer is None:
            # Private: a forked child gets its own copy, never the parent's bytes.
            buffer = mmap.mmap(-1, self.size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
        view = memoryview(buffer)
        try:
            yield view
        finally:
            view.release()
            with self._lock:
                kept = len(self._free) < self._keep
                if kept:
                    self._free.append(buffer)
            if not kept:
                with contextlib.suppress(BufferError):  # a slice still alive: GC closes it
                    buffer.close()


POOL = BufferPool()


def is_refusal(exc: OSError) -> bool:
    """Whether ``exc`` says the file system does not do direct I/O (``EINVAL``)."""
    return exc.errno == errno.EINVAL


def drop_direct(fd: int) -> None:
    """Turn ``O_DIRECT`` off on ``fd``: what follows goes through the page cache."""
    flags = fcntl.fcntl(fd, fcntl.F_GETFL)
    if flags & O_DIRECT:
        fcntl.fcntl(fd, fcntl.F_SETFL, flags & ~O_DIRECT)


class _Refusal:
    """What a reader or writer does when the file system refuses a direct read or write:
    ``O_DIRECT`` off on the descriptor, and ``on_refusal`` called (once)."""

    def __init__(self, on_refusal: Callable[[], object] | None) -> None:
        self._on_refusal = on_refusal

    def handle(self, fd: int, exc: OSError) -> None:
        """Re-raise ``exc`` unless it is a refusal; else turn to the page cache."""
        if not is_refusal(exc):
            raise exc
        drop_direct(fd)
        if self._on_refusal is not None:
            self._on_refusal()
            self._on_refusal = None


def _pwrite_all(fd: int, view: memoryview, offset: int) -> None:
    while view:
        written = os.pwrite(fd, view, offset)
        view = view[written:]
        offset += written


class BlockWriter:
    """Writes a new file from its start; use as a context manager, then :meth:`finish`.

    With ``direct`` (the descriptor opened with ``O_DIRECT``), bytes are gathered in a
    pooled buffer and written a buffer at a time; :meth:`finish` writes the last whole
    blocks directly and the tail through the page cache. Without, each :meth:`write`
    goes straight to the file. A refusal of direct I/O switches to the page cache,
    rewrites the same bytes at the same offset and calls ``on_refusal`` (once)."""

    def __init__(
        self, fd: int, *, direct: bool, on_refusal: Callable[[], object] | None = None
    ) -> None:
        self._fd = fd
        self._direct = bool(direct and O_DIRECT)
        self._refusal = _Refusal(on_refusal)
        self._offset = 0
        self._fill = 0
        self._lease: contextlib.AbstractContextManager[memoryview] | None = None
        self._buffer: memoryview | None = None

    def __enter__(self) -> BlockWriter:
        if self._direct:
            self._lease = POOL.lease()
            self._buffer = self._lease.__enter__()
        return self

    def __exit__(self, *exc: object) -> None:
        lease, self._lease, self._buffer = self._lease, None, None
        if lease is not None:
            lease.__exit__(None, None, None)

    def write(self, data: bytes | bytearray | memoryview) -> None:
        """Append ``data``."""
        view = memoryview(data).cast("B")
        buffer = self._buffer
        if buffer is None:
            _pwrite_all(self._fd, view, self._offset)
            self._offset += len(view)
            return
        while view:
            n = min(len(view), len(buffer) - self._fill)
            buffer[self._fill : self._fill + n] = view[:n]
            self._fill += n
            view = view[n:]
            if self._fill == len(buffer):
                self._blocks(buffer)
                self._fill = 0

    def finish(self) -> None:
        """Write what is gathered: whole blocks directly, the tail through the cache."""
        buffer = self._buffer
        if buffer is None or not self._fill:
            return
        whole = self._fill - self._fill % ALIGN
        if whole:
            self._blocks(buffer[:whole])
        if whole < self._fill:
            drop_direct(self._fd)
            _pwrite_all(self._fd, buffer[whole : self._fill], self._offset)
            self._offset += self._fill - whole
        self._fill = 0

    def _blocks(self, view: memoryview) -> None:
        try:
            _pwrite_all(self._fd, view, self._offset)
        except OSError as exc:
            self._refusal.handle(self._fd, exc)
            _pwrite_all(self._fd, view, self._offset)
        self._offset += len(view)


class DirectReader(io.RawIOBase):
    """A file opened with ``O_DIRECT``, read with aligned reads through a pooled buffer.

    Takes ownership of ``fd`` (closed with the reader). Seekable; ``readall`` returns
    the rest of the file with one copy per buffer-full. ``on_refusal`` is called once if
    the file system refuses a direct read (the reader then reads through the cache)."""

    def __init__(self, fd: int, on_refusal: Callable[[], object] | None = None) -> None:
        super().__init__()
        self._fd = fd
        self._pos = 0
        self._refusal = _Refusal(on_refusal)

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def fileno(self) -> int:
        return self._fd

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        if whence == io.SEEK_SET:
            target = offset
        elif whence == io.SEEK_CUR:
            target = self._pos + offset
        elif whence == io.SEEK_END:
            target = os.fstat(self._fd).st_size + offset
        else:
            raise ValueError(f"invalid whence: {whence}")
        if target < 0:
            raise OSError(errno.EINVAL, "negative seek position")
        self._pos = target
        return target

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        out = memoryview(buffer).cast("B")
        if not out:
            return 0
        with POOL.lease() as block:
            chunk = self._read_block(block, len(out))
            n = len(chunk)
            out[:n] = chunk
            del chunk
        return n

    def readall(self) -> bytes:
        parts: list[bytes] = []
        with POOL.lease() as block:
            while True:
                chunk = self._read_block(block, len(block))
                if not chunk:
                    break
                parts.append(bytes(chunk))
                del chunk
        return parts[0] if len(parts) == 1 else b"".join(parts)

    def _read_block(self, block: memoryview, want: int) -> memoryview:
        """Up to ``want`` bytes from the position on (fewer at the end), as a slice of
        ``block``; the position moves past them."""
        start = self._pos - self._pos % ALIGN
        skip = self._pos - start
        length = min(len(block), -(-(skip + want) // ALIGN) * ALIGN)
        try:
            got = os.preadv(self._fd, [block[:length]], start)
        except OSError as exc:
            self._refusal.handle(self._fd, exc)
            got = os.preadv(self._fd, [block[:length]], start)
        n = max(0, min(got - skip, want))
        self._pos += n
        return block[skip : skip + n]

    def close(self) -> None:
        if not self.closed:
            try:
                os.close(self._fd)
            finally:
                super().close()
