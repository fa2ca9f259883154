"""The file store's direct I/O: blob bytes past the page cache, exact at every size,
and ordinary I/O where the file system refuses ``O_DIRECT``."""

from __future__ import annotations

import ctypes
import errno
import fcntl
import hashlib
import io
import os
import shutil
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from lienthong.errors import StorageError
from lienthong.storage import CHUNK_SIZE, FileBlobStore, direct
from lienthong.storage import files as files_module

pytestmark = pytest.mark.skipif(not direct.O_DIRECT, reason="no O_DIRECT on this platform")

PAGE = os.sysconf("SC_PAGE_SIZE")

SIZES = [
    0,
    1,
    direct.ALIGN - 1,
    direct.ALIGN,
    direct.ALIGN + 1,
    405_000,  # a hub package with its 300 KB attachment
    CHUNK_SIZE - 1,
    CHUNK_SIZE,
    CHUNK_SIZE + 1,
    2 * CHUNK_SIZE + 12_345,
]


def _content(size: int) -> bytes:
    seed = hashlib.sha256(size.to_bytes(8, "big")).digest()
    return (seed * (size // len(seed) + 1))[:size]


def _direct_store(root: Path) -> FileBlobStore:
    store = FileBlobStore(root)
    # The file system of the test's temporary directory must take O_DIRECT, or these
    # tests say nothing: open one file the way the store does.
    root.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(root / "probe", os.O_WRONLY | os.O_CREAT | direct.O_DIRECT, 0o600)
    except OSError as exc:
        if exc.errno == errno.EINVAL:
            pytest.skip(f"the file system of {root} refuses O_DIRECT")
        raise
    os.close(fd)
    (root / "probe").unlink()
    return store


def _cached_pages(path: Path) -> int:
    """Pages of ``path`` in the page cache, as util-linux's ``fincore`` counts them."""
    fincore = shutil.which("fincore")
    if fincore is None:
        pytest.skip("fincore (util-linux) is not installed")
    out = subprocess.run(
        [fincore, "--noheadings", "--raw", "--output", "PAGES", str(path)],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    return int(out.strip())


class ChunkedStream(io.RawIOBase):
    """``data`` handed out in reads of at most ``step`` bytes (odd sizes, not aligned)."""

    def __init__(self, data: bytes, step: int) -> None:
        super().__init__()
        self._data = memoryview(data)
        self._step = step

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        n = min(len(buffer), self._step, len(self._data))
        buffer[:n] = self._data[:n]
        self._data = self._data[n:]
        return n


@pytest.mark.parametrize("size", SIZES)
def test_every_size_round_trips_from_bytes_and_from_a_stream(tmp_path: Path, size: int) -> None:
    store = _direct_store(tmp_path / "blobs")
    data = _content(size)

    ref = store.put(data)
    again = store.put(io.BufferedReader(ChunkedStream(data, 70_001), 70_001))

    assert ref == again
    assert ref.sha256 == hashlib.sha256(data).hexdigest()
    assert store.size(ref.sha256) == size
    assert store.path_of(ref.sha256).read_bytes() == data  # what an ordinary reader sees
    with store.open(ref.sha256) as stream:
        assert stream.read() == data
    assert store.verify(ref.sha256).ok
    assert store.direct_io is True


def test_streamed_blob_in_odd_pieces_is_exact(tmp_path: Path) -> None:
    store = _direct_store(tmp_path / "blobs")
    data = _content(3 * CHUNK_SIZE + 777)

    ref = store.put(ChunkedStream(data, 4_097), sha256=hashlib.sha256(data).hexdigest())

    assert store.path_of(ref.sha256).read_bytes() == data


def test_partial_reads_seeks_and_readinto(tmp_path: Path) -> None:
    store = _direct_store(tmp_path / "blobs")
    data = _content(CHUNK_SIZE + 5_000)
    ref = store.put(data)

    with store.open(ref.sha256) as stream:
        assert stream.read(10) == data[:10]
        assert stream.read(4_090) == data[10:4_100]
        stream.seek(CHUNK_SIZE - 3)
        assert stream.read(8) == data[CHUNK_SIZE - 3 : CHUNK_SIZE + 5]
        stream.seek(-100, io.SEEK_END)
        assert stream.read() == data[-100:]
        assert stream.read(1) == b""
        stream.seek(5)
        into = bytearray(9_000)
        got = stream.readinto(into)
        assert into[:got] == data[5 : 5 + got]
        assert got > 0
    pieces = []
    with store.open(ref.sha256) as stream:
        while piece := stream.read(65_537):
            pieces.append(piece)
    assert b"".join(pieces) == data


def test_a_verified_read_still_detects_corruption(tmp_path: Path) -> None:
    store = _direct_store(tmp_path / "blobs")
    data = _content(300_000)
    ref = store.put(data)
    path = store.path_of(ref.sha256)
    path.chmod(0o644)
    with path.open("r+b") as fh:
        fh.seek(123_456)
        fh.write(b"X")
    path.chmod(0o444)

    with store.open(ref.sha256, verify=True) as stream, pytest.raises(StorageError) as caught:
        stream.read()
    assert caught.value.code == "storage.corrupt"


def test_direct_writes_and_reads_leave_the_page_cache_alone(tmp_path: Path) -> None:
    data = _content(2 * CHUNK_SIZE + 1_000)
    pages = -(-len(data) // PAGE)
    direct_store = _direct_store(tmp_path / "direct")
    buffered = FileBlobStore(tmp_path / "buffered", direct_io=False)

    ref = direct_store.put(data)
    buffered.put(data)

    # Past the cache: only the tail (under one block) went through it.
    assert _cached_pages(direct_store.path_of(ref.sha256)) <= direct.ALIGN // PAGE
    # The ordinary store leaves every page cached: the measure above can tell.
    assert _cached_pages(buffered.path_of(ref.sha256)) == pages
    with direct_store.open(ref.sha256) as stream:
        assert stream.read() == data
    assert _cached_pages(direct_store.path_of(ref.sha256)) <= direct.ALIGN // PAGE


def _refusing_open(real: Callable[..., int]) -> Callable[..., int]:
    def fake(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if flags & direct.O_DIRECT:
            raise OSError(errno.EINVAL, "Invalid argument")
        return real(path, flags, *args, **kwargs)

    return fake


def test_a_file_system_refusing_o_direct_at_open_gets_ordinary_io(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    monkeypatch.setattr(files_module.os, "open", _refusing_open(os.open))
    data = _content(CHUNK_SIZE + 99)

    ref = store.put(data)

    assert store.direct_io is False
    with store.open(ref.sha256) as stream:
        assert stream.read() == data


def _is_direct(fd: int) -> bool:
    return bool(fcntl.fcntl(fd, fcntl.F_GETFL) & direct.O_DIRECT)


def test_a_refused_direct_write_is_rewritten_through_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _direct_store(tmp_path / "blobs")
    real = os.pwrite
    refused: list[int] = []

    def pwrite(fd: int, data: Any, offset: int) -> int:
        if _is_direct(fd):
            # A partial write first, as a device may do, then the refusal.
            if not refused:
                refused.append(real(fd, memoryview(data)[: direct.ALIGN], offset))
            raise OSError(errno.EINVAL, "Invalid argument")
        return real(fd, data, offset)

    monkeypatch.setattr(direct.os, "pwrite", pwrite)
    data = _content(3 * CHUNK_SIZE + 10)

    ref = store.put(data)

    assert refused
    assert store.direct_io is False  # later blobs go through the cache from the start
    assert store.path_of(ref.sha256).read_bytes() == data


def test_a_refused_direct_read_is_read_through_the_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _direct_store(tmp_path / "blobs")
    data = _content(CHUNK_SIZE + 4_321)
    ref = store.put(data)
    real = os.preadv
    refused: list[int] = []

    def preadv(fd: int, buffers: Any, offset: int) -> int:
        if _is_direct(fd):
            refused.append(fd)
            raise OSError(errno.EINVAL, "Invalid argument")
        return real(fd, buffers, offset)

    monkeypatch.setattr(direct.os, "preadv", preadv)

    with store.open(ref.sha256) as stream:
        assert stream.read() == data
    assert refused
    assert store.direct_io is False  # the next open does not try again
    with store.open(ref.sha256) as stream:
        assert stream.read() == data
    assert len(refused) == 1


def test_other_write_errors_are_not_mistaken_for_a_refusal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = _direct_store(tmp_path / "blobs")

    def full(fd: int, data: Any, offset: int) -> int:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(direct.os, "pwrite", full)

    with pytest.raises(StorageError) as caught:
        store.put(_content(100_000))
    assert caught.value.code == "storage.io"
    assert store.direct_io is True
    assert list((tmp_path / "blobs" / "tmp").iterdir()) == []


def test_concurrent_puts_and_reads_each_get_their_own_buffer(tmp_path: Path) -> None:
    store = _direct_store(tmp_path / "blobs")
    blobs = [_content(200_000 + 4_099 * i) for i in range(24)]
    errors: list[BaseException] = []

    def work(data: bytes) -> None:
        try:
            for _ in range(3):
                ref = store.put(data)
                with store.open(ref.sha256) as stream:
                    assert stream.read() == data
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(b,)) for b in blobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert len(direct.POOL._free) <= direct.KEEP_BUFFERS


def test_the_pool_lends_page_aligned_buffers_and_reuses_them() -> None:
    pool = direct.BufferPool(size=2 * direct.ALIGN, keep=1)

    with pool.lease() as first:
        assert len(first) == 2 * direct.ALIGN
        assert ctypes.addressof(ctypes.c_char.from_buffer(first)) % direct.ALIGN == 0
        first[:3] = b"abc"
        with pool.lease() as second:  # a second caller meanwhile gets its own
            second[:3] = b"xyz"
            assert bytes(first[:3]) == b"abc"
    with pool.lease() as again:
        assert bytes(again[:3]) in {b"abc", b"xyz"}  # one of the two, kept
    assert len(pool._free) == 1


@pytest.mark.skipif(not hasattr(os, "fork"), reason="no fork on this platform")
def test_a_forked_child_does_not_share_the_pooled_buffers() -> None:
    pool = direct.BufferPool(size=direct.ALIGN, keep=1)
    with pool.lease() as view:
        view[:6] = b"parent"
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: scribble on the pooled buffer, say done
        try:
            with pool.lease() as view:
                view[:6] = b"child!"
            os.write(write, b"x")
        finally:
            os._exit(0)
    os.close(write)
    assert os.read(read, 1) == b"x"
    os.close(read)
    os.waitpid(pid, 0)
    with pool.lease() as view:
        assert bytes(view[:6]) == b"parent"
