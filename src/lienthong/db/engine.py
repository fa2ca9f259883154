"""The engine factory: SQLite (WAL) by default, PostgreSQL (psycopg 3) in production.

:func:`make_engine` is the only place an ``Engine`` is created, so every connection of
lienthong gets the same settings: on SQLite, WAL journal, foreign keys on, a busy timeout,
and real transactions (SQLAlchemy emits ``BEGIN`` itself, which also makes savepoints
work); on PostgreSQL, the psycopg 3 driver, and a ping of pooled connections that sat idle.

Why not ``pool_pre_ping``: it costs a round trip on *every* checkout, i.e. on every unit
of work (a busy hub runs several per request). A connection that was in use a moment ago
is alive; the ones that die in a pool are those left idle (a database restart, an idle
timeout, a firewall). So a connection idle for more than :data:`PING_IDLE_S` is pinged
at checkout and replaced if dead; a busy one is not. If a connection dies while in use
anyway, SQLAlchemy sees the disconnect error, invalidates that connection and every
older one in the pool, and the unit of work answers ``storage.unavailable`` (retryable).
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, DisconnectionError

from lienthong.errors import ConfigError

#: How long a SQLite connection waits for another writer before giving up.
SQLITE_BUSY_TIMEOUT_MS = 10_000
#: A pooled PostgreSQL connection idle longer than this (seconds) is pinged at checkout.
PING_IDLE_S = 5.0

_POSTGRES_DRIVERS = {"postgresql", "postgresql+psycopg"}
_SQLITE_DRIVERS = {"sqlite", "sqlite+pysqlite"}


def parse_database_url(url: str | URL) -> URL:
    """Check a database URL and normalise it (``postgresql://`` means psycopg 3).

    Raises :class:`ConfigError` (``config.database_url``) for anything lienthong does not
    run on.
    """
    try:
        parsed = make_url(url) if isinstance(url, str) else url
    except ArgumentError as exc:
        raise ConfigError(
            f"database URL cannot be parsed: {exc}", code="config.database_url"
        ) from None
    if parsed.drivername in _POSTGRES_DRIVERS:
        return parsed.set(drivername="postgresql+psycopg")
    if parsed.drivername in _SQLITE_DRIVERS:
        return parsed
    raise ConfigError(
        f"unsupported database {parsed.drivername!r}: use sqlite:///PATH "
        "or postgresql+psycopg://USER@HOST/DB",
        code="config.database_url",
    )


def display_url(url: str | URL) -> str:
    """The URL as it may be shown or logged: the password is masked."""
    return parse_database_url(url).render_as_string(hide_password=True)


def make_engine(url: str | URL, *, echo: bool = False) -> Engine:
    """Create the engine for ``url``; for a SQLite file, create its directory if needed."""
    parsed = parse_database_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _make_sqlite_engine(parsed, echo=echo)
    return _make_postgres_engine(parsed, echo=echo)


def _make_postgres_engine(url: URL, *, echo: bool) -> Engine:
    engine = create_engine(url, echo=echo, pool_pre_ping=False)

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_connection: Any, record: Any) -> None:
        record.info["idle_since"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get("idle_since")
        if since is None or time.monotonic() - since <= PING_IDLE_S:
            return
        try:
            engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:
            # The pool then discards this connection and checks out another (up to 3 tries).
            raise DisconnectionError("a pooled connection was found dead") from exc

    return engine


def _make_sqlite_engine(url: URL, *, echo: bool) -> Engine:
    database = url.database or ""
    in_memory = database in {"", ":memory:"} or database.startswith("file::memory:")
    if not in_memory:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, echo=echo)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control away from the sqlite3 module (see "begin" below).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not in_memory:
                cursor.execute("PRAGMA journal_mode=WAL")
                cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS:d}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection: Any) -> None:
        connection.exec_driver_sql("BEGIN")

    return engine
