"""The audit chain's pure rules: hashing, checkpoints, and locating tampering."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.serialization import Encoding
from cryptography.x509.oid import NameOID

from lienthong.hub.audit_chain import (
    MAX_LOOKUPS,
    AuditEntry,
    Checkpoint,
    StoredEntry,
    canonical_json,
    entry_hash,
    sign_checkpoint,
    verify_chain,
)
from lienthong.pki.model import CertificateKind, SigningIdentity

T = datetime(2026, 5, 10, 8, 0, tzinfo=UTC)
GENESIS = "0" * 64


def _identity(name: str = "hub") -> SigningIdentity:
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(T - timedelta(days=1))
        .not_valid_after(T + timedelta(days=365))
        .sign(key, hashes.SHA256())
    )
    return SigningIdentity(name, CertificateKind.SYSTEM, key, cert)


def _chain(n: int) -> list[AuditEntry]:
    entries: list[AuditEntry] = []
    prev = GENESIS
    for seq in range(1, n + 1):
        entry = AuditEntry(
            seq, T + timedelta(seconds=seq), "intake", "sys", f"p{seq}", {"n": seq}, prev, ""
        )
        entry = entry.with_hash(entry_hash(prev, entry))
        entries.append(entry)
        prev = entry.hash
    return entries


def _checkpoint(identity: SigningIdentity, entry: AuditEntry) -> Checkpoint:
    pem = identity.certificate.public_bytes(Encoding.PEM).decode()
    signature = sign_checkpoint(identity, entry.seq, entry.hash, entry.at)
    return Checkpoint(entry.seq, entry.hash, entry.at, signature, pem)


def _first(entries: list[AuditEntry], **options: object) -> tuple[int, str] | None:
    head = options.pop("head", None) or (entries[-1].seq, entries[-1].hash)
    report = verify_chain(entries, head=head, **options)  # type: ignore[arg-type]
    problem = report.first_problem
    return None if problem is None else (problem.seq, problem.kind)


def test_the_hash_covers_every_field_and_the_previous_hash() -> None:
    entry = _chain(1)[0]
    variants = [
        replace(entry, seq=2),
        replace(entry, at=entry.at + timedelta(microseconds=1)),
        replace(entry, action="ack"),
        replace(entry, actor="other"),
        replace(entry, subject="p2"),
        replace(entry, data={"n": 2}),
    ]
    assert all(entry_hash(GENESIS, v) != entry.hash for v in variants)
    assert entry_hash("1" * 64, entry) != entry.hash
    assert entry_hash(GENESIS, replace(entry, at=entry.at.astimezone())) == entry.hash


def test_an_intact_chain() -> None:
    assert _first(_chain(10)) is None


@pytest.mark.parametrize(
    ("tamper", "expected"),
    [
        (lambda c: c.__setitem__(3, replace(c[3], actor="x")), (4, "altered")),
        (lambda c: c.pop(4), (5, "removed")),
        (lambda c: [c.pop(2), c.pop(2)], (3, "removed")),
        (
            lambda c: c.__setitem__(slice(4, 6), [replace(c[5], seq=5), replace(c[4], seq=6)]),
            (5, "reordered"),
        ),
    ],
)
def test_tampering_is_located(tamper: object, expected: tuple[int, str]) -> None:
    chain = _chain(10)
    head = (chain[-1].seq, chain[-1].hash)
    tamper(chain)  # type: ignore[operator]
    assert _first(chain, head=head) == expected


def test_a_rewritten_entry_with_a_recomputed_hash_breaks_the_next_link() -> None:
    chain = _chain(6)
    head = (chain[-1].seq, chain[-1].hash)
    forged = replace(chain[2], actor="x")
    chain[2] = forged.with_hash(entry_hash(forged.prev_hash, forged))

    assert _first(chain, head=head) == (3, "altered")


def test_a_whole_rewrite_is_caught_by_a_signed_checkpoint() -> None:
    identity = _identity()
    chain = _chain(6)
    checkpoint = _checkpoint(identity, chain[4])
    rewritten = _chain(6)
    rewritten[1] = replace(rewritten[1], data={"n": 99})
    prev = rewritten[0].hash
    for i in range(1, 6):  # recompute every hash after the change
        entry = replace(rewritten[i], prev_hash=prev)
        rewritten[i] = entry.with_hash(entry_hash(prev, entry))
        prev = rewritten[i].hash

    report = verify_chain(
        rewritten,
        head=(6, rewritten[-1].hash),
        checkpoints=[checkpoint],
        trusted=[identity.certificate],
    )

    assert [(p.seq, p.kind) for p in report.problems] == [(5, "altered")]


def test_a_checkpoint_signed_by_another_key_is_refused() -> None:
    chain = _chain(3)
    stranger = _checkpoint(_identity("stranger"), chain[2])
    hub = _identity()

    report = verify_chain(
        chain, head=(3, chain[2].hash), checkpoints=[stranger], trusted=[hub.certificate]
    )
    unchecked = verify_chain(chain, head=(3, chain[2].hash), checkpoints=[stranger])

    assert [(p.seq, p.kind) for p in report.problems] == [(3, "checkpoint")]
    assert unchecked.ok
    assert unchecked.checkpoints_valid == 1


def test_entries_missing_at_the_end_are_seen_from_the_head() -> None:
    chain = _chain(5)
    assert _first(chain[:3], head=(5, chain[-1].hash)) == (4, "removed")


def test_with_a_locator_the_entries_are_streamed_once_and_progress_is_told() -> None:
    chain = _chain(2500)
    read: list[int] = []
    told: list[tuple[int, int, int]] = []

    def stream() -> Iterator[AuditEntry]:
        for entry in chain:
            read.append(entry.seq)
            yield entry

    def locate(hash_: str) -> int | None:
        raise AssertionError("an intact chain needs no lookup")

    report = verify_chain(
        stream(),
        head=(2500, chain[-1].hash),
        locate=locate,
        progress=lambda done, expected: told.append((done, expected, len(read))),
    )

    assert report.ok
    assert report.entries == 2500
    # Told as it goes, while the stream is being read (not after reading it all).
    assert told == [(1000, 2500, 1000), (2000, 2500, 2000), (2500, 2500, 2500)]
    assert read == list(range(1, 2501))


def test_a_reordering_is_named_through_the_locator() -> None:
    chain = _chain(10)
    head = (chain[-1].seq, chain[-1].hash)
    numbers = {e.hash: e.seq for e in chain}
    chain[4:6] = [replace(chain[5], seq=5), replace(chain[4], seq=6)]
    asked: list[str] = []

    def locate(hash_: str) -> int | None:
        asked.append(hash_)
        return numbers.get(hash_)

    report = verify_chain(iter(chain), head=head, locate=locate)

    assert report.first_problem is not None
    assert (report.first_problem.seq, report.first_problem.kind) == (5, "reordered")
    assert asked[0] == chain[4].prev_hash  # asked about the broken link only


def test_lookups_are_capped_when_every_link_is_broken() -> None:
    chain = [replace(e, prev_hash="1" * 64) for e in _chain(MAX_LOOKUPS + 50)]
    calls: list[str] = []

    def locate(hash_: str) -> int | None:
        calls.append(hash_)
        return None

    report = verify_chain(chain, head=(chain[-1].seq, chain[-1].hash), locate=locate)

    assert len(calls) == MAX_LOOKUPS
    assert len(report.problems) == len(chain)  # each entry still reported
    assert {p.kind for p in report.problems} == {"altered"}


@pytest.mark.parametrize(
    "text", ['Sở Nội vụ "Hà Nội"', "tab\there", "\u0000\u001f", "😀 \\ / \u2028", ""]
)
def test_the_stored_text_gives_the_same_canonical_bytes(text: str) -> None:
    entry = AuditEntry(7, T, "in" + text, text, text, {"k": text, "n": [1, 2.5, None]}, "", "")
    stored = StoredEntry(7, T, entry.action, text, text, entry.data_json, "", "")

    assert stored.canonical() == canonical_json(
        {
            "seq": 7,
            "at": T.isoformat(),
            "action": entry.action,
            "actor": text,
            "subject": text,
            "data": entry.data,
        }
    ).encode("utf-8")
    assert entry.canonical() == stored.canonical()


def test_stored_text_changed_to_equal_json_is_an_alteration() -> None:
    chain = _chain(3)
    stored = [
        StoredEntry(e.seq, e.at, e.action, e.actor, e.subject, e.data_json, e.prev_hash, e.hash)
        for e in chain
    ]
    stored[1] = replace(stored[1], data_json=stored[1].data_json.replace(":", ": "))

    report = verify_chain(stored, head=(3, chain[-1].hash))

    assert [(p.seq, p.kind) for p in report.problems] == [(2, "altered")]


def test_checkpoints_are_expected_every_n_entries() -> None:
    identity = _identity()
    chain = _chain(10)
    head = (10, chain[-1].hash)
    some = [_checkpoint(identity, chain[2]), _checkpoint(identity, chain[8])]

    one_gone = verify_chain(chain, head=head, checkpoints=some, checkpoint_every=3)
    all_gone = verify_chain(chain, head=head, checkpoints=[], checkpoint_every=3)
    not_expected = verify_chain(chain, head=head, checkpoints=[])

    assert [(p.seq, p.kind) for p in one_gone.problems] == [(6, "checkpoint_missing")]
    assert "entry 6" in one_gone.problems[0].message
    assert [(p.seq, p.kind) for p in all_gone.problems] == [(3, "checkpoint_missing")]
    assert "3 entries from 3 to 9" in all_gone.problems[0].message
    assert not_expected.ok
