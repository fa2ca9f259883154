"""Storage of the hub's directory extension: systems, the agencies they host, organisation
certificates allowed to sign for an agency, admin tokens and request nonces.

Secrets arrive here already sealed (:class:`lienthong.hub.secrets.SecretBox`); the
repository never sees a secret in clear. It never commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lienthong.db.tables import (
    agencies,
    hub_admin_tokens,
    hub_agency_certificates,
    hub_nonces,
    hub_system_agencies,
    hub_systems,
)
from lienthong.errors import Conflict, NotFound
from lienthong.hub import pgsql
from lienthong.hub.model import SystemState
from lienthong.hub.records import AgencyCertificate, System

s = hub_systems
sa_ = hub_system_agencies


@dataclass(frozen=True, slots=True)
class Credentials:
    """A system's state and sealed secrets, as request authentication reads them."""

    state: str
    secret: bytes
    previous_secret: bytes | None
    previous_expires_at: datetime | None


def _bytes(value: Any) -> bytes | None:
    return None if value is None else bytes(value)


class SystemRepository:
    """Systems, hosting, certificates, admin tokens and nonces inside one unit of work."""

    def __init__(self, session: Session, *, fast: bool = True) -> None:
        """``fast=False``: the portable Core statements on PostgreSQL too (for tests)."""
        self._session = session
        self._pg = pgsql.pg_cursor(session) if fast else None

    # -- systems --------------------------------------------------------------------------

    def add(self, system_id: str, name: str, sealed_secret: bytes, now: datetime) -> None:
        """Register a system; :class:`Conflict` if the id is taken."""
        if self._row(system_id) is not None:
            raise Conflict(f"system {system_id!r} already exists", code="conflict.system_exists")
        try:
            with self._session.begin_nested():
                self._session.execute(
                    insert(s).values(
                        system_id=system_id,
                        name=name,
                        secret=sealed_secret,
                        state=SystemState.ACTIVE.value,
                        created_at=now,
                        updated_at=now,
                    )
                )
        except IntegrityError as exc:
            raise Conflict(
                f"system {system_id!r} already exists", code="conflict.system_exists"
            ) from exc

    def _row(self, system_id: str) -> Row[Any] | None:
        return self._session.execute(select(s).where(s.c.system_id == system_id)).first()

    def row(self, system_id: str) -> Row[Any]:
        """The system's row (sealed secrets included); ``not_found.system`` if none."""
        row = self._row(system_id)
        if row is None:
            raise NotFound(f"no system {system_id!r}", code="not_found.system", system_id=system_id)
        return row

    def find(self, system_id: str) -> Row[Any] | None:
        """The system's row, or ``None``."""
        return self._row(system_id)

    def credentials(self, system_id: str) -> Credentials | None:
        """What authenticating a request needs of the system (sealed secrets), or ``None``."""
        if self._pg is not None:
            found = self._pg.one(pgsql.CREDENTIALS, {"system_id": system_id})
            if found is None:
                return None
            state, secret, previous, expires = found
            return Credentials(state, bytes(secret), _bytes(previous), pgsql.utc(expires))
        row = self._session.execute(
            select(s.c.state, s.c.secret, s.c.previous_secret, s.c.previous_expires_at).where(
                s.c.system_id == system_id
            )
        ).first()
        if row is None:
            return None
        return Credentials(row.state, row.secret, row.previous_secret, row.previous_expires_at)

    def get(self, system_id: str) -> System:
        return self._to_system(self.row(system_id))

    def all(self) -> list[System]:
        rows = self._session.execute(select(s).order_by(s.c.system_id)).all()
        return [self._to_system(r) for r in rows]

    def update(self, system_id: str, values: dict[str, Any], now: datetime) -> None:
        self.row(system_id)
        self._session.execute(
            update(s).where(s.c.system_id == system_id).values({**values, "updated_at": now})
        )

    def set_agencies(self, system_id: str, agency_ids: Sequence[int]) -> None:
        """Replace the agencies the system hosts."""
        self._session.execute(delete(sa_).where(sa_.c.system_id == system_id))
        if agency_ids:
            self._session.execute(
                insert(sa_), [{"system_id": system_id, "agency_id": a} for a in set(agency_ids)]
            )

    def hosted(self, system_id: str) -> list[int]:
        """The internal ids of the agencies the system hosts."""
        if self._pg is not None:
            return [int(r[0]) for r in self._pg.all(pgsql.HOSTED, {"system_id": system_id})]
        return sorted(
            int(a)
            for a in self._session.execute(
                select(sa_.c.agency_id).where(sa_.c.system_id == system_id)
            ).scalars()
        )

    def hosted_codes(self, system_id: str) -> list[str]:
        rows = self._session.execute(
            select(agencies.c.qcvn_id, agencies.c.qd20_id)
            .join(sa_, sa_.c.agency_id == agencies.c.id)
            .where(sa_.c.system_id == system_id)
            .order_by(agencies.c.id)
        ).all()
        return [q or z for q, z in rows]

    def webhook_targets(self, agency_ids: Sequence[int]) -> dict[int, tuple[str, str]]:
        """Agency → (system id, webhook URL) of the active system with a webhook hosting it
        (the lowest system id when several do)."""
        if not agency_ids:
            return {}
        rows: Sequence[Any]
        if self._pg is not None:
            rows = self._pg.all(
                pgsql.WEBHOOK_TARGETS,
                {"agencies": list(agency_ids), "active": SystemState.ACTIVE.value},
            )
        else:
            rows = webhook_rows(self._session, agency_ids)
        return webhook_map(rows)

    def _to_system(self, row: Row[Any]) -> System:
        return System(
            system_id=row.system_id,
            name=row.name,
            state=SystemState(row.state),
            webhook_url=row.webhook_url,
            agencies=tuple(self.hosted_codes(row.system_id)),
            created_at=row.created_at,
            updated_at=row.updated_at,
            previous_expires_at=row.previous_expires_at,
        )

    # -- certificates ---------------------------------------------------------------------

    def add_certificate(self, agency_id: int, values: dict[str, Any]) -> bool:
        """Allow a certificate to sign for an agency; ``False`` if it already was."""
        exists = self._session.execute(
            select(hub_agency_certificates.c.fingerprint).where(
                hub_agency_certificates.c.fingerprint == values["fingerprint"],
                hub_agency_certificates.c.agency_id == agency_id,
            )
        ).first()
        if exists is not None:
            return False
        self._session.execute(
            insert(hub_agency_certificates).values({**values, "agency_id": agency_id})
        )
        return True

    def certificates(self, agency_id: int, code: str) -> list[AgencyCertificate]:
        rows = self._session.execute(
            select(hub_agency_certificates)
            .where(hub_agency_certificates.c.agency_id == agency_id)
            .order_by(hub_agency_certificates.c.created_at)
        ).all()
        return [
            AgencyCertificate(code, r.fingerprint, r.subject, r.not_before, r.not_after)
            for r in rows
        ]

    def agencies_for_certificate(self, fingerprint: str) -> list[str]:
        """Every identifier of the agencies a certificate may sign for."""
        from lienthong.db.tables import agency_identifiers

        rows = self._session.execute(
            select(agency_identifiers.c.value)
            .join(
                hub_agency_certificates,
                hub_agency_certificates.c.agency_id == agency_identifiers.c.agency_id,
            )
            .where(hub_agency_certificates.c.fingerprint == fingerprint.lower())
        ).scalars()
        return list(rows)

    # -- admin tokens ---------------------------------------------------------------------

    def add_token(self, token_hash: str, name: str, now: datetime) -> int:
        result = self._session.execute(
            insert(hub_admin_tokens)
            .values(token_hash=token_hash, name=name, created_at=now)
            .returning(hub_admin_tokens.c.id)
        )
        return int(result.scalar_one())

    def token(self, token_hash: str) -> Row[Any] | None:
        """The active (not revoked) token with this hash."""
        return self._session.execute(
            select(hub_admin_tokens).where(
                hub_admin_tokens.c.token_hash == token_hash,
                hub_admin_tokens.c.revoked_at.is_(None),
            )
        ).first()

    # -- nonces ---------------------------------------------------------------------------

    def record_nonce(self, system_id: str, nonce: str, expires_at: datetime) -> bool:
        """Store a nonce; ``True`` if it was stored before (a replay)."""
        if self._pg is not None:
            params = {"system_id": system_id, "nonce": nonce, "expires_at": expires_at}
            return self._pg.one(pgsql.RECORD_NONCE, params) is None
        dialect = self._session.get_bind().dialect.name
        values = {"system_id": system_id, "nonce": nonce, "expires_at": expires_at}
        if dialect == "postgresql":
            stmt: Any = postgresql.insert(hub_nonces).values(values).on_conflict_do_nothing()
        else:
            stmt = sqlite.insert(hub_nonces).values(values).on_conflict_do_nothing()
        stored = self._session.execute(stmt.returning(hub_nonces.c.nonce)).first()
        return stored is None

    def claim_nonce(
        self, system_id: str, nonce: str, expires_at: datetime, credentials: Credentials
    ) -> Literal["claimed", "replay", "stale"]:
        """Store a nonce if ``credentials`` are still the system's (PostgreSQL only, see
        :mod:`.nonce_claims`): ``claimed``; ``replay`` if it was stored before; ``stale``
        if the credentials changed (or the system is no longer active)."""
        if self._pg is None:
            raise NotImplementedError("nonce claims are made on PostgreSQL only")
        params = {
            "system_id": system_id,
            "nonce": nonce,
            "expires_at": expires_at,
            "active": SystemState.ACTIVE.value,
            "secret": credentials.secret,
            "previous_secret": credentials.previous_secret,
            "previous_expires_at": credentials.previous_expires_at,
        }
        if self._pg.one(pgsql.CLAIM_NONCE, params) is not None:
            return "claimed"
        # Nothing inserted: changed credentials come first (the request is then checked
        # afresh, and a locked system hears so before it hears of a replay).
        return "replay" if self.credentials(system_id) == credentials else "stale"

    def purge_nonces(self, now: datetime) -> int:
        """Forget nonces whose window has passed; how many."""
        result = self._session.execute(delete(hub_nonces).where(hub_nonces.c.expires_at < now))
        return int(getattr(result, "rowcount", 0) or 0)


def webhook_rows(session: Session, agency_ids: Sequence[int]) -> Sequence[Any]:
    """(agency id, system id, webhook URL) of the active systems with a webhook hosting
    ``agency_ids``, by system id (the portable form of ``pgsql.WEBHOOK_TARGETS``)."""
    return session.execute(
        select(sa_.c.agency_id, s.c.system_id, s.c.webhook_url)
        .join(s, s.c.system_id == sa_.c.system_id)
        .where(
            sa_.c.agency_id.in_(list(agency_ids)),
            s.c.webhook_url.is_not(None),
            s.c.state == SystemState.ACTIVE.value,
        )
        .order_by(s.c.system_id)
    ).all()


def webhook_map(rows: Iterable[Sequence[Any]]) -> dict[int, tuple[str, str]]:
    """Agency → (system id, URL) from :func:`webhook_rows`' rows: the first (lowest
    system id) for each agency."""
    out: dict[int, tuple[str, str]] = {}
    for agency_id, system_id, url in rows:
        out.setdefault(int(agency_id), (system_id, url))
    return out
