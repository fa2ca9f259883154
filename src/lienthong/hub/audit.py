"""The hub's audit log: appended in the same transaction as each action, verified on demand.

Every intake, delivery claim, acknowledgement, status and administrative change appends
an entry (:class:`AuditLog.append`, called last in the use case so the head row's lock is
held briefly). Every ``checkpoint_every`` entries, and on demand, the hub signs the chain's
head with its key (a checkpoint). :meth:`AuditService.verify` reports altered, removed or
reordered entries and checkpoints that do not hold (rules in :mod:`.audit_chain`).
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from lienthong.clock import Clock
from lienthong.db.uow import UnitOfWork
from lienthong.errors import ConfigError, Conflict, NotFound
from lienthong.hub.audit_chain import (
    AuditEntry,
    AuditVerification,
    Checkpoint,
    missing_checkpoints,
    sign_checkpoint,
    verify_chain,
)
from lienthong.hub.pgsql import Prelude
from lienthong.pki.model import SigningIdentity

log = logging.getLogger("lienthong.hub.audit")

#: One entry to append: (action, actor, subject, data).
Entry = tuple[str, str, str, dict[str, Any]]
IdentityProvider = Callable[[], SigningIdentity | None]


@dataclass(frozen=True, slots=True)
class CheckpointInfo:
    seq: int
    hash: str
    at: datetime
    created: bool


class AuditLog:
    """Appends entries and makes the periodic checkpoints (inside the caller's unit of work)."""

    def __init__(self, identity: IdentityProvider, *, checkpoint_every: int = 1000) -> None:
        self._identity = identity
        self.checkpoint_every = checkpoint_every
        self._warned = False

    def identity(self) -> SigningIdentity | None:
        """The hub's signing identity, if one is configured."""
        return self._identity()

    def append(
        self,
        uow: UnitOfWork,
        entries: Sequence[Entry],
        at: datetime,
        *,
        prelude: Prelude | None = None,
    ) -> list[AuditEntry]:
        """Append ``entries``; sign a checkpoint when one falls on a multiple of N.
        ``prelude``: the use case's writes, made in the entry's statement (PostgreSQL)."""
        made = uow.hub_audit.append(entries, at, prelude=prelude)
        every = self.checkpoint_every
        if every > 0:
            for entry in made:
                if entry.seq % every == 0:
                    self.sign(uow, entry.seq, entry.hash, at)
        return made

    def sign(self, uow: UnitOfWork, seq: int, hash_: str, at: datetime) -> bool:
        """Store a signed checkpoint of entry ``seq`` (whether there was a key to)."""
        identity = self._identity()
        if identity is None:
            if not self._warned:
                self._warned = True
                log.warning("no hub identity configured: audit checkpoints are not signed")
            return False
        signature = sign_checkpoint(identity, seq, hash_, at)
        pem = identity.certificate.public_bytes(Encoding.PEM).decode("ascii")
        uow.hub_audit.add_checkpoint(seq, hash_, at, signature, pem)
        return True

    def checkpoint_now(self, uow: UnitOfWork, at: datetime) -> CheckpointInfo:
        """Sign the current head (unless it already is); raises if there is no identity."""
        if self._identity() is None:
            raise ConfigError(
                "no hub identity to sign checkpoints: set hub_identity (a pki identity name)",
                code="config.hub_identity",
            )
        seq, hash_ = uow.hub_audit.head(lock=True)
        if seq == 0:
            raise NotFound("the audit log is empty", code="not_found.audit")
        existing = uow.hub_audit.checkpoint_at(seq)
        if existing is not None:
            return CheckpointInfo(seq, existing.hash, existing.at, created=False)
        self.sign(uow, seq, hash_, at)
        return CheckpointInfo(seq, hash_, at, created=True)


@dataclass(frozen=True, slots=True)
class AuditState:
    """The head row and the checkpoints, read in one snapshot: every checkpoint of an
    entry up to the head is among them (one is made with its entry), and any beyond the
    head means entries were cut off the end."""

    head: tuple[int, str]
    checkpoints: list[Checkpoint]


def audit_state(uow: UnitOfWork) -> AuditState:
    """Read the head and the checkpoints in ``uow``, as of one instant."""
    uow.snapshot()
    head = uow.hub_audit.head()
    checkpoints = [
        Checkpoint(int(r.seq), r.hash, r.at, r.signature, r.certificate)
        for r in uow.hub_audit.checkpoints()
    ]
    return AuditState(head, checkpoints)


def verify_audit(
    uow: UnitOfWork,
    state: AuditState,
    *,
    trusted: Sequence[x509.Certificate] | None = None,
    progress: Callable[[int, int], None] | None = None,
    checkpoint_every: int = 0,
) -> AuditVerification:
    """Check the audit log in ``uow`` up to the head of ``state`` (see
    :func:`.audit_chain.verify_chain`): the entries are streamed, in constant memory.

    Entries appended since ``state`` was read are left for the next verification; those
    it checks are never changed by the hub, so they are read outside that snapshot (a
    snapshot held for a long verification would hold back PostgreSQL's vacuum)."""
    return verify_chain(
        uow.hub_audit.stored_entries(until=state.head[0]),
        head=state.head,
        checkpoints=state.checkpoints,
        trusted=trusted,
        locate=uow.hub_audit.number_of,
        progress=progress,
        checkpoint_every=checkpoint_every,
    )


class AuditService:
    """Use cases of the audit log: checkpoint and verify."""

    def __init__(self, uow_factory: Callable[[], UnitOfWork], log_: AuditLog, clock: Clock) -> None:
        self._uow = uow_factory
        self._log = log_
        self._clock = clock

    def checkpoint(self) -> CheckpointInfo:
        """Sign the chain's current head now."""
        with self._uow() as uow:
            info = self._log.checkpoint_now(uow, self._clock.now())
            uow.commit()
            return info

    def verify(
        self,
        *,
        trusted: Sequence[x509.Certificate] | None = None,
        progress: Callable[[int, int], None] | None = None,
    ) -> AuditVerification:
        """Report any altered, removed or reordered entry and any checkpoint that fails
        or is missing (one is expected every ``checkpoint_every`` entries when the hub
        has a key to sign them).

        ``trusted`` defaults to the hub identity's certificate when one is configured;
        ``progress(done, expected)`` is called as entries are checked.
        """
        identity = self._log.identity()
        if trusted is None:
            trusted = None if identity is None else [identity.certificate]
        every = self._log.checkpoint_every if identity is not None else 0
        with self._uow() as uow:
            state = audit_state(uow)
        with self._uow() as uow:
            return verify_audit(
                uow, state, trusted=trusted, progress=progress, checkpoint_every=every
            )

    def checkpoint_missing(self, progress: Callable[[int, int], None] | None = None) -> list[int]:
        """Sign the checkpoints the log lacks (each multiple of ``checkpoint_every`` up to
        the head), as the entries are now; the numbers signed. Refused while the log has
        any other problem: signing would vouch for a tampered log."""
        if self._log.identity() is None or self._log.checkpoint_every <= 0:
            raise ConfigError(
                "checkpoints are not made here: no hub identity, or checkpoint_every is 0",
                code="config.hub_identity",
            )
        report = self.verify(progress=progress)
        others = [p for p in report.problems if p.kind != "checkpoint_missing"]
        if others:
            raise Conflict(
                f"the audit log has {len(others)} other problem(s), the first at entry "
                f"{others[0].seq} ({others[0].kind}): verify it before signing anything",
                code="conflict.audit",
            )
        signed: list[int] = []
        with self._uow() as uow:
            state = audit_state(uow)
        present = {cp.seq for cp in state.checkpoints}
        wanted = missing_checkpoints(present, report.head_seq, self._log.checkpoint_every)
        with self._uow() as uow:
            now = self._clock.now()
            for seq in wanted:
                entry = uow.hub_audit.entry(seq)
                if entry is None or uow.hub_audit.checkpoint_at(seq) is not None:
                    continue  # made meanwhile (or the entry is gone: verify will say)
                if self._log.sign(uow, seq, entry.hash, now):
                    signed.append(seq)
            uow.commit()
        return signed

    def entries(self, *, since: int = 0, limit: int = 100) -> list[AuditEntry]:
        """At most ``limit`` entries numbered after ``since`` (for operators)."""
        if limit <= 0:
            return []
        with self._uow() as uow:
            return list(itertools.islice(uow.hub_audit.entries(since=since, batch=limit), limit))
