"""A signed request's nonce, recorded in the transaction of the work it asks for.

Recording each request's nonce in a transaction of its own, before the work, cost a unit
of work, a round trip or three and a commit per request: on PostgreSQL about a tenth of
what the hub spends on a package (docs/performance.md). So, on PostgreSQL, a request
whose signature verified with the system's cached credentials carries a
:class:`NonceClaim`: the work's own unit of work records the nonce as its first
statement (:meth:`lienthong.db.uow.UnitOfWork.claim_nonce`), in the same statement
checking that the credentials the signature was checked with are still the system's
(same sealed secrets, still active). Then:

* a nonce already there is a replay: ``auth.replay``, and the work rolls back;
* credentials that changed since they were cached (a lock, a rotation, made by any hub
  process) raise :class:`StaleCredentials`: the request is authenticated afresh from the
  database and the work done again;
* a claim whose transaction did not commit (the request was refused before its work
  began, the work failed, or only read) is settled afterwards in a statement of its own
  (:meth:`.systems.SystemService.settle`) with the same credentials check, so every
  accepted signature's nonce is kept, as before, and a lock or a replay is still
  answered before any other error — except after a database failure during the work
  (``storage.unavailable``), when the commit may have landed: nothing is settled then.

Changed credentials are told apart from a replay first (a locked system is told so).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from lienthong.hub.repository_systems import Credentials


@dataclass(slots=True)
class NonceClaim:
    """A verified request's nonce, to record in the work's transaction."""

    system_id: str
    nonce: str
    #: Kept until then at least (the end of the request's replay window).
    expires_at: datetime
    #: The credentials the signature was checked with (sealed, as stored).
    credentials: Credentials
    #: Recorded in a transaction that committed (or a statement that did).
    durable: bool = False


class StaleCredentials(Exception):
    """The system's credentials changed after the signature was checked with a cached
    copy: authenticate the request again from the database."""
