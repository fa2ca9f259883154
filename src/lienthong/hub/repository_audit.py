"""Storage of the hash-chained audit log (see :mod:`lienthong.hub.audit` for the rules).

:meth:`AuditRepository.append` takes the chain's head row with ``UPDATE … RETURNING``,
which on PostgreSQL locks it until the transaction ends: appends from every hub node are
serialised, and an entry's number and ``prev_hash`` are those of the entry committed just
before it. Call it as late as possible in a use case (just before commit), so the lock is
held briefly.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Row, insert, select, update
from sqlalchemy.orm import Session

from lienthong.db.tables import hub_audit, hub_audit_checkpoints, hub_audit_head
from lienthong.db.tables.hub import AUDIT_HEAD_ID
from lienthong.errors import StorageError
from lienthong.hub import pgsql
from lienthong.hub.audit_chain import (
    AuditEntry,
    StoredEntry,
    canonical_around_seq,
    entry_hash,
)

head = hub_audit_head


class AuditRepository:
    """Appends to and reads the audit log inside one unit of work."""

    def __init__(self, session: Session, *, fast: bool = True) -> None:
        """``fast=False``: the portable Core statements on PostgreSQL too (for tests)."""
        self._session = session
        self._pg = pgsql.pg_cursor(session) if fast else None

    def append(
        self,
        entries: Sequence[tuple[str, str, str, dict[str, Any]]],
        at: datetime,
        *,
        prelude: pgsql.Prelude | None = None,
    ) -> list[AuditEntry]:
        """Append ``(action, actor, subject, data)`` entries; return them as chained.
        ``prelude``: writes to make in the same statement as the one entry (PostgreSQL)."""
        if prelude is not None and (self._pg is None or len(entries) != 1):
            raise ValueError("a prelude goes with one entry, on PostgreSQL")
        if not entries:
            return []
        if self._pg is not None and len(entries) == 1:
            return [self._append_one(*entries[0], at, prelude=prelude)]
        row: Any
        if self._pg is not None:
            row = self._pg.one(pgsql.AUDIT_TAKE_HEAD, {"n": len(entries), "id": AUDIT_HEAD_ID})
        else:
            row = self._session.execute(
                update(head)
                .where(head.c.id == AUDIT_HEAD_ID)
                .values(seq=head.c.seq + len(entries))
                .returning(head.c.seq, head.c.hash)
            ).first()
        if row is None:
            raise _no_head()
        seq = int(row[0]) - len(entries)
        prev = str(row[1])
        made: list[AuditEntry] = []
        for action, actor, subject, data in entries:
            seq += 1
            entry = AuditEntry(seq, at, action, actor, subject, data, prev, "")
            entry = entry.with_hash(entry_hash(prev, entry))
            made.append(entry)
            prev = entry.hash
        rows = [
            {
                "seq": e.seq,
                "at": e.at,
                "action": e.action,
                "actor": e.actor,
                "subject": e.subject,
                "data": e.data_json,
                "prev_hash": e.prev_hash,
                "hash": e.hash,
            }
            for e in made
        ]
        if self._pg is not None:
            # One round trip for both while the head row is locked.
            with self._pg.pipeline():
                self._pg.execute(pgsql.AUDIT_SET_HASH, {"hash": prev, "id": AUDIT_HEAD_ID})
                self._pg.many(pgsql.INSERT_AUDIT, rows)
            return made
        self._session.execute(update(head).where(head.c.id == AUDIT_HEAD_ID).values(hash=prev))
        self._session.execute(insert(hub_audit), rows)
        return made

    def _append_one(
        self,
        action: str,
        actor: str,
        subject: str,
        data: dict[str, Any],
        at: datetime,
        *,
        prelude: pgsql.Prelude | None = None,
    ) -> AuditEntry:
        """One entry in one statement, numbered and hashed by PostgreSQL
        (:func:`.pgsql.audit_append`): no round trip while the head row is locked."""
        assert self._pg is not None  # noqa: S101 - PostgreSQL only
        draft = AuditEntry(0, at, action, actor, subject, data, "", "")
        before, after = canonical_around_seq(draft)
        row = self._pg.one(
            pgsql.AUDIT_APPEND_ONE if prelude is None else prelude.sql,
            {
                **(prelude.params if prelude is not None else {}),
                "id": AUDIT_HEAD_ID,
                "before": before,
                "after": after,
                "at": at,
                "action": action,
                "actor": actor,
                "subject": subject,
                "data": draft.data_json,
            },
        )
        if row is None:
            raise _no_head()
        seq, prev, hash_ = row
        return AuditEntry(int(seq), at, action, actor, subject, data, str(prev), str(hash_))

    def head(self, *, lock: bool = False) -> tuple[int, str]:
        """The chain's last number and hash (``lock``: hold the head row until commit)."""
        if lock:
            row = self._session.execute(
                update(head)
                .where(head.c.id == AUDIT_HEAD_ID)
                .values(seq=head.c.seq)
                .returning(head.c.seq, head.c.hash)
            ).first()
        else:
            row = self._session.execute(
                select(head.c.seq, head.c.hash).where(head.c.id == AUDIT_HEAD_ID)
            ).first()
        if row is None:
            raise StorageError("the audit log's head row is missing", code="storage.schema")
        return int(row.seq), str(row.hash)

    def entry(self, seq: int) -> AuditEntry | None:
        row = self._session.execute(select(hub_audit).where(hub_audit.c.seq == seq)).first()
        return None if row is None else AuditEntry.from_row(row)

    def entries(
        self, *, since: int = 0, until: int | None = None, batch: int = 1000
    ) -> Iterator[AuditEntry]:
        """The entries numbered after ``since`` (and up to ``until``), in number order."""
        return (AuditEntry.from_row(row) for row in self._rows(since, until, batch))

    def stored_entries(
        self, *, since: int = 0, until: int | None = None, batch: int = 1000
    ) -> Iterator[StoredEntry]:
        """The same, with each entry's data as the stored text (for verification)."""
        for row in self._rows(since, until, batch):
            yield StoredEntry(
                int(row.seq), row.at, row.action, row.actor, row.subject, row.data,
                row.prev_hash, row.hash,
            )  # fmt: skip

    def _rows(self, since: int, until: int | None, batch: int) -> Iterator[Row[Any]]:
        """Rows in number order, ``batch`` at a time (by key: each batch starts where the
        last one ended, so a long read holds no cursor open)."""
        last = since
        while True:
            query = select(hub_audit).where(hub_audit.c.seq > last)
            if until is not None:
                query = query.where(hub_audit.c.seq <= until)
            rows = self._session.execute(query.order_by(hub_audit.c.seq).limit(batch)).all()
            yield from rows
            if len(rows) < batch:
                return
            last = int(rows[-1].seq)

    def number_of(self, hash_: str) -> int | None:
        """The number of the (first) entry carrying ``hash_``, if any. No index serves it:
        a scan, for a verification that found a broken link."""
        row = self._session.execute(
            select(hub_audit.c.seq).where(hub_audit.c.hash == hash_).order_by(hub_audit.c.seq)
        ).first()
        return None if row is None else int(row.seq)

    def count(self) -> int:
        from sqlalchemy import func

        return int(self._session.execute(select(func.count()).select_from(hub_audit)).scalar_one())

    def add_checkpoint(
        self, seq: int, hash_: str, at: datetime, signature: str, certificate: str
    ) -> None:
        values = {
            "seq": seq,
            "hash": hash_,
            "at": at,
            "signature": signature,
            "certificate": certificate,
        }
        if self._pg is not None:  # may run inside the intake's pipeline
            self._pg.execute(pgsql.INSERT_CHECKPOINT, values)
            return
        self._session.execute(insert(hub_audit_checkpoints).values(values))

    def checkpoint_at(self, seq: int) -> Row[Any] | None:
        return self._session.execute(
            select(hub_audit_checkpoints).where(hub_audit_checkpoints.c.seq == seq)
        ).first()

    def last_checkpoint_seq(self) -> int:
        from sqlalchemy import func

        value = self._session.execute(select(func.max(hub_audit_checkpoints.c.seq))).scalar_one()
        return int(value or 0)

    def checkpoints(self) -> list[Row[Any]]:
        return list(
            self._session.execute(
                select(hub_audit_checkpoints).order_by(hub_audit_checkpoints.c.seq)
            ).all()
        )


def _no_head() -> StorageError:
    return StorageError(
        "the audit log's head row is missing: run `lienthong db upgrade`",
        code="storage.schema",
    )
