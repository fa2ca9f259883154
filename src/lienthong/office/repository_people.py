"""Storage of the office's tenants, units, users, memberships and sessions.

SQLAlchemy Core through the unit of work's Session; never commits. Rows become the frozen
dataclasses of :mod:`lienthong.office.model`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lienthong.clock import Clock
from lienthong.db.tables import (
    agencies,
    office_agencies,
    office_memberships,
    office_sessions,
    office_units,
    office_users,
)
from lienthong.errors import Conflict, NotFound
from lienthong.office.model import (
    Member,
    Membership,
    OfficeAgency,
    Role,
    TokenKind,
    Unit,
    User,
    UserState,
    roles_from_text,
    roles_text,
)


class PeopleRepository:
    """Office agencies, units, users, memberships and sessions."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    # -- agencies ------------------------------------------------------------------------

    def add_agency(self, agency_id: int, abbreviation: str) -> OfficeAgency:
        """Host a directory agency; :class:`Conflict` if it is hosted already."""
        if self.find_agency(agency_id) is not None:
            raise Conflict(f"agency {agency_id} already has an office", code="office.agency_exists")
        self._session.execute(
            insert(office_agencies).values(
                agency_id=agency_id, abbreviation=abbreviation, created_at=self._clock.now()
            )
        )
        return self.agency(agency_id)

    def find_agency(self, agency_id: int) -> OfficeAgency | None:
        query = select(
            office_agencies,
            agencies.c.name,
            agencies.c.qcvn_id,
            agencies.c.qd20_id,
        ).join(agencies, agencies.c.id == office_agencies.c.agency_id)
        row = self._session.execute(query.where(office_agencies.c.agency_id == agency_id)).first()
        return None if row is None else _to_agency(row)

    def agency(self, agency_id: int) -> OfficeAgency:
        """The hosted agency; :class:`NotFound` if the agency has no office here."""
        found = self.find_agency(agency_id)
        if found is None:
            raise NotFound(
                f"agency {agency_id} has no office on this install", code="office.agency_unknown"
            )
        return found

    def list_agencies(self) -> Sequence[OfficeAgency]:
        query = (
            select(office_agencies, agencies.c.name, agencies.c.qcvn_id, agencies.c.qd20_id)
            .join(agencies, agencies.c.id == office_agencies.c.agency_id)
            .order_by(office_agencies.c.agency_id)
        )
        return [_to_agency(row) for row in self._session.execute(query)]

    # -- units ---------------------------------------------------------------------------

    def add_unit(self, agency_id: int, name: str, abbreviation: str) -> Unit:
        try:
            with self._session.begin_nested():
                new_id = self._session.execute(
                    insert(office_units)
                    .values(
                        agency_id=agency_id,
                        name=name,
                        abbreviation=abbreviation,
                        created_at=self._clock.now(),
                    )
                    .returning(office_units.c.id)
                ).scalar_one()
        except IntegrityError:
            raise Conflict(
                f"the agency already has a unit {abbreviation!r}", code="office.unit_exists"
            ) from None
        return Unit(int(new_id), agency_id, name, abbreviation)

    def units(self, agency_id: int) -> Sequence[Unit]:
        rows = self._session.execute(
            select(office_units)
            .where(office_units.c.agency_id == agency_id)
            .order_by(office_units.c.abbreviation)
        )
        return [_to_unit(row) for row in rows]

    def unit(self, unit_id: int) -> Unit:
        row = self._session.execute(
            select(office_units).where(office_units.c.id == unit_id)
        ).first()
        if row is None:
            raise NotFound(f"no unit {unit_id}", code="office.unit_unknown")
        return _to_unit(row)

    def unit_by_abbreviation(self, agency_id: int, abbreviation: str) -> Unit:
        row = self._session.execute(
            select(office_units).where(
                office_units.c.agency_id == agency_id,
                office_units.c.abbreviation == abbreviation,
            )
        ).first()
        if row is None:
            raise NotFound(f"the agency has no unit {abbreviation!r}", code="office.unit_unknown")
        return _to_unit(row)

    # -- users ---------------------------------------------------------------------------

    def add_user(
        self,
        *,
        username: str,
        full_name: str,
        password_hash: str,
        title: str | None = None,
        email: str | None = None,
        signing_key: str | None = None,
    ) -> User:
        if self.find_user(username) is not None:
            raise Conflict(f"the username {username!r} is taken", code="office.user_exists")
        now = self._clock.now()
        new_id = self._session.execute(
            insert(office_users)
            .values(
                username=username,
                full_name=full_name,
                title=title,
                email=email,
                password_hash=password_hash,
                signing_key=signing_key,
                state=UserState.ACTIVE.value,
                created_at=now,
                updated_at=now,
            )
            .returning(office_users.c.id)
        ).scalar_one()
        return self.user(int(new_id))

    def find_user(self, username: str) -> User | None:
        row = self._session.execute(
            select(office_users).where(office_users.c.username == username)
        ).first()
        return None if row is None else _to_user(row)

    def user(self, user_id: int) -> User:
        row = self._session.execute(
            select(office_users).where(office_users.c.id == user_id)
        ).first()
        if row is None:
            raise NotFound(f"no user {user_id}", code="office.user_unknown")
        return _to_user(row)

    def password_hash(self, user_id: int) -> str:
        return str(
            self._session.execute(
                select(office_users.c.password_hash).where(office_users.c.id == user_id)
            ).scalar_one()
        )

    def update_user(self, user_id: int, **values: Any) -> User:
        """Change columns of a user (``password_hash``, ``state``, ``title``…)."""
        values["updated_at"] = self._clock.now()
        self._session.execute(
            update(office_users).where(office_users.c.id == user_id).values(values)
        )
        return self.user(user_id)

    # -- memberships ---------------------------------------------------------------------

    def set_membership(
        self, user_id: int, agency_id: int, roles: frozenset[Role], unit_id: int | None
    ) -> Membership:
        """Give a user roles (and a unit) in an agency, replacing earlier ones."""
        self._session.execute(
            delete(office_memberships).where(
                office_memberships.c.user_id == user_id,
                office_memberships.c.agency_id == agency_id,
            )
        )
        self._session.execute(
            insert(office_memberships).values(
                user_id=user_id, agency_id=agency_id, roles=roles_text(roles), unit_id=unit_id
            )
        )
        return Membership(user_id, agency_id, roles, unit_id)

    def membership(self, user_id: int, agency_id: int) -> Membership | None:
        row = self._session.execute(
            select(office_memberships).where(
                office_memberships.c.user_id == user_id,
                office_memberships.c.agency_id == agency_id,
            )
        ).first()
        return None if row is None else _to_membership(row)

    def memberships_of(self, user_id: int) -> Sequence[Membership]:
        rows = self._session.execute(
            select(office_memberships)
            .where(office_memberships.c.user_id == user_id)
            .order_by(office_memberships.c.agency_id)
        )
        return [_to_membership(row) for row in rows]

    def members(self, agency_id: int) -> Sequence[Member]:
        """The agency's users with their roles and units, by username."""
        query = (
            select(office_users, office_memberships.c.roles, office_memberships.c.unit_id)
            .join(office_memberships, office_memberships.c.user_id == office_users.c.id)
            .where(office_memberships.c.agency_id == agency_id)
            .order_by(office_users.c.username)
        )
        units = {u.id: u for u in self.units(agency_id)}
        result = []
        for row in self._session.execute(query):
            membership = Membership(row.id, agency_id, roles_from_text(row.roles), row.unit_id)
            unit = units.get(row.unit_id) if row.unit_id is not None else None
            result.append(Member(_to_user(row), membership, unit))
        return result

    # -- sessions and API tokens ---------------------------------------------------------

    def add_token(
        self,
        *,
        token_hash: str,
        kind: TokenKind,
        user_id: int,
        agency_id: int,
        expires_at: datetime,
        name: str | None = None,
    ) -> None:
        self._session.execute(
            insert(office_sessions).values(
                token_hash=token_hash,
                kind=kind.value,
                user_id=user_id,
                agency_id=agency_id,
                name=name,
                created_at=self._clock.now(),
                expires_at=expires_at,
            )
        )

    def find_token(self, token_hash: str) -> Row[Any] | None:
        """The session row of a token hash (kind, user, agency, expiry, revocation)."""
        return self._session.execute(
            select(office_sessions).where(office_sessions.c.token_hash == token_hash)
        ).first()

    def revoke_token(self, token_hash: str) -> bool:
        result = self._session.execute(
            update(office_sessions)
            .where(
                office_sessions.c.token_hash == token_hash,
                office_sessions.c.revoked_at.is_(None),
            )
            .values(revoked_at=self._clock.now())
        )
        return bool(getattr(result, "rowcount", 0))

    def revoke_tokens_of(self, user_id: int) -> None:
        """End every session and token of a user (after a password change)."""
        self._session.execute(
            update(office_sessions)
            .where(office_sessions.c.user_id == user_id, office_sessions.c.revoked_at.is_(None))
            .values(revoked_at=self._clock.now())
        )

    def purge_expired_tokens(self, before: datetime) -> int:
        result = self._session.execute(
            delete(office_sessions).where(office_sessions.c.expires_at < before)
        )
        return int(getattr(result, "rowcount", 0))


def _to_agency(row: Row[Any]) -> OfficeAgency:
    return OfficeAgency(
        agency_id=row.agency_id,
        code=row.qcvn_id or row.qd20_id,
        name=row.name,
        abbreviation=row.abbreviation,
        created_at=row.created_at,
    )


def _to_unit(row: Row[Any]) -> Unit:
    return Unit(row.id, row.agency_id, row.name, row.abbreviation)


def _to_user(row: Row[Any]) -> User:
    return User(
        id=row.id,
        username=row.username,
        full_name=row.full_name,
        title=row.title,
        email=row.email,
        state=UserState(row.state),
        signing_key=row.signing_key,
        created_at=row.created_at,
    )


def _to_membership(row: Row[Any]) -> Membership:
    return Membership(row.user_id, row.agency_id, roles_from_text(row.roles), row.unit_id)
