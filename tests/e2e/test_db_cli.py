"""``lienthong db …`` run as a user types it, in a real process."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import create_engine, inspect
from sqlalchemy.engine import URL

from lienthong.db import migrate

LIENTHONG = Path(sys.executable).with_name("lienthong")


#: The newest revision the code knows; the CLI must report it.
HEAD = migrate.head()


def run(
    *args: str, cwd: Path, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed ``lienthong`` command with a clean LIENTHONG_* environment."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("LIENTHONG_")}
    base["COLUMNS"] = "200"
    return subprocess.run(
        [str(LIENTHONG), *args],
        cwd=cwd,
        env={**base, **(env or {})},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_upgrade_creates_the_sqlite_store_then_is_idempotent(tmp_path: Path) -> None:
    data_dir = tmp_path / "lienthong-data"
    env = {"LIENTHONG_DATA_DIR": str(data_dir)}

    first = run("db", "upgrade", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert f"sqlite:///{data_dir / 'lienthong.sqlite3'}" in first.stdout
    assert "Was at:   (empty database)" in first.stdout
    assert "Applied:  0001" in first.stdout  # the first revision, then the rest up to HEAD
    assert f"Now at the newest revision {HEAD}." in first.stdout
    assert (data_dir / "lienthong.sqlite3").is_file()
    assert (data_dir / "blobs").is_dir()

    second = run("db", "upgrade", cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    assert f"Already at the newest revision {HEAD}: nothing to do." in second.stdout
    assert "Applied" not in second.stdout

    current = run("db", "current", cwd=tmp_path, env=env)
    assert current.returncode == 0, current.stderr
    assert f"Revision: {HEAD} (newest)" in current.stdout


def test_current_on_a_missing_store_says_what_to_do(tmp_path: Path) -> None:
    result = run("db", "current", cwd=tmp_path, env={"LIENTHONG_DATA_DIR": str(tmp_path / "d")})

    assert result.returncode == 1
    assert "run `lienthong db upgrade`" in result.stdout
    assert not (tmp_path / "d").exists()


def test_upgrade_reads_the_config_option(tmp_path: Path) -> None:
    data_dir = tmp_path / "from-config"
    config = tmp_path / "lienthong.toml"
    config.write_text(f'[lienthong]\ndata_dir = "{data_dir}"\n', encoding="utf-8")

    result = run("--config", str(config), "db", "upgrade", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    assert (data_dir / "lienthong.sqlite3").is_file()


def test_history_lists_the_revisions(tmp_path: Path) -> None:
    result = run("db", "history", cwd=tmp_path)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith("0001  Initial schema")
    newest = next(line for line in lines if "(newest)" in line)
    assert newest.startswith(f"{HEAD}  ")


def test_bad_database_url_is_an_error_with_exit_code_2(tmp_path: Path) -> None:
    result = run("db", "upgrade", cwd=tmp_path, env={"LIENTHONG_DATABASE_URL": "mysql://u@h/d"})

    assert result.returncode == 2
    assert "config.database_url" in result.stderr


@pytest.mark.postgres
def test_upgrade_on_postgresql_from_the_environment(
    pg_databases: Callable[[], URL], tmp_path: Path
) -> None:
    url = pg_databases()
    env = {"LIENTHONG_DATABASE_URL": url.render_as_string(hide_password=False)}

    first = run("db", "upgrade", cwd=tmp_path, env=env)
    assert first.returncode == 0, first.stderr
    assert "Database: postgresql+psycopg://" in first.stdout
    assert f"/{url.database}" in first.stdout
    assert f"Now at the newest revision {HEAD}." in first.stdout

    second = run("db", "upgrade", cwd=tmp_path, env=env)
    assert second.returncode == 0, second.stderr
    assert "nothing to do" in second.stdout

    engine = create_engine(url)
    try:
        tables = set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
    assert {"agencies", "agency_identifiers", "blobs", "blob_chunks"} <= tables
