"""Storage fixtures: every storage test runs on SQLite and on PostgreSQL.

- ``db_kind`` is parametrised over ``sqlite`` and ``postgresql`` (the latter marked
  ``postgres``); ``migrated_engine`` is that kind's database, created and migrated to head
  once per session (SQLite in a temporary directory, PostgreSQL in a throw-away database).
- ``connection`` opens a transaction per test and rolls it back at the end; units of work
  made by ``make_uow`` join it through savepoints, so ``uow.commit()`` behaves as in
  production while nothing outlives the test.
- ``empty_engine`` / ``fresh_engine`` give a test its own database (empty, or migrated)
  when it must see real commits or run migrations itself.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine
from sqlalchemy.engine import URL

from lienthong.clock import FixedClock
from lienthong.db import migrate
from lienthong.db.engine import make_engine
from lienthong.db.uow import UnitOfWork, uow_factory

DB_KINDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


def _migrated(url: str | URL) -> Engine:
    engine = make_engine(url)
    migrate.upgrade(engine)
    return engine


@pytest.fixture(scope="session")
def sqlite_engine(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Engine]:
    """The session's SQLite database, migrated to head."""
    engine = _migrated(f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'test.sqlite3'}")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def postgresql_engine(pg_databases: Callable[[], URL]) -> Iterator[Engine]:
    """The session's PostgreSQL database, migrated to head."""
    engine = _migrated(pg_databases())
    yield engine
    engine.dispose()


@pytest.fixture(scope="session", params=DB_KINDS)
def db_kind(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgresql``."""
    return str(request.param)


@pytest.fixture(scope="session")
def migrated_engine(db_kind: str, request: pytest.FixtureRequest) -> Engine:
    """The migrated database of the current ``db_kind``."""
    engine = request.getfixturevalue(f"{db_kind}_engine")
    assert isinstance(engine, Engine)
    return engine


def open_test_connection(engine: Engine) -> Iterator[Connection]:
    """A connection inside a transaction that is rolled back when the test ends."""
    with engine.connect() as conn:
        transaction = conn.begin()
        try:
            yield conn
        finally:
            if transaction.is_active:
                transaction.rollback()


@pytest.fixture
def connection(migrated_engine: Engine) -> Iterator[Connection]:
    """This test's connection; everything done through it is rolled back afterwards."""
    yield from open_test_connection(migrated_engine)


@pytest.fixture
def clock() -> FixedClock:
    """A fixed clock at 2026-05-10 08:00 UTC."""
    return FixedClock(datetime(2026, 5, 10, 8, 0, tzinfo=UTC))


@pytest.fixture
def make_uow(connection: Connection, clock: FixedClock) -> Callable[[], UnitOfWork]:
    """Units of work inside this test's transaction."""
    return uow_factory(connection, clock=clock)


@pytest.fixture
def empty_engine(db_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Engine]:
    """A new, empty database of the current kind, for this test only."""
    if db_kind == "sqlite":
        url: str | URL = f"sqlite:///{tmp_path / 'own.sqlite3'}"
    else:
        url = request.getfixturevalue("pg_databases")()
    engine = make_engine(url)
    yield engine
    engine.dispose()


@pytest.fixture
def fresh_engine(empty_engine: Engine) -> Engine:
    """A new database of the current kind, migrated to head, for this test only."""
    migrate.upgrade(empty_engine)
    return empty_engine
