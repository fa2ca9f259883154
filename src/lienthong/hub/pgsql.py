"""The hub's hot statements on PostgreSQL, run on the unit of work's own psycopg connection.

Every request runs a handful of statements (authentication, intake, claims, content,
acknowledgements). Through the ORM ``Session`` with a statement built per call, each
costs ~0.15–0.4 ms of CPU in SQLAlchemy alone; sent as a fixed SQL string on the psycopg
cursor — which prepares it on the server after five runs — ~0.02 ms (``bench/hub_load.py``,
``docs/performance.md``). So on PostgreSQL the repositories send these statements here;
on SQLite (the embedded store) they keep their SQLAlchemy Core form. Both forms are run
by the same integration tests.

:class:`PgCursor` runs SQL on the connection the unit of work's ``Session`` holds, so
the statements belong to its transaction: they commit and roll back with it (and, in
tests, stay inside the test's savepoint). A driver error is re-raised as SQLAlchemy's
(``IntegrityError``, ``OperationalError``…), so callers and the unit of work handle it
as before. ``timestamptz`` values come back in UTC, as :class:`~lienthong.db.types.UtcDateTime`
gives them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import psycopg
from psycopg.rows import RowFactory
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, SessionTransaction

Params = Sequence[Any] | dict[str, Any] | None


class PgCursor:
    """Sends SQL on the psycopg connection of a ``Session``'s current transaction."""

    __slots__ = ("_conn", "_piped", "_session", "_tx")

    def __init__(self, session: Session) -> None:
        self._session = session
        self._tx: SessionTransaction | None = None
        self._conn: psycopg.Connection[Any] | None = None
        self._piped = False

    def connection(self) -> psycopg.Connection[Any]:
        """The driver connection (begins the Session's transaction if none is open)."""
        tx = self._session.get_transaction()
        if self._conn is None or tx is None or tx is not self._tx:
            self._conn = self._session.connection().connection.driver_connection
            self._tx = self._session.get_transaction()
        assert self._conn is not None  # noqa: S101 - a psycopg connection by the dialect
        return self._conn

    def execute(
        self, sql: str, params: Params = None, row_factory: RowFactory[Any] | None = None
    ) -> psycopg.Cursor[Any]:
        """Run one statement; the cursor, to fetch from (see :meth:`one`, :meth:`all`)."""
        conn = self.connection()
        try:
            cursor = conn.cursor(row_factory=row_factory) if row_factory else conn.cursor()
            return cursor.execute(sql, params)
        except psycopg.Error as exc:
            raise _wrapped(sql, params, exc) from exc

    def one(
        self, sql: str, params: Params = None, row_factory: RowFactory[Any] | None = None
    ) -> Any:
        """The first row (a tuple, or what ``row_factory`` makes), or ``None``."""
        cursor = self.execute(sql, params, row_factory)
        try:
            return cursor.fetchone()
        except psycopg.Error as exc:  # in a pipeline, errors come with the results
            raise _wrapped(sql, params, exc) from exc

    def all(self, sql: str, params: Params = None) -> list[Any]:
        """Every row, as tuples."""
        cursor = self.execute(sql, params)
        try:
            return cursor.fetchall()
        except psycopg.Error as exc:
            raise _wrapped(sql, params, exc) from exc

    def many(self, sql: str, rows: Iterable[Sequence[Any] | Mapping[str, Any]]) -> None:
        """One statement for many parameter sets (psycopg pipelines them: one round trip)."""
        conn = self.connection()
        batch = list(rows)
        try:
            conn.cursor().executemany(sql, batch)
        except psycopg.Error as exc:
            raise _wrapped(sql, batch, exc) from exc

    @contextmanager
    def pipeline(self) -> Iterator[None]:
        """Statements run inside are sent together: results arrive when one is fetched,
        the rest at the end of the block (one round trip each). Errors surface then,
        re-raised as SQLAlchemy's. Inside another :meth:`pipeline` block, nothing more.

        Leave the block before committing: the commit hands the connection back to the
        pool, where it must not be in pipeline mode."""
        if self._piped:
            yield
            return
        conn = self.connection()
        self._piped = True
        try:
            with conn.pipeline():
                yield
        except psycopg.Error as exc:
            raise _wrapped("(pipeline)", None, exc) from exc
        finally:
            self._piped = False


def _wrapped(sql: str, params: Any, exc: psycopg.Error) -> BaseException:
    return DBAPIError.instance(sql, params, exc, psycopg.Error)


def pg_cursor(session: Session) -> PgCursor | None:
    """The :class:`PgCursor` of ``session`` on PostgreSQL (one per Session, shared by its
    repositories, so a pipeline is seen by all); ``None`` on another database."""
    found = session.info.get(_INFO_KEY)
    if found is None and session.get_bind().dialect.name == "postgresql":
        found = session.info[_INFO_KEY] = PgCursor(session)
    return found if isinstance(found, PgCursor) else None


_INFO_KEY = "lienthong.hub.pgsql"


def utc(value: datetime | None) -> datetime | None:
    """A ``timestamptz`` as an aware UTC datetime (what ``UtcDateTime`` returns)."""
    return None if value is None else value.astimezone(UTC)


# -- statements ----------------------------------------------------------------------------
# Kept next to each other so a schema change finds them all. Named parameters are
# psycopg's (``%(name)s``); arrays bind Python lists (``= ANY(%(ids)s)``).

SENDER = """
SELECT a.id, a.qcvn_id, a.qd20_id, a.state, h.system_id
  FROM agencies a
  JOIN agency_identifiers i ON i.agency_id = a.id
  LEFT JOIN hub_system_agencies h ON h.agency_id = a.id AND h.system_id = %(system_id)s
 WHERE i.key = %(key)s
 LIMIT 1"""

RESOLVE = """
SELECT i.key, a.id, a.qcvn_id, a.qd20_id, a.state
  FROM agency_identifiers i JOIN agencies a ON a.id = i.agency_id
 WHERE i.key = ANY(%(keys)s)"""

DUPLICATE = "SELECT id, kind, document_id, sha256 FROM hub_packages WHERE dedup_key = %(key)s"

#: Intake's planning reads of a document in one statement (``HubRepository.intake_reads``):
#: the sender by its identifier key and whether ``system_id`` hosts it; the first send
#: under the dedup key, which the statement completes with the sender's id
#: (``model.DedupKey``: SHA-256 of ``before || id || after``) and its deliveries; the
#: agencies of ``keys``, and the webhooks of the active systems hosting them. One row.
INTAKE_READS = """
WITH s AS (
  SELECT a.id, a.qcvn_id, a.qd20_id, a.state, h.system_id AS hosted_by
    FROM agency_identifiers i
    JOIN agencies a ON a.id = i.agency_id
    LEFT JOIN hub_system_agencies h ON h.agency_id = a.id AND h.system_id = %(system_id)s
   WHERE i.key = %(sender_key)s
   LIMIT 1
), dup AS (
  SELECT p.id, p.kind, p.document_id, p.sha256
    FROM s JOIN hub_packages p
      ON p.dedup_key = encode(sha256(%(key_before)s::bytea || convert_to(s.id::text, 'UTF8')
                                     || %(key_after)s::bytea), 'hex')
), r AS (
  SELECT i.key, a.id, a.qcvn_id, a.qd20_id, a.state
    FROM agency_identifiers i JOIN agencies a ON a.id = i.agency_id
   WHERE i.key = ANY(%(keys)s)
)
SELECT s.id, s.qcvn_id, s.qd20_id, s.state, s.hosted_by,
       dup.id, dup.kind, dup.document_id, dup.sha256,
       (SELECT json_agg(json_build_array(d.id, d.recipient_code) ORDER BY d.id)
          FROM hub_deliveries d WHERE d.package_id = dup.id),
       (SELECT json_agg(json_build_array(r.key, r.id, r.qcvn_id, r.qd20_id, r.state)) FROM r),
       (SELECT json_agg(json_build_array(sa.agency_id, y.system_id, y.webhook_url)
                        ORDER BY y.system_id)
          FROM hub_system_agencies sa JOIN hub_systems y ON y.system_id = sa.system_id
         WHERE sa.agency_id IN (SELECT id FROM r) AND y.webhook_url IS NOT NULL
           AND y.state = %(active)s)
  FROM (SELECT 1) AS one
  LEFT JOIN s ON true
  LEFT JOIN dup ON true"""

PACKAGE_DELIVERY_REFS = (
    "SELECT id, recipient_code FROM hub_deliveries WHERE package_id = %(id)s ORDER BY id"
)

PACKAGE_COLUMNS = (
    "id",
    "kind",
    "sha256",
    "size",
    "system_id",
    "sender_id",
    "sender_code",
    "document_id",
    "code",
    "subject",
    "business_type",
    "business_document_id",
    "status_code",
    "status_description",
    "status_at",
    "dedup_key",
    "trace",
    "received_at",
)

DELIVERY_COLUMNS = (
    "id",
    "package_id",
    "recipient_id",
    "recipient_code",
    "kind",
    "state",
    "available_at",
    "leased_by",
    "leased_until",
    "claims",
    "created_at",
    "received_at",
    "acked_at",
    "ack_reason",
    "push_state",
    "push_attempts",
    "push_next_at",
    "push_error",
)


def insert_sql(table: str, columns: Sequence[str]) -> str:
    """``INSERT INTO table (columns) VALUES (%(column)s, …)``."""
    names = ", ".join(columns)
    values = ", ".join(f"%({c})s" for c in columns)
    return f"INSERT INTO {table} ({names}) VALUES ({values})"  # noqa: S608 - our names


INSERT_PACKAGE = insert_sql("hub_packages", PACKAGE_COLUMNS)
INSERT_DELIVERY = insert_sql("hub_deliveries", DELIVERY_COLUMNS)
LINK_COLUMNS = ("document_id", "kind", "package_id", "linked_document_id", "reason", "created_at")
INSERT_LINK = insert_sql("hub_links", LINK_COLUMNS)
NOTIFY = "SELECT pg_notify(%(channel)s, %(payload)s)"

# The claim: see docs/hub.md, "Delivery and leases" (``{kind}`` is empty or a filter).
# The leased rows come back as the claim left them (RETURNING: the outer query would see
# them as they were), with their package's facts: the columns of DELIVERIES.
CLAIM = """
WITH claimed AS (
UPDATE hub_deliveries
   SET state = 'leased', leased_by = %(system_id)s, leased_until = %(until)s,
       available_at = %(until)s, claims = claims + 1,
       received_at = COALESCE(received_at, %(now)s)
 WHERE id IN (SELECT id FROM hub_deliveries
               WHERE recipient_id = ANY(%(agencies)s) AND state IN ('pending', 'leased')
                 AND available_at <= %(now)s{kind}
               ORDER BY available_at, id LIMIT %(limit)s
               FOR UPDATE SKIP LOCKED)
RETURNING id, package_id, kind, recipient_code, state, leased_until, claims)
SELECT c.id, c.package_id, c.kind, c.recipient_code, c.state, c.leased_until, c.claims,
       p.sender_code, p.document_id, p.sha256, p.size, p.status_code, p.received_at
  FROM claimed c JOIN hub_packages p ON p.id = c.package_id
 ORDER BY c.id"""
CLAIM_ANY = CLAIM.format(kind="")
CLAIM_KIND = CLAIM.format(kind=" AND kind = %(kind)s")

DELIVERIES = """
SELECT d.id, d.package_id, d.kind, d.recipient_code, d.state, d.leased_until, d.claims,
       p.sender_code, p.document_id, p.sha256, p.size, p.status_code, p.received_at
  FROM hub_deliveries d JOIN hub_packages p ON p.id = d.package_id
 WHERE d.id = ANY(%(ids)s)
 ORDER BY d.id"""

#: ``hosted``: whether the system asking (``%(system_id)s``) hosts the recipient.
_DELIVERY_ROW = (
    "SELECT "  # noqa: S608 - fixed column names
    + ", ".join(f"d.{c}" for c in DELIVERY_COLUMNS)
    + ", p.sha256, p.size, p.trace, p.sender_code, p.document_id,"
    + " EXISTS (SELECT 1 FROM hub_system_agencies h WHERE h.system_id = %(system_id)s"
    + " AND h.agency_id = d.recipient_id) AS hosted"
    + " FROM hub_deliveries d JOIN hub_packages p ON p.id = d.package_id WHERE d.id = %(id)s"
)
DELIVERY_ROW = _DELIVERY_ROW
DELIVERY_ROW_FOR_UPDATE = _DELIVERY_ROW + " FOR UPDATE OF d"
#: The columns of :data:`DELIVERY_ROW` that hold instants.
DELIVERY_TIMES = frozenset(
    {"available_at", "leased_until", "created_at", "received_at", "acked_at", "push_next_at"}
)

HOSTED = (
    "SELECT agency_id FROM hub_system_agencies WHERE system_id = %(system_id)s ORDER BY agency_id"
)

WEBHOOK_TARGETS = """
SELECT sa.agency_id, s.system_id, s.webhook_url
  FROM hub_system_agencies sa JOIN hub_systems s ON s.system_id = sa.system_id
 WHERE sa.agency_id = ANY(%(agencies)s) AND s.webhook_url IS NOT NULL AND s.state = %(active)s
 ORDER BY s.system_id"""

CREDENTIALS = (
    "SELECT state, secret, previous_secret, previous_expires_at"
    " FROM hub_systems WHERE system_id = %(system_id)s"
)

RECORD_NONCE = """
INSERT INTO hub_nonces (system_id, nonce, expires_at)
VALUES (%(system_id)s, %(nonce)s, %(expires_at)s)
ON CONFLICT DO NOTHING
RETURNING nonce"""

#: The nonce of a request whose signature was checked with cached credentials, recorded
#: only while they are still the system's (see :mod:`.nonce_claims`).
CLAIM_NONCE = """
INSERT INTO hub_nonces (system_id, nonce, expires_at)
SELECT system_id, %(nonce)s, %(expires_at)s
  FROM hub_systems
 WHERE system_id = %(system_id)s AND state = %(active)s AND secret = %(secret)s
   AND previous_secret IS NOT DISTINCT FROM %(previous_secret)s
   AND previous_expires_at IS NOT DISTINCT FROM %(previous_expires_at)s
ON CONFLICT DO NOTHING
RETURNING nonce"""

AUDIT_TAKE_HEAD = (
    "UPDATE hub_audit_head SET seq = seq + %(n)s WHERE id = %(id)s RETURNING seq, hash"
)
AUDIT_SET_HASH = "UPDATE hub_audit_head SET hash = %(hash)s WHERE id = %(id)s"


def audit_append(before: str = "", join: str = "") -> str:
    """One audit entry appended in one statement: the head row locked and moved on, the
    entry's hash computed here as :func:`.audit_chain.entry_hash` does (SHA-256 of the
    previous hash, then the canonical JSON, whose parts around the number are ``before``
    and ``after``), the entry inserted. ``FOR UPDATE`` waits for a concurrent append and
    then reads the head it committed, so the entry chains to the one committed just
    before it.

    ``before``: other common table expressions to run in the same statement (``name AS
    (…), ``); ``join``: those of them, of one row each, that the final insert reads
    (a plain ``SELECT`` in ``WITH`` runs only if something reads it). Both are this
    module's constants, never input."""
    return f"""
WITH {before}head AS (
  SELECT seq, hash FROM hub_audit_head WHERE id = %(id)s FOR UPDATE
), moved AS (
  UPDATE hub_audit_head h
     SET seq = head.seq + 1,
         hash = encode(sha256(convert_to(head.hash, 'UTF8') || %(before)s::bytea
                              || convert_to((head.seq + 1)::text, 'UTF8') || %(after)s::bytea),
                       'hex')
    FROM head
   WHERE h.id = %(id)s
  RETURNING h.seq, h.hash, head.hash AS prev_hash
)
INSERT INTO hub_audit (seq, at, action, actor, subject, data, prev_hash, hash)
SELECT seq, %(at)s::timestamptz, %(action)s, %(actor)s, %(subject)s, %(data)s, prev_hash, hash
  FROM moved{join}
RETURNING seq, prev_hash, hash"""  # noqa: S608 - fixed SQL (see above)


AUDIT_APPEND_ONE = audit_append()


def _insert_from_json(table: str, columns: Sequence[str], function: str, param: str) -> str:
    names = ", ".join(columns)
    return (
        f"INSERT INTO {table} ({names}) SELECT {names}"  # noqa: S608 - our names
        f" FROM {function}(NULL::{table}, %({param})s::json)"
    )


@dataclass(frozen=True, slots=True)
class Prelude:
    """Writes that go out in the statement of the audit entry appended after them (an
    :func:`audit_append` statement with ``before``; ``params``: theirs)."""

    sql: str
    params: dict[str, Any]


#: What an accepted package writes besides its links, with its audit entry, in one
#: statement (``HubRepository.intake_writes``): the package row (``package``: a JSON
#: object of :data:`PACKAGE_COLUMNS`), its deliveries (``deliveries``: a JSON array of
#: objects of :data:`DELIVERY_COLUMNS`), the NOTIFY, and the entry.
INTAKE_WRITE = audit_append(
    before=(
        f"package AS ({_insert_from_json('hub_packages', PACKAGE_COLUMNS, 'json_populate_record', 'package')}), "
        f"deliveries AS ({_insert_from_json('hub_deliveries', DELIVERY_COLUMNS, 'json_populate_recordset', 'deliveries')}), "
        "notified AS (SELECT pg_notify(%(channel)s, %(payload)s) AS sent), "
    ),
    join=" CROSS JOIN notified",
)

AUDIT_COLUMNS = ("seq", "at", "action", "actor", "subject", "data", "prev_hash", "hash")
INSERT_AUDIT = insert_sql("hub_audit", AUDIT_COLUMNS)
INSERT_CHECKPOINT = insert_sql(
    "hub_audit_checkpoints", ("seq", "hash", "at", "signature", "certificate")
)


def update_delivery_sql(columns: Sequence[str], prefix: str = "") -> str:
    """``UPDATE hub_deliveries SET … WHERE id = %(id)s`` for ``columns`` (table columns);
    parameters named ``prefix`` + column (and ``prefix + "id"``)."""
    unknown = set(columns) - set(DELIVERY_COLUMNS)
    if unknown or "id" in columns:
        raise ValueError(f"not updatable delivery columns: {sorted(unknown) or ['id']}")
    sets = ", ".join(f"{c} = %({prefix}{c})s" for c in columns)
    return f"UPDATE hub_deliveries SET {sets} WHERE id = %({prefix}id)s"  # noqa: S608 - checked


def update_delivery_then_audit_sql(columns: Sequence[str]) -> str:
    """:func:`update_delivery_sql` (parameters prefixed ``d_``) in the statement of the
    audit entry appended after it (:func:`audit_append`)."""
    return audit_append(before=f"updated AS ({update_delivery_sql(columns, 'd_')}), ")
