"""Both blob stores: the file store, and the database store on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import tracemalloc
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select, update

from lienthong.db.tables import blob_chunks, blobs
from lienthong.errors import NotFound, StorageError
from lienthong.storage import CHUNK_SIZE, BlobRef, BlobStore, DatabaseBlobStore, FileBlobStore

_BLOCK = 64 * 1024


class GeneratedStream(io.RawIOBase):
    """``size`` bytes made on the fly (never held whole), noting the largest read asked."""

    def __init__(self, size: int) -> None:
        super().__init__()
        self._size = size
        self._pos = 0
        self.largest_read = 0

    def readable(self) -> bool:
        return True

    def _block(self, index: int) -> bytes:
        seed = hashlib.sha256(index.to_bytes(8, "big")).digest()
        return seed * (_BLOCK // len(seed))

    def readinto(self, buffer: memoryview) -> int:  # type: ignore[override]
        self.largest_read = max(self.largest_read, len(buffer))
        if self._pos >= self._size:
            return 0
        index, offset = divmod(self._pos, _BLOCK)
        block = self._block(index)[offset:]
        n = min(len(buffer), len(block), self._size - self._pos)
        buffer[:n] = block[:n]
        self._pos += n
        return n

    def sha256(self) -> str:
        """The hash of the whole content (reads this stream to its end)."""
        digest = hashlib.sha256()
        while chunk := self.read(_BLOCK):
            digest.update(chunk)
        return digest.hexdigest()


STORES = [
    "files",
    "files-buffered",
    "database-sqlite",
    pytest.param("database-postgresql", marks=pytest.mark.postgres),
]


@pytest.fixture(params=STORES)
def store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[BlobStore]:
    kind = str(request.param)
    if kind.startswith("files"):
        yield FileBlobStore(tmp_path / "blobs", direct_io=kind == "files")
        return
    engine = request.getfixturevalue(f"{kind.removeprefix('database-')}_engine")
    assert isinstance(engine, Engine)
    with engine.connect() as conn:
        transaction = conn.begin()
        yield DatabaseBlobStore(conn)
        transaction.rollback()


def _sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_put_bytes_then_open_returns_them(store: BlobStore) -> None:
    data = "Công văn số 7816/VPCP-TTĐT".encode()

    ref = store.put(data)

    assert ref == BlobRef(_sha(data), len(data))
    assert store.exists(ref.sha256)
    assert store.size(ref.sha256) == len(data)
    with store.open(ref.sha256) as stream:
        assert stream.read() == data


def test_put_a_stream_equals_put_bytes(store: BlobStore) -> None:
    data = bytes(range(256)) * 9000  # 2.3 MB: several chunks, the last one partial

    from_stream = store.put(io.BytesIO(data))
    from_bytes = store.put(data)

    assert from_stream == from_bytes == BlobRef(_sha(data), len(data))
    with store.open(from_stream.sha256) as stream:
        assert stream.read() == data


def test_empty_blob(store: BlobStore) -> None:
    ref = store.put(b"")

    assert ref == BlobRef(_sha(b""), 0)
    with store.open(ref.sha256) as stream:
        assert stream.read() == b""


def test_same_content_is_stored_once(store: BlobStore) -> None:
    data = b"x" * (CHUNK_SIZE + 10)
    first = store.put(data)
    second = store.put(io.BytesIO(data))

    assert first == second
    if isinstance(store, FileBlobStore):
        files = [p for p in store.root.rglob("*") if p.is_file()]
        assert files == [store.path_of(first.sha256)]
    else:
        assert isinstance(store, DatabaseBlobStore)
        bind = store._bind  # the test connection
        assert bind.execute(select(func.count()).select_from(blobs)).scalar_one() == 1
        assert bind.execute(select(func.count()).select_from(blob_chunks)).scalar_one() == 2


def test_a_20_mb_stream_is_stored_without_reading_it_whole(store: BlobStore) -> None:
    size = 20 * 1024 * 1024
    source = GeneratedStream(size)
    expected_sha = GeneratedStream(size).sha256()

    tracemalloc.start()
    try:
        ref = store.put(source)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert ref == BlobRef(expected_sha, size)
    assert source.largest_read <= CHUNK_SIZE
    assert peak < 8 * 1024 * 1024, f"put() held {peak} bytes at its peak"
    digest = hashlib.sha256()
    total = 0
    with store.open(ref.sha256) as stream:
        while chunk := stream.read(256 * 1024):
            digest.update(chunk)
            total += len(chunk)
    assert (digest.hexdigest(), total) == (expected_sha, size)


def test_a_key_given_by_the_caller_is_used_for_bytes_and_checked_for_streams(
    store: BlobStore,
) -> None:
    data = "Gói tin đã băm ở biên".encode() * 100
    key = _sha(data)

    assert store.put(data, sha256=key) == BlobRef(key, len(data))
    with store.open(key, verify=True) as stream:
        assert stream.read() == data
    other = b"another stream" * 50
    with pytest.raises(StorageError) as caught:
        store.put(io.BytesIO(other), sha256=key)
    assert caught.value.code == "storage.integrity"
    assert not store.exists(_sha(other))
    assert store.put(io.BytesIO(other), sha256=_sha(other)) == BlobRef(_sha(other), len(other))
    with pytest.raises(StorageError) as caught:
        store.put(data, sha256="not-a-key")
    assert caught.value.code == "storage.invalid_key"


def test_max_bytes_refuses_oversized_input_and_stores_nothing(store: BlobStore) -> None:
    data = b"y" * 5000
    for given in (data, io.BytesIO(data)):
        with pytest.raises(StorageError) as caught:
            store.put(given, max_bytes=4096)
        assert caught.value.code == "storage.too_large"
    assert not store.exists(_sha(data))
    assert store.put(data, max_bytes=5000).size == 5000


def test_missing_blob_is_not_found(store: BlobStore) -> None:
    missing = _sha(b"never stored")

    assert not store.exists(missing)
    for call in (store.open, store.size, store.verify):
        with pytest.raises(NotFound) as caught:
            call(missing)
        assert caught.value.code == "storage.not_found"


@pytest.mark.parametrize("key", ["../../etc/passwd", "ABC", "g" * 64, "A" * 64, ""])
def test_malformed_keys_are_refused(store: BlobStore, key: str) -> None:
    with pytest.raises(StorageError) as caught:
        store.exists(key)
    assert caught.value.code == "storage.invalid_key"


def test_verify_detects_corrupted_content(store: BlobStore) -> None:
    data = b"original content " * 1000
    ref = store.put(data)
    assert store.verify(ref.sha256).ok

    if isinstance(store, FileBlobStore):
        path = store.path_of(ref.sha256)
        path.chmod(0o644)
        path.write_bytes(b"tampered" + data[8:])
    else:
        assert isinstance(store, DatabaseBlobStore)
        store._bind.execute(
            update(blob_chunks)
            .where(blob_chunks.c.sha256 == ref.sha256)
            .values(data=b"tampered" + data[8:])
        )

    check = store.verify(ref.sha256)
    assert not check.ok
    assert check.actual_sha256 == _sha(b"tampered" + data[8:])
    with store.open(ref.sha256) as plain:
        assert plain.read().startswith(b"tampered")
    with store.open(ref.sha256, verify=True) as checked, pytest.raises(StorageError) as caught:
        checked.read()
    assert caught.value.code == "storage.corrupt"


def test_verified_read_of_intact_content_passes(store: BlobStore) -> None:
    data = b"z" * (3 * CHUNK_SIZE // 2)
    ref = store.put(data)
    with store.open(ref.sha256, verify=True) as stream:
        assert stream.read() == data


def test_delete_is_there_for_garbage_collection(store: BlobStore) -> None:
    assert isinstance(store, FileBlobStore | DatabaseBlobStore)
    ref = store.put(b"to be collected")

    assert store.delete(ref.sha256) is True
    assert not store.exists(ref.sha256)
    assert store.delete(ref.sha256) is False
    assert store.put(b"to be collected") == ref
    assert store.exists(ref.sha256)


def test_file_store_layout_and_read_only_files(tmp_path: Path) -> None:
    store = FileBlobStore(tmp_path / "blobs")
    ref = store.put(b"layout")

    path = store.path_of(ref.sha256)
    assert path == tmp_path / "blobs" / ref.sha256[:2] / ref.sha256[2:4] / ref.sha256
    assert path.read_bytes() == b"layout"
    assert path.stat().st_mode & 0o222 == 0
    assert list((tmp_path / "blobs" / "tmp").iterdir()) == []


def test_file_store_fsyncs_every_directory_entry_a_blob_adds(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A blob in a new ``ab/cd/`` directory adds three entries (the file, ``cd`` in
    ``ab``, ``ab`` in the root), and the first one the root itself: all are fsynced before
    put returns, or a crash after the commit could lose the blob's path. Directories this
    store object already made durable are not fsynced again (only the one the blob
    entered). Another writer (here a
    second store object, as another process would be) that finds the directories made
    fsyncs their entries once itself: their maker may not have yet."""
    from lienthong.storage import files

    synced: list[Path] = []
    real = files._fsync_dir

    def recording(path: Path) -> None:
        synced.append(path)
        real(path)

    def matching(tag: str, wanted: Callable[[str], bool]) -> bytes:
        return next(
            data
            for n in range(1_000_000)
            if wanted(hashlib.sha256(data := f"{tag} {n}".encode()).hexdigest())
        )

    monkeypatch.setattr(files, "_fsync_dir", recording)
    root = tmp_path / "blobs"
    store = FileBlobStore(root)
    first = store.put(b"first blob")
    leaf = store.path_of(first.sha256).parent
    assert sorted(synced) == sorted([leaf, leaf.parent, root, tmp_path])

    synced.clear()
    store.put(matching("sibling", lambda key: key[:4] == first.sha256[:4]))
    assert synced == [leaf]

    synced.clear()
    cousin = store.put(
        matching(
            "cousin", lambda key: key[:2] == first.sha256[:2] and key[2:4] != first.sha256[2:4]
        )
    )
    new_leaf = store.path_of(cousin.sha256).parent
    assert sorted(synced) == sorted([new_leaf, leaf.parent])  # ab/ already durable

    synced.clear()
    stranger = store.put(matching("stranger", lambda key: key[:2] != first.sha256[:2]))
    far_leaf = store.path_of(stranger.sha256).parent
    assert sorted(synced) == sorted([far_leaf, far_leaf.parent, root])

    synced.clear()
    other = FileBlobStore(root)  # found made: synced again, once
    other.put(matching("other", lambda key: key[:4] == first.sha256[:4]))
    assert sorted(synced) == sorted([leaf, leaf.parent, root, tmp_path])
    synced.clear()
    other.put(b"first blob")  # already stored: its path made durable all the same
    assert synced == [leaf]
