"""Storage shared by both workflows: number counters, the catalogue, access lists, the
trail of events and the files kept for documents.

Number allocation (:meth:`CounterRepository.next`) is one statement::

    INSERT INTO office_counters (agency_id, series, year, value) VALUES (:a, :s, :y, 1)
    ON CONFLICT (agency_id, series, year) DO UPDATE SET value = office_counters.value + 1
    RETURNING value

On PostgreSQL the upsert takes the counter row's lock and keeps it until the issuing
transaction ends: a second clerk waits, then reads the committed value and goes on from
there; if the first transaction rolls back, its increment goes with it, so no number is
ever skipped or handed out twice. SQLite has one writer at a time, which gives the same.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Literal

from sqlalchemy import Row, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from lienthong.clock import Clock
from lienthong.db.tables import (
    office_access,
    office_catalogue,
    office_counters,
    office_events,
    office_files,
)
from lienthong.errors import NotFound
from lienthong.office.catalogue_rules import CatalogueEntry
from lienthong.office.documents import Event, FileInput, StoredFile
from lienthong.office.model import Actor, RequiredForm
from lienthong.office.numbering import Series
from lienthong.storage import BlobRef

DocKind = Literal["out", "in"]


def _doc_column(kind: DocKind) -> str:
    return "outgoing_id" if kind == "out" else "incoming_id"


class CounterRepository:
    """The yearly number series of every agency."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def next(self, agency_id: int, series: Series, year: int) -> int:
        """Take the next number of a series, inside the caller's transaction."""
        dialect = self._session.get_bind().dialect.name
        module: Any = postgresql if dialect == "postgresql" else sqlite
        statement = module.insert(office_counters).values(
            agency_id=agency_id, series=series.value, year=year, value=1
        )
        statement = statement.on_conflict_do_update(
            index_elements=["agency_id", "series", "year"],
            set_={"value": office_counters.c.value + 1},
        ).returning(office_counters.c.value)
        return int(self._session.execute(statement).scalar_one())

    def current(self, agency_id: int, series: Series, year: int) -> int:
        """The last number taken (0 when none was)."""
        value = self._session.execute(
            select(office_counters.c.value).where(
                office_counters.c.agency_id == agency_id,
                office_counters.c.series == series.value,
                office_counters.c.year == year,
            )
        ).scalar_one_or_none()
        return int(value or 0)


class CatalogueRepository:
    """An agency's catalogue of document kinds."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    def add(self, agency_id: int, entry: CatalogueEntry, position: int) -> CatalogueEntry:
        now = self._clock.now()
        new_id = self._session.execute(
            insert(office_catalogue)
            .values(
                agency_id=agency_id,
                position=position,
                scope=entry.scope,
                name=entry.name,
                doctype_key=entry.doctype_key,
                required_form=entry.required_form.value,
                active=entry.active,
                created_at=now,
                updated_at=now,
            )
            .returning(office_catalogue.c.id)
        ).scalar_one()
        return self.get(agency_id, int(new_id))

    def get(self, agency_id: int, entry_id: int) -> CatalogueEntry:
        row = self._session.execute(
            select(office_catalogue).where(
                office_catalogue.c.id == entry_id, office_catalogue.c.agency_id == agency_id
            )
        ).first()
        if row is None:
            raise NotFound(f"no catalogue entry {entry_id}", code="office.catalogue_unknown")
        return _to_entry(row)

    def entries(self, agency_id: int, *, active_only: bool = False) -> Sequence[CatalogueEntry]:
        query = select(office_catalogue).where(office_catalogue.c.agency_id == agency_id)
        if active_only:
            query = query.where(office_catalogue.c.active.is_(True))
        query = query.order_by(office_catalogue.c.position, office_catalogue.c.id)
        return [_to_entry(row) for row in self._session.execute(query)]

    def update(self, agency_id: int, entry_id: int, **values: Any) -> CatalogueEntry:
        self.get(agency_id, entry_id)
        values["updated_at"] = self._clock.now()
        self._session.execute(
            update(office_catalogue).where(office_catalogue.c.id == entry_id).values(values)
        )
        return self.get(agency_id, entry_id)

    def next_position(self, agency_id: int) -> int:
        entries = self.entries(agency_id)
        return max((e.position for e in entries), default=0) + 1


class TrailRepository:
    """Access lists of confidential documents, the trail of events, stored files."""

    def __init__(self, session: Session, clock: Clock) -> None:
        self._session = session
        self._clock = clock

    # -- access ------------------------------------------------------------------------

    def grant(self, kind: DocKind, doc_id: int, user_id: int, reason: str) -> None:
        """Put a user on a document's access list (once; later grants are ignored)."""
        column = _doc_column(kind)
        if self.has_access(kind, doc_id, user_id):
            return
        self._session.execute(
            insert(office_access).values(
                {
                    column: doc_id,
                    "user_id": user_id,
                    "reason": reason,
                    "created_at": self._clock.now(),
                }
            )
        )

    def has_access(self, kind: DocKind, doc_id: int, user_id: int) -> bool:
        column = office_access.c[_doc_column(kind)]
        found = self._session.execute(
            select(office_access.c.id).where(column == doc_id, office_access.c.user_id == user_id)
        ).first()
        return found is not None

    def access_list(self, kind: DocKind, doc_id: int) -> Sequence[tuple[int, str]]:
        """``(user id, reason)`` of everyone on the list."""
        column = office_access.c[_doc_column(kind)]
        rows = self._session.execute(
            select(office_access.c.user_id, office_access.c.reason)
            .where(column == doc_id)
            .order_by(office_access.c.id)
        )
        return [(int(r.user_id), str(r.reason)) for r in rows]

    # -- events ------------------------------------------------------------------------

    def record(
        self,
        kind: DocKind,
        doc_id: int,
        *,
        agency_id: int,
        actor: Actor,
        action: str,
        from_state: str | None = None,
        to_state: str | None = None,
        note: str | None = None,
    ) -> None:
        self._session.execute(
            insert(office_events).values(
                {
                    _doc_column(kind): doc_id,
                    "agency_id": agency_id,
                    "action": action,
                    "from_state": from_state,
                    "to_state": to_state,
                    "user_id": actor.user_id,
                    "actor_name": actor.display_name[:200],
                    "note": note,
                    "at": self._clock.now(),
                }
            )
        )

    def events(self, kind: DocKind, doc_id: int) -> Sequence[Event]:
        column = office_events.c[_doc_column(kind)]
        rows = self._session.execute(
            select(office_events).where(column == doc_id).order_by(office_events.c.id)
        )
        return [
            Event(
                id=r.id,
                action=r.action,
                from_state=r.from_state,
                to_state=r.to_state,
                user_id=r.user_id,
                actor_name=r.actor_name,
                note=r.note,
                at=r.at,
            )
            for r in rows
        ]

    # -- files -------------------------------------------------------------------------

    def add_file(self, kind: DocKind, doc_id: int, file: FileInput, ref: BlobRef) -> StoredFile:
        position = len(self.files(kind, doc_id)) + 1
        new_id = self._session.execute(
            insert(office_files)
            .values(
                {
                    _doc_column(kind): doc_id,
                    "position": position,
                    "name": file.name,
                    "content_type": file.content_type,
                    "sha256": ref.sha256,
                    "size": ref.size,
                    "created_at": self._clock.now(),
                }
            )
            .returning(office_files.c.id)
        ).scalar_one()
        return StoredFile(int(new_id), position, file.name, file.content_type, ref.sha256, ref.size)

    def files(self, kind: DocKind, doc_id: int) -> Sequence[StoredFile]:
        column = office_files.c[_doc_column(kind)]
        rows = self._session.execute(
            select(office_files).where(column == doc_id).order_by(office_files.c.position)
        )
        return [_to_file(r) for r in rows]

    def files_of(self, kind: DocKind, doc_ids: Sequence[int]) -> dict[int, list[StoredFile]]:
        column = office_files.c[_doc_column(kind)]
        found: dict[int, list[StoredFile]] = {}
        if not doc_ids:
            return found
        rows = self._session.execute(
            select(office_files).where(column.in_(doc_ids)).order_by(office_files.c.position)
        )
        for r in rows:
            found.setdefault(int(r._mapping[column.name]), []).append(_to_file(r))
        return found

    def set_stamped(self, file_id: int, sha256: str) -> None:
        self._session.execute(
            update(office_files).where(office_files.c.id == file_id).values(stamped_sha256=sha256)
        )


def _to_file(r: Row[Any]) -> StoredFile:
    return StoredFile(
        id=r.id,
        position=r.position,
        name=r.name,
        content_type=r.content_type,
        sha256=r.sha256,
        size=int(r.size),
        stamped_sha256=r.stamped_sha256,
    )


def _to_entry(row: Row[Any]) -> CatalogueEntry:
    return CatalogueEntry(
        id=row.id,
        position=row.position,
        scope=row.scope,
        name=row.name,
        doctype_key=row.doctype_key,
        required_form=RequiredForm(row.required_form),
        active=bool(row.active),
    )
