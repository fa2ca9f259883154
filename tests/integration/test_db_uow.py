"""The unit of work: rolled back unless committed, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import Engine

from lienthong.clock import FixedClock
from lienthong.db.uow import UnitOfWork, uow_factory


def _add(uow: UnitOfWork, code: str) -> int:
    return uow.agencies.add(name=f"Cơ quan {code}", qcvn_id=code).id


def test_work_without_commit_is_rolled_back(make_uow: Callable[[], UnitOfWork]) -> None:
    with make_uow() as uow:
        _add(uow, "000.00.00.G22")
        assert uow.agencies.lookup("000.00.00.G22") is not None

    with make_uow() as uow:
        assert uow.agencies.lookup("000.00.00.G22") is None
        assert uow.agencies.current_version() == 0


def test_committed_work_is_seen_by_the_next_unit(make_uow: Callable[[], UnitOfWork]) -> None:
    with make_uow() as uow:
        _add(uow, "000.00.00.G22")
        uow.commit()

    with make_uow() as uow:
        agency = uow.agencies.resolve("000.00.00.G22")
        assert agency.name == "Cơ quan 000.00.00.G22"


def test_work_after_the_last_commit_is_rolled_back(make_uow: Callable[[], UnitOfWork]) -> None:
    with make_uow() as uow:
        _add(uow, "000.00.00.G22")
        uow.commit()
        _add(uow, "000.00.00.G12")

    with make_uow() as uow:
        assert uow.agencies.lookup("000.00.00.G22") is not None
        assert uow.agencies.lookup("000.00.00.G12") is None


def test_an_exception_rolls_back_and_propagates(make_uow: Callable[[], UnitOfWork]) -> None:
    class Boom(Exception):
        pass

    def failing_use_case() -> None:
        with make_uow() as uow:
            _add(uow, "000.00.00.G22")
            raise Boom

    with pytest.raises(Boom):
        failing_use_case()

    with make_uow() as uow:
        assert uow.agencies.lookup("000.00.00.G22") is None


def test_explicit_rollback_undoes_uncommitted_work(make_uow: Callable[[], UnitOfWork]) -> None:
    with make_uow() as uow:
        _add(uow, "000.00.00.G22")
        uow.rollback()
        assert uow.agencies.lookup("000.00.00.G22") is None


def test_session_is_only_available_inside_the_block(make_uow: Callable[[], UnitOfWork]) -> None:
    uow = make_uow()
    with pytest.raises(RuntimeError, match="not open"):
        _ = uow.session
    with uow:
        assert uow.session.is_active
    with pytest.raises(RuntimeError, match="not open"):
        _ = uow.session


def test_commit_is_durable_on_a_real_engine(fresh_engine: Engine, clock: FixedClock) -> None:
    """Without the test's outer transaction: a commit reaches the database itself."""
    make = uow_factory(fresh_engine, clock=clock)
    with make() as uow:
        _add(uow, "000.00.00.G22")
        uow.commit()
    with make() as uow:
        _add(uow, "000.00.00.G12")  # not committed

    fresh_engine.dispose()  # drop pooled connections: the next read is a new connection
    with make() as uow:
        assert uow.agencies.lookup("000.00.00.G22") is not None
        assert uow.agencies.lookup("000.00.00.G12") is None
        assert uow.agencies.current_version() == 1


def test_autocommit_commits_each_statement_on_postgres_only(
    fresh_engine: Engine, clock: FixedClock, db_kind: str
) -> None:
    make = uow_factory(fresh_engine, clock=clock)
    with make() as uow:
        uow.autocommit()
        _add(uow, "000.00.00.G22")  # never committed by the use case
    with make() as uow:  # the same pooled connection: transactional again
        _add(uow, "000.00.00.G12")
    with make() as uow:
        _add(uow, "000.00.00.H41")
        uow.autocommit()  # too late: a transaction is open, so nothing changes
    with make() as uow:
        assert (uow.agencies.lookup("000.00.00.G22") is not None) == (db_kind == "postgresql")
        assert uow.agencies.lookup("000.00.00.G12") is None
        assert uow.agencies.lookup("000.00.00.H41") is None


def test_autocommit_does_nothing_inside_an_outer_transaction(
    make_uow: Callable[[], UnitOfWork],
) -> None:
    with make_uow() as uow:
        uow.autocommit()
        _add(uow, "000.00.00.G22")
    with make_uow() as uow:
        assert uow.agencies.lookup("000.00.00.G22") is None
