"""build_container wires settings to a working store, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import subprocess
import sys
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy.engine import URL

from lienthong.bootstrap import build_container, build_hub_container
from lienthong.clock import FixedClock
from lienthong.db import migrate
from lienthong.directory.model import AgencyDraft
from lienthong.settings import load_settings
from lienthong.storage import DatabaseBlobStore, FileBlobStore
from support import clean_env


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
        assert container.blobs.direct_io is True


def test_blob_direct_io_setting_reaches_the_file_store(tmp_path: Path, clock: FixedClock) -> None:
    settings = load_settings(data_dir=tmp_path / "data", blob_direct_io=False)

    with build_container(settings, clock=clock) as container:
        assert isinstance(container.blobs, FileBlobStore)
        assert container.blobs.direct_io is False


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


def test_a_hub_process_builds_the_hub_alone_without_the_office_libraries(
    tmp_path: Path,
) -> None:
    # What `lienthong hub serve` runs in each worker, in a fresh interpreter.
    script = (
        "import sys\n"
        "from lienthong.hub.app import app_from_environment\n"
        "app = app_from_environment()\n"
        "paths = app.openapi()['paths']\n"
        "assert '/api/v1/packages' in paths and '/api/v1/admin/monitor/national' in paths\n"
        "heavy = ['pyhanko', 'PIL', 'openpyxl', 'reportlab', 'aiohttp', 'lienthong.office.services']\n"
        "print(sorted(m for m in heavy if m in sys.modules))\n"
        "from lienthong.hub.app import SWITCH_INTERVAL_S\n"
        "print(sys.getswitchinterval() == SWITCH_INTERVAL_S != 0.005)\n"
    )
    env = clean_env(
        LIENTHONG_DATA_DIR=str(tmp_path / "data"),
        LIENTHONG_HUB_MASTER_KEY=base64.b64encode(bytes(32)).decode("ascii"),
    )
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, check=False
    )

    assert done.returncode == 0, done.stderr
    # No office libraries; the worker's switch interval set (not Python's default).
    assert done.stdout.split() == ["[]", "True"]


def test_the_full_container_shares_the_hubs_national_monitor(tmp_path: Path) -> None:
    with build_container(load_settings(data_dir=tmp_path / "data")) as container:
        assert container.monitor.national is container.national
    with build_hub_container(load_settings(data_dir=tmp_path / "data")) as hub_only:
        assert not hasattr(hub_only, "office")
        assert hub_only.national is not None


@pytest.mark.parametrize(("value", "secure"), [("true", True), ("false", False)])
def test_the_web_ui_s_cookies_are_secure_when_configured(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, value: str, secure: bool
) -> None:
    from lienthong.web.context import context_from_container

    monkeypatch.setenv("LIENTHONG_SECURE_COOKIES", value)
    with build_container(load_settings(data_dir=tmp_path / "data")) as container:
        assert context_from_container(container).secure_cookies is secure
