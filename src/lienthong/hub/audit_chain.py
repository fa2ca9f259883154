"""The audit log's chain and checkpoints: pure rules, no database.

Each entry's hash is ``SHA-256(prev_hash ‖ canonical JSON of the entry)``, hex, where the
canonical JSON holds the entry's number, time (UTC, ISO 8601), action, actor, subject and
data with sorted keys and no spaces; the first entry's ``prev_hash`` is 64 zeros. A
*checkpoint* is the hub's signature over ``(seq, hash, time)`` of an entry: whoever can
rewrite the table can recompute every hash, but cannot forge the hub's signature, so a
rewrite of anything up to a checkpoint is detected.

:func:`verify_chain` reads the entries in number order and reports, for each problem, the
entry and what happened to it: ``removed`` (a gap in the numbers, or entries missing after
the last one the head row counts), ``reordered`` (an entry chained after one that is not
its predecessor), ``altered`` (its content no longer gives its hash, or its successor's
link or a checkpoint says it was rewritten) and ``checkpoint`` (a signature that does not
verify, or made by another key than the hub's).
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any, Protocol

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding

from lienthong.db.tables.hub import GENESIS_HASH
from lienthong.errors import SignatureError
from lienthong.pki.model import SigningIdentity


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, UTF-8 kept: one text per value."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _utc(at: datetime) -> str:
    return at.astimezone(UTC).isoformat()


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One entry of the audit log."""

    seq: int
    at: datetime
    action: str
    actor: str
    subject: str
    data: dict[str, Any]
    prev_hash: str
    hash: str

    @property
    def data_json(self) -> str:
        return canonical_json(self.data)

    def canonical(self) -> bytes:
        """What the entry's hash covers (after the previous hash)."""
        return canonical_entry(self)

    def with_hash(self, value: str) -> AuditEntry:
        return replace(self, hash=value)

    @classmethod
    def from_row(cls, row: Any) -> AuditEntry:
        try:
            data = json.loads(row.data)
        except ValueError:
            data = {"unreadable": row.data}
        if not isinstance(data, dict):
            data = {"value": data}
        return cls(
            seq=int(row.seq),
            at=row.at,
            action=row.action,
            actor=row.actor,
            subject=row.subject,
            data=data,
            prev_hash=row.prev_hash,
            hash=row.hash,
        )


_text = json.JSONEncoder(ensure_ascii=False).encode


class EntryFields(Protocol):
    """The fields an entry's hash covers, its data as canonical JSON text."""

    @property
    def seq(self) -> int: ...
    @property
    def at(self) -> datetime: ...
    @property
    def action(self) -> str: ...
    @property
    def actor(self) -> str: ...
    @property
    def subject(self) -> str: ...
    @property
    def data_json(self) -> str: ...


def canonical_entry(entry: EntryFields) -> bytes:
    """The canonical JSON of an entry whose data is already canonical JSON text: the
    same bytes as :func:`canonical_json` of the whole entry (keys in sorted order)."""
    before, after = canonical_around_seq(entry)
    return before + str(int(entry.seq)).encode() + after


def canonical_around_seq(entry: EntryFields) -> tuple[bytes, bytes]:
    """:func:`canonical_entry` cut where the entry's number goes (its decimal digits
    join the two parts): for a database that numbers the entry as it appends it."""
    before = (
        f'{{"action":{_text(entry.action)},"actor":{_text(entry.actor)},'
        f'"at":{_text(_utc(entry.at))},"data":{entry.data_json},"seq":'
    )
    return before.encode(), f',"subject":{_text(entry.subject)}}}'.encode()


@dataclass(frozen=True, slots=True)
class StoredEntry:
    """An entry as the table holds it, its data left as the stored text: what a
    verification hashes (text changed in any way, even to equal JSON, is an alteration)."""

    seq: int
    at: datetime
    action: str
    actor: str
    subject: str
    data_json: str
    prev_hash: str
    hash: str

    def canonical(self) -> bytes:
        return canonical_entry(self)


class ChainLink(Protocol):
    """What :func:`verify_chain` reads of an entry."""

    @property
    def seq(self) -> int: ...
    @property
    def prev_hash(self) -> str: ...
    @property
    def hash(self) -> str: ...
    def canonical(self) -> bytes: ...


def entry_hash(prev_hash: str, entry: ChainLink) -> str:
    """The hash an entry must carry, given the previous entry's hash."""
    digest = hashlib.sha256(prev_hash.encode("ascii"))
    digest.update(entry.canonical())
    return digest.hexdigest()


# -- checkpoints -----------------------------------------------------------------------------


def checkpoint_message(seq: int, hash_: str, at: datetime) -> bytes:
    """The bytes a checkpoint signature covers."""
    return f"lienthong-audit-checkpoint\n{seq}\n{hash_}\n{_utc(at)}".encode("ascii")


def sign_checkpoint(identity: SigningIdentity, seq: int, hash_: str, at: datetime) -> str:
    """Base64 signature of the checkpoint by the hub's key (EC, RSA or Ed25519)."""
    message = checkpoint_message(seq, hash_, at)
    key = identity.private_key
    if isinstance(key, ec.EllipticCurvePrivateKey):
        signature = key.sign(message, ec.ECDSA(hashes.SHA256()))
    elif isinstance(key, rsa.RSAPrivateKey):
        signature = key.sign(message, padding.PKCS1v15(), hashes.SHA256())
    elif isinstance(key, ed25519.Ed25519PrivateKey):
        signature = key.sign(message)
    else:
        raise SignatureError(
            f"{identity.name}: the hub's key cannot sign checkpoints", code="signature.key"
        )
    return base64.b64encode(signature).decode("ascii")


def checkpoint_signature_ok(
    certificate: x509.Certificate, seq: int, hash_: str, at: datetime, signature_b64: str
) -> bool:
    """Whether the signature verifies with the certificate's public key."""
    message = checkpoint_message(seq, hash_, at)
    try:
        signature = base64.b64decode(signature_b64, validate=True)
        key = certificate.public_key()
        if isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(signature, message, ec.ECDSA(hashes.SHA256()))
        elif isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, message, padding.PKCS1v15(), hashes.SHA256())
        elif isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(signature, message)
        else:
            return False
    except (InvalidSignature, ValueError):
        return False
    return True


def fingerprint(certificate: x509.Certificate) -> str:
    return hashlib.sha256(certificate.public_bytes(Encoding.DER)).hexdigest()


@dataclass(frozen=True, slots=True)
class Checkpoint:
    seq: int
    hash: str
    at: datetime
    signature: str
    certificate_pem: str


# -- verification ----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AuditProblem:
    seq: int
    kind: str  # altered | removed | reordered | checkpoint | checkpoint_missing
    message: str


@dataclass(slots=True)
class AuditVerification:
    """What :func:`verify_chain` found."""

    entries: int = 0
    head_seq: int = 0
    checkpoints: int = 0
    checkpoints_valid: int = 0
    problems: list[AuditProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_problem(self) -> AuditProblem | None:
        return min(self.problems, key=lambda p: p.seq) if self.problems else None

    def add(self, seq: int, kind: str, message: str) -> None:
        self.problems.append(AuditProblem(seq, kind, message))


#: Entries between two calls of a verification's ``progress``.
PROGRESS_EVERY = 1000
#: Broken links :func:`verify_chain` looks up (to tell a reordered entry from an altered
#: one) before it calls the rest ``altered`` without looking: a wholesale rewrite must not
#: turn into one table scan per entry.
MAX_LOOKUPS = 100


def verify_chain(
    entries: Iterable[ChainLink],
    *,
    head: tuple[int, str],
    checkpoints: Sequence[Checkpoint] = (),
    trusted: Sequence[x509.Certificate] | None = None,
    locate: Callable[[str], int | None] | None = None,
    progress: Callable[[int, int], None] | None = None,
    checkpoint_every: int = 0,
) -> AuditVerification:
    """Check the chain ``entries`` (in number order) against the head row and checkpoints.

    ``trusted``: the certificates whose keys may sign checkpoints (the hub's); ``None``
    accepts the certificate stored with each checkpoint (its signature still must hold).

    ``locate(hash)`` gives the number of the entry carrying ``hash`` (any entry of the
    log), asked only when an entry does not link to its predecessor: with it, the entries
    are read once, as a stream, and only the hashes of checkpointed entries are kept, so a
    log of any length is checked in constant memory. Without it, ``entries`` is read into
    memory first and looked up there. ``progress(done, expected)`` is called every
    :data:`PROGRESS_EVERY` entries and at the end (``expected``: the head row's count).

    ``checkpoint_every``: the hub signs a checkpoint every N entries (when it has a key),
    so one is expected at each multiple of N up to the head; missing ones are reported
    together (``checkpoint_missing``), at the first. 0: none expected.
    """
    if locate is None:
        entries = list(entries)
        numbers = {e.hash: e.seq for e in entries}
        locate = numbers.get
    report = AuditVerification(head_seq=head[0])
    wanted = {cp.seq for cp in checkpoints}
    signed: dict[int, str] = {}
    lookups = 0
    expected, previous_seq, previous_hash = 1, 0, GENESIS_HASH
    for entry in entries:
        seq = entry.seq
        linked_to: int | None = None
        if entry.prev_hash != previous_hash and seq <= expected and lookups < MAX_LOOKUPS:
            lookups += 1
            linked_to = locate(entry.prev_hash)
        problem = _link_problem(entry, expected, previous_seq, previous_hash, linked_to)
        if problem is not None:
            report.add(*problem)
        if seq in wanted:
            signed[seq] = entry.hash
        report.entries += 1
        if progress is not None and report.entries % PROGRESS_EVERY == 0:
            progress(report.entries, head[0])
        expected, previous_seq, previous_hash = seq + 1, seq, entry.hash
    if progress is not None:
        progress(report.entries, head[0])
    if head[0] > previous_seq:
        report.add(previous_seq + 1, "removed", f"entries {previous_seq + 1}–{head[0]} are missing")
    elif head[0] == previous_seq and report.entries and head[1] != previous_hash:
        report.add(
            previous_seq, "altered", f"entry {previous_seq} differs from the head row's hash"
        )
    trusted_prints = None if trusted is None else {fingerprint(c) for c in trusted}
    for cp in checkpoints:
        report.checkpoints += 1
        _check_checkpoint(report, cp, signed, trusted_prints)
    if checkpoint_every > 0:
        _expect_checkpoints(report, {cp.seq for cp in checkpoints}, head[0], checkpoint_every)
    return report


def missing_checkpoints(present: set[int], head_seq: int, every: int) -> list[int]:
    """The multiples of ``every`` up to ``head_seq`` that have no checkpoint."""
    return [seq for seq in range(every, head_seq + 1, every) if seq not in present]


def _expect_checkpoints(
    report: AuditVerification, present: set[int], head_seq: int, every: int
) -> None:
    missing = missing_checkpoints(present, head_seq, every)
    if not missing:
        return
    which = (
        f"entry {missing[0]}"
        if len(missing) == 1
        else f"{len(missing)} entries from {missing[0]} to {missing[-1]}"
    )
    report.add(
        missing[0],
        "checkpoint_missing",
        f"no signed checkpoint at {which} (the hub signs one every {every} entries): "
        "checkpoints were deleted, or were not made then (no hub key, another setting; "
        "`lienthong hub audit checkpoint --missing` signs them as the entries are now)",
    )


def _link_problem(
    entry: ChainLink, expected: int, previous_seq: int, previous_hash: str, linked_to: int | None
) -> tuple[int, str, str] | None:
    """What is wrong with ``entry`` read after entry ``previous_seq`` (``expected`` the
    number due; ``linked_to`` the entry its ``prev_hash`` names, if looked up)."""
    seq = entry.seq
    if seq > expected:
        missing = f"{expected}" if seq == expected + 1 else f"{expected}–{seq - 1}"
        return expected, "removed", f"entries {missing} are missing"
    if linked_to is not None and linked_to != previous_seq:
        return seq, "reordered", f"entry {seq} is chained after entry {linked_to}"
    if entry_hash(entry.prev_hash, entry) != entry.hash:
        return seq, "altered", f"entry {seq}'s content does not give its hash"
    if entry.prev_hash != previous_hash:
        if previous_seq:
            return (
                previous_seq,
                "altered",
                f"entry {previous_seq} was rewritten: entry {seq} does not link to it",
            )
        return seq, "altered", f"entry {seq} does not start the chain"
    return None


def _check_checkpoint(
    report: AuditVerification,
    cp: Checkpoint,
    signed: dict[int, str],
    trusted_prints: set[str] | None,
) -> None:
    try:
        cert = x509.load_pem_x509_certificate(cp.certificate_pem.encode("ascii"))
    except ValueError:
        report.add(cp.seq, "checkpoint", f"checkpoint {cp.seq}: its certificate is unreadable")
        return
    if trusted_prints is not None and fingerprint(cert) not in trusted_prints:
        report.add(cp.seq, "checkpoint", f"checkpoint {cp.seq} was signed by another key")
        return
    if not checkpoint_signature_ok(cert, cp.seq, cp.hash, cp.at, cp.signature):
        report.add(cp.seq, "checkpoint", f"checkpoint {cp.seq}: the signature does not verify")
        return
    report.checkpoints_valid += 1
    found = signed.get(cp.seq)
    if found is None:
        report.add(cp.seq, "removed", f"entry {cp.seq}, signed by a checkpoint, is missing")
    elif found != cp.hash:
        report.add(
            cp.seq,
            "altered",
            f"entry {cp.seq} differs from its signed checkpoint: the log up to it was rewritten",
        )
