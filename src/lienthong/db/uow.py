"""The unit of work: one transaction per use case, rolled back unless committed.

::

    with uow_factory() as uow:
        agency = uow.agencies.resolve("000.00.00.G22")
        uow.agencies.lock(agency.id)
        uow.commit()

Leaving the ``with`` block rolls back whatever was not committed, and always does so when
an exception escapes. Repositories and other helpers never commit; the use case does.

The factory takes an ``Engine`` in production. Tests give it a ``Connection`` already in
a transaction: sessions then join it through savepoints (``join_transaction_mode=
"create_savepoint"``), so ``commit()`` releases a savepoint and the test rolls back
everything at its end.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from types import TracebackType
from typing import Self

from sqlalchemy import Connection, Engine
from sqlalchemy.exc import InterfaceError, OperationalError, StatementError
from sqlalchemy.orm import Session, sessionmaker

from lienthong.clock import Clock, SystemClock
from lienthong.directory.repository import AgencyRepository
from lienthong.errors import StorageError, ValidationError
from lienthong.hub.auth import replay_error
from lienthong.hub.nonce_claims import NonceClaim, StaleCredentials
from lienthong.hub.repository import HubRepository
from lienthong.hub.repository_audit import AuditRepository
from lienthong.hub.repository_systems import SystemRepository
from lienthong.office.repository import OfficeRepositories


def make_sessionmaker(bind: Engine | Connection) -> sessionmaker[Session]:
    """Sessions bound to ``bind``; on a ``Connection``, they work inside savepoints."""
    return sessionmaker(
        bind=bind,
        expire_on_commit=False,
        autoflush=False,
        join_transaction_mode="create_savepoint",
    )


log = logging.getLogger(__name__)


class UnitOfWork:
    """A Session and the repositories over it, for one use case."""

    agencies: AgencyRepository
    hub: HubRepository
    hub_systems: SystemRepository
    hub_audit: AuditRepository
    office: OfficeRepositories

    def __init__(self, session_factory: sessionmaker[Session], clock: Clock) -> None:
        self._session_factory = session_factory
        self.clock = clock
        self._session: Session | None = None
        self._autocommitting = False
        #: Nonce claims made in the open transaction: durable once it commits.
        self._claims: list[NonceClaim] = []

    @property
    def session(self) -> Session:
        """The open Session (only inside the ``with`` block)."""
        if self._session is None:
            raise RuntimeError("the unit of work is not open: use it in a `with` block")
        return self._session

    def __enter__(self) -> Self:
        if self._session is not None:
            raise RuntimeError("a unit of work cannot be entered twice")
        self._session = self._session_factory()
        self.agencies = AgencyRepository(self._session, self.clock)
        self.hub = HubRepository(self._session)
        self.hub_systems = SystemRepository(self._session)
        self.hub_audit = AuditRepository(self._session)
        self.office = OfficeRepositories(self._session, self.clock)
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        session = self.session
        self._session = None
        self._autocommitting = False
        self._claims.clear()
        try:
            session.rollback()
        except (OperationalError, InterfaceError):
            if exc is None:
                raise
        finally:
            session.close()
        if isinstance(exc, OperationalError | InterfaceError):
            # The database is unreachable (or went away): a storage error, retryable.
            raise _unavailable(exc) from exc
        if _out_of_range(exc):
            # A number from the request that the column cannot hold: the request's
            # fault, not a server error.
            log.info("refused a value out of the database's range: %s", exc)
            raise ValidationError(
                "a value is beyond what the database can store", code="validation.out_of_range"
            ) from exc

    def commit(self) -> None:
        """Make everything done so far durable; later work needs another commit."""
        self.session.commit()
        for claim in self._claims:
            claim.durable = True
        self._claims.clear()

    def claim_nonce(self, claim: NonceClaim | None) -> None:
        """Record a signed request's nonce in this unit of work (see
        :mod:`lienthong.hub.nonce_claims`): call it first, before the work's own
        statements. ``auth.replay`` if the nonce was used before;
        :class:`~lienthong.hub.nonce_claims.StaleCredentials` if the credentials the
        request was checked with are no longer the system's. Nothing for ``None``."""
        if claim is None:
            return
        outcome = self.hub_systems.claim_nonce(
            claim.system_id, claim.nonce, claim.expires_at, claim.credentials
        )
        if outcome == "replay":
            raise replay_error()
        if outcome == "stale":
            raise StaleCredentials(claim.system_id)
        if self._autocommitting:
            claim.durable = True
        else:
            self._claims.append(claim)

    def autocommit(self) -> None:
        """Let each statement commit on its own, on PostgreSQL: no ``BEGIN``/``COMMIT``
        round trips. For use cases that only read, or whose writes are single statements
        that each stand alone (recording a request nonce, say). Call it first, before any
        statement; ``commit()`` and ``rollback()`` then change nothing.

        Elsewhere — SQLite, or a unit of work joined to an outer transaction (tests) — it
        does nothing, and statements commit with ``commit()`` as usual."""
        bind = self.session.get_bind()
        if (
            isinstance(bind, Engine)
            and bind.dialect.name == "postgresql"
            and not self.session.in_transaction()
        ):
            self.session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})
            self._autocommitting = True

    def snapshot(self) -> None:
        """Let every read of this unit of work see one snapshot of the database, on
        PostgreSQL (``REPEATABLE READ``; each statement would otherwise see the commits
        made since the one before). Call it first, before any statement. SQLite's read
        transactions are snapshots already; a unit of work joined to an outer
        transaction (tests) is left as it is."""
        bind = self.session.get_bind()
        if (
            isinstance(bind, Engine)
            and bind.dialect.name == "postgresql"
            and not self.session.in_transaction()
        ):
            self.session.connection(execution_options={"isolation_level": "REPEATABLE READ"})

    def rollback(self) -> None:
        """Undo everything since the last commit."""
        self.session.rollback()
        self._claims.clear()


def _out_of_range(exc: BaseException | None) -> bool:
    """An integer the database cannot hold, and nothing else: SQLite's driver refuses
    integers beyond 64 bits (``OverflowError`` "... too large to convert to SQLite
    INTEGER", raised as is or wrapped), PostgreSQL answers SQLSTATE 22003 (numeric value
    out of range). Other data errors stay server errors (a missing check of ours)."""
    if isinstance(exc, StatementError):
        cause: BaseException | None = exc.orig
    else:
        cause = exc
    if isinstance(cause, OverflowError):
        return "convert to SQLite" in str(cause)
    return getattr(cause, "sqlstate", None) == "22003"


def _unavailable(exc: OperationalError | InterfaceError) -> StorageError:
    reason = str(exc.orig).strip().splitlines()[0] if exc.orig else type(exc).__name__
    return StorageError(
        f"the database is unavailable: {reason}", code="storage.unavailable", retry_after=5
    )


def uow_factory(
    bind: Engine | Connection, *, clock: Clock | None = None
) -> Callable[[], UnitOfWork]:
    """A factory of fresh units of work over ``bind`` (an Engine, or a test Connection).

    ``clock`` stamps created/updated times; the system clock when not given.
    """
    sessions = make_sessionmaker(bind)
    clock = clock or SystemClock()

    def make() -> UnitOfWork:
        return UnitOfWork(sessions, clock)

    return make
