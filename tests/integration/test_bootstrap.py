"""build_container wires settings to a working store, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from lienthong.bootstrap import build_container
from lienthong.clock import FixedClock
from lienthong.db import migrate
from lienthong.directory.model import AgencyDraft
from lienthong.settings import load_settings
from lienthong.storage import DatabaseBlobStore, FileBlobStore


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock(datetime(2026, 5, 10, 1, 2, 3, tzinfo=UTC))


def test_sqlite_container_with_file_blobs(tmp_path: Path, clock: FixedClock) -> None:
    settings = load_settings(data_dir=tmp_path / "data")

    with build_container(settings, clock=clock) as container:
        migrate.upgrade(container.engine)
        agency = container.directory.register(
            AgencyDraft(name="Văn phòng Chính phủ", qcvn_id="000.00.00.G22")
        )
        ref = container.blobs.put(b"package bytes")

        assert isinstance(container.blobs, FileBlobStore)
        assert container.blobs.root == tmp_path / "data" / "blobs"
        assert agency.created_at == clock.now()
        assert container.directory.resolve("000.00.00.G22") == agency
        assert (tmp_path / "data" / "lienthong.sqlite3").is_file()
        assert container.blobs.exists(ref.sha256)


@pytest.mark.postgres
def test_postgresql_container_with_database_blobs(
    pg_databases: Callable[[], URL], tmp_path: Path, clock: FixedClock
) -> None:
    url = pg_databases().render_as_string(hide_password=False)
    settings = load_settings(data_dir=tmp_path / "data", database_url=url, blob_store="db")

    with build_container(settings, clock=clock) as container:
        migrate.upgrade(container.engine)
        ref = container.blobs.put(b"shared between nodes")
        agency = container.directory.register(AgencyDraft(name="Bộ Y tế", qcvn_id="000.00.00.G18"))

        assert isinstance(container.blobs, DatabaseBlobStore)
        assert container.engine.dialect.name == "postgresql"
        assert container.blobs.verify(ref.sha256).ok
        assert container.directory.changes_since(0) == [agency]
    assert not (tmp_path / "data").exists()
