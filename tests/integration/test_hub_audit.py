"""The audit log: appended with each action, hash-chained, checkpoints signed; tampering
with the table directly is detected and located."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, select, update

from hubkit import G12, G22, H41, T0, HubWorld, build_world
from lienthong.db.tables import hub_audit, hub_audit_checkpoints, hub_audit_head
from lienthong.db.uow import UnitOfWork
from lienthong.hub.audit_chain import checkpoint_signature_ok
from lienthong.hub.model import AckState, HubConfig


@pytest.fixture
def world(make_uow: Callable[[], UnitOfWork], tmp_path: Path) -> HubWorld:
    world = build_world(make_uow, tmp_path / "blobs", config=HubConfig(checkpoint_every=4))
    sent = world.send("sys-vpcp", world.document(G22, [H41, G12]))
    world.hub.delivery.receive("sys-nghean")
    world.hub.delivery.ack("sys-nghean", sent.deliveries[0].delivery_id, AckState.DONE)
    world.send("sys-nghean", world.status(H41, sent.document_id, "03"))
    world.send("sys-vpcp", world.document(G22, [H41]))
    return world


def _actions(world: HubWorld) -> list[tuple[int, str, str]]:
    with world.uow() as uow:
        rows = uow.session.execute(
            select(hub_audit.c.seq, hub_audit.c.action, hub_audit.c.actor).order_by(hub_audit.c.seq)
        ).all()
    return [(int(r.seq), r.action, r.actor) for r in rows]


def test_every_action_is_appended_in_order(world: HubWorld) -> None:
    assert _actions(world) == [
        (1, "system.add", "cli"),
        (2, "system.add", "cli"),
        (3, "system.add", "cli"),
        (4, "intake", "sys-vpcp"),
        (5, "claim", "sys-nghean"),
        (6, "ack", "sys-nghean"),
        (7, "intake", "sys-nghean"),
        (8, "intake", "sys-vpcp"),
    ]


def test_an_untouched_log_verifies(world: HubWorld) -> None:
    report = world.hub.audit.verify()

    assert report.ok
    assert report.entries == 8
    assert report.checkpoints == 2  # entries 4 and 8
    assert report.checkpoints_valid == 2


def test_checkpoints_are_signed_by_the_hub(world: HubWorld) -> None:
    with world.uow() as uow:
        rows = uow.session.execute(select(hub_audit_checkpoints)).all()
    certificate = world.pki.system.certificate

    assert [int(r.seq) for r in rows] == [4, 8]
    for row in rows:
        assert checkpoint_signature_ok(certificate, int(row.seq), row.hash, row.at, row.signature)
        assert not checkpoint_signature_ok(
            certificate, int(row.seq) + 1, row.hash, row.at, row.signature
        )


def test_a_checkpoint_on_demand(world: HubWorld) -> None:
    world.hub.delivery.receive("sys-other")
    info = world.hub.audit.checkpoint()
    again = world.hub.audit.checkpoint()

    assert (info.seq, info.created) == (9, True)
    assert (again.seq, again.created) == (9, False)
    assert world.hub.audit.verify().checkpoints == 3


def _tamper(world: HubWorld, statement: object) -> None:
    with world.uow() as uow:
        uow.session.execute(statement)  # type: ignore[call-overload]
        uow.commit()


def test_an_altered_entry_is_named(world: HubWorld) -> None:
    _tamper(world, update(hub_audit).where(hub_audit.c.seq == 6).values(actor="sys-other"))

    report = world.hub.audit.verify()

    assert not report.ok
    assert report.first_problem is not None
    assert (report.first_problem.seq, report.first_problem.kind) == (6, "altered")


def test_an_altered_entry_with_a_recomputed_hash_is_caught_by_the_next_link(
    world: HubWorld,
) -> None:
    from lienthong.hub.audit_chain import AuditEntry, entry_hash

    with world.uow() as uow:
        row = uow.session.execute(select(hub_audit).where(hub_audit.c.seq == 5)).one()
    forged = AuditEntry.from_row(row)
    forged = AuditEntry(
        forged.seq,
        forged.at,
        forged.action,
        "sys-other",
        forged.subject,
        forged.data,
        forged.prev_hash,
        "",
    )
    _tamper(
        world,
        update(hub_audit)
        .where(hub_audit.c.seq == 5)
        .values(actor="sys-other", hash=entry_hash(forged.prev_hash, forged)),
    )

    report = world.hub.audit.verify()

    assert report.first_problem is not None
    assert (report.first_problem.seq, report.first_problem.kind) == (5, "altered")


def test_a_removed_entry_is_named(world: HubWorld) -> None:
    _tamper(world, delete(hub_audit).where(hub_audit.c.seq == 5))

    report = world.hub.audit.verify()

    assert report.first_problem is not None
    assert (report.first_problem.seq, report.first_problem.kind) == (5, "removed")


def test_removing_the_last_entries_is_seen(world: HubWorld) -> None:
    _tamper(world, delete(hub_audit).where(hub_audit.c.seq >= 7))

    report = world.hub.audit.verify()

    assert report.first_problem is not None
    assert (report.first_problem.seq, report.first_problem.kind) == (7, "removed")


def test_reordered_entries_are_named(world: HubWorld) -> None:
    _tamper(world, update(hub_audit).where(hub_audit.c.seq == 5).values(seq=-5))
    _tamper(world, update(hub_audit).where(hub_audit.c.seq == 6).values(seq=5))
    _tamper(world, update(hub_audit).where(hub_audit.c.seq == -5).values(seq=6))

    report = world.hub.audit.verify()

    assert report.first_problem is not None
    assert (report.first_problem.seq, report.first_problem.kind) == (5, "reordered")


def test_a_forged_checkpoint_is_named(world: HubWorld) -> None:
    _tamper(
        world,
        update(hub_audit_checkpoints).where(hub_audit_checkpoints.c.seq == 4).values(hash="0" * 64),
    )

    report = world.hub.audit.verify()

    assert [(p.seq, p.kind) for p in report.problems] == [(4, "checkpoint")]


def test_the_api_edge_reports_the_same(world: HubWorld) -> None:
    from lienthong.hub.views import audit_report

    _tamper(world, delete(hub_audit).where(hub_audit.c.seq == 2))

    body = audit_report(world.hub.audit.verify())

    assert body.ok is False
    assert body.problems[0].seq == 2
    assert body.problems[0].kind == "removed"


def test_cutting_off_the_end_and_the_head_row_is_caught_by_a_checkpoint(world: HubWorld) -> None:
    with world.uow() as uow:
        sixth = uow.session.execute(select(hub_audit.c.hash).where(hub_audit.c.seq == 6)).one()
    _tamper(world, delete(hub_audit).where(hub_audit.c.seq >= 7))
    _tamper(world, update(hub_audit_head).values(seq=6, hash=sixth.hash))

    report = world.hub.audit.verify()

    assert [(p.seq, p.kind) for p in report.problems] == [(8, "removed")]


def test_verification_tells_its_progress_up_to_the_head(world: HubWorld) -> None:
    told: list[tuple[int, int]] = []

    report = world.hub.audit.verify(progress=lambda done, expected: told.append((done, expected)))

    assert report.ok
    assert told == [(8, 8)]


def test_entries_are_listed_from_a_number(world: HubWorld) -> None:
    assert [e.seq for e in world.hub.audit.entries(since=3, limit=2)] == [4, 5]
    assert [e.seq for e in world.hub.audit.entries(since=6, limit=100)] == [7, 8]
    assert [e.seq for e in world.hub.audit.entries(limit=3)] == [1, 2, 3]
    assert world.hub.audit.entries(since=8) == []
    assert world.hub.audit.entries(limit=0) == []


def test_directory_changes_are_audited_with_who_made_them(world: HubWorld) -> None:
    from lienthong.directory.model import AgencyDraft, AgencyPatch

    directory = world.hub.directory
    directory.register(AgencyDraft(name="Sở Thử nghiệm", qcvn_id="000.00.31.H41"), actor="admin:an")
    directory.update("000.00.31.H41", AgencyPatch(short_name="STN"), actor="admin:an")
    directory.add_alias("000.00.31.H41", "STN-OLD", actor="admin:an")
    directory.remove_alias("STN-OLD", actor="admin:an")
    directory.lock("000.00.31.H41", actor="admin:binh")
    directory.unlock("000.00.31.H41")  # the operators' CLI

    entries = world.hub.audit.entries(since=8)

    assert [(e.action, e.actor, e.subject) for e in entries] == [
        ("agency.add", "admin:an", "000.00.31.H41"),
        ("agency.update", "admin:an", "000.00.31.H41"),
        ("agency.alias_add", "admin:an", "000.00.31.H41"),
        ("agency.alias_remove", "admin:an", "000.00.31.H41"),
        ("agency.lock", "admin:binh", "000.00.31.H41"),
        ("agency.unlock", "cli", "000.00.31.H41"),
    ]
    assert entries[0].data["name"] == "Sở Thử nghiệm"
    assert entries[4].data == {}
    assert world.hub.audit.verify().ok


def test_a_refused_directory_change_leaves_no_entry(world: HubWorld) -> None:
    from lienthong.directory.model import AgencyDraft
    from lienthong.errors import LienthongError

    with pytest.raises(LienthongError):
        world.hub.directory.register(AgencyDraft(name="Trùng", qcvn_id=G22), actor="admin:an")

    assert world.hub.audit.entries(since=8) == []


def test_deleted_checkpoints_are_missed(world: HubWorld) -> None:
    _tamper(world, delete(hub_audit_checkpoints))

    from lienthong.hub.views import audit_report

    report = world.hub.audit.verify()

    assert [(p.seq, p.kind) for p in report.problems] == [(4, "checkpoint_missing")]
    assert "2 entries from 4 to 8" in report.problems[0].message
    assert audit_report(report).problems[0].kind == "checkpoint_missing"  # the API's form


def test_a_rewritten_chain_without_its_checkpoints_is_not_intact(world: HubWorld) -> None:
    from lienthong.hub.audit_chain import AuditEntry, entry_hash

    with world.uow() as uow:
        rows = uow.session.execute(select(hub_audit).order_by(hub_audit.c.seq)).all()
    prev = rows[0].prev_hash
    for row in rows:  # entry 2 changed, every hash after it recomputed, head row too
        entry = AuditEntry.from_row(row)
        actor = "sys-other" if entry.seq == 2 else entry.actor
        forged = AuditEntry(entry.seq, entry.at, entry.action, actor, entry.subject,
                            entry.data, prev, "")  # fmt: skip
        forged = forged.with_hash(entry_hash(prev, forged))
        _tamper(
            world,
            update(hub_audit)
            .where(hub_audit.c.seq == entry.seq)
            .values(actor=actor, prev_hash=prev, hash=forged.hash),
        )
        prev = forged.hash
    _tamper(world, update(hub_audit_head).values(hash=prev))
    _tamper(world, delete(hub_audit_checkpoints))

    report = world.hub.audit.verify()

    assert not report.ok
    assert {p.kind for p in report.problems} == {"checkpoint_missing"}


def test_missing_checkpoints_are_signed_on_request_only_on_an_otherwise_sound_log(
    world: HubWorld,
) -> None:
    from lienthong.errors import Conflict

    _tamper(world, delete(hub_audit_checkpoints).where(hub_audit_checkpoints.c.seq == 8))
    _tamper(world, update(hub_audit).where(hub_audit.c.seq == 2).values(actor="x"))
    with pytest.raises(Conflict) as refused:
        world.hub.audit.checkpoint_missing()
    _tamper(world, update(hub_audit).where(hub_audit.c.seq == 2).values(actor="cli"))

    signed = world.hub.audit.checkpoint_missing()
    again = world.hub.audit.checkpoint_missing()

    assert refused.value.code == "conflict.audit"
    assert signed == [8]
    assert again == []
    assert world.hub.audit.verify().ok


def test_a_checkpoint_made_while_verifying_is_not_reported_missing(
    fresh_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An append that crosses a multiple of N (with its checkpoint) and commits between
    the verification's reads of the head and of the checkpoints: one snapshot for both."""
    from lienthong.clock import FixedClock
    from lienthong.db.uow import uow_factory
    from lienthong.hub.repository_audit import AuditRepository

    clock = FixedClock(T0)
    world = build_world(
        uow_factory(fresh_engine, clock=clock),
        tmp_path / "blobs",
        clock=clock,
        config=HubConfig(checkpoint_every=5),
    )
    while world.hub.audit.verify().head_seq % 5 != 4:
        world.hub.systems.create_admin_token("filler")
    read_head = AuditRepository.head

    def head_then_a_concurrent_append(self: AuditRepository, **kw: object) -> tuple[int, str]:
        found = read_head(self, **kw)  # type: ignore[arg-type]
        monkeypatch.setattr(AuditRepository, "head", read_head)  # once
        world.hub.systems.create_admin_token("another operator")  # its own transaction
        return found

    monkeypatch.setattr(AuditRepository, "head", head_then_a_concurrent_append)
    report = world.hub.audit.verify()

    assert report.ok, report.problems
    assert world.hub.audit.verify().head_seq == report.head_seq + 1
