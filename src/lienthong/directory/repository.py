"""Storage of the agency directory (SQLAlchemy Core through the unit of work's Session).

The repository never commits: the unit of work does. Every change takes the next number
of the directory's change counter (see :mod:`lienthong.db.tables.counters`) and stores it
as the agency's ``version``; an unchanged agency keeps its version.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import Executable, Result, Row, Select, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from lienthong.clock import Clock
from lienthong.db.tables import agencies, agency_identifiers, change_counters
from lienthong.db.tables.counters import DIRECTORY_FEED
from lienthong.directory.model import (
    UNSET,
    Agency,
    AgencyState,
    Contact,
    IdentifierKind,
    Unset,
    identifier_key,
)
from lienthong.errors import Conflict, NotFound, StorageError
from lienthong.text import fold

_BATCH = 500


class AgencyRepository:
    """Agencies and their identifiers, read and written inside one unit of work."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    # -- reading -------------------------------------------------------------------------

    def get(self, agency_id: int) -> Agency:
        """The agency with this internal id; :class:`NotFound` if there is none."""
        row = self._session.execute(select(agencies).where(agencies.c.id == agency_id)).first()
        if row is None:
            raise NotFound(f"no agency with id {agency_id}", code="directory.not_found")
        return self._with_aliases([row])[0]

    def lookup(self, identifier: str) -> Agency | None:
        """The agency any identifier form or alias resolves to, or ``None``."""
        key = identifier_key(identifier)
        if not key:
            return None
        query = (
            select(agencies)
            .join(agency_identifiers, agency_identifiers.c.agency_id == agencies.c.id)
            .where(agency_identifiers.c.key == key)
        )
        row = self._session.execute(query).first()
        return None if row is None else self._with_aliases([row])[0]

    def resolve(self, identifier: str) -> Agency:
        """Like :meth:`lookup`, but :class:`NotFound` when nothing matches."""
        agency = self.lookup(identifier)
        if agency is None:
            raise NotFound(
                f"no agency known as {identifier!r}",
                code="directory.not_found",
                identifier=identifier,
            )
        return agency

    def list(
        self,
        *,
        state: AgencyState | None = None,
        parent_id: int | None = None,
        roots_only: bool = False,
        name_contains: str | None = None,
        limit: int | None = None,
        offset: int = 0,
    ) -> Sequence[Agency]:
        """Agencies in id order, filtered by state, parent, or a folded name fragment."""
        query: Select[Any] = select(agencies).order_by(agencies.c.id)
        if state is not None:
            query = query.where(agencies.c.state == state.value)
        if parent_id is not None:
            query = query.where(agencies.c.parent_id == parent_id)
        if roots_only:
            query = query.where(agencies.c.parent_id.is_(None))
        if name_contains:
            query = query.where(agencies.c.name_key.contains(fold(name_contains), autoescape=True))
        if offset:
            query = query.offset(offset)
        if limit is not None:
            query = query.limit(limit)
        return self._with_aliases(self._session.execute(query).all())

    def children(self, agency_id: int) -> Sequence[Agency]:
        """The agencies whose parent is ``agency_id``."""
        return self.list(parent_id=agency_id)

    def ancestors(self, agency_id: int) -> Sequence[Agency]:
        """The chain of parents of ``agency_id``, nearest first (stops on a cycle)."""
        chain: list[Agency] = []
        seen = {agency_id}
        current = self.get(agency_id)
        while current.parent_id is not None and current.parent_id not in seen:
            seen.add(current.parent_id)
            current = self.get(current.parent_id)
            chain.append(current)
        return chain

    def changes_since(self, version: int, *, limit: int = 1000) -> Sequence[Agency]:
        """Agencies changed after ``version``, oldest change first, each at its latest state.

        A reader keeps the largest ``version`` it has seen and asks again from there.
        """
        query = (
            select(agencies)
            .where(agencies.c.version > version)
            .order_by(agencies.c.version)
            .limit(limit)
        )
        return self._with_aliases(self._session.execute(query).all())

    def current_version(self) -> int:
        """The directory counter's latest number (0 before the first change)."""
        value = self._session.execute(
            select(change_counters.c.value).where(change_counters.c.name == DIRECTORY_FEED)
        ).scalar_one_or_none()
        if value is None:
            raise _counter_missing()
        return int(value)

    # -- writing -------------------------------------------------------------------------

    def add(
        self,
        *,
        name: str,
        qcvn_id: str | None = None,
        qd20_id: str | None = None,
        short_name: str | None = None,
        parent_id: int | None = None,
        contact: Contact | None = None,
        aliases: Iterable[str] = (),
        state: AgencyState = AgencyState.ACTIVE,
    ) -> Agency:
        """Store a new agency with its identifiers; :class:`Conflict` if one is taken."""
        identifiers = [(IdentifierKind.QCVN, qcvn_id), (IdentifierKind.QD20, qd20_id)]
        identifiers += [(IdentifierKind.ALIAS, alias) for alias in aliases]
        wanted = [(kind, value) for kind, value in identifiers if value is not None]
        if not any(kind is not IdentifierKind.ALIAS for kind, _ in wanted):
            raise Conflict("an agency needs a QCVN 102 or a QĐ 20 id", code="directory.no_id")
        self._check_free([value for _, value in wanted])
        contact = contact or Contact()
        now = self._clock.now()
        values = {
            "qcvn_id": qcvn_id,
            "qd20_id": qd20_id,
            "name": name,
            "name_key": fold(name),
            "short_name": short_name,
            "parent_id": parent_id,
            **_contact_columns(contact),
            "state": state.value,
            "created_at": now,
            "updated_at": now,
            "version": self._next_version(),
        }
        result = self._guarded(insert(agencies).values(values).returning(agencies.c.id))
        new_id = int(result.scalar_one())
        for kind, value in wanted:
            self._insert_identifier(new_id, kind, value)
        return self.get(new_id)

    def update(
        self,
        agency_id: int,
        *,
        name: str | Unset = UNSET,
        short_name: str | Unset | None = UNSET,
        qcvn_id: str | Unset | None = UNSET,
        qd20_id: str | Unset | None = UNSET,
        parent_id: int | Unset | None = UNSET,
        contact: Contact | Unset = UNSET,
    ) -> Agency:
        """Change the given fields; returns the agency unchanged (same version) if none differ."""
        current = self.get(agency_id)
        values: dict[str, Any] = {}
        if name is not UNSET and name != current.name:
            values.update(name=name, name_key=fold(name))
        if short_name is not UNSET and short_name != current.short_name:
            values["short_name"] = short_name
        if parent_id is not UNSET and parent_id != current.parent_id:
            values["parent_id"] = parent_id
        if contact is not UNSET and contact != current.contact:
            values.update(_contact_columns(contact))
        for column, new, old in (
            ("qcvn_id", qcvn_id, current.qcvn_id),
            ("qd20_id", qd20_id, current.qd20_id),
        ):
            if new is UNSET or new == old:
                continue
            if new is not None:
                self._check_free([new], allowed_owner=agency_id)
            values[column] = new
        if not values:
            return current
        final_qcvn = values.get("qcvn_id", current.qcvn_id)
        final_qd20 = values.get("qd20_id", current.qd20_id)
        if final_qcvn is None and final_qd20 is None:
            raise Conflict("an agency needs a QCVN 102 or a QĐ 20 id", code="directory.no_id")
        self._touch(agency_id, values)
        for kind, column in ((IdentifierKind.QCVN, "qcvn_id"), (IdentifierKind.QD20, "qd20_id")):
            if column in values:
                self._session.execute(
                    delete(agency_identifiers).where(
                        agency_identifiers.c.agency_id == agency_id,
                        agency_identifiers.c.kind == kind.value,
                    )
                )
                if values[column] is not None:
                    self._insert_identifier(agency_id, kind, values[column])
        return self.get(agency_id)

    def lock(self, agency_id: int) -> Agency:
        """Lock the agency (it may no longer exchange documents); idempotent."""
        return self._set_state(agency_id, AgencyState.LOCKED)

    def unlock(self, agency_id: int) -> Agency:
        """Make a locked agency active again; idempotent."""
        return self._set_state(agency_id, AgencyState.ACTIVE)

    def add_alias(self, agency_id: int, alias: str) -> Agency:
        """Let a non-standard identifier resolve to the agency."""
        current = self.get(agency_id)
        owner = self.lookup(alias)
        if owner is not None and owner.id == agency_id and alias in current.aliases:
            return current
        self._check_free([alias])
        self._touch(agency_id, {})
        self._insert_identifier(agency_id, IdentifierKind.ALIAS, alias)
        return self.get(agency_id)

    def remove_alias(self, alias: str) -> Agency:
        """Stop resolving an alias; :class:`NotFound` if it is not an alias."""
        key = identifier_key(alias)
        agency_id = self._session.execute(
            select(agency_identifiers.c.agency_id).where(
                agency_identifiers.c.key == key,
                agency_identifiers.c.kind == IdentifierKind.ALIAS.value,
            )
        ).scalar_one_or_none()
        if agency_id is None:
            raise NotFound(f"no alias {alias!r}", code="directory.not_found", identifier=alias)
        self._session.execute(delete(agency_identifiers).where(agency_identifiers.c.key == key))
        self._touch(int(agency_id), {})
        return self.get(int(agency_id))

    # -- helpers -------------------------------------------------------------------------

    def _set_state(self, agency_id: int, state: AgencyState) -> Agency:
        current = self.get(agency_id)
        if current.state is state:
            return current
        self._touch(agency_id, {"state": state.value})
        return self.get(agency_id)

    def _touch(self, agency_id: int, values: dict[str, Any]) -> None:
        values = {**values, "updated_at": self._clock.now(), "version": self._next_version()}
        self._guarded(update(agencies).where(agencies.c.id == agency_id).values(values))

    def _next_version(self) -> int:
        value = self._session.execute(
            update(change_counters)
            .where(change_counters.c.name == DIRECTORY_FEED)
            .values(value=change_counters.c.value + 1)
            .returning(change_counters.c.value)
        ).scalar_one_or_none()
        if value is None:
            raise _counter_missing()
        return int(value)

    def _check_free(self, values: Sequence[str], *, allowed_owner: int | None = None) -> None:
        keys = [identifier_key(v) for v in values]
        for value, key in zip(values, keys, strict=True):
            if not key:
                raise Conflict("an identifier cannot be empty", code="directory.invalid_id")
            if keys.count(key) > 1:
                raise Conflict(
                    f"identifier {value!r} is given twice",
                    code="directory.duplicate_id",
                    identifier=value,
                )
        rows = self._session.execute(
            select(agency_identifiers.c.value, agency_identifiers.c.agency_id).where(
                agency_identifiers.c.key.in_(keys)
            )
        ).all()
        for value, owner in rows:
            if owner != allowed_owner:
                raise Conflict(
                    f"identifier {value!r} already belongs to agency {owner}",
                    code="directory.duplicate_id",
                    identifier=value,
                )

    def _insert_identifier(self, agency_id: int, kind: IdentifierKind, value: str) -> None:
        self._guarded(
            insert(agency_identifiers).values(
                key=identifier_key(value),
                value=value.strip(),
                kind=kind.value,
                agency_id=agency_id,
                created_at=self._clock.now(),
            )
        )

    def _guarded(self, statement: Executable) -> Result[Any]:
        """Run an INSERT/UPDATE; a constraint violation becomes :class:`Conflict`."""
        try:
            return self._session.execute(statement)
        except IntegrityError as exc:
            raise Conflict(
                f"the directory refused the change: {exc.orig}", code="directory.conflict"
            ) from exc

    def _with_aliases(self, rows: Sequence[Row[Any]]) -> Sequence[Agency]:
        ids = [row.id for row in rows]
        aliases: dict[int, list[str]] = {}
        for start in range(0, len(ids), _BATCH):
            batch = ids[start : start + _BATCH]
            found = self._session.execute(
                select(agency_identifiers.c.agency_id, agency_identifiers.c.value)
                .where(
                    agency_identifiers.c.agency_id.in_(batch),
                    agency_identifiers.c.kind == IdentifierKind.ALIAS.value,
                )
                .order_by(agency_identifiers.c.value)
            ).all()
            for owner, value in found:
                aliases.setdefault(owner, []).append(value)
        return [_to_agency(row, tuple(aliases.get(row.id, ()))) for row in rows]


def _contact_columns(contact: Contact) -> dict[str, str | None]:
    return {
        "address": contact.address,
        "email": contact.email,
        "telephone": contact.telephone,
        "fax": contact.fax,
        "website": contact.website,
    }


def _to_agency(row: Row[Any], aliases: tuple[str, ...]) -> Agency:
    return Agency(
        id=row.id,
        name=row.name,
        qcvn_id=row.qcvn_id,
        qd20_id=row.qd20_id,
        short_name=row.short_name,
        parent_id=row.parent_id,
        contact=Contact(
            address=row.address,
            email=row.email,
            telephone=row.telephone,
            fax=row.fax,
            website=row.website,
        ),
        state=AgencyState(row.state),
        created_at=row.created_at,
        updated_at=row.updated_at,
        version=int(row.version),
        aliases=aliases,
    )


def _counter_missing() -> StorageError:
    return StorageError(
        "the directory's change counter is missing: run `lienthong db upgrade`",
        code="storage.schema",
    )
