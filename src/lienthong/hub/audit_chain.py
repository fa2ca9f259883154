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
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

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
        return canonical_json(
            {
                "seq": self.seq,
                "at": _utc(self.at),
                "action": self.action,
                "actor": self.actor,
                "subject": self.subject,
                "data": self.data,
            }
        ).encode("utf-8")

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


def entry_hash(prev_hash: str, entry: AuditEntry) -> str:
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
    kind: str  # altered | removed | reordered | checkpoint
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


def verify_chain(
    entries: Iterable[AuditEntry],
    *,
    head: tuple[int, str],
    checkpoints: Sequence[Checkpoint] = (),
    trusted: Sequence[x509.Certificate] | None = None,
) -> AuditVerification:
    """Check the chain ``entries`` (in number order) against the head row and checkpoints.

    ``trusted``: the certificates whose keys may sign checkpoints (the hub's); ``None``
    accepts the certificate stored with each checkpoint (its signature still must hold).
    """
    report = AuditVerification(head_seq=head[0])
    rows = [(e.seq, e.prev_hash, e.hash, entry_hash(e.prev_hash, e) == e.hash) for e in entries]
    report.entries = len(rows)
    position = {row[2]: i for i, row in enumerate(rows)}
    by_seq = {row[0]: row for row in rows}
    expected, previous_hash = 1, GENESIS_HASH
    for i, (seq, prev_hash, hash_, content_ok) in enumerate(rows):
        linked_to = position.get(prev_hash)
        if seq > expected:
            missing = f"{expected}" if seq == expected + 1 else f"{expected}–{seq - 1}"
            report.add(expected, "removed", f"entries {missing} are missing")
        elif prev_hash != previous_hash and linked_to is not None and linked_to != i - 1:
            report.add(seq, "reordered", f"entry {seq} is chained after entry {rows[linked_to][0]}")
        elif not content_ok:
            report.add(seq, "altered", f"entry {seq}'s content does not give its hash")
        elif prev_hash != previous_hash:
            before = rows[i - 1][0] if i > 0 else 0
            report.add(
                before or seq,
                "altered",
                f"entry {before} was rewritten: entry {seq} does not link to it"
                if before
                else f"entry {seq} does not start the chain",
            )
        expected, previous_hash = seq + 1, hash_
    last_seq = rows[-1][0] if rows else 0
    if head[0] > last_seq:
        report.add(last_seq + 1, "removed", f"entries {last_seq + 1}–{head[0]} are missing")
    elif head[0] == last_seq and rows and head[1] != rows[-1][2]:
        report.add(last_seq, "altered", f"entry {last_seq} differs from the head row's hash")
    trusted_prints = None if trusted is None else {fingerprint(c) for c in trusted}
    for cp in checkpoints:
        report.checkpoints += 1
        _check_checkpoint(report, cp, by_seq, trusted_prints)
    return report


def _check_checkpoint(
    report: AuditVerification,
    cp: Checkpoint,
    by_seq: dict[int, tuple[int, str, str, bool]],
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
    row = by_seq.get(cp.seq)
    if row is None:
        report.add(cp.seq, "removed", f"entry {cp.seq}, signed by a checkpoint, is missing")
    elif row[2] != cp.hash:
        report.add(
            cp.seq,
            "altered",
            f"entry {cp.seq} differs from its signed checkpoint: the log up to it was rewritten",
        )
