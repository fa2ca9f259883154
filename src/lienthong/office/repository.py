"""The office's repositories over one unit of work's Session, in one bundle.

``uow.office`` (see :mod:`lienthong.db.uow`) is an :class:`OfficeRepositories`:
``people`` (tenants, units, users, sessions), ``outgoing``, ``incoming`` (with handlers and
the status outbox), ``counters`` (number series), ``catalogue`` and ``trail`` (access
lists, events, files). None of them commits.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from lienthong.clock import Clock
from lienthong.office.repository_incoming import IncomingRepository
from lienthong.office.repository_outgoing import OutgoingRepository
from lienthong.office.repository_people import PeopleRepository
from lienthong.office.repository_records import (
    CatalogueRepository,
    CounterRepository,
    TrailRepository,
)


class OfficeRepositories:
    """Every office repository over one Session."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self.people = PeopleRepository(session, clock)
        self.trail = TrailRepository(session, clock)
        self.counters = CounterRepository(session)
        self.catalogue = CatalogueRepository(session, clock)
        self.outgoing = OutgoingRepository(session, clock, self.trail)
        self.incoming = IncomingRepository(session, clock, self.trail)
