"""The engine factory and the portable column types, on real databases."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from sqlalchemy import Column, Connection, Integer, MetaData, Table, insert, select
from sqlalchemy.engine import URL
from sqlalchemy.exc import StatementError

from lienthong.db import engine as engine_module
from lienthong.db.engine import SQLITE_BUSY_TIMEOUT_MS, make_engine
from lienthong.db.types import UtcDateTime


def test_sqlite_engine_creates_the_data_directory_and_sets_its_pragmas(tmp_path: Path) -> None:
    data_dir = tmp_path / "nested" / "data"
    engine = make_engine(f"sqlite:///{data_dir / 'lienthong.sqlite3'}")
    try:
        with engine.connect() as conn:
            journal = conn.exec_driver_sql("PRAGMA journal_mode").scalar()
            foreign_keys = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
            busy = conn.exec_driver_sql("PRAGMA busy_timeout").scalar()
    finally:
        engine.dispose()
    assert data_dir.is_dir()
    assert (data_dir / "lienthong.sqlite3").is_file()
    assert journal == "wal"
    assert foreign_keys == 1
    assert busy == SQLITE_BUSY_TIMEOUT_MS


def test_sqlite_savepoint_rollback_stays_inside_the_outer_transaction(tmp_path: Path) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'sp.sqlite3'}")
    try:
        with engine.connect() as conn:
            conn.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            conn.commit()
            outer = conn.begin()
            with conn.begin_nested():
                conn.exec_driver_sql("INSERT INTO t VALUES (1)")
            outer.rollback()
            assert conn.exec_driver_sql("SELECT count(*) FROM t").scalar() == 0
    finally:
        engine.dispose()


_meta = MetaData()
_stamps = Table(
    "utc_stamps_test",
    _meta,
    Column("id", Integer, primary_key=True),
    Column("at", UtcDateTime, nullable=False),
)


def test_utc_datetime_round_trips_as_aware_utc(connection: Connection) -> None:
    _meta.create_all(connection)
    hanoi = timezone(timedelta(hours=7))
    connection.execute(insert(_stamps).values(id=1, at=datetime(2026, 5, 10, 15, 30, tzinfo=hanoi)))

    stored = connection.execute(select(_stamps.c.at)).scalar_one()

    assert stored == datetime(2026, 5, 10, 8, 30, tzinfo=UTC)
    assert stored.utcoffset() == timedelta(0)


def test_utc_datetime_refuses_naive_values(connection: Connection) -> None:
    _meta.create_all(connection)
    with pytest.raises(StatementError, match="naive datetime"):
        connection.execute(
            insert(_stamps).values(id=2, at=datetime(2026, 5, 10, 8, 30))  # noqa: DTZ001
        )


@pytest.mark.postgres
def test_postgres_pool_replaces_a_connection_that_died_while_idle(
    pg_databases: Callable[[], URL], monkeypatch: pytest.MonkeyPatch
) -> None:
    """No pre-ping per checkout: a connection idle past ``PING_IDLE_S`` is pinged, and a
    dead one is replaced before the caller sees it."""
    url = pg_databases()
    engine, other = make_engine(url), make_engine(url)
    try:
        with engine.connect() as conn:
            first = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
        with engine.connect() as conn:  # busy, not pinged: the same connection comes back
            assert conn.exec_driver_sql("SELECT pg_backend_pid()").scalar() == first
        with other.connect() as killer:
            killer.exec_driver_sql(f"SELECT pg_terminate_backend({int(first)})")
        monkeypatch.setattr(engine_module, "PING_IDLE_S", 0.0)
        with engine.connect() as conn:
            second = conn.exec_driver_sql("SELECT pg_backend_pid()").scalar()
            assert conn.exec_driver_sql("SELECT 41 + 1").scalar() == 42
    finally:
        engine.dispose()
        other.dispose()
    assert second != first
