"""Fixtures every test tier may use: throw-away PostgreSQL databases.

PostgreSQL tests never skip silently. If the server named by ``LIENTHONG_TEST_PG_URL``
(default ``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``) cannot be reached,
they FAIL with a message saying so, unless ``LIENTHONG_TEST_PG=skip`` is set, in which
case they are skipped with that reason.

Each database is named ``lienthong_test_<pid>_<random>``, created on demand and dropped
(after its connections are terminated) at the end of the session.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.engine import URL
from sqlalchemy.exc import OperationalError

from lienthong.db.engine import parse_database_url

PG_URL_ENV = "LIENTHONG_TEST_PG_URL"
PG_SWITCH_ENV = "LIENTHONG_TEST_PG"
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(scope="session")
def pg_admin_engine() -> Iterator[Engine]:
    """An AUTOCOMMIT engine on the PostgreSQL server's maintenance database."""
    if os.environ.get(PG_SWITCH_ENV) == "skip":
        pytest.skip(f"PostgreSQL tests skipped on purpose ({PG_SWITCH_ENV}=skip)")
    url = parse_database_url(os.environ.get(PG_URL_ENV) or DEFAULT_PG_URL)
    engine = create_engine(url, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 5})
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
        shown = url.render_as_string(hide_password=True)
        pytest.fail(
            f"PostgreSQL is unreachable at {shown}: {exc.orig}\n"
            f"Start the server, point {PG_URL_ENV} at one, or set {PG_SWITCH_ENV}=skip "
            "to skip the PostgreSQL tests explicitly.",
            pytrace=False,
        )
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def pg_databases(pg_admin_engine: Engine) -> Iterator[Callable[[], URL]]:
    """A factory of new, empty PostgreSQL databases; returns each one's URL."""
    created: list[str] = []

    def create() -> URL:
        name = f"lienthong_test_{os.getpid()}_{secrets.token_hex(4)}"
        with pg_admin_engine.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        created.append(name)
        return pg_admin_engine.url.set(database=name)

    yield create
    with pg_admin_engine.connect() as conn:
        for name in created:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = :name AND pid <> pg_backend_pid()"
                ),
                {"name": name},
            )
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}"'))
